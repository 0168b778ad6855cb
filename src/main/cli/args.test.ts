// The command-line parser: typed values, aliases, repeatable flags kept in order, choices checked,
// and every mistake a usage error that names the flag.
import { describe, expect, expectTypeOf, it } from 'vitest';
import { formatFlags, parseArgs, UsageError, type FlagSpecs } from './args';
import { deviceFlag } from './device-flag';

const SPECS = {
  out: { type: 'string', alias: 'o', description: 'output file', required: true, placeholder: 'file' },
  steps: { type: 'number', description: 'steps' },
  format: { type: 'string', choices: ['json', 'csv'], description: 'output format' },
  root: { type: 'string', repeatable: true, description: 'a root', placeholder: 'dir' },
  verbose: { type: 'boolean', description: 'say more' },
} as const satisfies FlagSpecs;

const usage = (argv: string[]): string => {
  try {
    parseArgs(argv, SPECS);
  } catch (err) {
    if (err instanceof UsageError) return err.message;
    throw err;
  }
  return 'accepted';
};

describe('parseArgs', () => {
  it('reads values, aliases, inline values, booleans and positionals', () => {
    const { positional, flags } = parseArgs(['a.jpg', '-o', 'x.json', '--steps=5', '--verbose', '--format', 'csv', 'b.jpg'], SPECS);
    expect(positional).toEqual(['a.jpg', 'b.jpg']);
    expect(flags).toEqual({ out: 'x.json', steps: 5, verbose: true, format: 'csv', root: [] });
  });

  it('types each value from its spec (checked by tsc)', () => {
    const { flags } = parseArgs(['-o', 'x'], SPECS);
    expectTypeOf(flags.out).toEqualTypeOf<string>();
    expectTypeOf(flags.steps).toEqualTypeOf<number | undefined>();
    expectTypeOf(flags.format).toEqualTypeOf<'json' | 'csv' | undefined>();
    expectTypeOf(flags.root).toEqualTypeOf<string[]>();
    expectTypeOf(flags.verbose).toEqualTypeOf<boolean | undefined>();
  });

  it('keeps every value of a repeatable flag, in order', () => {
    expect(parseArgs(['-o', 'x', '--root', 'a', '--root=b', '--root', 'c'], SPECS).flags.root).toEqual(['a', 'b', 'c']);
    expect(parseArgs(['-o', 'x'], SPECS).flags.root).toEqual([]);
  });

  it('names the flag in every usage error', () => {
    expect(usage(['--nope'])).toBe('unknown option --nope');
    expect(usage([])).toBe('option --out is required');
    expect(usage(['-o'])).toBe('option --out needs a value');
    expect(usage(['-o', 'x', '--steps', 'many'])).toBe('option --steps needs a number, got "many"');
    expect(usage(['-o', 'x', '--format', 'xml'])).toBe('option --format must be one of json, csv, got "xml"');
  });

  it('takes --device from the device table, webgpu included, and names every valid one', () => {
    expect(parseArgs(['--device', 'webgpu'], { device: deviceFlag }).flags.device).toBe('webgpu');
    expect(() => parseArgs(['--device', 'tpu'], { device: deviceFlag })).toThrow('option --device must be one of auto, cpu, cuda, dml, coreml, webgpu, got "tpu"');
    expect(formatFlags({ device: deviceFlag })).toMatch(/--device <auto\|cpu\|cuda\|dml\|coreml\|webgpu>/);
  });

  it('shows choices and repeatable flags in the help', () => {
    const help = formatFlags(SPECS);
    expect(help).toMatch(/--format <json\|csv> +output format\n/);
    expect(help).toMatch(/--root <dir> +a root \(repeatable\)/);
    expect(help).toMatch(/-o, --out <file> +output file \(required\)/);
  });
});
