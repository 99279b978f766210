/**
 * The row every engine's refresh ledger keeps per dynamic table (the latest refresh that committed), as the engines
 * write and read it: the same columns, values and meaning on SQLite, PostgreSQL and MySQL.
 */
import type { RefreshAction, RefreshOutcome } from './engine';

/** The ledger's columns, in the order {@link ledgerValues} gives their values. */
export const LEDGER_COLUMNS = 'dynamic_table, refresh_id, rows_written, rows_deleted, action, action_detail';

/** A ledger row as a driver returns it (counts may come back as strings from BIGINT columns). */
export interface LedgerRow {
  readonly refresh_id: string;
  readonly rows_written: string | number;
  readonly rows_deleted: string | number;
  readonly action: string | null;
  readonly action_detail: string | null;
}

/** The values of a ledger row recording `outcome` for `tableKey`, in the order of {@link LEDGER_COLUMNS}. */
export function ledgerValues(tableKey: string, refreshId: string, outcome: RefreshOutcome): unknown[] {
  return [
    tableKey,
    refreshId,
    outcome.rowsWritten,
    outcome.rowsDeleted,
    outcome.action ?? 'FULL',
    outcome.actionDetail ?? null,
  ];
}

/** The outcome a row recorded, when it is the row of `refreshId` (a later refresh replaces it); else null. */
export function ledgerOutcome(row: LedgerRow | undefined, refreshId: string): RefreshOutcome | null {
  if (row === undefined || row.refresh_id !== refreshId) return null;
  return {
    rowsWritten: Number(row.rows_written),
    rowsDeleted: Number(row.rows_deleted),
    action: (row.action ?? 'FULL') as RefreshAction,
    ...(row.action_detail === null ? {} : { actionDetail: row.action_detail }),
  };
}
