/**
 * Row expectations (`CONSTRAINT … EXPECT (…)`) are checked when a table is created or its query changes: each
 * condition is compiled by the engine that will evaluate it, over the table's own columns, so that a condition
 * naming a missing column or written wrongly is refused then, naming the expectation, instead of failing every
 * refresh later.
 */
import type { ColumnInfo, ColumnMapping, Engine } from '../engine/engine';
import { violates } from '../engine/publish-guards';
import { messageOf, validationError } from '../errors';
import type { RowExpectation, SqlDialect } from '../model';
import type { SourcePosition } from '../sql/statements';

/** An expectation to check, with where it was written when it comes from the statement being run. */
export type CheckedExpectation = RowExpectation & { readonly position?: SourcePosition };

/** What the table will hold: its columns, and the query output columns that fill them. */
export interface ExpectationTarget {
  readonly schema: readonly ColumnInfo[];
  readonly columnMapping: readonly ColumnMapping[];
}

const quoteIn = (dialect: SqlDialect) => (name: string) =>
  dialect === 'mysql' ? `\`${name.replace(/`/g, '``')}\`` : `"${name.replace(/"/g, '""')}"`;

/**
 * Compiles each expectation's condition on `target` (the engine holding the table). When the query runs there too,
 * the condition is checked over the query's own rows under the table's column names; a query run on another
 * catalog is stood in for by one row of typed NULLs. Throws VALIDATION_ERROR naming the first bad expectation.
 */
export async function checkExpectations(
  expectations: readonly CheckedExpectation[],
  table: ExpectationTarget,
  query: { readonly text: string; readonly engine: Engine },
  target: Engine,
): Promise<void> {
  if (expectations.length === 0) return;
  const quote = quoteIn(target.dialect);
  const rows =
    query.engine === target
      ? `SELECT ${table.columnMapping.map((m) => `src.${quote(m.source)} AS ${quote(m.target)}`).join(', ')} ` +
        `FROM (\n${query.text.replace(/[\s;]+$/, '')}\n) src`
      : `SELECT ${table.schema.map((c) => `${typedNull(c, target.dialect)} AS ${quote(c.name)}`).join(', ')}`;
  const columns = table.schema.map((c) => c.name);
  for (const expectation of expectations) {
    const probe = `SELECT * FROM (${rows}) t WHERE ${violates(expectation.condition)}`;
    try {
      await target.describeQuery(probe);
    } catch (error) {
      const at = expectation.position;
      throw validationError(
        `The condition of expectation '${expectation.name}' (${expectation.condition}) is not valid on the ` +
          `${target.name} engine: ${messageOf(error)}. Write it as a boolean expression over the table's columns ` +
          `(${columns.join(', ')}).`,
        { ...(at === undefined ? {} : { line: at.line, column: at.column }), cause: error },
      );
    }
  }
}

/** A NULL of the column's type; MySQL casts to few types, so there it stays untyped. */
function typedNull(column: ColumnInfo, dialect: SqlDialect): string {
  if (dialect === 'mysql' || column.type.trim() === '') return 'NULL';
  return `CAST(NULL AS ${column.type})`;
}
