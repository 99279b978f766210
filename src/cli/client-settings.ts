import { readFile } from 'node:fs/promises';
import { parseArgs, UsageError } from './args';
import { DEFAULT_GATEWAY_URL } from './gateway-client';
import { OUTPUT_FORMATS, type OutputFormat } from './result-table';

/** Usage text of `freshet sql`, printed by `--help` and after usage errors. */
export const SQL_CLIENT_USAGE = `Usage: freshet sql [--url URL] [--token TOKEN] [-e "statements"] [-f file.sql]
                   [--format table|csv|json|expanded] [--on-error stop|continue]

Sends SQL to a Freshet gateway and prints the results.

Options:
  --url URL            gateway address (default ${DEFAULT_GATEWAY_URL})
  --token TOKEN        bearer token
  -e, --execute SQL    run these ;-separated statements and exit
  -f, --file PATH      run the statements in this file and exit; an error names the statement and its line
  --format FORMAT      table (default: values are never cut; they wrap to the terminal's width), csv, json (an
                       array of objects per result), or expanded (one 'column | value' block per row, as \\x)
  --on-error MODE      stop (default) at the first failing statement of -e, -f or piped input, or continue
  -v, --version        print the version
  -h, --help           show this help

Environment variables:
  FRESHET_URL          the gateway address, when --url is not given
  FRESHET_TOKEN        the bearer token, when --token is not given
  FRESHET_HISTORY      the interactive history file (default ~/.freshet_history; empty: keep no history)

Without -e or -f, statements are read from the terminal (interactive) or from piped stdin. The interactive
client keeps going after an error; type help there for its commands.
Exit code: 0 success, 1 the gateway reported an error or could not be reached, 2 usage error.
`;

const OPTIONS = {
  url: { type: 'string' },
  token: { type: 'string' },
  execute: { type: 'string', short: 'e' },
  file: { type: 'string', short: 'f' },
  format: { type: 'string' },
  'on-error': { type: 'string' },
  version: { type: 'boolean', short: 'v' },
  help: { type: 'boolean', short: 'h' },
} as const;

export type OnError = 'stop' | 'continue';

export interface ClientSettings {
  readonly url: string;
  readonly token: string | undefined;
  readonly execute: string | undefined;
  readonly file: string | undefined;
  readonly format: OutputFormat;
  readonly onError: OnError;
  readonly help: boolean;
  readonly version: boolean;
}

export function readSettings(argv: readonly string[], env: NodeJS.ProcessEnv): ClientSettings {
  const { values, positionals } = parseArgs(argv, OPTIONS);
  if (positionals.length > 0) {
    throw new UsageError(`unexpected argument '${positionals[0]}' (pass statements with -e "…" or -f file.sql).`);
  }
  if (values.execute !== undefined && values.file !== undefined) {
    throw new UsageError('give either -e or -f, not both.');
  }
  if (values.execute !== undefined && values.execute.trim() === '') {
    throw new UsageError('-e needs at least one statement.');
  }
  const url = values.url ?? nonEmpty(env.FRESHET_URL) ?? DEFAULT_GATEWAY_URL;
  checkUrl(url, values.url !== undefined ? '--url' : 'FRESHET_URL');
  return {
    url,
    token: values.token ?? nonEmpty(env.FRESHET_TOKEN),
    execute: values.execute,
    file: values.file,
    format: oneOf('--format', values.format ?? 'table', OUTPUT_FORMATS),
    onError: oneOf('--on-error', values['on-error'] ?? 'stop', ['stop', 'continue'] as const),
    help: values.help === true,
    version: values.version === true,
  };
}

function oneOf<T extends string>(option: string, value: string, allowed: readonly T[]): T {
  const found = allowed.find((a) => a === value.toLowerCase());
  if (found === undefined) throw new UsageError(`${option} must be one of ${allowed.join(', ')}; got '${value}'.`);
  return found;
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value;
}

function checkUrl(url: string, source: string): void {
  let protocol: string | undefined;
  try {
    protocol = new URL(url).protocol;
  } catch {
    protocol = undefined;
  }
  if (protocol !== 'http:' && protocol !== 'https:') {
    throw new UsageError(`${source} must be an http(s) URL such as ${DEFAULT_GATEWAY_URL}; got '${url}'.`);
  }
}

export async function readScript(path: string): Promise<string> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const reason =
      code === 'ENOENT'
        ? 'no such file'
        : code === 'EISDIR'
          ? 'it is a directory'
          : code === 'EACCES'
            ? 'permission denied'
            : String(error);
    throw new UsageError(`cannot read ${path}: ${reason}.`);
  }
  if (text.trim() === '') throw new UsageError(`${path} holds no statements.`);
  return text;
}
