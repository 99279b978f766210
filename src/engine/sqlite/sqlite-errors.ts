/**
 * Turns errors raised in a SQLite worker into FreshetErrors: what a client caused (bad SQL, missing table,
 * constraint violation) is VALIDATION_ERROR, what went wrong with the database itself is ENGINE_ERROR.
 */
import BetterSqlite3, { type Database } from 'better-sqlite3';
import {
  FreshetError,
  MissingTableError,
  engineError,
  isFreshetError,
  messageOf,
  storageFull,
  storageOpenError,
  validationError,
} from '../../errors';
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

/** A place in the text where `token` stands as a whole token (not inside a longer word). */
function tokenOffsets(text: string, token: string): number[] {
  const word = /[A-Za-z0-9_$\u0080-\uFFFF]/;
  const offsets: number[] = [];
  for (let at = text.indexOf(token); at >= 0; at = text.indexOf(token, at + 1)) {
    const cutBefore = word.test(token.charAt(0)) && word.test(text.charAt(at - 1));
    const cutAfter = word.test(token.charAt(token.length - 1)) && word.test(text.charAt(at + token.length));
    if (!cutBefore && !cutAfter) offsets.push(at);
  }
  return offsets;
}

let syntaxChecker: Database | undefined;

/** How long the search for the occurrence SQLite stopped at may hold the gateway's thread. */
const SEARCH_MILLISECONDS = 30;

/** Whether the text up to and including `end` fails with `message` on its own. */
function failsWith(message: string, text: string, end: number): boolean {
  try {
    syntaxChecker ??= new BetterSqlite3(':memory:');
    syntaxChecker.prepare(text.slice(0, end));
    return false;
  } catch (error) {
    return messageOf(error) === message;
  }
}

/**
 * Which occurrence of `token` SQLite stopped at. SQLite's parser fails on the token it names whatever follows and
 * reports syntax before names (so an empty in-memory database will do): the text up to an occurrence before that
 * one parses, up to that one or any later one fails with the same message. A binary search over the occurrences
 * needs a few dozen parses at most, however often the token occurs.
 */
function stoppedAt(message: string, text: string, token: string, offsets: readonly number[]): number | undefined {
  let low = 0;
  let high = offsets.length - 1;
  let found: number | undefined;
  // This runs on the gateway's thread: a statement too big to search quickly keeps the first occurrence instead.
  const deadline = performance.now() + SEARCH_MILLISECONDS;
  while (low <= high) {
    if (performance.now() > deadline) return undefined;
    const middle = (low + high) >> 1;
    const offset = offsets[middle] ?? 0;
    if (failsWith(message, text, offset + token.length)) {
      found = offset;
      high = middle - 1;
    } else {
      low = middle + 1;
    }
  }
  return found;
}

/** Where a statement ends: after its last character that is not white space. */
function endOf(text: string): number {
  return text.trimEnd().length;
}

/**
 * Where a syntax error is, relative to `text`. "incomplete input" is at the end of the statement. SQLite names
 * the token it stopped at ("near "x""): where it occurs once that is the place, where it occurs more often SQLite
 * itself tells which occurrence. (A full parse is no help: node-sql-parser can take seconds on odd input.)
 */
export function syntaxErrorPosition(message: string, text: string): TextPosition | undefined {
  if (/^incomplete input$/.test(message)) return positionOfOffset(text, endOf(text));
  if (!/syntax error|unrecognized token/.test(message)) return undefined;
  const token = /(?:near|unrecognized token:) "((?:[^"]|"")*)"/.exec(message)?.[1]?.replace(/""/g, '"');
  if (token !== undefined && token !== '') {
    const offsets = tokenOffsets(text, token);
    // Unconfirmed, the first occurrence is the best guess: SQLite reads from the start and stops at the first error.
    const offset = offsets.length === 1 ? offsets[0] : (stoppedAt(message, text, token, offsets) ?? offsets[0]);
    if (offset !== undefined) return positionOfOffset(text, offset);
  }
  return undefined;
}

function isClientError(payload: WorkerErrorPayload): boolean {
  if (payload.sqliteCode !== null) return CLIENT_CODES.test(payload.sqliteCode);
  return (payload.name === 'TypeError' || payload.name === 'RangeError') && CLIENT_MESSAGES.test(payload.message);
}

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

/**
 * The FreshetError for an error a worker reported or a SQLite call in this thread threw. `statementText` is the
 * SQL the client wrote (a pass-through statement or a definition query); line and column of a syntax error are
 * relative to it.
 */
export function toFreshetError(error: unknown, statementText?: string): FreshetError {
  if (error instanceof FreshetError) return error;
  const payload = error instanceof SqliteWorkerFailure ? error.payload : errorPayload(error);
  if (payload.freshetCode !== null) return new FreshetError(payload.freshetCode, payload.message);
  const cause = Object.assign(new Error(payload.message), { code: payload.sqliteCode });
  if (payload.sqliteCode?.startsWith('SQLITE_FULL')) return storageFull('The SQLite database', cause);
  if (!isClientError(payload)) return engineError(`SQLite: ${payload.message}`, cause);
  const position = statementText === undefined ? undefined : syntaxErrorPosition(payload.message, statementText);
  const options = { line: position?.line, column: position?.column, cause };
  const missing = MISSING_TABLE.exec(payload.message)?.[1];
  if (missing !== undefined) return new MissingTableError(missing, `SQLite: ${payload.message}`, options);
  return validationError(`SQLite: ${payload.message}`, options);
}

/** The error for a database file that could not be opened at start-up: what is wrong with it, in one line. */
export function openFailure(error: unknown, file: string): FreshetError {
  const payload = error instanceof SqliteWorkerFailure ? error.payload : errorPayload(error);
  const cause = Object.assign(new Error(payload.message), { code: payload.sqliteCode ?? errnoCode(error) });
  return storageOpenError(`The SQLite database ${file}`, cause) ?? toFreshetError(error);
}

function errnoCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}
