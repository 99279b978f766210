/**
 * The one catalogue of Freshet's error codes. Domain code throws {@link FreshetError}; the REST layer is the
 * only place that turns a code into an HTTP status (through {@link httpStatusOf}).
 */
export const ERROR_STATUS = {
  PARSE_ERROR: 400,
  VALIDATION_ERROR: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  STATEMENT_TIMEOUT: 408,
  ALREADY_EXISTS: 409,
  INVALID_STATE: 409,
  PAYLOAD_TOO_LARGE: 413,
  CANCELLED: 499,
  SCHEDULER_ERROR: 502,
  ENGINE_ERROR: 502,
  STORAGE_FULL: 507,
  INTERNAL: 500,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;

export interface ErrorOptions {
  /** 1-based line in the text the client sent, where the error is known to be. */
  readonly line?: number;
  /** 1-based column in the text the client sent. */
  readonly column?: number;
  readonly details?: unknown;
  readonly cause?: unknown;
}

export class FreshetError extends Error {
  readonly code: ErrorCode;
  readonly line: number | undefined;
  readonly column: number | undefined;
  readonly details: unknown;

  constructor(code: ErrorCode, message: string, options: ErrorOptions = {}) {
    super(boundEchoes(message), options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'FreshetError';
    this.code = code;
    this.line = options.line;
    this.column = options.column;
    this.details = options.details;
  }
}

/**
 * A statement named a table that does not exist: a VALIDATION_ERROR with the engine's own message, thrown by every
 * engine so that callers can tell this case apart without reading the engine's words.
 */
export class MissingTableError extends FreshetError {
  /** The missing table's name as the engine reports it, qualified when the engine qualifies it (`db.t`). */
  readonly table: string;

  constructor(table: string, message: string, options: ErrorOptions = {}) {
    super('VALIDATION_ERROR', message, options);
    this.table = table;
  }
}

export function httpStatusOf(code: ErrorCode): number {
  return ERROR_STATUS[code];
}

export function isFreshetError(value: unknown): value is FreshetError {
  return value instanceof FreshetError;
}

export const parseError = (message: string, at?: { line: number; column: number }, details?: unknown) =>
  new FreshetError('PARSE_ERROR', message, { line: at?.line, column: at?.column, details });
export const validationError = (message: string, options?: ErrorOptions) =>
  new FreshetError('VALIDATION_ERROR', message, options);
/** The request is understood but not permitted: a missing scope, or a statement reaching outside the engine. */
export const forbidden = (message: string, options?: ErrorOptions) => new FreshetError('FORBIDDEN', message, options);
export const notFound = (message: string) => new FreshetError('NOT_FOUND', message);
export const alreadyExists = (message: string) => new FreshetError('ALREADY_EXISTS', message);
export const invalidState = (message: string) => new FreshetError('INVALID_STATE', message);
export const schedulerError = (message: string, cause?: unknown) =>
  new FreshetError('SCHEDULER_ERROR', message, { cause });
/** A statement stopped on the engine, because it ran past `statements.timeoutSeconds` or its client cancelled it. */
export const statementTimeout = (message: string) => new FreshetError('STATEMENT_TIMEOUT', message);
export const cancelled = (message: string) => new FreshetError('CANCELLED', message);
export const engineError = (message: string, cause?: unknown) => new FreshetError('ENGINE_ERROR', message, { cause });

/**
 * `error` with its line and column moved from a piece of text (a query inside a statement) to the script the client
 * sent, where the piece starts at `start`. Engines place errors in the text they were given; clients want them
 * where they wrote them.
 */
export function placedInScript(error: unknown, start: { line: number; column: number }): unknown {
  if (!(error instanceof FreshetError) || error.line === undefined) return error;
  const line = start.line + error.line - 1;
  const column = error.line === 1 ? start.column + (error.column ?? 1) - 1 : error.column;
  return new FreshetError(error.code, error.message, { line, column, details: error.details, cause: error });
}

/** The message of any thrown value, for logs and wrapped errors. */
export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** How much of a client's input an error message may echo back: a statement can be megabytes long. */
export const EXCERPT_LENGTH = 200;

/**
 * `text` cut to about `limit` characters, saying how long it was: for quoting a client's input (SQL, a name, a
 * value) in a message.
 */
export function excerpt(text: string, limit = EXCERPT_LENGTH): string {
  if (text.length <= limit) return text;
  // Never split a surrogate pair.
  const end = /[\uD800-\uDBFF]/.test(text.charAt(limit - 1)) ? limit - 1 : limit;
  return `${text.slice(0, end)}… (${text.length} characters)`;
}

/** Longer than this, a message is cut as a whole even when no single echo in it is long. */
const MESSAGE_LENGTH = 1000;

/**
 * A message with every long echo of input in it cut to an excerpt: quoted stretches ('…', "…") and unbroken runs
 * of characters over {@link EXCERPT_LENGTH}. Every {@link FreshetError} passes its message through this, so no
 * error response grows with the input, whichever message quotes it.
 */
export function boundEchoes(message: string): string {
  if (message.length <= EXCERPT_LENGTH) return message;
  const long = EXCERPT_LENGTH + 1;
  const bounded = message
    .replace(new RegExp(`'([^']{${long},})'`, 'g'), (_m, inner: string) => `'${excerpt(inner)}'`)
    .replace(new RegExp(`"([^"]{${long},})"`, 'g'), (_m, inner: string) => `"${excerpt(inner)}"`)
    .replace(new RegExp(`[^\\s'"…]{${long},}`, 'g'), (run) => excerpt(run));
  return excerpt(bounded, MESSAGE_LENGTH);
}

/** What is wrong with the storage under a database, read from the codes its driver or the system gave. */
export type StorageProblem = 'full' | 'readOnly' | 'notAFolder' | 'notADatabase';

const STORAGE_CODES: ReadonlyArray<readonly [RegExp, StorageProblem]> = [
  // SQLite, the file system, PostgreSQL (53100 disk_full) and MySQL (1021 ER_DISK_FULL, 1114 ER_RECORD_FILE_FULL).
  [/^(SQLITE_FULL|ENOSPC|EDQUOT|53100|ER_DISK_FULL|ER_RECORD_FILE_FULL)$/, 'full'],
  [/^(SQLITE_READONLY.*|SQLITE_CANTOPEN.*|EACCES|EPERM|EROFS)$/, 'readOnly'],
  [/^(ENOTDIR|EEXIST)$/, 'notAFolder'],
  [/^SQLITE_(NOTADB|CORRUPT.*)$/, 'notADatabase'],
];

/** The storage problem behind an error, looking through its causes; undefined for any other error. */
export function storageProblemOf(error: unknown): StorageProblem | undefined {
  for (let current = error, depth = 0; current instanceof Error && depth < 5; depth += 1) {
    if (current instanceof FreshetError && current.code === 'STORAGE_FULL') return 'full';
    const code = (current as { code?: unknown }).code;
    for (const [pattern, problem] of STORAGE_CODES) if (typeof code === 'string' && pattern.test(code)) return problem;
    current = current.cause;
  }
  return undefined;
}

/** The words every STORAGE_FULL message holds, so that a failure recorded as text can still be told apart. */
const STORAGE_FULL_WORDS = "the disk (or the database's size limit) is full";

/** The STORAGE_FULL error for a write that failed because the disk or the database is full. */
export const storageFull = (what: string, cause: unknown) =>
  new FreshetError(
    'STORAGE_FULL',
    `${what} cannot be written: ${STORAGE_FULL_WORDS} (${messageOf(cause)}). Free space, then try again.`,
    { cause },
  );

/** Whether a recorded failure message (a refresh's error) says that storage was full. */
export function isStorageFullMessage(message: string | undefined): boolean {
  return message?.includes(STORAGE_FULL_WORDS) === true;
}

/**
 * The one-line error for a database file or folder that could not be opened or written at start-up, saying what
 * is wrong; undefined when the error is not about storage. `what` names it: "The catalog /data/catalog.db".
 */
export function storageOpenError(what: string, error: unknown): FreshetError | undefined {
  const cause = messageOf(error);
  switch (storageProblemOf(error)) {
    case 'full':
      return storageFull(what, error);
    case 'readOnly':
      return engineError(`${what} cannot be written: it or its folder is read-only or not writable (${cause}).`, error);
    case 'notAFolder':
      return engineError(`${what} cannot be created: part of its path is a file, not a folder (${cause}).`, error);
    case 'notADatabase':
      return engineError(
        `${what} is not a SQLite database (${cause}); move it away or restore it from a backup.`,
        error,
      );
    default:
      return undefined;
  }
}
