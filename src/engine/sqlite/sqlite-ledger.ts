/**
 * The refresh ledger on SQLite: `main.__freshet_refreshes` holds, per dynamic table, the id and outcome of the
 * latest refresh that committed. Every refresh writes its row inside its own transaction, so the row exists
 * exactly when the refresh's rows do; recovery reads it to tell a refresh that committed from one that did not.
 */
import type { Database } from 'better-sqlite3';
import type { RefreshOutcome, TableRef } from '../engine';
import { LEDGER_COLUMNS, type LedgerRow, ledgerOutcome, ledgerValues } from '../ledger-row';
import { INTERNAL_TABLE_PREFIX, quoteIdentifier, schemaOf } from './sqlite-sql';

const LEDGER_NAME = `${INTERNAL_TABLE_PREFIX}_refreshes`;
const LEDGER = `main.${quoteIdentifier(LEDGER_NAME)}`;

const tableKey = (table: TableRef) => `${schemaOf(table)}.${table.name}`;

/**
 * Inside the refresh's transaction: records `outcome` as the table's latest committed refresh, replacing the
 * one before (only the latest is kept). A refresh without an id records nothing.
 */
export function recordRefresh(
  db: Database,
  table: TableRef,
  refreshId: string | undefined,
  outcome: RefreshOutcome,
): RefreshOutcome {
  if (refreshId === undefined) return outcome;
  db.exec(
    `CREATE TABLE IF NOT EXISTS ${LEDGER} (dynamic_table TEXT PRIMARY KEY, refresh_id TEXT NOT NULL, ` +
      'rows_written INTEGER NOT NULL, rows_deleted INTEGER NOT NULL, action TEXT, action_detail TEXT) WITHOUT ROWID',
  );
  db.prepare(`INSERT OR REPLACE INTO ${LEDGER} (${LEDGER_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?)`).run(
    ...ledgerValues(tableKey(table), refreshId, outcome),
  );
  return outcome;
}

/** Inside the caller's transaction: forgets a dropped table's ledger row. */
export function forgetRefreshes(db: Database, table: TableRef): void {
  if (!ledgerExists(db)) return;
  db.prepare(`DELETE FROM ${LEDGER} WHERE dynamic_table = ?`).run(tableKey(table));
}

function ledgerExists(db: Database): boolean {
  return (
    db.prepare(`SELECT 1 FROM main.sqlite_schema WHERE type = 'table' AND name = ?`).get(LEDGER_NAME) !== undefined
  );
}

/** The outcome recorded for `refreshId` when it is the table's latest committed refresh, else null. */
export function committedRefresh(db: Database, table: TableRef, refreshId: string): RefreshOutcome | null {
  if (!ledgerExists(db)) return null;
  const row = db
    .prepare(
      `SELECT refresh_id, rows_written, rows_deleted, action, action_detail FROM ${LEDGER} WHERE dynamic_table = ?`,
    )
    .get(tableKey(table)) as LedgerRow | undefined;
  return ledgerOutcome(row, refreshId);
}
