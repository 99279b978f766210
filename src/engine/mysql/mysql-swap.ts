/**
 * Giving a table's name to a replacement built aside on MySQL, where DDL commits by itself: a rebuild's new table,
 * rows streamed in from another catalog, a staged result published.
 */
import type { TableRef } from '../engine';
import { tableExists } from './mysql-introspection';
import { type Queryable, run } from './mysql-pool';
import { qualifiedName, scratchName } from './mysql-sql';

/**
 * Gives the target's name to a replacement table built aside: one `RENAME TABLE t TO __freshet_old_<name>,
 * <replacement> TO t` swaps the two atomically (a reader finds the old table or the new one under the name,
 * never neither), then the old table is dropped. Returns the rows the old table had.
 */
export async function swapIn(
  connection: Queryable,
  replacement: TableRef,
  target: TableRef,
  database: string,
): Promise<number> {
  const name = (table: TableRef) => qualifiedName(table, database);
  const old: TableRef = { database: target.database, name: scratchName('old', target.name) };
  const ddl = (sql: string) => run(connection, { sql, client: null });
  if (!(await tableExists(connection, target, database))) {
    await ddl(`RENAME TABLE ${name(replacement)} TO ${name(target)}`);
    return 0;
  }
  const counted = await run<{ n: number }>(connection, {
    sql: `SELECT count(*) AS n FROM ${name(target)}`,
    client: null,
  });
  await ddl(`DROP TABLE IF EXISTS ${name(old)}`); // left by a swap that was killed before its last step
  await ddl(`RENAME TABLE ${name(target)} TO ${name(old)}, ${name(replacement)} TO ${name(target)}`);
  // The swap is done; the old table is only clutter now, and the next swap drops it if this fails.
  await ddl(`DROP TABLE IF EXISTS ${name(old)}`).catch(() => undefined);
  return Number(counted.rows[0]?.n ?? 0);
}
