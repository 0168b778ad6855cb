// A small command-line parser: declared flags per command, typed values, unknown flags and missing
// or malformed values are usage errors that name the flag. Used by `ganimation` and by web mode.

export interface FlagSpec {
  readonly type: 'string' | 'number' | 'boolean';
  readonly alias?: string;
  readonly description: string;
  readonly required?: boolean;
  readonly placeholder?: string;
  /** The only values a string flag accepts; another is a usage error that lists them. */
  readonly choices?: readonly string[];
  /** The flag may be given more than once; its value is then the list, in order (string flags only). */
  readonly repeatable?: boolean;
}

export type FlagSpecs = Readonly<Record<string, FlagSpec>>;
export type ParsedFlags = Record<string, string | number | boolean | string[] | undefined>;

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
    const parsed = parseValue(name, spec, value);
    if (spec.repeatable) flags[name] = [...((flags[name] as string[] | undefined) ?? []), String(parsed)];
    else flags[name] = parsed;
  }
  for (const [name, spec] of Object.entries(specs)) {
    if (spec.required && flags[name] === undefined) throw new UsageError(`option --${name} is required`);
  }
  return { positional, flags };
}

function parseValue(name: string, spec: FlagSpec, value: string): string | number {
  if (spec.type === 'number') {
    const n = Number(value);
    if (!Number.isFinite(n)) throw new UsageError(`option --${name} needs a number, got "${value}"`);
    return n;
  }
  if (spec.choices && !spec.choices.includes(value)) throw new UsageError(`option --${name} must be one of ${spec.choices.join(', ')}, got "${value}"`);
  return value;
}

export function formatFlags(specs: FlagSpecs): string {
  return Object.entries(specs)
    .map(([name, s]) => {
      const value = s.choices ? s.choices.join('|') : (s.placeholder ?? s.type);
      const left = `${s.alias ? `-${s.alias}, ` : '    '}--${name}${s.type === 'boolean' ? '' : ` <${value}>`}`;
      const notes = [s.required ? 'required' : '', s.repeatable ? 'repeatable' : ''].filter(Boolean);
      return `  ${left.padEnd(34)} ${s.description}${notes.length ? ` (${notes.join(', ')})` : ''}`;
    })
    .join('\n');
}
