import * as readline from 'node:readline';
import { endsWithCompleteStatement, splitStatements } from '../sql/splitter';
import { type ClientSettings, readScript, readSettings, SQL_CLIENT_USAGE } from './client-settings';
import { UsageError } from './args';
import { GatewayClient } from './gateway-client';
import { historyPath, StatementHistory } from './history';
import { type ClientIo, OutcomePrinter } from './outcome-printer';
import type { OutputFormat } from './result-table';
import { runScript } from './script-runner';
import { freshetVersion } from './version';

export { SQL_CLIENT_USAGE };
export type { ClientIo } from './outcome-printer';

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
  SHOW TABLES [LIKE 'pattern'] | DESCRIBE [TABLE] name      (any table, on every engine)
Any other statement (CREATE TABLE, INSERT, SELECT, …) runs on the engine.
End a statement with ; to send it. Client commands: help, \\x (expanded display on/off), quit (or exit, \\q,
Ctrl-D); Ctrl-C clears the input. The up arrow recalls whole statements, also from earlier sessions.
`;

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
  return runInteractive(client, io, printer, history);
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

type ClientCommand = 'quit' | 'help' | 'expanded';

/** `quit`, `exit`, `\q`, `help`, `\x` (with or without `;`), recognised only at the start of a statement. */
function clientCommandOf(line: string): ClientCommand | undefined {
  const word = line.trim().replace(/;$/, '').trim().toLowerCase();
  if (word === 'quit' || word === 'exit' || word === '\\q') return 'quit';
  if (word === 'help' || word === '\\h' || word === '\\?') return 'help';
  if (word === '\\x') return 'expanded';
  return undefined;
}

/** `\x`: expanded display on, or back to the format it replaced. */
function toggleExpanded(printer: OutcomePrinter, io: ClientIo, previous: { format: OutputFormat }): void {
  if (printer.format === 'expanded') {
    printer.format = previous.format === 'expanded' ? 'table' : previous.format;
  } else {
    previous.format = printer.format;
    printer.format = 'expanded';
  }
  io.stdout.write(`Expanded display is ${printer.format === 'expanded' ? 'on' : 'off'}.\n`);
}

/** Runs a client command other than `quit`. */
function runCommand(command: ClientCommand, io: ClientIo, printer: OutcomePrinter, previous: { format: OutputFormat }) {
  if (command === 'help') io.stdout.write(HELP_TEXT);
  if (command === 'expanded') toggleExpanded(printer, io, previous);
}

async function runInteractive(
  client: GatewayClient,
  io: ClientIo,
  printer: OutcomePrinter,
  history: StatementHistory,
): Promise<number> {
  // Line editing and Ctrl-C handling need a real terminal; a test drives the same loop through plain streams.
  const terminal = (io.stdin as { isTTY?: boolean }).isTTY === true;
  // readline records nothing itself (historySize 0): the history holds whole statements, added as they are sent.
  const rl = readline.createInterface({
    input: io.stdin,
    output: io.stdout,
    terminal,
    historySize: 0,
    history: history.entries,
  });
  const lines = rl[Symbol.asyncIterator]();
  const buffer = new StatementBuffer();
  const previous: { format: OutputFormat } = { format: printer.format };
  let inFlight: AbortController | undefined;

  const prompt = (): void => {
    rl.setPrompt(buffer.isEmpty ? PROMPT : CONTINUATION_PROMPT);
    // The cursor stays where it is in text typed while a statement ran.
    rl.prompt(true);
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
    if (command !== undefined) {
      runCommand(command, io, printer, previous);
    } else {
      const text = buffer.push(line);
      if (text !== undefined) {
        buffer.clear();
        history.add(text);
        inFlight = new AbortController();
        const outcome = await client.execute(text, inFlight.signal);
        inFlight = undefined;
        // What was typed meanwhile stays in readline's line; wipe its echo so the output starts on a clean line.
        if (terminal && rl.line !== '') io.stdout.write('\r\x1b[K');
        printer.print(outcome);
        printer.endBlock();
      }
    }
    prompt();
  }
  rl.close();
  // After Ctrl-D the cursor still sits after the prompt; end the line so the shell prompt starts cleanly.
  if (!quit) io.stdout.write('\n');
  if (!quit && !buffer.isEmpty) {
    io.stdout.write('The unfinished statement (no closing ;) was discarded, not sent.\n');
  }
  return 0;
}

interface PipedOptions {
  readonly client: GatewayClient;
  readonly io: ClientIo;
  readonly printer: OutcomePrinter;
  /** `--on-error`: stop at the first failing statement, or run the rest too. */
  readonly onError: 'stop' | 'continue';
}

async function runPiped({ client, io, printer, onError }: PipedOptions): Promise<number> {
  const rl = readline.createInterface({ input: io.stdin, terminal: false, crlfDelay: Infinity });
  const buffer = new StatementBuffer();
  const previous: { format: OutputFormat } = { format: printer.format };
  let failed = false;

  const send = async (text: string): Promise<'ok' | 'failed' | 'unreachable'> => {
    const outcome = await client.execute(text);
    const result = printer.print(outcome, { lineOffset: buffer.startLine - 1 });
    if (result !== 'ok') failed = true;
    return result;
  };
  // Every later statement would fail the same way when the gateway is unreachable; one message is enough.
  const mustStop = (result: 'ok' | 'failed' | 'unreachable') =>
    result === 'unreachable' || (result === 'failed' && onError === 'stop');

  try {
    for await (const line of rl) {
      const command = buffer.isEmpty ? clientCommandOf(line) : undefined;
      if (command === 'quit') return failed ? 1 : 0;
      if (command !== undefined) {
        buffer.skip();
        runCommand(command, io, printer, previous);
        continue;
      }
      const text = buffer.push(line);
      if (text === undefined) continue;
      buffer.clear();
      if (mustStop(await send(text))) return 1;
    }
    // A last statement without `;` still runs, as it would in any SQL script runner.
    const rest = buffer.rest();
    if (rest !== undefined) await send(rest);
    return failed ? 1 : 0;
  } finally {
    rl.close();
  }
}
