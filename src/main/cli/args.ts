// A small command-line parser: declared flags per command, typed values, unknown flags and missing
// or malformed values are usage errors that name the flag. Used by `ganimation` and by web mode.
// The values' types follow from the specs (FlagValues), so commands read flags without casts.

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

/** The value a flag parses to: a repeatable flag's list, a boolean, a number, one of its choices, or a string. */
export type FlagValue<S extends FlagSpec> = S extends { readonly repeatable: true }
  ? string[]
  : S extends { readonly type: 'boolean' }
    ? boolean
    : S extends { readonly type: 'number' }
      ? number
      : S extends { readonly choices: readonly (infer C extends string)[] }
        ? C
        : S extends { readonly type: 'string' }
          ? string
          : string | number | boolean | string[];

/** A flag that always has a value: a required one, or a repeatable one (an empty list when not given). */
type AlwaysGiven<S extends FlagSpec> = S extends { readonly required: true } | { readonly repeatable: true } ? true : false;

/** Every flag's value, optional unless the flag always has one. */
export type FlagValues<F extends FlagSpecs> = { readonly [K in keyof F as AlwaysGiven<F[K]> extends true ? K : never]: FlagValue<F[K]> } & {
  readonly [K in keyof F as AlwaysGiven<F[K]> extends true ? never : K]?: FlagValue<F[K]>;
};

export class UsageError extends Error {
  readonly code = 'usage';
}

export interface Parsed<F extends FlagSpecs = FlagSpecs> {
  readonly positional: string[];
  readonly flags: FlagValues<F>;
}

export function parseArgs<const F extends FlagSpecs>(argv: readonly string[], specs: F): Parsed<F> {
  const byAlias = new Map(Object.entries(specs).flatMap(([name, s]) => (s.alias ? [[s.alias, name] as const] : [])));
  const positional: string[] = [];
  const flags: Record<string, string | number | boolean> = {};
  const lists = new Map<string, string[]>(Object.entries(specs).filter(([, s]) => s.repeatable).map(([name]) => [name, []]));
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
    const list = lists.get(name);
    if (list) list.push(String(parsed));
    else flags[name] = parsed;
  }
  for (const [name, spec] of Object.entries(specs)) {
    const list = lists.get(name);
    const given = list ? list.length > 0 : flags[name] !== undefined;
    if (spec.required && !given) throw new UsageError(`option --${name} is required`);
  }
  // The one place values meet their types: each was parsed above by its own spec.
  return { positional, flags: { ...flags, ...Object.fromEntries(lists) } as FlagValues<F> };
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
