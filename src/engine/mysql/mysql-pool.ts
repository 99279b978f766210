/**
 * Connection handling for the MySQL engine: pools, borrowing a connection for a piece of work, transactions,
 * and running one of the engine's statements with its errors translated.
 */
import type { ExecuteValues } from 'mysql2';
import {
  type FieldPacket,
  type Pool,
  type PoolConnection,
  type ResultSetHeader,
  createPool as createMysqlPool,
} from 'mysql2/promise';
import { isFreshetError } from '../../errors';
import { isClientError, toFreshetError } from './mysql-errors';
import type { Statement } from './mysql-sql';

export interface PoolSettings {
  /** A `mysql://` URL (`mariadb://` is rewritten by the caller). */
  readonly url: string;
  readonly size: number;
  readonly connectTimeoutMs: number;
}

/**
 * Values come back JSON-ready: BIGINT as a number while exact, else its decimal string; DECIMAL as its
 * decimal string; dates and times as the server prints them (a DATETIME has no time zone to convert from).
 * Lengths in result metadata are in utf8mb4, the connection's character set (see `mysql-types.ts`).
 */
export function createPool(settings: PoolSettings): Pool {
  return createMysqlPool({
    uri: settings.url,
    connectionLimit: settings.size,
    connectTimeout: settings.connectTimeoutMs,
    maxIdle: settings.size,
    idleTimeout: 30_000,
    charset: 'utf8mb4',
    supportBigNumbers: true,
    bigNumberStrings: false,
    decimalNumbers: false,
    dateStrings: true,
    multipleStatements: false,
  });
}

/** Whether a failed piece of work left the connection in a state the next borrower can use. */
function reusable(error: unknown): boolean {
  return isFreshetError(error) ? error.code === 'VALIDATION_ERROR' : isClientError(error);
}

/** A connection of the pool, or ENGINE_ERROR when none can be had (the server is down, the pool timed out). */
export async function borrow(pool: Pool): Promise<PoolConnection> {
  try {
    return await pool.getConnection();
  } catch (error) {
    throw toFreshetError(error);
  }
}

/**
 * Returns a connection after work that failed with `error` (if any); one the failure left unusable, or one
 * the work asks to `discard` (a result it stopped reading half-way), is destroyed instead.
 */
export function giveBack(
  connection: PoolConnection,
  outcome: { readonly error?: unknown; readonly discard?: boolean } = {},
): void {
  const broken = outcome.discard === true || (outcome.error !== undefined && !reusable(outcome.error));
  if (broken) connection.destroy();
  else connection.release();
}

/**
 * Borrows a connection for `work`; one broken by a failure is destroyed, not returned to the pool, and so is
 * one `work` calls `discard` for.
 */
export async function withConnection<T>(
  pool: Pool,
  work: (connection: PoolConnection, discard: () => void) => Promise<T>,
): Promise<T> {
  const connection = await borrow(pool);
  let discard = false;
  try {
    const value = await work(connection, () => {
      discard = true;
    });
    giveBack(connection, { discard });
    return value;
  } catch (error) {
    giveBack(connection, { error, discard });
    throw error;
  }
}

/** `work` inside START TRANSACTION … COMMIT on one connection, rolled back when it throws. */
export function inTransaction<T>(pool: Pool, work: (connection: PoolConnection) => Promise<T>): Promise<T> {
  return tentatively(pool, async (connection) => ({ value: await work(connection), commit: true }));
}

/**
 * {@link inTransaction} whose `work` decides how it ends: committed, or rolled back with its value still returned
 * (a result a publish guard blocked).
 */
export function tentatively<T>(
  pool: Pool,
  work: (connection: PoolConnection) => Promise<{ readonly value: T; readonly commit: boolean }>,
): Promise<T> {
  return withConnection(pool, (connection, discard) => transactionOn(connection, work, discard));
}

/**
 * A transaction on a connection the caller holds (one that keeps a named lock meanwhile), ended as `work` says;
 * `broken` is told when the connection cannot even roll back.
 */
export async function transactionOn<T>(
  connection: PoolConnection,
  work: (connection: PoolConnection) => Promise<{ readonly value: T; readonly commit: boolean }>,
  broken: () => void,
): Promise<T> {
  await run(connection, { sql: 'START TRANSACTION', client: null });
  try {
    const { value, commit } = await work(connection);
    await run(connection, { sql: commit ? 'COMMIT' : 'ROLLBACK', client: null });
    return value;
  } catch (error) {
    // A connection that cannot roll back is broken; the server rolls back when it goes.
    await connection.query('ROLLBACK').catch(broken);
    throw error;
  }
}

/** Where the engine's own statements can run: any pooled connection, or one borrowed for a piece of work. */
export type Queryable = Pool | PoolConnection;

export interface RunResult<Row> {
  readonly rows: Row[];
  readonly header: ResultSetHeader | null;
  readonly fields: FieldPacket[];
}

/**
 * Runs one statement; errors become FreshetErrors positioned in the client's text the statement embeds.
 * With parameters it is a server-side prepared statement (placeholders are bound by the server, so a `?`
 * inside the client's string literals is left alone), released afterwards: the server allows only so many
 * prepared statements at a time, across all its sessions.
 */
export async function run<Row = Record<string, unknown>>(
  connection: Queryable,
  statement: Statement,
  params: readonly unknown[] = [],
): Promise<RunResult<Row>> {
  try {
    const [result, fields] =
      params.length === 0
        ? await connection.query(statement.sql)
        : await connection.execute(statement.sql, [...params] as ExecuteValues[]);
    if (Array.isArray(result)) return { rows: result as Row[], header: null, fields: fields ?? [] };
    return { rows: [], header: result as ResultSetHeader, fields: [] };
  } catch (error) {
    throw toFreshetError(error, statement);
  } finally {
    // A pool prepares on whichever connection it lends and keeps no unprepare of its own (its type says otherwise).
    if (params.length > 0 && typeof connection.unprepare === 'function') connection.unprepare(statement.sql);
  }
}
