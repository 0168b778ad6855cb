// The model-card flags that every command writing a model file offers, and the reading of their files.
import fs from 'node:fs';
import { REPAINT_REGIONS } from '../../shared/repaint';
import { UsageError } from './args';

export const CARD_FLAGS = {
  restrictions: { type: 'string', description: 'use restrictions inherited from the data, for the model card', placeholder: 'text' },
  evaluation: { type: 'string', description: 'a Markdown file with evaluation results for the model card (e.g. from ganimation eval)', placeholder: 'file' },
} as const;

/** --repaint, for the commands that write a geometry model (model-file.ts RepaintRegion). */
export const REPAINT_FLAG = {
  type: 'string',
  description: 'where the generator may repaint: anywhere (default; its attention decides) or mouth-opening (only where the warp opens a closed mouth; elsewhere the output is the warped photo itself)',
  choices: REPAINT_REGIONS,
} as const;

/** The --evaluation file's Markdown, or undefined without the flag; an unreadable file is a usage error naming it. */
export function readEvaluationFlag(file: string | undefined): string | undefined {
  if (file === undefined) return undefined;
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new UsageError(`--evaluation: cannot read ${file}: ${(err as Error).message}`);
  }
}
