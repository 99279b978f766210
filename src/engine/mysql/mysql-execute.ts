/**
 * Pass-through statements: one statement the gateway does not own, with autocommit.
 *
 * Memory: rows are read as they stream in and only the first `rowLimit` are kept. The MySQL protocol has no
 * way to stop a result half-way but closing the connection, so a read-only statement (SELECT, SHOW, …) that
 * has more rows is abandoned together with its connection as soon as the extra row arrives; any other
 * statement (a DELETE … RETURNING, a CALL) is read to its end so that it completes, keeping no extra rows.
 * Values are converted as described in `mysql-pool.ts`; BLOBs and binary strings become upper-case hex.
 */
import {
  type ConnectionOptions,
  type Connection as CoreConnection,
  createConnection,
  type FieldPacket,
  type ResultSetHeader,
} from 'mysql2';
import type { Pool, PoolConnection } from 'mysql2/promise';
import { validationError } from '../../errors';
import type { StatementResult } from '../engine';
import { toJsonValue } from '../pooled-engine';
import { toFreshetError } from './mysql-errors';
import { withConnection } from './mysql-pool';

const SERVER_STATUS_IN_TRANS = 0x0001;
const SERVER_STATUS_AUTOCOMMIT = 0x0002;

/** Leading comments and parentheses before a statement's first keyword (not `/*!…*​/`, which MySQL runs). */
const LEADING_NOISE = /^(?:\s+|\(|--[^\n]*(?:\n|$)|#[^\n]*(?:\n|$)|\/\*(?!!)[\s\S]*?\*\/)*/;
const READ_ONLY = /^(?:SELECT|SHOW|DESCRIBE|DESC|EXPLAIN|VALUES|TABLE|HELP)\b/i;
const SESSION_LOCK = /^(?:LOCK\s+TABLES?|FLUSH\s+TABLES?\b[\s\S]*\bWITH\s+READ\s+LOCK)\b/i;

type Streamed =
  | {
      readonly kind: 'rows';
      readonly columns: string[];
      readonly rows: unknown[][];
      readonly truncated: boolean;
      readonly abandoned: boolean;
    }
  | { readonly kind: 'update'; readonly header: ResultSetHeader };

/** Runs `sql`, keeping the first result set's first `rowLimit` rows; `stopEarly` abandons it at the row after. */
function stream(connection: CoreConnection, sql: string, rowLimit: number, stopEarly: boolean): Promise<Streamed> {
  return new Promise((resolve, reject) => {
    let columns: string[] | null = null;
    let header: ResultSetHeader | null = null;
    const rows: unknown[][] = [];
    let truncated = false;
    let settled = false;
    // mysql2 reports a fatal error (the connection killed or lost) to the connection, not to a streaming query.
    const onConnectionError = (error: Error) => settle(error);
    const settle = (outcome: Streamed | Error) => {
      if (settled) return;
      settled = true;
      connection.off('error', onConnectionError);
      if (outcome instanceof Error) reject(outcome);
      else resolve(outcome);
    };
    connection.once('error', onConnectionError);
    const finish = (abandoned: boolean) =>
      settle(
        columns !== null
          ? { kind: 'rows', columns, rows, truncated, abandoned }
          : {
              kind: 'update',
              header: header ?? ({ affectedRows: 0, serverStatus: SERVER_STATUS_AUTOCOMMIT } as ResultSetHeader),
            },
      );
    // mysql2 announces a result set with 'fields' and its rows with 'result' (row, result-set index); a
    // statement without rows emits 'fields' with nothing and its OK packet as a 'result' without an index.
    connection
      .query({ sql, rowsAsArray: true })
      .on('fields', (fields: FieldPacket[] | undefined) => {
        if (fields !== undefined && columns === null && header === null) columns = fields.map((field) => field.name);
      })
      .on('result', (result: unknown[] | ResultSetHeader | null, index: number | undefined) => {
        if (result === null) return; // a row that failed to parse; its error follows
        if (!Array.isArray(result)) {
          if (columns === null && header === null) header = result;
        } else if (index !== 0) {
          // later result sets (of a CALL) are read, not returned
        } else if (rows.length < rowLimit) {
          rows.push(result.map(toJsonValue));
        } else {
          truncated = true;
          if (stopEarly) finish(true);
        }
      })
      .on('error', (error: Error) => settle(error))
      .on('end', () => finish(false));
  });
}

/**
 * COM_RESET_CONNECTION: whatever the statement left in the session (user variables, temporary tables, prepared
 * statements, GET_LOCK locks, an open transaction) is gone before the connection serves anyone else.
 */
function resetSession(connection: CoreConnection): Promise<void> {
  return new Promise((resolve, reject) => {
    connection.reset((error: Error | null) => (error === null ? resolve() : reject(error)));
  });
}

/**
 * KILL QUERY from a connection of its own (the pool may have none free while it runs long statements): the
 * statement stops and a write rolls back; the connection stays open for the pool.
 */
async function killQuery(pool: Pool, threadId: number | null): Promise<void> {
  if (threadId === null) return;
  const config = (pool as unknown as { pool: { config: { connectionConfig: ConnectionOptions } } }).pool.config;
  let connection: CoreConnection | null = null;
  try {
    // Only where and who to connect as: the rest of the pool's settings are not a connection's.
    const { host, port, user, password, database, socketPath, ssl } = config.connectionConfig;
    connection = createConnection({ host, port, user, password, database, socketPath, ssl });
    connection.on('error', () => undefined);
    await connection.promise().query(`KILL QUERY ${Number(threadId)}`);
  } catch {
    // The statement then runs on to its end; nothing else can stop it.
  } finally {
    connection?.destroy();
  }
}

/** See the file comment; `rowLimit` is the most rows returned. */
export function executeStatement(
  pool: Pool,
  sql: string,
  rowLimit: number,
  signal?: AbortSignal,
): Promise<StatementResult> {
  signal?.throwIfAborted();
  const keyword = sql.replace(LEADING_NOISE, '');
  if (SESSION_LOCK.test(keyword)) {
    throw validationError(
      'MySQL: table locks (LOCK TABLES, FLUSH … WITH READ LOCK) are not supported here; each statement runs on a ' +
        'pooled connection, which would keep the lock.',
    );
  }
  return withConnection(pool, async (connection: PoolConnection, discard) => {
    // The promise wrapper's `connection` is the callback-style connection, which can stream rows.
    const core = connection.connection as unknown as CoreConnection;
    let streamed: Streamed;
    const cancel = () => void killQuery(pool, core.threadId);
    signal?.addEventListener('abort', cancel, { once: true });
    try {
      signal?.throwIfAborted(); // aborted while waiting for a connection: the listener never fires
      streamed = await stream(core, sql, rowLimit, READ_ONLY.test(keyword));
    } catch (error) {
      await resetSession(core).catch(discard);
      throw signal?.aborted ? signal.reason : toFreshetError(error, { sql, client: { text: sql, start: 0 } });
    } finally {
      signal?.removeEventListener('abort', cancel);
    }
    // A killed SLEEP() returns early without an error; its rows are not the statement's answer.
    if (signal?.aborted && streamed.kind === 'rows') {
      if (!streamed.abandoned) await resetSession(core).catch(discard);
      throw signal.reason;
    }
    if (!(streamed.kind === 'rows' && streamed.abandoned)) await resetSession(core).catch(discard);
    if (streamed.kind === 'rows') {
      if (streamed.abandoned) discard();
      return { kind: 'rows', columns: streamed.columns, rows: streamed.rows, truncated: streamed.truncated };
    }
    const status = streamed.header.serverStatus ?? SERVER_STATUS_AUTOCOMMIT;
    // The pool's connections are shared by every caller, so a transaction must not outlive its statement.
    if ((status & SERVER_STATUS_IN_TRANS) !== 0 || (status & SERVER_STATUS_AUTOCOMMIT) === 0) {
      await connection.query('ROLLBACK');
      await connection.query('SET autocommit = 1');
      throw validationError(
        'MySQL: transaction control (START TRANSACTION, BEGIN, SET autocommit, …) is not supported here; every ' +
          'statement commits on its own.',
      );
    }
    return { kind: 'update', rowsAffected: streamed.header.affectedRows };
  });
}
