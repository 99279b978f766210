/**
 * Judging a written result by its publish guards, the same on every SQL engine: one `DELETE` per `DROP ROW`
 * expectation, then the audit `SELECT` when a guard needs more than the write's own row counts, then the verdict
 * (see `publish-guards.ts`). The statements are built here; each engine runs them on its own connection, inside
 * the transaction that wrote the rows, with {@link runGuardAudit} (or {@link runGuardAuditSync} on SQLite).
 */
import { createHash, randomUUID } from 'node:crypto';
import { FreshetError, validationError } from '../errors';
import type { RefreshOutcome } from './engine';
import {
  type GuardReport,
  type PublishGuards,
  auditSelect,
  droppingExpectations,
  judgeGuards,
  measuresOf,
  needsAudit,
  violates,
} from './publish-guards';

/** Where a result's rows are: the quoted table, and the filter that picks them out (a partition) or null. */
export interface WrittenRows {
  readonly table: string;
  /** A condition with the engine's placeholders, bound to {@link params}; null for every row of the table. */
  readonly where: string | null;
  readonly params: readonly unknown[];
}

/**
 * The rows the table (or partition) held before the write: known from the write (a full refresh's DELETE counted
 * them), or derived from the rows after it (an incremental refresh knows only what it wrote and deleted).
 */
export type RowsBefore = number | ((rowsAfter: number) => number);

export interface AuditStatement {
  readonly sql: string;
  readonly params: readonly unknown[];
}

/** The statements that judge one result, and how their answers become a verdict. */
export interface GuardAudit {
  /** One DELETE per DROP ROW expectation, in declaration order; each answers with the rows it removed. */
  readonly drops: readonly AuditStatement[];
  /** The one-pass measuring SELECT, or null when the write's counts settle every guard. */
  readonly audit: AuditStatement | null;
  /** The verdict, from each drop's removed rows (in order) and the audit's row (undefined without an audit). */
  verdict(dropped: readonly number[], row: Readonly<Record<string, unknown>> | undefined): GuardReport;
}

/** Whether the rows after the write must be counted: a guard reads them, and the write alone does not tell. */
function mustCount(guards: PublishGuards, rowsBefore: RowsBefore): boolean {
  if (needsAudit(guards)) return true;
  if (typeof rowsBefore === 'number') return false;
  return guards.minRows !== null || guards.maxRowChangeRatio !== null || !guards.allowEmpty;
}

/**
 * The audit of a result just written into `rows`. `rowsWritten` is what the write inserted (DROP ROW removals
 * not yet taken off). With a known `rowsBefore` and guards that only read row counts (the default guard, min_rows,
 * max_row_change_ratio), no statement reads the table: the counts the write returned settle them.
 */
export function guardAudit(
  guards: PublishGuards,
  quoteIdentifier: (name: string) => string,
  rows: WrittenRows,
  counts: { readonly rowsBefore: RowsBefore; readonly rowsWritten: number },
): GuardAudit {
  const dropping = droppingExpectations(guards);
  const within = (condition: string) => (rows.where === null ? condition : `(${rows.where}) AND ${condition}`);
  const drops = dropping.map((expectation) => ({
    sql: `DELETE FROM ${rows.table} WHERE ${within(violates(expectation.condition))}`,
    params: rows.params,
  }));
  const audit = mustCount(guards, counts.rowsBefore)
    ? { sql: auditSelect(guards, quoteIdentifier, rows.table, rows.where), params: rows.params }
    : null;
  return {
    drops,
    audit,
    verdict(removed, row) {
      const dropped: Record<string, number> = {};
      dropping.forEach((expectation, index) => {
        dropped[expectation.name] = (dropped[expectation.name] ?? 0) + (removed[index] ?? 0);
      });
      const totalDropped = removed.reduce((sum, n) => sum + n, 0);
      const before = (after: number) =>
        typeof counts.rowsBefore === 'number' ? counts.rowsBefore : counts.rowsBefore(after);
      if (row === undefined) {
        const rowsAfter = counts.rowsWritten - totalDropped;
        const measures = { rowsBefore: before(rowsAfter), rowsAfter, nulls: {}, violations: {}, dropped };
        return judgeGuards(guards, measures);
      }
      const rowsAfter = Number(row.n ?? 0);
      return judgeGuards(guards, measuresOf(guards, row, { rowsBefore: before(rowsAfter), dropped }));
    },
  };
}

/**
 * The audit of an incremental refresh's result, from the changes it applied: the rows before are the rows after
 * less the written plus the deleted. Guards that read rows or counts measure the whole table; the default guard
 * alone asks only whether the table is empty, and only when the changes deleted rows (otherwise it cannot be).
 * A table with DROP ROW expectations is never refreshed incrementally (see {@link DROP_ROW_RECOMPUTES}).
 */
export function changesAudit(
  guards: PublishGuards,
  quoteIdentifier: (name: string) => string,
  rows: WrittenRows,
  counts: { readonly rowsWritten: number; readonly rowsDeleted: number },
): GuardAudit {
  const before = (after: number) => after - counts.rowsWritten + counts.rowsDeleted;
  if (needsAudit(guards) || guards.minRows !== null || guards.maxRowChangeRatio !== null) {
    return guardAudit(guards, quoteIdentifier, rows, { rowsBefore: before, rowsWritten: counts.rowsWritten });
  }
  if (guards.allowEmpty || counts.rowsDeleted === 0) return { drops: [], audit: null, verdict: () => NOTHING_JUDGED };
  const where = rows.where === null ? '' : ` WHERE ${rows.where}`;
  return {
    drops: [],
    audit: {
      sql: `SELECT count(*) AS n FROM (SELECT 1 FROM ${rows.table}${where} LIMIT 1) AS probe`,
      params: rows.params,
    },
    verdict(_, row) {
      if (Number(row?.n ?? 0) > 0) return NOTHING_JUDGED;
      return judgeGuards(guards, { rowsBefore: before(0), rowsAfter: 0, nulls: {}, violations: {}, dropped: {} });
    },
  };
}

/** Why a table with DROP ROW expectations is refreshed fully by an incremental refresh. */
export const DROP_ROW_RECOMPUTES =
  'the table has DROP ROW expectations, which deleting rows cannot keep incrementally correct, so it is recomputed';

/** How an async engine runs an audit's statements on the connection that wrote the rows. */
export interface AuditRunner {
  /** Runs a DELETE; resolves to the rows it removed. */
  change(statement: AuditStatement): Promise<number>;
  /** Runs a SELECT; resolves to its one row. */
  row(statement: AuditStatement): Promise<Readonly<Record<string, unknown>> | undefined>;
}

export async function runGuardAudit(audit: GuardAudit, runner: AuditRunner): Promise<GuardReport> {
  const removed: number[] = [];
  for (const drop of audit.drops) removed.push(await runner.change(drop));
  return audit.verdict(removed, audit.audit === null ? undefined : await runner.row(audit.audit));
}

/** {@link AuditRunner} of an engine whose statements run synchronously (SQLite's worker). */
export interface SyncAuditRunner {
  change(statement: AuditStatement): number;
  row(statement: AuditStatement): Readonly<Record<string, unknown>> | undefined;
}

export function runGuardAuditSync(audit: GuardAudit, runner: SyncAuditRunner): GuardReport {
  const removed = audit.drops.map((drop) => runner.change(drop));
  return audit.verdict(removed, audit.audit === null ? undefined : runner.row(audit.audit));
}

/** The report of guards that had nothing to judge (the refresh changed no row). */
export const NOTHING_JUDGED: GuardReport = Object.freeze({
  blocked: false,
  results: Object.freeze([]),
  rowsDropped: 0,
});

/** How the names of staged results start: `__freshet…`, so `listTables` hides them like every scratch table. */
export const STAGED_TABLE_PREFIX = '__freshet_staged_';
const STAGED_TABLE_NAME = /^__freshet_staged_[0-9a-f]{16}$/;

/**
 * The table a blocked result of refresh `refreshId` is staged in, next to its dynamic table: a short hash, so
 * that it fits every engine's identifiers and a retry of the same refresh stages over its own earlier result.
 */
export function stagedTableName(refreshId: string | undefined): string {
  const seed = refreshId ?? randomUUID();
  return `${STAGED_TABLE_PREFIX}${createHash('sha256').update(seed).digest('hex').slice(0, 16)}`;
}

/**
 * Refuses a name that is not a staged result's: publish and discard drop the table they are given, which must
 * never be one of the user's.
 */
export function checkStagedName(staged: string): void {
  if (!STAGED_TABLE_NAME.test(staged)) {
    throw validationError(`"${staged}" does not name a staged result (${STAGED_TABLE_PREFIX}<16 hex digits>).`);
  }
}

/** A staged result that was published or discarded already (or dropped with its table). */
export function stagedResultGone(staged: string): FreshetError {
  return new FreshetError(
    'INVALID_STATE',
    `The staged result ${staged} is gone: it was published or discarded already, or dropped with its table.`,
  );
}

/** An outcome with the guards' report, when the refresh had guards. */
export function withReport(outcome: RefreshOutcome, report: GuardReport | undefined): RefreshOutcome {
  return report === undefined ? outcome : { ...outcome, guards: report };
}
