/**
 * node-sql-parser, set up once for every dialect: the query analyzer and the incremental classifier read
 * queries through here, so both accept the same queries.
 */
import { Parser } from 'node-sql-parser';
import type { SqlDialect } from '../model';

/**
 * node-sql-parser's grammars lag behind the engines: its SQLite grammar rejects, among others,
 * `OVER (ORDER BY …)` without PARTITION BY, RIGHT / FULL / CROSS JOIN, INTERSECT / EXCEPT, `FILTER (WHERE …)`,
 * `NULLS LAST` and named windows, all valid SQLite. A query the engine's own grammar rejects is therefore tried
 * with the other grammars before it is refused; the engine still validates the query when the table is created,
 * and table names read the same way in all three.
 */
export const GRAMMARS: Readonly<Record<SqlDialect, readonly SqlDialect[]>> = Object.freeze({
  sqlite: ['sqlite', 'postgresql', 'mysql'],
  postgresql: ['postgresql', 'mysql', 'sqlite'],
  mysql: ['mysql', 'postgresql', 'sqlite'],
});

// The parser keeps no state between calls, so one instance serves every caller.
const parser = new Parser();

/** The outcome of reading a query with each grammar of a dialect in turn. */
export type AstifyOutcome =
  | { readonly ok: true; readonly ast: unknown }
  /** Every grammar refused the query; one error per grammar tried, in order. */
  | { readonly ok: false; readonly errors: readonly unknown[] };

/** Parses `sql` with the dialect's own grammar first, then with the others (see {@link GRAMMARS}). */
export function astifyInDialect(sql: string, dialect: SqlDialect): AstifyOutcome {
  const errors: unknown[] = [];
  for (const grammar of GRAMMARS[dialect]) {
    try {
      return { ok: true, ast: parser.astify(sql, { database: grammar }) };
    } catch (error) {
      errors.push(error);
    }
  }
  return { ok: false, errors };
}

/**
 * node-sql-parser's list of the columns `sql` names (`select::table::column`, aliases resolved), read with each
 * grammar of the dialect in turn; null when none can read it.
 */
export function columnListInDialect(sql: string, dialect: SqlDialect): string[] | null {
  for (const grammar of GRAMMARS[dialect]) {
    try {
      return parser.parse(sql, { database: grammar }).columnList;
    } catch {
      // the next grammar
    }
  }
  return null;
}
