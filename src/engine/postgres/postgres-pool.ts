/**
 * Connection handling for the PostgreSQL engine: pools, borrowing a client for a piece of work, transactions,
 * and running one of the engine's statements with its errors translated.
 */
import { isFreshetError } from '../../errors';
import { type PgPool, type PgPoolClient, type PgResult, engineTypeParser, pg } from './postgres-driver';
import { isClientError, toFreshetError } from './postgres-errors';
import type { Statement } from './postgres-sql';

export interface PoolSettings {
  readonly url: string;
  readonly size: number;
  readonly connectTimeoutMs: number;
  /** Shown in `pg_stat_activity.application_name`. */
  readonly role: string;
}

export function createPool(settings: PoolSettings): PgPool {
  const pool = new pg.Pool({
    connectionString: settings.url,
    max: settings.size,
    connectionTimeoutMillis: settings.connectTimeoutMs,
    idleTimeoutMillis: 30_000,
    application_name: `freshet ${settings.role}`,
    types: { getTypeParser: engineTypeParser },
  });
  // An idle client whose server went away (restart, admin shutdown) is removed by the pool; without a listener
  // the pool's 'error' event would end the process. The next borrower gets a fresh connection or the error.
  pool.on('error', () => undefined);
  return pool;
}

/** Whether a failed piece of work left the client in a state the next borrower can use. */
function reusable(client: PgPoolClient, error: unknown): boolean {
  const clientCaused = isFreshetError(error) ? error.code === 'VALIDATION_ERROR' : isClientError(error);
  return clientCaused && client.getTransactionStatus() === 'I';
}

/** A client of the pool, or ENGINE_ERROR when none can be had (the server is down, the pool timed out). */
export async function borrow(pool: PgPool): Promise<PgPoolClient> {
  try {
    return await pool.connect();
  } catch (error) {
    throw toFreshetError(error);
  }
}

/** Returns a client after work that failed with `error` (if any); one the failure left unusable is discarded. */
export function giveBack(client: PgPoolClient, error?: unknown): void {
  if (error === undefined || reusable(client, error)) client.release();
  else client.release(error instanceof Error ? error : new Error(String(error)));
}

/** Borrows a client for `work`; one left mid-transaction or broken by a failure is discarded, not returned. */
export async function withClient<T>(pool: PgPool, work: (client: PgPoolClient) => Promise<T>): Promise<T> {
  const client = await borrow(pool);
  try {
    const value = await work(client);
    giveBack(client);
    return value;
  } catch (error) {
    giveBack(client, error);
    throw error;
  }
}

/**
 * `work` inside BEGIN … COMMIT on one client (the server's default isolation), rolled back when it throws;
 * `REPEATABLE READ` gives every statement of `work` the same snapshot.
 */
export function inTransaction<T>(
  pool: PgPool,
  work: (client: PgPoolClient) => Promise<T>,
  isolation?: 'REPEATABLE READ',
): Promise<T> {
  return tentatively(pool, async (client) => ({ value: await work(client), commit: true }), isolation);
}

/**
 * {@link inTransaction} whose `work` decides how it ends: committed, or rolled back with its value still returned
 * (a result a publish guard blocked).
 */
export function tentatively<T>(
  pool: PgPool,
  work: (client: PgPoolClient) => Promise<{ readonly value: T; readonly commit: boolean }>,
  isolation?: 'REPEATABLE READ',
): Promise<T> {
  return withClient(pool, async (client) => {
    await run(client, { sql: isolation === undefined ? 'BEGIN' : `BEGIN ISOLATION LEVEL ${isolation}`, client: null });
    try {
      const { value, commit } = await work(client);
      await run(client, { sql: commit ? 'COMMIT' : 'ROLLBACK', client: null });
      return value;
    } catch (error) {
      // A failed ROLLBACK means a broken connection; withClient then discards the client (not idle).
      await client.query({ text: 'ROLLBACK' }).catch(() => undefined);
      throw error;
    }
  });
}

/**
 * Runs one statement with the extended protocol (which refuses a second statement in the same text) and
 * bound parameters; errors become FreshetErrors positioned in the client's text the statement embeds.
 */
export async function run<Row = Record<string, unknown>>(
  client: PgPoolClient | PgPool,
  statement: Statement,
  params: readonly unknown[] = [],
): Promise<PgResult<Row>> {
  try {
    return await client.query<Row>({ text: statement.sql, values: params, queryMode: 'extended' });
  } catch (error) {
    throw toFreshetError(error, statement);
  }
}

/** {@link run} with each row as an array of values in column order. */
export async function runForArrays(
  client: PgPoolClient,
  statement: Statement,
  params: readonly unknown[] = [],
): Promise<PgResult<unknown[]>> {
  try {
    return await client.query<unknown[]>({
      text: statement.sql,
      values: params,
      queryMode: 'extended',
      rowMode: 'array',
    });
  } catch (error) {
    throw toFreshetError(error, statement);
  }
}
