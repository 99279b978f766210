import { splitStatements } from '../sql/splitter';
import type { OnError } from './client-settings';
import type { GatewayClient, StatementsOutcome } from './gateway-client';
import type { OutcomePrinter } from './outcome-printer';

export interface ScriptOptions {
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
export async function runScript(text: string, { client, printer, onError, file }: ScriptOptions): Promise<number> {
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
