/** How a table's publish guards, and what they made of a refresh, are shown (GET, DESCRIBE, SHOW CREATE, history). */
import type { DynamicTableRecord } from '../catalog/records';
import type { GuardReport, PublishGuards, RowExpectation } from '../model';
import { publishGuardsOf } from './guard-options';

/** A table's guards as GET /v3/dynamic-tables/{id} shows them (the defaults included). */
export type GuardsView = PublishGuards;

export function guardsView(table: DynamicTableRecord): GuardsView {
  return publishGuardsOf(table);
}

const ACTION_SQL: Readonly<Record<RowExpectation['onViolation'], string>> = {
  WARN: 'WARN',
  DROP_ROW: 'DROP ROW',
  FAIL_REFRESH: 'FAIL REFRESH',
};

/** `CONSTRAINT <name> EXPECT (<condition>) ON VIOLATION …`, as SHOW CREATE writes it back. */
export function expectationSql(expectation: RowExpectation, quoteIdent: (name: string) => string): string {
  return (
    `CONSTRAINT ${quoteIdent(expectation.name)} EXPECT (${expectation.condition}) ` +
    `ON VIOLATION ${ACTION_SQL[expectation.onViolation]}`
  );
}

/** One line for DESCRIBE: what refuses a result, and what each expectation does. */
export function guardsText(table: DynamicTableRecord): string {
  const guards = publishGuardsOf(table);
  const parts = [guards.allowEmpty ? 'empty results allowed' : 'no empty result over rows'];
  if (guards.minRows !== null) parts.push(`at least ${guards.minRows} rows`);
  if (guards.maxRowChangeRatio !== null) parts.push(`row count changes by at most ${guards.maxRowChangeRatio}`);
  for (const [column, ratio] of Object.entries(guards.maxNullRatio)) parts.push(`${column} at most ${ratio} NULL`);
  for (const e of guards.expectations) parts.push(`${e.name} EXPECT (${e.condition}) ${ACTION_SQL[e.onViolation]}`);
  return parts.join(', ');
}

/** The guards that warned or blocked, as one line for logs (`min_rows observed 3, expected ≥ 10 rows`). */
export function notableGuards(report: GuardReport): string {
  return report.results
    .filter((r) => r.verdict !== 'PASSED')
    .map((r) => `${r.guard} ${r.verdict} (observed ${r.observed}, expected ${r.expected})`)
    .join('; ');
}
