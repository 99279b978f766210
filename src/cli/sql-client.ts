import { readFile } from 'node:fs/promises';
import { splitStatements } from '../sql/splitter';
import { parseArgs, UsageError } from './args';
import { runInteractive, runPiped } from './client-session';
import { DEFAULT_GATEWAY_URL, GatewayClient, type StatementsOutcome } from './gateway-client';
import { historyPath, StatementHistory } from './history';
import { type ClientIo, OutcomePrinter } from './outcome-printer';
import { OUTPUT_FORMATS, type OutputFormat } from './result-table';
import { freshetVersion } from './version';

export type { ClientIo } from './outcome-printer';

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

type OnError = 'stop' | 'continue';

interface ClientSettings {
  readonly url: string;
  readonly token: string | undefined;
  readonly execute: string | undefined;
  readonly file: string | undefined;
  readonly format: OutputFormat;
  readonly onError: OnError;
  readonly help: boolean;
  readonly version: boolean;
}

/** `freshet sql [options]` (see {@link SQL_CLIENT_USAGE}); resolves to the exit code. */
export async function runSqlClient(
  argv: readonly string[],
  io: ClientIo,
  env: NodeJS.ProcessEnv = process.env,
): Promise<number> {
  let settings: ClientSettings;
  let script: string | undefined;
  try {
    settings = readSettings(argv, env);
    if (settings.help || settings.version) {
      io.stdout.write(settings.help ? SQL_CLIENT_USAGE : `freshet ${freshetVersion()}\n`);
      return 0;
    }
    script = settings.file === undefined ? settings.execute : await readScript(settings.file);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    io.stderr.write(`freshet sql: ${error.message}\nRun 'freshet sql --help' for usage.\n`);
    return 2;
  }

  const client = new GatewayClient({ url: settings.url, token: settings.token });
  const printer = new OutcomePrinter(io, settings.token !== undefined, settings.format);
  if (script !== undefined) {
    return runScript(script, { client, printer, onError: settings.onError, file: settings.file });
  }
  if (!io.isTty) return runPiped({ client, io, printer, onError: settings.onError });
  const history = new StatementHistory(historyPath(env), (message) => io.stderr.write(`${message}\n`));
  return runInteractive({ client, io, printer, history });
}

function readSettings(argv: readonly string[], env: NodeJS.ProcessEnv): ClientSettings {
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

async function readScript(path: string): Promise<string> {
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

interface ScriptOptions {
  readonly client: GatewayClient;
  readonly printer: OutcomePrinter;
  readonly onError: OnError;
  /** The file of `-f`: errors then name it and the statement's number. */
  readonly file: string | undefined;
}

/**
 * Runs `-e` or `-f` text as one request. With `--on-error continue`, what follows a failing statement is sent
 * again as a new request, led by blank space standing for the text before it, so the gateway's line and column
 * still refer to the whole script.
 */
async function runScript(text: string, { client, printer, onError, file }: ScriptOptions): Promise<number> {
  const statements = splitStatements(text);
  let first = 0;
  let failed = false;
  while (first < statements.length) {
    const start = statements[first]?.position.offset ?? 0;
    const outcome = await client.execute(blankedBefore(text, start));
    const failing = outcome.kind === 'error' ? first + failingIndex(outcome, statements.slice(first)) : first;
    const where = file === undefined ? [] : [file, `statement ${failing + 1}`];
    const fallbackLine = file === undefined ? undefined : startLine(text, statements[failing]);
    const result = printer.print(outcome, { where, ...(fallbackLine === undefined ? {} : { fallbackLine }) });
    if (result === 'ok') break;
    failed = true;
    if (result === 'unreachable' || onError === 'stop' || outcome.kind !== 'error') break;
    first = failing + 1;
  }
  return failed ? 1 : 0;
}

type StatementSlices = ReturnType<typeof splitStatements>;

/** Which of the statements sent failed: as the gateway says, else the one holding the error's line. */
function failingIndex(outcome: Extract<StatementsOutcome, { kind: 'error' }>, sent: StatementSlices): number {
  if (outcome.statementIndex !== undefined) return outcome.statementIndex;
  const { line } = outcome.error;
  if (line === undefined) return 0;
  let index = 0;
  for (const [i, statement] of sent.entries()) {
    if (statement.position.line <= line) index = i;
  }
  return index;
}

/** The text with everything before `offset` replaced by as many line breaks and spaces as it took. */
function blankedBefore(text: string, offset: number): string {
  if (offset === 0) return text;
  const before = text.slice(0, offset);
  const lastBreak = before.lastIndexOf('\n');
  return '\n'.repeat(before.split('\n').length - 1) + ' '.repeat(before.length - lastBreak - 1) + text.slice(offset);
}

/** The 1-based line of a statement's first character that is not white space. */
function startLine(text: string, statement: StatementSlices[number] | undefined): number | undefined {
  if (statement === undefined) return undefined;
  const leading = /^\s*/.exec(statement.text)?.[0] ?? '';
  return text.slice(0, statement.position.offset + leading.length).split('\n').length;
}
