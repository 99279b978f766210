/**
 * Reads the Flink SQL Gateway's error answers (`{"errors": [...]}`, HTTP 500 for nearly everything, with the
 * server's Java stack trace as text) and turns them into FreshetErrors: a statement Flink rejected (parse or
 * validation) is VALIDATION_ERROR with Flink's own words; everything else is ENGINE_ERROR.
 */
import { type FreshetError, MissingTableError, engineError, validationError } from '../../errors';

/** One exception of a Java cause chain. */
export interface JavaException {
  /** Fully qualified class name. */
  readonly className: string;
  /** The whole message, which may span several lines. */
  readonly message: string;
}

/**
 * Exceptions that mean the statement itself is wrong. Matched on the simple class name, so relocated or
 * shaded copies (Calcite inside the planner jar) are recognised too.
 */
const STATEMENT_EXCEPTIONS = new Set([
  'ValidationException',
  'SqlParserException',
  'SqlParserEOFException',
  'ParseException',
  'SqlParseException',
  'CalciteContextException',
  'SqlValidatorException',
  'TableNotExistException',
  'TableAlreadyExistException',
  'DatabaseNotExistException',
  'TableNotPartitionedException',
  'PartitionSpecInvalidException',
]);

/** Wrappers the gateway puts around the interesting exception; their messages say nothing about the cause. */
const WRAPPERS = new Set([
  'SqlGatewayException',
  'SqlExecutionException',
  'RestHandlerException',
  'ExecutionException',
  'CompletionException',
]);

const simpleName = (className: string) => className.slice(className.lastIndexOf('.') + 1);
const HEADER = /^([A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)+)(?::\s?([\s\S]*))?$/;
const FRAME = /^\s+(at |\.\.\. \d+ more)/;

/**
 * The cause chain in a Java stack trace as the gateway prints it (`<class>: <message>`, frames, then
 * `Caused by: …`). Only lines that start with `Caused by: ` open a new exception, so a message quoting
 * those words is kept whole. Text that is not a stack trace becomes one exception with an empty class name.
 */
export function exceptionChain(trace: string): JavaException[] {
  const text = trace
    .replace(/^<Exception on server side:\r?\n/, '')
    .replace(/\r?\nEnd of exception on server side>\s*$/, '');
  const chain: { className: string; lines: string[]; closed: boolean }[] = [];
  for (const line of text.split(/\r?\n/)) {
    const causeHeader = line.startsWith('Caused by: ') ? HEADER.exec(line.slice('Caused by: '.length)) : null;
    const firstHeader = chain.length === 0 ? HEADER.exec(line) : null;
    const header = causeHeader ?? firstHeader;
    if (header !== null) {
      chain.push({ className: header[1] ?? '', lines: [header[2] ?? ''], closed: false });
      continue;
    }
    const current = chain[chain.length - 1];
    if (current === undefined) {
      chain.push({ className: '', lines: [line], closed: false });
    } else if (FRAME.test(line) || /^\s*Suppressed: /.test(line)) {
      current.closed = true;
    } else if (!current.closed) {
      current.lines.push(line);
    }
  }
  return chain.map((entry) => ({ className: entry.className, message: entry.lines.join('\n').trim() }));
}

/** The exception chains in an `errors` array; the bare "Internal server error." entry carries nothing. */
export function chainsOf(errors: readonly string[]): JavaException[] {
  return errors.filter((entry) => entry.trim() !== 'Internal server error.').flatMap(exceptionChain);
}

export function isStatementFailure(chain: readonly JavaException[]): boolean {
  return chain.some((exception) => STATEMENT_EXCEPTIONS.has(simpleName(exception.className)));
}

const firstLine = (message: string) => (message.split('\n')[0] ?? '').trim();

/**
 * Flink's message for a chain: the first line of the exception that explains the failure (the first
 * statement exception, else the first that is not a gateway wrapper), followed by the root cause when that
 * line does not already say it.
 */
export function describeChain(chain: readonly JavaException[]): string {
  const meaningful = chain.filter(
    (exception) => !WRAPPERS.has(simpleName(exception.className)) && exception.message !== '',
  );
  const chosen =
    meaningful.find((exception) => STATEMENT_EXCEPTIONS.has(simpleName(exception.className))) ??
    meaningful[0] ??
    chain[0];
  if (chosen === undefined) return 'no reason given';
  const headline = firstLine(chosen.message) || simpleName(chosen.className);
  const root = meaningful[meaningful.length - 1];
  const rootLine = root === undefined ? '' : firstLine(root.message);
  if (root === undefined || root === chosen || rootLine === '' || headline.includes(rootLine)) return headline;
  // A headline ending in ':' introduces what the following lines say (Calcite's positioned parse errors).
  return headline.endsWith(':') ? `${headline} ${rootLine}` : `${headline} Caused by: ${rootLine}`;
}

/** Where Flink says a statement went wrong (`… at line 1, column 8` / `From line 1, column 15 …`). */
function positionOf(chain: readonly JavaException[]): { line: number; column: number } | undefined {
  for (const exception of chain) {
    const found = /\b(?:at|From) line (\d+), column (\d+)/.exec(exception.message);
    if (found) return { line: Number(found[1]), column: Number(found[2]) };
  }
  return undefined;
}

/** The validator's words for a query naming a table that does not exist (`Object 'x' not found [within 'c.d']`). */
const MISSING_OBJECT = /\bObject '([^']+)' not found\b/;

function missingObjectOf(chain: readonly JavaException[]): string | undefined {
  for (const exception of chain) {
    const found = MISSING_OBJECT.exec(exception.message);
    if (found) return found[1];
  }
  return undefined;
}

export interface StatementContext {
  /** The gateway's URL, named in ENGINE_ERRORs. */
  readonly url: string;
  /** What Freshet was doing (`run a statement`), for ENGINE_ERRORs. */
  readonly action: string;
  /**
   * Lines of generated text in front of the client's own SQL in the statement sent; null when the statement
   * holds no client SQL (positions are then not reported).
   */
  readonly clientLineOffset: number | null;
}

/** The FreshetError for an `errors` array the gateway answered with. */
export function gatewayFailure(errors: readonly string[], status: number, context: StatementContext): FreshetError {
  const chain = chainsOf(errors);
  const reason = describeChain(chain);
  if (isStatementFailure(chain)) {
    const at = positionOf(chain);
    const offset = context.clientLineOffset;
    const line = at !== undefined && offset !== null && at.line > offset ? at.line - offset : undefined;
    const options = { line, column: line === undefined ? undefined : at?.column, details: { flinkErrors: errors } };
    const missing = missingObjectOf(chain);
    if (missing !== undefined) return new MissingTableError(missing, `Flink: ${reason}`, options);
    return validationError(`Flink: ${reason}`, options);
  }
  return engineError(
    `The Flink SQL Gateway at ${context.url} failed to ${context.action} (HTTP ${status}): ${reason}`,
    {
      flinkErrors: errors,
    },
  );
}
