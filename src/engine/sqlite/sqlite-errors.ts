/**
 * Turns errors raised in a SQLite worker into FreshetErrors: what a client caused (bad SQL, missing table,
 * constraint violation) is VALIDATION_ERROR, what went wrong with the database itself is ENGINE_ERROR.
 */
import { Parser } from 'node-sql-parser/build/sqlite';
import { FreshetError, MissingTableError, engineError, isFreshetError, validationError } from '../../errors';
import type { WorkerErrorPayload } from './sqlite-protocol';

/** Result codes (and their extended forms) that a statement's author can fix. */
const CLIENT_CODES = /^SQLITE_(ERROR|CONSTRAINT|MISMATCH|RANGE|TOOBIG)(_|$)/;

/** better-sqlite3's own complaints about the statement text or its parameters. */
const CLIENT_MESSAGES = /more than one statement|contains no statements|parameter|bind/i;

/** SQLite's words for a statement naming a table that does not exist. */
const MISSING_TABLE = /no such table: (\S+)/i;

/** An error a worker reported, before it is classified. */
export class SqliteWorkerFailure extends Error {
  readonly payload: WorkerErrorPayload;

  constructor(payload: WorkerErrorPayload) {
    super(payload.message);
    this.name = 'SqliteWorkerFailure';
    this.payload = payload;
  }
}

interface TextPosition {
  readonly line: number;
  readonly column: number;
}

function positionOfOffset(text: string, offset: number): TextPosition {
  const before = text.slice(0, offset).split('\n');
  return { line: before.length, column: (before[before.length - 1]?.length ?? 0) + 1 };
}

/**
 * Where a syntax error is, relative to `text`. SQLite names the token it stopped at ("near "x""), which is
 * authoritative when the token occurs once; otherwise node-sql-parser's position is the best guess.
 */
export function syntaxErrorPosition(message: string, text: string): TextPosition | undefined {
  if (!/syntax error|unrecognized token/.test(message)) return undefined;
  const token = /(?:near|unrecognized token:) "((?:[^"]|"")*)"/.exec(message)?.[1]?.replace(/""/g, '"');
  if (token !== undefined && token !== '') {
    const first = text.indexOf(token);
    if (first >= 0 && text.indexOf(token, first + 1) < 0) return positionOfOffset(text, first);
  }
  try {
    new Parser().astify(text, { database: 'sqlite', trimQuery: false });
  } catch (error) {
    const start = (error as { location?: { start?: { line?: unknown; column?: unknown } } }).location?.start;
    if (typeof start?.line === 'number' && typeof start.column === 'number')
      return { line: start.line, column: start.column };
  }
  return undefined;
}

function isClientError(payload: WorkerErrorPayload): boolean {
  if (payload.sqliteCode !== null) return CLIENT_CODES.test(payload.sqliteCode);
  return (payload.name === 'TypeError' || payload.name === 'RangeError') && CLIENT_MESSAGES.test(payload.message);
}

/**
 * The FreshetError for anything a worker call rejected with. `statementText` is the SQL the client wrote
 * (a pass-through statement or a definition query); line and column of a syntax error are relative to it.
 */
/** An error as it crosses from a worker thread: plain data, with SQLite's result code when there is one. */
export function errorPayload(error: unknown): WorkerErrorPayload {
  const code = (error as { code?: unknown } | null)?.code;
  return {
    name: error instanceof Error ? error.constructor.name : 'Error',
    message: error instanceof Error ? error.message : String(error),
    sqliteCode: !isFreshetError(error) && typeof code === 'string' && code.startsWith('SQLITE_') ? code : null,
    freshetCode: isFreshetError(error) ? error.code : null,
  };
}

/** The FreshetError for an error a worker reported or a SQLite call in this thread threw. */
export function toFreshetError(error: unknown, statementText?: string): FreshetError {
  if (error instanceof FreshetError) return error;
  const payload = error instanceof SqliteWorkerFailure ? error.payload : errorPayload(error);
  if (payload.freshetCode !== null) return new FreshetError(payload.freshetCode, payload.message);
  const cause = Object.assign(new Error(payload.message), { code: payload.sqliteCode });
  if (!isClientError(payload)) return engineError(`SQLite: ${payload.message}`, cause);
  const position = statementText === undefined ? undefined : syntaxErrorPosition(payload.message, statementText);
  const options = { line: position?.line, column: position?.column, cause };
  const missing = MISSING_TABLE.exec(payload.message)?.[1];
  if (missing !== undefined) return new MissingTableError(missing, `SQLite: ${payload.message}`, options);
  return validationError(`SQLite: ${payload.message}`, options);
}
