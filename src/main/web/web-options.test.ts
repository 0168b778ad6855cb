// Web mode's command line: defaults, repeatable data roots, and usage errors for unknown flags and
// bad values, through the CLI's parser; `serve.ts` itself answers --help and bad flags with the
// CLI's exit codes.
import { spawnSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { UsageError } from '../cli/args';
import { DEFAULT_PORT, parseWebOptions, webUsage } from './web-options';

const ROOT = path.resolve(__dirname, '../../..');
const HOME = path.join(os.homedir(), '.ganimation-studio');

describe('web mode options', () => {
  it('serves the bundled model and sample from the home folder by default, and reads no training folder', () => {
    const options = parseWebOptions([], ROOT);
    expect(options).toEqual({
      port: DEFAULT_PORT,
      studio: {
        dataDir: HOME,
        modelsDir: path.join(HOME, 'models'),
        models: [path.join(ROOT, 'resources/models/default.onnx')],
        samplePhoto: path.join(ROOT, 'resources/samples/portrait.jpg'),
        dataRoots: [],
      },
    });
  });

  it('takes every --data-root in order, folders resolved, and a --model offered first', () => {
    const model = path.join(ROOT, 'resources/models/default.onnx');
    const options = parseWebOptions(['--port', '0', '--data-root', 'a', '--data-root=/b', '--data-dir', 'd', '--models-dir', 'm', '--model', model], ROOT);
    expect(options?.port).toBe(0);
    expect(options?.studio).toMatchObject({ dataDir: path.resolve('d'), modelsDir: path.resolve('m'), dataRoots: [path.resolve('a'), '/b'] });
    expect(options?.studio.models?.[0]).toBe(model);
  });

  it('refuses unknown flags, bad ports, stray arguments and a missing model by name', () => {
    const error = (argv: string[]) => {
      try {
        parseWebOptions(argv, ROOT);
      } catch (err) {
        return `${err instanceof UsageError ? 'usage' : (err as { code: string }).code}: ${(err as Error).message}`;
      }
      return 'accepted';
    };
    expect(error(['--data-roots', 'x'])).toBe('usage: unknown option --data-roots');
    expect(error(['--port', 'http'])).toBe('usage: option --port needs a number, got "http"');
    expect(error(['--port', '70000'])).toMatch(/^usage: option --port needs a port number from 0 to 65535/);
    expect(error(['--data-dir'])).toBe('usage: option --data-dir needs a value');
    expect(error(['photos'])).toBe('usage: unexpected argument "photos"');
    expect(error(['--model', 'nowhere.onnx'])).toBe('no-such-model: --model nowhere.onnx: no such file');
  });

  it('answers --help with every flag', () => {
    expect(parseWebOptions(['-h'], ROOT)).toBeNull();
    const usage = webUsage();
    for (const flag of ['--port', '--model', '--models-dir', '--data-dir', '--data-root', '--help']) expect(usage).toContain(flag);
    expect(usage).toMatch(/--data-root <dir> .*\(repeatable\)/);
  });

  it('serve.ts exits 0 after --help and 2 on an unknown flag, saying which', () => {
    const serve = (...args: string[]) => spawnSync(process.execPath, ['--import', 'tsx', path.join(ROOT, 'src/main/web/serve.ts'), ...args], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
    const help = serve('--help');
    expect(help.status, help.stderr).toBe(0);
    expect(help.stdout).toMatch(/^Usage: npm run web -- \[options\]/);
    const bad = serve('--prot', '80');
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/^ganimation web: unknown option --prot\n\nUsage: npm run web/);
  });
});
