/**
 * Publish guards' audit on SQLite (writer worker side): runs the statements of `guard-audit.ts` on the connection
 * that wrote the rows, inside its transaction, and rolls back a transaction whose result a guard blocked.
 */
import type { Database } from 'better-sqlite3';
import type { RefreshOutcome, TableRef } from '../engine';
import {
  type GuardAudit,
  NOTHING_JUDGED,
  type RowsBefore,
  type WrittenRows,
  changesAudit,
  guardAudit,
  runGuardAuditSync,
} from '../guard-audit';
import type { GuardReport, PublishGuards } from '../publish-guards';
import { qualifiedName, quoteIdentifier } from './sqlite-sql';

/** Applies DROP ROW expectations to `rows` and judges the result. */
export function judgeWritten(
  db: Database,
  guards: PublishGuards,
  rows: WrittenRows,
  counts: { readonly rowsBefore: RowsBefore; readonly rowsWritten: number },
): GuardReport {
  return runOn(db, guardAudit(guards, quoteIdentifier, rows, counts));
}

/** Inside an incremental refresh's transaction, after the changes were applied: the guards' verdict on the table. */
export function judgeChanges(
  db: Database,
  table: TableRef,
  guards: PublishGuards,
  applied: RefreshOutcome,
): RefreshOutcome {
  if (applied.action === 'NO_DATA') return { ...applied, guards: NOTHING_JUDGED };
  const rows = { table: qualifiedName(table), where: null, params: [] };
  return { ...applied, guards: runOn(db, changesAudit(guards, quoteIdentifier, rows, applied)) };
}

function runOn(db: Database, audit: GuardAudit): GuardReport {
  return runGuardAuditSync(audit, {
    change: (statement) => db.prepare(statement.sql).run(...statement.params).changes,
    row: (statement) => db.prepare(statement.sql).get(...statement.params) as Record<string, unknown> | undefined,
  });
}

/** Rows of `rows` (a table, or its partition), counted. */
export function countRows(db: Database, rows: WrittenRows): number {
  const where = rows.where === null ? '' : ` WHERE ${rows.where}`;
  const row = db.prepare(`SELECT count(*) AS n FROM ${rows.table}${where}`).get(...rows.params) as { n: number };
  return row.n;
}

/** Carries a result a publish guard blocked out of its transaction, which rolls back on the way. */
class BlockedResult extends Error {
  constructor(readonly outcome: RefreshOutcome) {
    super('blocked by a publish guard');
  }
}

/**
 * One `BEGIN IMMEDIATE` transaction, rolled back instead of committed when `work` answers a blocked result (which
 * comes back with `staged: null`: nothing of it is kept).
 */
export function tentatively<T extends RefreshOutcome | string>(db: Database, work: () => T): T {
  try {
    return db
      .transaction(() => {
        const value = work();
        if (typeof value !== 'string' && value.guards?.blocked) throw new BlockedResult(value);
        return value;
      })
      .immediate();
  } catch (error) {
    if (error instanceof BlockedResult) return { ...error.outcome, staged: null } as T;
    throw error;
  }
}
