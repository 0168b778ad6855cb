// Web mode's command line (`npm run web -- [options]`), parsed by the CLI's own parser: which port,
// models and folders the served studio uses. Unknown flags and bad values are usage errors.
import fs from 'node:fs';
import path from 'node:path';
import { StudioError } from '../../shared/errors';
import { DEFAULT_HOME } from '../io/app-home';
import type { StudioConfig } from '../api/studio';
import { formatFlags, parseArgs, UsageError, type FlagSpecs } from '../cli/args';

export const DEFAULT_PORT = 5780;

export const WEB_FLAGS = {
  port: { type: 'number', description: `port on 127.0.0.1; 0 picks a free one (default ${DEFAULT_PORT})`, placeholder: 'n' },
  model: { type: 'string', description: 'a model file to offer first and render with (default: the bundled model)', placeholder: 'file' },
  'models-dir': { type: 'string', description: `imported and trained models (default ${path.join(DEFAULT_HOME, 'models')})`, placeholder: 'dir' },
  'data-dir': { type: 'string', description: `photos, projects, exports, runs and audio (default ${DEFAULT_HOME})`, placeholder: 'dir' },
  'data-root': { type: 'string', repeatable: true, description: 'a folder the studio may read training photos from (none by default)', placeholder: 'dir' },
  help: { type: 'boolean', alias: 'h', description: 'print this help' },
} as const satisfies FlagSpecs;

export const webUsage = (): string => `Usage: npm run web -- [options]\n\nServes the studio to a browser on 127.0.0.1, behind a random access token.\n\nOptions:\n${formatFlags(WEB_FLAGS)}`;

export interface WebOptions {
  readonly port: number;
  readonly studio: StudioConfig;
}

/**
 * The port and the studio to serve, from web mode's arguments; null when --help was asked for.
 * @param projectRoot where resources/ (the bundled model and sample portrait) lives.
 */
export function parseWebOptions(argv: readonly string[], projectRoot: string): WebOptions | null {
  const { positional, flags } = parseArgs(argv, WEB_FLAGS);
  if (flags.help) return null;
  if (positional.length) throw new UsageError(`unexpected argument "${positional[0]}"`);
  const port = flags.port ?? DEFAULT_PORT;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`option --port needs a port number from 0 to 65535, got ${port}`);
  const { model } = flags;
  if (model && !fs.existsSync(model)) throw new StudioError('no-such-model', `--model ${model}: no such file`);
  const dataDir = path.resolve(flags['data-dir'] ?? DEFAULT_HOME);
  return {
    port,
    studio: {
      dataDir,
      modelsDir: path.resolve(flags['models-dir'] ?? path.join(DEFAULT_HOME, 'models')),
      models: [...(model ? [model] : []), path.join(projectRoot, 'resources/models/default.onnx')],
      samplePhoto: path.join(projectRoot, 'resources/samples/portrait.jpg'),
      // Web mode reads training photos only under a --data-root: the page may name no other folder.
      dataRoots: flags['data-root'].map((root) => path.resolve(root)),
    },
  };
}
