/**
 * Publish guards' audit on SQLite (writer worker side): runs the statements of `guard-audit.ts` on the connection
 * that wrote the rows, inside its transaction.
 */
import type { Database } from 'better-sqlite3';
import { type RowsBefore, type WrittenRows, guardAudit, runGuardAuditSync } from '../guard-audit';
import type { GuardReport, PublishGuards } from '../publish-guards';
import { quoteIdentifier } from './sqlite-sql';

/** Applies DROP ROW expectations to `rows` and judges the result. */
export function judgeWritten(
  db: Database,
  guards: PublishGuards,
  rows: WrittenRows,
  counts: { readonly rowsBefore: RowsBefore; readonly rowsWritten: number },
): GuardReport {
  return runGuardAuditSync(guardAudit(guards, quoteIdentifier, rows, counts), {
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
