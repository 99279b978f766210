/**
 * Pass-through statements: one statement the gateway does not own, in its own transaction.
 *
 * Memory: a statement that returns rows is executed through the extended protocol's portal with a row limit,
 * so the server sends at most `rowLimit + 1` rows and the rest are never produced (the extra row only says
 * "truncated"). Values come back JSON-ready: bigint as a number while exact, else its decimal string;
 * numeric as its decimal string; dates and timestamps as the server prints them; bytea as upper-case hex;
 * json as parsed JSON; arrays element by element.
 */
import { isFreshetError, validationError } from '../../errors';
import type { StatementResult, TableRef } from '../engine';
import { acrossSchemaChange } from './postgres-change-capture';
import { toJsonValue } from '../pooled-engine';
import { type PgConnection, type PgPool, type PgPoolClient, type PgResult, pg } from './postgres-driver';
import { toFreshetError } from './postgres-errors';
import { withClient } from './postgres-pool';

/**
 * pg's Query with a row limit per Execute, stopping at the first suspension of the portal instead of asking
 * for the next batch. With a row limit pg sends Sync only after CommandComplete, so this query sends it
 * everywhere else the exchange can end (suspension, error); the server answers every Sync with one
 * ReadyForQuery, which is what frees the connection for its next query.
 */
class RowLimitedQuery extends pg.Query {
  private synced = false;

  override handlePortalSuspended(connection: PgConnection): void {
    // Sync closes the portal and ends the implicit transaction: rows past the limit are never computed.
    this.sync(connection);
  }

  override handleCommandComplete(message: unknown, connection: PgConnection): void {
    this.synced = true; // pg syncs after CommandComplete itself when a row limit is set
    super.handleCommandComplete(message, connection);
  }

  override handleEmptyQuery(connection: PgConnection): void {
    this.synced = true;
    super.handleEmptyQuery(connection);
  }

  override handleError(error: Error, connection: PgConnection): void {
    // After an error the server skips everything up to the next Sync; without one it would never be ready again.
    this.sync(connection);
    super.handleError(error, connection);
  }

  private sync(connection: PgConnection): void {
    if (this.synced) return;
    this.synced = true;
    connection.sync();
  }
}

function submit(client: PgPoolClient, sql: string, rowLimit: number): Promise<PgResult<unknown[]>> {
  const query = new RowLimitedQuery({ text: sql, rows: rowLimit + 1, rowMode: 'array' });
  return new Promise((resolve, reject) =>
    client.query(query, (error, result) => (error === null ? resolve(result) : reject(error))),
  );
}

const TRANSACTION_CONTROL =
  'PostgreSQL: transaction control (BEGIN, COMMIT, SAVEPOINT, …) is not supported here; every statement runs in ' +
  'its own transaction.';

/**
 * See the file comment; `rowLimit` is the most rows returned. Whatever the statement left in the session
 * (`set_config`, temporary tables, prepared statements, session advisory locks, LISTEN) is discarded before the
 * connection serves anyone else.
 */
export function executeStatement(
  pool: PgPool,
  sql: string,
  rowLimit: number,
  signal?: AbortSignal,
): Promise<StatementResult> {
  signal?.throwIfAborted();
  return withClient(pool, async (client) => {
    let result: StatementResult;
    const cancel = () => void cancelBackend(pool, client.processID);
    signal?.addEventListener('abort', cancel, { once: true });
    try {
      signal?.throwIfAborted(); // aborted while waiting for a connection: the listener never fires
      result = await executeOn(client, sql, rowLimit);
    } catch (error) {
      signal?.removeEventListener('abort', cancel);
      if (signal?.aborted) {
        await discardSession(client);
        throw signal.reason;
      }
      // Any other failure leaves a connection withClient discards; a client's error leaves one to clean.
      if (isFreshetError(error) && error.code === 'VALIDATION_ERROR') await discardSession(client);
      throw error;
    }
    signal?.removeEventListener('abort', cancel);
    await discardSession(client);
    return result;
  });
}

/**
 * Stops whatever backend `pid` is running, from a connection of its own: the statement pool may have no
 * free connection while it is busy with long statements.
 */
async function cancelBackend(pool: PgPool, pid: number): Promise<void> {
  const client = new pg.Client({ connectionString: pool.options.connectionString, application_name: 'freshet cancel' });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query({ text: 'SELECT pg_cancel_backend($1)', values: [pid] });
  } catch {
    // The statement then runs on to its end or to the server's own timeout; nothing else can stop it.
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Its failure is the connection's: withClient then drops it rather than return it dirty. */
async function discardSession(client: PgPoolClient): Promise<void> {
  if (client.getTransactionStatus() === 'I') await client.query({ text: 'DISCARD ALL' });
}

async function executeOn(client: PgPoolClient, sql: string, rowLimit: number): Promise<StatementResult> {
  let result: PgResult<unknown[]>;
  try {
    result = await submit(client, sql, rowLimit);
  } catch (error) {
    throw toFreshetError(error, { sql, client: { text: sql, start: 0 } });
  }
  // The pool's clients are shared by every caller, so a transaction must not outlive its statement.
  if (client.getTransactionStatus() !== 'I') {
    await client.query({ text: 'ROLLBACK' });
    throw validationError(TRANSACTION_CONTROL);
  }
  if (result.fields.length === 0) return { kind: 'update', rowsAffected: result.rowCount ?? 0 };
  return {
    kind: 'rows',
    columns: result.fields.map((field) => field.name),
    rows: result.rows.slice(0, rowLimit).map((row) => row.map(toJsonValue)),
    truncated: result.rows.length > rowLimit,
  };
}

/**
 * A pass-through ALTER TABLE of `table` (a table that dynamic tables read), in a transaction with
 * {@link acrossSchemaChange}, so that change capture on the table follows its new columns. Cancelled like
 * {@link executeStatement}.
 */
export function alterSourceTable(
  pool: PgPool,
  table: TableRef,
  schema: string,
  sql: string,
  signal?: AbortSignal,
): Promise<StatementResult> {
  signal?.throwIfAborted();
  return withClient(pool, async (client) => {
    const cancel = () => void cancelBackend(pool, client.processID);
    signal?.addEventListener('abort', cancel, { once: true });
    try {
      signal?.throwIfAborted();
      await client.query({ text: 'BEGIN' });
      const result = await acrossSchemaChange(client, table, schema, () => alterOn(client, sql));
      await client.query({ text: 'COMMIT' });
      await discardSession(client);
      return result;
    } catch (error) {
      if (client.getTransactionStatus() !== 'I') await client.query({ text: 'ROLLBACK' });
      await discardSession(client);
      throw signal?.aborted ? signal.reason : error;
    } finally {
      signal?.removeEventListener('abort', cancel);
    }
  });
}

async function alterOn(client: PgPoolClient, sql: string): Promise<StatementResult> {
  let result: PgResult<unknown[]>;
  try {
    result = await submit(client, sql, 0);
  } catch (error) {
    throw toFreshetError(error, { sql, client: { text: sql, start: 0 } });
  }
  if (client.getTransactionStatus() !== 'T') throw validationError(TRANSACTION_CONTROL);
  return { kind: 'update', rowsAffected: result.rowCount ?? 0 };
}
