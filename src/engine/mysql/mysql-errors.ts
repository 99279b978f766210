/**
 * Turns mysql2 errors into FreshetErrors: what a client caused (bad SQL, a missing table, a constraint
 * violation) is VALIDATION_ERROR, what went wrong with the server or the connection is ENGINE_ERROR.
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
import type { Statement } from './mysql-sql';

/**
 * SQLSTATE classes a statement's author can fix: cardinality (21, e.g. a column count mismatch), data
 * exceptions (22), integrity constraints (23), syntax and access rules (42, 3D "no database selected"),
 * unsupported features (0A), check options (44) and errors a client raised with SIGNAL (45).
 */
const CLIENT_CLASSES = new Set(['0A', '21', '22', '23', '3D', '42', '44', '45']);

/**
 * Errors reported with the catch-all SQLSTATE HY000 that a client can fix: no default for a field (1364),
 * an incorrect value (1366, 1292), a stored routine's SIGNAL (1644), a table updated by its own trigger
 * (1442), and failed CHECK constraints (MySQL 3819, MariaDB 4025).
 */
const CLIENT_ERRNOS = new Set([1292, 1364, 1366, 1442, 1644, 3819, 4025]);

/** A statement named a table that does not exist: `Table 'db.t' doesn't exist`. */
const ER_NO_SUCH_TABLE = 1146;
const MISSING_TABLE = /^Table '(.+)' doesn't exist$/;

/** How much of the statement from the error on MySQL quotes ("near '…'"). */
const MAX_NEAR = 80;

/** The fields of a server error (mysql2's QueryError) the engine reads. */
interface ServerError {
  readonly message: string;
  readonly errno: number;
  readonly sqlState: string;
  readonly fatal?: boolean;
}

function isServerError(error: unknown): error is Error & ServerError {
  const candidate = error as Partial<ServerError> | null;
  return (
    error instanceof Error &&
    typeof candidate?.errno === 'number' &&
    typeof candidate.sqlState === 'string' &&
    candidate.fatal !== true
  );
}

/** Whether a server error is one the client caused. */
export function isClientError(error: unknown): boolean {
  return isServerError(error) && (CLIENT_CLASSES.has(error.sqlState.slice(0, 2)) || CLIENT_ERRNOS.has(error.errno));
}

/**
 * Where a syntax error is in the client's own text. MySQL names the line of the statement it sent and the
 * text from the error onwards (`… near 'FROM t' at line 3`, at most 80 characters): when it is shorter, it
 * ends the statement; when cut, the first place on that line or after where it occurs is the best guess. A position in the engine's wrapping is no use to the
 * client, except right after its text (in the `\n)` closing a derived table): "the query ended too early".
 */
export function syntaxErrorPosition(message: string, statement: Statement): TextPosition | undefined {
  const client = statement.client;
  const match = /near '([\s\S]*)' at line (\d+)$/.exec(message);
  if (client === null || match === null) return undefined;
  const [, fragment = '', lineText = '1'] = match;
  const sql = statement.sql;
  let lineStart = 0;
  for (let line = 1; line < Number(lineText); line += 1) {
    const next = sql.indexOf('\n', lineStart);
    if (next < 0) return undefined;
    lineStart = next + 1;
  }
  // Shorter than MySQL's cut, the text runs to the end of the statement: that places it even if it occurs before.
  const suffix = sql.length - fragment.length;
  const index =
    fragment.length < MAX_NEAR && suffix >= lineStart && sql.endsWith(fragment)
      ? suffix
      : sql.indexOf(fragment, lineStart);
  const offset = index - client.start;
  if (index < 0 || offset < 0 || offset > client.text.length + CLOSING_LENGTH) return undefined;
  return positionOf(client.text, Math.min(offset, client.text.length));
}

/**
 * The FreshetError for anything a MySQL call rejected with; `statement` is what was sent, so a syntax error's
 * position can be reported as a line and column of the client's text.
 */
export function toFreshetError(error: unknown, statement?: Statement): FreshetError {
  if (error instanceof FreshetError) return error;
  const message = `MySQL: ${messageOf(error)}`;
  if (storageProblemOf(error) === 'full') return storageFull('The MySQL database', error);
  if (!isClientError(error)) return engineError(message, error);
  const position = statement === undefined ? undefined : syntaxErrorPosition(messageOf(error), statement);
  const options = { line: position?.line, column: position?.column, cause: error };
  const noSuchTable = isServerError(error) && error.errno === ER_NO_SUCH_TABLE;
  const missing = noSuchTable ? MISSING_TABLE.exec(error.message)?.[1] : undefined;
  if (missing !== undefined) return new MissingTableError(missing, message, options);
  return validationError(message, options);
}
