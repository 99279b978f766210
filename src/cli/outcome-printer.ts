import type { StatementResultJson, StatementsOutcome } from './gateway-client';
import { type OutputFormat, renderError, renderResult } from './result-table';

/** The streams the SQL client talks through; `process.stdin`/`stdout`/`stderr` in the real CLI. */
export interface ClientIo {
  readonly stdin: NodeJS.ReadableStream;
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream;
  /** True when a person is typing: show the banner and prompts. False when statements are piped in. */
  readonly isTty: boolean;
}

/** Where an error happened, beyond what the gateway says. */
export interface ErrorPlace {
  /** Added to the gateway's line: the text sent started this many lines further down the user's input. */
  readonly lineOffset?: number;
  /** Shown first in the error's position, e.g. `setup.sql, statement 3`. */
  readonly where?: readonly string[];
  /** The line to show when the gateway gives none (the line the failing statement starts on). */
  readonly fallbackLine?: number;
}

/** Prints outcomes: results to stdout, separated by blank lines; errors, hints and notes to stderr. */
export class OutcomePrinter {
  /** `--format`; `\x` switches between it and `expanded`. */
  format: OutputFormat;
  private printedResult = false;

  constructor(
    private readonly io: ClientIo,
    private readonly hasToken: boolean,
    format: OutputFormat,
  ) {
    this.format = format;
  }

  print(outcome: StatementsOutcome, place: ErrorPlace = {}): 'ok' | 'failed' | 'unreachable' {
    switch (outcome.kind) {
      case 'results':
        this.printResults(outcome.results);
        return 'ok';
      case 'error': {
        this.printResults(outcome.completed);
        const { error } = outcome;
        const line = error.line === undefined ? place.fallbackLine : error.line + (place.lineOffset ?? 0);
        this.io.stderr.write(`${renderError({ ...error, line }, place.where)}\n`);
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
    const width = terminalWidth(this.io.stdout);
    for (const result of results) {
      const { out, notes } = renderResult(result, { format: this.format, ...(width === undefined ? {} : { width }) });
      if (notes.length > 0) this.io.stderr.write(`${notes.join('\n')}\n`);
      if (out.length === 0) continue;
      if (this.printedResult) this.io.stdout.write('\n');
      this.io.stdout.write(`${out.join('\n')}\n`);
      this.printedResult = true;
    }
  }
}

/** The width to wrap to: the terminal's, or none when the output is a file or a pipe. */
function terminalWidth(stream: NodeJS.WritableStream): number | undefined {
  const tty = stream as { isTTY?: boolean; columns?: number };
  return tty.isTTY === true && typeof tty.columns === 'number' && tty.columns > 0 ? tty.columns : undefined;
}
