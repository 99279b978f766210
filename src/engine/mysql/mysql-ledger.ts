/**
 * The refresh ledger on MySQL: `<database>.__freshet_refreshes` holds, per dynamic table, the id and outcome of
 * the latest refresh that committed. A refresh in a transaction (full, partition, a partition copied from another
 * catalog) writes its row in that transaction. DDL commits implicitly on MySQL, so a swap by RENAME TABLE (a
 * rebuild, a whole table copied from another catalog) records its row right after the swap: a gateway stopped in
 * between leaves that refresh unrecorded, and it counts as not applied.
 */
import type { Pool } from 'mysql2/promise';
import type { RefreshOutcome, TableRef } from '../engine';
import { LEDGER_COLUMNS, type LedgerRow, ledgerOutcome, ledgerValues } from '../ledger-row';
import { type Queryable, run } from './mysql-pool';
import { INTERNAL_TABLE_PREFIX, quoteIdentifier, type Statement } from './mysql-sql';

const LEDGER_NAME = `${INTERNAL_TABLE_PREFIX}_refreshes`;
const ledgerOf = (database: string) => `${quoteIdentifier(database)}.${quoteIdentifier(LEDGER_NAME)}`;
const sql = (text: string): Statement => ({ sql: text, client: null });
const tableKey = (table: TableRef, database: string) => `${table.database ?? database}.${table.name}`;

async function ledgerExists(db: Queryable, database: string): Promise<boolean> {
  const found = await run(
    db,
    sql('SELECT 1 FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?'),
    [database, LEDGER_NAME],
  );
  return found.rows.length > 0;
}

/** Creates the ledger when it is missing: DDL, so before the refresh's transaction, never inside it. */
export async function ensureLedger(pool: Queryable, database: string, refreshId: string | undefined): Promise<void> {
  if (refreshId === undefined || (await ledgerExists(pool, database))) return;
  await run(
    pool,
    sql(
      `CREATE TABLE IF NOT EXISTS ${ledgerOf(database)} (dynamic_table VARCHAR(512) NOT NULL PRIMARY KEY, ` +
        'refresh_id VARCHAR(512) NOT NULL, rows_written BIGINT NOT NULL, rows_deleted BIGINT NOT NULL, ' +
        'action VARCHAR(32), action_detail TEXT) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4',
    ),
  );
}

/**
 * Records `outcome` as the table's latest committed refresh, replacing the one before; inside the refresh's
 * transaction where it has one. A refresh without an id records nothing.
 */
export async function recordRefresh(
  connection: Queryable,
  table: TableRef,
  database: string,
  refreshId: string | undefined,
  outcome: RefreshOutcome,
): Promise<RefreshOutcome> {
  if (refreshId === undefined) return outcome;
  await run(
    connection,
    sql(
      `INSERT INTO ${ledgerOf(database)} (${LEDGER_COLUMNS}) ` +
        'VALUES (?, ?, ?, ?, ?, ?) ON DUPLICATE KEY UPDATE refresh_id = VALUES(refresh_id), ' +
        'rows_written = VALUES(rows_written), rows_deleted = VALUES(rows_deleted), action = VALUES(action), ' +
        'action_detail = VALUES(action_detail)',
    ),
    ledgerValues(tableKey(table, database), refreshId, outcome),
  );
  return outcome;
}

/** Forgets a dropped table's ledger row. */
export async function forgetRefreshes(pool: Queryable, table: TableRef, database: string): Promise<void> {
  if (!(await ledgerExists(pool, database))) return;
  await run(pool, sql(`DELETE FROM ${ledgerOf(database)} WHERE dynamic_table = ?`), [tableKey(table, database)]);
}

/** The outcome recorded for `refreshId` when it is the table's latest committed refresh, else null. */
export async function committedRefresh(
  pool: Pool,
  table: TableRef,
  refreshId: string,
  database: string,
): Promise<RefreshOutcome | null> {
  if (!(await ledgerExists(pool, database))) return null;
  const select = sql(
    `SELECT refresh_id, rows_written, rows_deleted, action, action_detail FROM ${ledgerOf(database)} ` +
      'WHERE dynamic_table = ?',
  );
  return ledgerOutcome((await run<LedgerRow>(pool, select, [tableKey(table, database)])).rows[0], refreshId);
}
