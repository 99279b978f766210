/** How one command-line option is written and what it takes. */
export interface OptionSpec {
  /** `string` options take the next argument (or `--name=value`); `boolean` options take none. */
  readonly type: 'string' | 'boolean';
  /** One-letter alias, without the dash: `e` for `-e`. */
  readonly short?: string;
}

/** Option specs keyed by long name (`url` for `--url`). */
export type OptionSpecs = Readonly<Record<string, OptionSpec>>;

/** The values given on the command line; options that were not given are absent. */
export type OptionValues<S extends OptionSpecs> = {
  readonly [K in keyof S]?: S[K]['type'] extends 'string' ? string : boolean;
};

export interface ParsedArgs<S extends OptionSpecs> {
  readonly values: OptionValues<S>;
  readonly positionals: readonly string[];
}

/** A command line the user has to correct; the CLI prints the message with the usage and exits 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/**
 * Parses `argv` (without the node and script paths) against `specs`. Accepts `--name value`, `--name=value`,
 * `-n value` and `-nvalue`; `--` ends the options. A string option always takes the next argument as its value,
 * even when it starts with `-`, so `-e "-- comment …"` works. Unknown options, missing values and options given
 * twice are {@link UsageError}s.
 */
export function parseArgs<S extends OptionSpecs>(argv: readonly string[], specs: S): ParsedArgs<S> {
  const values: Record<string, string | boolean> = {};
  const positionals: string[] = [];
  const byShort = new Map<string, string>();
  for (const [name, spec] of Object.entries(specs)) {
    if (spec.short !== undefined) byShort.set(spec.short, name);
  }

  const set = (name: string, value: string | boolean, written: string): void => {
    if (Object.hasOwn(values, name)) throw new UsageError(`${written} is given more than once.`);
    values[name] = value;
  };

  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (!arg.startsWith('-') || arg === '-') {
      positionals.push(arg);
      continue;
    }

    const long = arg.startsWith('--');
    const equals = long ? arg.indexOf('=') : -1;
    const key = long ? arg.slice(2, equals === -1 ? undefined : equals) : arg.slice(1, 2);
    const name = long ? (Object.hasOwn(specs, key) ? key : undefined) : byShort.get(key);
    const spec = name === undefined ? undefined : specs[name];
    const written = long ? `--${key}` : `-${key}`;
    if (name === undefined || spec === undefined) {
      throw new UsageError(`unknown option ${written}.`);
    }

    const inline = long
      ? equals === -1
        ? undefined
        : arg.slice(equals + 1)
      : arg.length > 2
        ? arg.slice(2)
        : undefined;
    if (spec.type === 'boolean') {
      if (inline !== undefined) throw new UsageError(`${written} takes no value.`);
      set(name, true, written);
      continue;
    }
    if (inline !== undefined) {
      set(name, inline, written);
      continue;
    }
    const next = argv[i + 1];
    if (next === undefined) throw new UsageError(`${written} needs a value.`);
    set(name, next, written);
    i++;
  }
  return { values: values as OptionValues<S>, positionals };
}
