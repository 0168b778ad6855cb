// A small command-line parser: declared flags per command, typed values, unknown flags and missing
// values are usage errors that name the flag.

export interface FlagSpec {
  readonly type: 'string' | 'number' | 'boolean';
  readonly alias?: string;
  readonly description: string;
  readonly required?: boolean;
  readonly placeholder?: string;
}

export type FlagSpecs = Readonly<Record<string, FlagSpec>>;
export type ParsedFlags = Record<string, string | number | boolean | undefined>;

export class UsageError extends Error {
  readonly code = 'usage';
}

export interface Parsed {
  readonly positional: string[];
  readonly flags: ParsedFlags;
}

export function parseArgs(argv: readonly string[], specs: FlagSpecs): Parsed {
  const byAlias = new Map(Object.entries(specs).flatMap(([name, s]) => (s.alias ? [[s.alias, name] as const] : [])));
  const positional: string[] = [];
  const flags: ParsedFlags = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (!arg.startsWith('-') || arg === '-') {
      positional.push(arg);
      continue;
    }
    const [rawName, inline] = arg.replace(/^--?/, '').split(/=(.*)/s, 2);
    const name = arg.startsWith('--') ? rawName : (byAlias.get(rawName) ?? rawName);
    const spec = specs[name];
    if (!spec) throw new UsageError(`unknown option ${arg.split('=')[0]}`);
    if (spec.type === 'boolean') {
      flags[name] = inline === undefined ? true : inline !== 'false';
      continue;
    }
    const value = inline ?? argv[++i];
    if (value === undefined) throw new UsageError(`option --${name} needs a value`);
    if (spec.type === 'number') {
      const n = Number(value);
      if (!Number.isFinite(n)) throw new UsageError(`option --${name} needs a number, got "${value}"`);
      flags[name] = n;
    } else flags[name] = value;
  }
  for (const [name, spec] of Object.entries(specs)) {
    if (spec.required && flags[name] === undefined) throw new UsageError(`option --${name} is required`);
  }
  return { positional, flags };
}

export function formatFlags(specs: FlagSpecs): string {
  return Object.entries(specs)
    .map(([name, s]) => {
      const left = `${s.alias ? `-${s.alias}, ` : '    '}--${name}${s.type === 'boolean' ? '' : ` <${s.placeholder ?? s.type}>`}`;
      return `  ${left.padEnd(34)} ${s.description}${s.required ? ' (required)' : ''}`;
    })
    .join('\n');
}
