import { readFile } from 'node:fs/promises';
import * as readline from 'node:readline';
import { endsWithCompleteStatement, splitStatements } from '../sql/splitter';
import { parseArgs, UsageError } from './args';
import { DEFAULT_GATEWAY_URL, GatewayClient, type StatementResultJson, type StatementsOutcome } from './gateway-client';
import { renderError, renderResult } from './result-table';

/** The streams the SQL client talks through; `process.stdin`/`stdout`/`stderr` in the real CLI. */
export interface ClientIo {
  readonly stdin: NodeJS.ReadableStream;
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream;
  /** True when a person is typing: show the banner and prompts. False when statements are piped in. */
  readonly isTty: boolean;
}

/** Usage text of `freshet sql`, printed by `--help` and after usage errors. */
export const SQL_CLIENT_USAGE = `Usage: freshet sql [--url URL] [--token TOKEN] [-e "statements"] [-f file.sql]

Sends SQL to a Freshet gateway and prints the results.

Options:
  --url URL          gateway address (env FRESHET_URL; default ${DEFAULT_GATEWAY_URL})
  --token TOKEN      bearer token (env FRESHET_TOKEN)
  -e, --execute SQL  run these ;-separated statements and exit
  -f, --file PATH    run the statements in this file and exit
  -h, --help         show this help

Without -e or -f, statements are read from the terminal (interactive) or from piped stdin.
Exit code: 0 success, 1 the gateway reported an error or could not be reached, 2 usage error.
`;

const PROMPT = 'freshet> ';
const CONTINUATION_PROMPT = '      -> ';

const HELP_TEXT = `Statements handled by Freshet (MATERIALIZED may replace DYNAMIC everywhere):
  CREATE [OR ALTER] DYNAMIC TABLE [IF NOT EXISTS] name [(cols, PRIMARY KEY (…))] [COMMENT '…']
      [PARTITIONED BY (col, …)] [WITH ('k' = 'v', …)] [FRESHNESS = INTERVAL '<n>' <unit>]
      [REFRESH_MODE = FULL | CONTINUOUS] AS <query>
  ALTER DYNAMIC TABLE name SUSPEND | RESUME [WITH (…)] | REFRESH [PARTITION (col = 'v', …)]
  ALTER DYNAMIC TABLE name SET FRESHNESS = INTERVAL '<n>' <unit> | SET REFRESH_MODE = FULL | CONTINUOUS
  ALTER DYNAMIC TABLE name AS <query>
  DROP DYNAMIC TABLE [IF EXISTS] name
  SHOW DYNAMIC TABLES [LIKE 'pattern'] | SHOW CREATE DYNAMIC TABLE name | DESCRIBE DYNAMIC TABLE name
Any other statement (CREATE TABLE, INSERT, SELECT, …) runs on the engine.
End a statement with ; to send it. Client commands: help, quit (or exit, \\q, Ctrl-D); Ctrl-C clears the input.
`;

const OPTIONS = {
  url: { type: 'string' },
  token: { type: 'string' },
  execute: { type: 'string', short: 'e' },
  file: { type: 'string', short: 'f' },
  help: { type: 'boolean', short: 'h' },
} as const;

interface ClientSettings {
  readonly url: string;
  readonly token: string | undefined;
  readonly execute: string | undefined;
  readonly file: string | undefined;
  readonly help: boolean;
}

/** `freshet sql [--url URL] [--token TOKEN] [-e "statements"] [-f file.sql] [--help]`; resolves to the exit code. */
export async function runSqlClient(
  argv: readonly string[],
  io: ClientIo,
  env: NodeJS.ProcessEnv = process.env,
): Promise<number> {
  let settings: ClientSettings;
  let script: string | undefined;
  try {
    settings = readSettings(argv, env);
    if (settings.help) {
      io.stdout.write(SQL_CLIENT_USAGE);
      return 0;
    }
    script = settings.file === undefined ? settings.execute : await readScript(settings.file);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    io.stderr.write(`freshet sql: ${error.message}\nRun 'freshet sql --help' for usage.\n`);
    return 2;
  }

  const client = new GatewayClient({ url: settings.url, token: settings.token });
  const printer = new OutcomePrinter(io, settings.token !== undefined);
  if (script !== undefined) {
    return printer.print(await client.execute(script)) === 'ok' ? 0 : 1;
  }
  return io.isTty ? runInteractive(client, io, printer) : runPiped(client, io, printer);
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
    help: values.help === true,
  };
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

/**
 * Accumulates input lines until they end with a complete statement. Remembers the input line the buffer
 * started on so that piped input can report errors at the line of the whole input.
 */
class StatementBuffer {
  private lines: string[] = [];
  private lineNumber = 0;
  private start = 0;

  get isEmpty(): boolean {
    return this.lines.length === 0;
  }

  /** 1-based input line of the buffer's first line. */
  get startLine(): number {
    return this.start;
  }

  /** Adds a line; returns the buffered text when it now ends with a complete statement. */
  push(line: string): string | undefined {
    this.lineNumber++;
    // Blank lines between statements are not sent: they would only shift the gateway's line numbers.
    if (this.isEmpty && line.trim() === '') return undefined;
    if (this.isEmpty) this.start = this.lineNumber;
    this.lines.push(line);
    const text = this.lines.join('\n');
    return endsWithCompleteStatement(text) ? text : undefined;
  }

  /** Whatever is left (a last statement without `;`), or undefined when only whitespace and comments are. */
  rest(): string | undefined {
    const text = this.lines.join('\n');
    return splitStatements(text).length === 0 ? undefined : text;
  }

  /** Counts a line that was consumed as a client command, so later line numbers stay right. */
  skip(): void {
    this.lineNumber++;
  }

  clear(): void {
    this.lines = [];
  }
}

type ClientCommand = 'quit' | 'help';

/** `quit`, `exit`, `\q`, `help` (with or without `;`), recognised only at the start of a statement. */
function clientCommandOf(line: string): ClientCommand | undefined {
  const word = line.trim().replace(/;$/, '').trim().toLowerCase();
  if (word === 'quit' || word === 'exit' || word === '\\q') return 'quit';
  if (word === 'help' || word === '\\h' || word === '\\?') return 'help';
  return undefined;
}

async function runInteractive(client: GatewayClient, io: ClientIo, printer: OutcomePrinter): Promise<number> {
  // Line editing and Ctrl-C handling need a real terminal; a test drives the same loop through plain streams.
  const terminal = (io.stdin as { isTTY?: boolean }).isTTY === true;
  const rl = readline.createInterface({ input: io.stdin, output: io.stdout, terminal, historySize: 500 });
  const lines = rl[Symbol.asyncIterator]();
  const buffer = new StatementBuffer();
  let inFlight: AbortController | undefined;

  const prompt = (): void => {
    rl.setPrompt(buffer.isEmpty ? PROMPT : CONTINUATION_PROMPT);
    rl.prompt();
  };
  rl.on('SIGINT', () => {
    if (inFlight !== undefined) {
      inFlight.abort();
      return;
    }
    const hadInput = !buffer.isEmpty || rl.line !== '';
    buffer.clear();
    // Ctrl-E then Ctrl-U: readline's documented way to empty the line being edited.
    rl.write(null, { ctrl: true, name: 'e' });
    rl.write(null, { ctrl: true, name: 'u' });
    io.stdout.write(hadInput ? '^C\n' : '^C (type quit or press Ctrl-D to leave)\n');
    prompt();
  });

  io.stdout.write(`Freshet SQL client, gateway ${client.url}. Type help for the statements, quit to leave.\n`);
  prompt();
  let quit = false;
  for await (const line of lines) {
    const command = buffer.isEmpty ? clientCommandOf(line) : undefined;
    if (command === 'quit') {
      quit = true;
      break;
    }
    if (command === 'help') {
      io.stdout.write(HELP_TEXT);
    } else {
      const text = buffer.push(line);
      if (text !== undefined) {
        buffer.clear();
        inFlight = new AbortController();
        const outcome = await client.execute(text, inFlight.signal);
        inFlight = undefined;
        printer.print(outcome);
        printer.endBlock();
      }
    }
    prompt();
  }
  rl.close();
  // After Ctrl-D the cursor still sits after the prompt; end the line so the shell prompt starts cleanly.
  if (!quit) io.stdout.write('\n');
  return 0;
}

async function runPiped(client: GatewayClient, io: ClientIo, printer: OutcomePrinter): Promise<number> {
  const rl = readline.createInterface({ input: io.stdin, terminal: false, crlfDelay: Infinity });
  const buffer = new StatementBuffer();
  let failed = false;

  const send = async (text: string): Promise<'ok' | 'failed' | 'unreachable'> => {
    const outcome = await client.execute(text);
    const result = printer.print(outcome, buffer.startLine - 1);
    if (result !== 'ok') failed = true;
    return result;
  };

  try {
    for await (const line of rl) {
      const command = buffer.isEmpty ? clientCommandOf(line) : undefined;
      if (command === 'quit') return failed ? 1 : 0;
      if (command === 'help') {
        buffer.skip();
        io.stdout.write(HELP_TEXT);
        continue;
      }
      const text = buffer.push(line);
      if (text === undefined) continue;
      buffer.clear();
      // Every later statement would fail the same way; one message is enough.
      if ((await send(text)) === 'unreachable') return 1;
    }
    // A last statement without `;` still runs, as it would in any SQL script runner.
    const rest = buffer.rest();
    if (rest !== undefined) await send(rest);
    return failed ? 1 : 0;
  } finally {
    rl.close();
  }
}

/** Prints outcomes: results to stdout, separated by blank lines; errors and hints to stderr. */
class OutcomePrinter {
  private printedResult = false;

  constructor(
    private readonly io: ClientIo,
    private readonly hasToken: boolean,
  ) {}

  /** `lineOffset` shifts error lines when the text sent started further down the user's input. */
  print(outcome: StatementsOutcome, lineOffset = 0): 'ok' | 'failed' | 'unreachable' {
    switch (outcome.kind) {
      case 'results':
        this.printResults(outcome.results);
        return 'ok';
      case 'error': {
        this.printResults(outcome.completed);
        const { error } = outcome;
        const line = error.line === undefined ? undefined : error.line + lineOffset;
        this.io.stderr.write(`${renderError({ ...error, line })}\n`);
        if (error.code === 'UNAUTHORIZED') {
          this.io.stderr.write(
            this.hasToken
              ? 'hint: the gateway did not accept the token; check --token or FRESHET_TOKEN.\n'
              : 'hint: this gateway requires a token; pass --token TOKEN or set FRESHET_TOKEN.\n',
          );
        }
        return 'failed';
      }
      case 'unreachable':
        this.io.stderr.write(
          outcome.reason === 'cancelled'
            ? 'Cancelled; the gateway was asked to stop the statement.\n'
            : `ERROR: cannot reach the Freshet gateway at ${outcome.url} (${outcome.reason}). ` +
                'Is it running? Start it with `npm start`, or point the client at it with --url URL.\n',
        );
        return outcome.reason === 'cancelled' ? 'failed' : 'unreachable';
    }
  }

  /** Ends one interactive exchange with a blank line, so the next prompt stands apart from the output. */
  endBlock(): void {
    this.io.stdout.write('\n');
    this.printedResult = false;
  }

  private printResults(results: readonly StatementResultJson[]): void {
    for (const result of results) {
      if (this.printedResult) this.io.stdout.write('\n');
      this.io.stdout.write(`${renderResult(result).join('\n')}\n`);
      this.printedResult = true;
    }
  }
}
