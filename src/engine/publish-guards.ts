/**
 * Publish guards (DESIGN.md §12): write-audit-publish. An engine writes a refresh's result inside its
 * transaction, measures it with {@link auditSelect} (one pass, only when a guard needs more than the row counts
 * the write already returned), and asks {@link judgeGuards} whether the result may replace the table. A blocked
 * result never becomes visible: the engine rolls back and keeps the result staged for an operator to publish or
 * discard. Pure functions; the engines run the SQL.
 */

import type { GuardReport, GuardResult, PublishGuards, RowExpectation } from '../model';

export type { GuardReport, GuardResult, PublishGuards, RowExpectation, ViolationAction } from '../model';

/** Guards that only refuse an empty result over rows: what every table has unless its options say otherwise. */
export const DEFAULT_GUARDS: PublishGuards = Object.freeze({
  allowEmpty: false,
  minRows: null,
  maxRowChangeRatio: null,
  maxNullRatio: Object.freeze({}),
  expectations: Object.freeze([]),
});

/** What the engine measured of a result (the table or partition after the write, before commit). */
export interface ResultMeasures {
  /** Rows of the table (or the partition) before the refresh. */
  readonly rowsBefore: number;
  /** Rows after it, `DROP ROW` removals done. */
  readonly rowsAfter: number;
  /** Table column → NULLs among `rowsAfter`, for each column with a null-ratio guard. */
  readonly nulls: Readonly<Record<string, number>>;
  /** Expectation name → rows breaking it (WARN and FAIL_REFRESH expectations). */
  readonly violations: Readonly<Record<string, number>>;
  /** Expectation name → rows a DROP_ROW expectation removed. */
  readonly dropped: Readonly<Record<string, number>>;
}

/** Whether a result needs {@link auditSelect}, or the write's own row counts settle every guard. */
export function needsAudit(guards: PublishGuards): boolean {
  return Object.keys(guards.maxNullRatio).length > 0 || guards.expectations.some((e) => e.onViolation !== 'DROP_ROW');
}

/** The expectations that remove rows, in declaration order: each becomes `DELETE … WHERE NOT (condition)`. */
export function droppingExpectations(guards: PublishGuards): readonly RowExpectation[] {
  return guards.expectations.filter((expectation) => expectation.onViolation === 'DROP_ROW');
}

/** SQL for "the condition is not true" (false or NULL), the same in every dialect. */
export function violates(condition: string): string {
  return `NOT COALESCE((${condition}), FALSE)`;
}

/**
 * The one-pass measuring query over the written rows: `SELECT count(*) AS n, <null counts>, <violation counts>
 * FROM <from> [WHERE <where>]`. Columns come back as `n`, `nulls_<i>` (in the order of
 * `Object.keys(guards.maxNullRatio)`) and `violations_<i>` (in the order of the non-dropping expectations).
 * `from` is the quoted table; `where` the partition filter with the engine's placeholders, or null.
 */
export function auditSelect(
  guards: PublishGuards,
  quoteIdentifier: (name: string) => string,
  from: string,
  where: string | null,
): string {
  const measures = ['count(*) AS n'];
  Object.keys(guards.maxNullRatio).forEach((column, index) => {
    measures.push(`sum(CASE WHEN ${quoteIdentifier(column)} IS NULL THEN 1 ELSE 0 END) AS nulls_${index}`);
  });
  guards.expectations
    .filter((expectation) => expectation.onViolation !== 'DROP_ROW')
    .forEach((expectation, index) => {
      measures.push(`sum(CASE WHEN ${violates(expectation.condition)} THEN 1 ELSE 0 END) AS violations_${index}`);
    });
  return `SELECT ${measures.join(', ')} FROM ${from}${where === null ? '' : ` WHERE ${where}`}`;
}

/** Reads {@link auditSelect}'s row back into measures (numbers may arrive as strings or bigints). */
export function measuresOf(
  guards: PublishGuards,
  row: Readonly<Record<string, unknown>>,
  counts: { rowsBefore: number; dropped: Readonly<Record<string, number>> },
): ResultMeasures {
  const number = (value: unknown) => (value === null || value === undefined ? 0 : Number(value));
  const nulls: Record<string, number> = {};
  Object.keys(guards.maxNullRatio).forEach((column, index) => {
    nulls[column] = number(row[`nulls_${index}`]);
  });
  const violations: Record<string, number> = {};
  guards.expectations
    .filter((expectation) => expectation.onViolation !== 'DROP_ROW')
    .forEach((expectation, index) => {
      violations[expectation.name] = number(row[`violations_${index}`]);
    });
  return { rowsBefore: counts.rowsBefore, rowsAfter: number(row.n), nulls, violations, dropped: counts.dropped };
}

/** Each guard's verdict on a result; the result is blocked when any guard blocks it. */
export function judgeGuards(guards: PublishGuards, measures: ResultMeasures): GuardReport {
  const results: GuardResult[] = [];
  const { rowsBefore, rowsAfter } = measures;
  if (!guards.allowEmpty && rowsBefore > 0) {
    results.push({
      guard: 'allow_empty',
      verdict: rowsAfter === 0 ? 'BLOCKED' : 'PASSED',
      observed: rowsAfter,
      expected: `> 0 rows (the table held ${rowsBefore})`,
    });
  }
  if (guards.minRows !== null) {
    results.push({
      guard: 'min_rows',
      verdict: rowsAfter < guards.minRows ? 'BLOCKED' : 'PASSED',
      observed: rowsAfter,
      expected: `≥ ${guards.minRows} rows`,
    });
  }
  if (guards.maxRowChangeRatio !== null && rowsBefore > 0) {
    const ratio = Math.abs(rowsAfter - rowsBefore) / rowsBefore;
    results.push({
      guard: 'max_row_change_ratio',
      verdict: ratio > guards.maxRowChangeRatio ? 'BLOCKED' : 'PASSED',
      observed: round(ratio),
      expected: `≤ ${guards.maxRowChangeRatio} (from ${rowsBefore} rows)`,
    });
  }
  for (const [column, most] of Object.entries(guards.maxNullRatio)) {
    const ratio = rowsAfter === 0 ? 0 : (measures.nulls[column] ?? 0) / rowsAfter;
    results.push({
      guard: `max_null_ratio.${column}`,
      verdict: ratio > most ? 'BLOCKED' : 'PASSED',
      observed: round(ratio),
      expected: `≤ ${most}`,
    });
  }
  let rowsDropped = 0;
  for (const expectation of guards.expectations) {
    const guard = `expect.${expectation.name}`;
    if (expectation.onViolation === 'DROP_ROW') {
      const dropped = measures.dropped[expectation.name] ?? 0;
      rowsDropped += dropped;
      results.push({
        guard,
        verdict: dropped > 0 ? 'WARNED' : 'PASSED',
        observed: dropped,
        expected: '0 rows dropped',
      });
      continue;
    }
    const broken = measures.violations[expectation.name] ?? 0;
    const verdict = broken === 0 ? 'PASSED' : expectation.onViolation === 'FAIL_REFRESH' ? 'BLOCKED' : 'WARNED';
    results.push({ guard, verdict, observed: broken, expected: '0 rows breaking it' });
  }
  return { blocked: results.some((result) => result.verdict === 'BLOCKED'), results, rowsDropped };
}

/** The guards that blocked a result, as one line for the job's error and the history. */
export function describeBlock(report: GuardReport): string {
  const blocked = report.results.filter((result) => result.verdict === 'BLOCKED');
  return `Blocked by publish guard${blocked.length === 1 ? '' : 's'} ${blocked
    .map((result) => `${result.guard} (observed ${result.observed}, expected ${result.expected})`)
    .join('; ')}`;
}

function round(value: number): number {
  return Math.round(value * 10_000) / 10_000;
}
