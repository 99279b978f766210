/**
 * Turns node-postgres errors into FreshetErrors: what a client caused (bad SQL, a missing table, a
 * constraint violation) is VALIDATION_ERROR, what went wrong with the server or the connection is ENGINE_ERROR.
 */
import {
  FreshetError,
  MissingTableError,
  engineError,
  messageOf,
  storageFull,
  storageProblemOf,
  validationError,
} from '../../errors';
import { CLOSING_LENGTH, type TextPosition, positionOf } from '../server-sql';
import type { Statement } from './postgres-sql';

/**
 * SQLSTATE classes a statement's author can fix: data exceptions (22), integrity constraints (23), syntax
 * and access rules (42), unsupported features (0A), cardinality (21), invalid transaction state (25, e.g. a
 * write in a read-only transaction), dependent objects (2B), routine and trigger failures (2F, 38, 39, 27,
 * P0), invalid schema names (3F), check options (44) and program limits such as too many columns (54).
 * Connection failures (08), serialization failures and deadlocks (40), resources (53), lock waits and
 * objects in use (55), operator intervention such as a shutdown or a cancel (57) and internal errors (58,
 * XX) are the engine's.
 */
const CLIENT_CLASSES = new Set([
  '0A',
  '20',
  '21',
  '22',
  '23',
  '25',
  '26',
  '27',
  '2B',
  '2F',
  '34',
  '38',
  '39',
  '3F',
  '42',
  '44',
  '54',
  'P0',
]);

/** The fields of a server error (pg's DatabaseError) the engine reads. */
interface ServerError {
  readonly message: string;
  readonly code: string;
  readonly detail?: string;
  readonly hint?: string;
  /** 1-based character offset into the statement sent. */
  readonly position?: string;
}

function isServerError(error: unknown): error is Error & ServerError {
  const code = (error as { code?: unknown } | null)?.code;
  const severity = (error as { severity?: unknown } | null)?.severity;
  return (
    error instanceof Error && typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) && typeof severity === 'string'
  );
}

const MISSING_RELATION = /^relation "(.+)" does not exist$/;

/** `$1` in a pass-through statement: the server asks for parameter values the client never sent. */
const MISSING_PARAMETERS = /^bind message supplies \d+ parameters/;

/** Whether a server error is one the client caused. */
export function isClientError(error: unknown): boolean {
  if (!isServerError(error)) return false;
  return (
    CLIENT_CLASSES.has(error.code.slice(0, 2)) || (error.code === '08P01' && MISSING_PARAMETERS.test(error.message))
  );
}

/**
 * Where in the client's own text a server position falls. A position in the engine's wrapping is no use to
 * the client, except right after its text (in the `\n)` closing a sub-select): "the query ended too early".
 */
export function clientPosition(statement: Statement, serverPosition: number): TextPosition | undefined {
  const client = statement.client;
  if (client === null || !Number.isInteger(serverPosition) || serverPosition < 1) return undefined;
  // The server counts characters; JavaScript indexes UTF-16 code units.
  const offset =
    Array.from(statement.sql)
      .slice(0, serverPosition - 1)
      .join('').length - client.start;
  if (offset < 0 || offset > client.text.length + CLOSING_LENGTH) return undefined;
  return positionOf(client.text, Math.min(offset, client.text.length));
}

function describe(error: ServerError): string {
  return [error.message, error.detail && `DETAIL: ${error.detail}`, error.hint && `HINT: ${error.hint}`]
    .filter(Boolean)
    .join(' ');
}

/**
 * The FreshetError for anything a PostgreSQL call rejected with; `statement` is what was sent, so a syntax
 * error's position can be reported as a line and column of the client's text.
 */
export function toFreshetError(error: unknown, statement?: Statement): FreshetError {
  if (error instanceof FreshetError) return error;
  if (!isServerError(error)) return engineError(`PostgreSQL: ${messageOf(error)}`, error);
  const message = `PostgreSQL: ${describe(error)}`;
  if (storageProblemOf(error) === 'full') return storageFull('The PostgreSQL database', error);
  if (!isClientError(error)) return engineError(message, error);
  const position =
    statement === undefined || error.position === undefined
      ? undefined
      : clientPosition(statement, Number(error.position));
  const options = { line: position?.line, column: position?.column, cause: error };
  // 42P01 (undefined_table) also reports a missing FROM-clause entry, which names an alias, not a table.
  const missing = error.code === '42P01' ? MISSING_RELATION.exec(error.message)?.[1] : undefined;
  if (missing !== undefined) return new MissingTableError(missing, message, options);
  return validationError(message, options);
}
