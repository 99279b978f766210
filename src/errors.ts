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
  ALREADY_EXISTS: 409,
  INVALID_STATE: 409,
  PAYLOAD_TOO_LARGE: 413,
  SCHEDULER_ERROR: 502,
  ENGINE_ERROR: 502,
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
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
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
export const engineError = (message: string, cause?: unknown) => new FreshetError('ENGINE_ERROR', message, { cause });

/** The message of any thrown value, for logs and wrapped errors. */
export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
