// The --device flag of every command that runs a generator: its choices are the device table's.
import { DEVICES } from '../infer/providers';
import type { FlagSpec } from './args';

export const deviceFlag = {
  type: 'string',
  choices: DEVICES,
  description: "where the generator runs (default auto: the platform's preferred provider, else the CPU)",
} as const satisfies FlagSpec;
