/**
 * Which columns a dynamic table's query reads, as node-sql-parser lists them: what a schema change of one of its
 * sources is checked against.
 */
import type { SqlDialect } from '../model';
import { columnListInDialect } from './dialects';

/** One column a query names. */
export interface ColumnRef {
  /**
   * The table it is read from, bare (no database) and with aliases resolved to the table, as written; null when
   * the query names the column without a table (it may then come from any table the query reads).
   */
  readonly table: string | null;
  /** The column's name as written, or `*` for `*` / `t.*` (every column). */
  readonly column: string;
}

const STAR = '(.*)';

/** The columns `query` reads; null when no grammar of the dialect can read the query. */
export function readColumnRefs(query: string, dialect: SqlDialect): ColumnRef[] | null {
  const list = columnListInDialect(query, dialect);
  if (list === null) return null;
  const refs: ColumnRef[] = [];
  const seen = new Set<string>();
  for (const entry of list) {
    // `<statement type>::<table or null>::<column>`
    const [, table = 'null', column = ''] = entry.split('::');
    const ref = { table: table === 'null' ? null : table, column: column === STAR ? '*' : column };
    const id = JSON.stringify(ref);
    if (column === '' || seen.has(id)) continue;
    seen.add(id);
    refs.push(ref);
  }
  return refs;
}
