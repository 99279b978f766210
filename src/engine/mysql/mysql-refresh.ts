/**
 * DDL and refreshes of dynamic tables on MySQL/InnoDB. A refresh is DELETE + INSERT … SELECT in one
 * transaction: readers' consistent reads keep seeing the old rows until COMMIT without waiting for the
 * refresh's row locks, and a killed connection rolls back to the old rows. DDL commits implicitly in MySQL,
 * so a rebuild cannot be one transaction; it builds the new table aside and swaps it in with one RENAME TABLE.
 */
import type { Pool } from 'mysql2/promise';
import { FreshetError } from '../../errors';
import type { RefreshOutcome, RefreshSpec, TableDefinition, TableRef } from '../engine';
import { tableExists } from './mysql-introspection';
import { ensureLedger, forgetRefreshes, recordRefresh } from './mysql-ledger';
import { type Queryable, inTransaction, run, withConnection } from './mysql-pool';
import { createTableSql, qualifiedName, refreshPlan, scratchName } from './mysql-sql';

export async function createTable(pool: Pool, definition: TableDefinition, database: string): Promise<void> {
  await run(pool, { sql: createTableSql(definition, database), client: null });
}

/** Dropping a table that does not exist is not an error (a half-finished drop can be repeated). */
export async function dropTable(pool: Pool, table: TableRef, database: string): Promise<void> {
  await run(pool, { sql: `DROP TABLE IF EXISTS ${qualifiedName(table, database)}`, client: null });
  await forgetRefreshes(pool, table, database);
}

export async function refreshTable(pool: Pool, spec: RefreshSpec, database: string): Promise<RefreshOutcome> {
  const plan = refreshPlan(spec, database);
  await ensureLedger(pool, database, spec.refreshId);
  return inTransaction(pool, async (connection) => {
    const rowsDeleted =
      plan.delete === null ? 0 : ((await run(connection, plan.delete, plan.params)).header?.affectedRows ?? 0);
    const rowsWritten = (await run(connection, plan.insert, plan.params)).header?.affectedRows ?? 0;
    return recordRefresh(connection, spec.table, database, spec.refreshId, { rowsDeleted, rowsWritten });
  });
}

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

/**
 * Replaces a table by a new definition filled by a full refresh. The replacement is created and filled under
 * `__freshet_rebuild_<name>` while readers keep using the old table, then swapped in (see {@link swapIn}). A
 * failure before the swap drops the replacement and leaves the old table as it was. Indexes and triggers on
 * the old table go with it.
 */
export function rebuildTable(
  pool: Pool,
  definition: TableDefinition,
  spec: RefreshSpec,
  database: string,
): Promise<RefreshOutcome> {
  if (spec.partition !== null) {
    throw new FreshetError('INTERNAL', 'rebuildTable fills the whole new table; it cannot take a partition.');
  }
  const target = definition.table;
  const scratch: TableRef = { database: target.database, name: scratchName('rebuild', target.name) };
  const plan = refreshPlan(spec, database, scratch, true);
  return withConnection(pool, async (connection) => {
    const ddl = (sql: string) => run(connection, { sql, client: null });
    // Left by a rebuild that was killed: a half-filled replacement, or an old table a finished swap left behind.
    const old: TableRef = { database: target.database, name: scratchName('old', target.name) };
    await ddl(`DROP TABLE IF EXISTS ${qualifiedName(scratch, database)}, ${qualifiedName(old, database)}`);
    await ddl(createTableSql(definition, database, scratch));
    await ensureLedger(connection, database, spec.refreshId);
    let outcome: RefreshOutcome;
    try {
      const rowsWritten = (await run(connection, plan.insert, plan.params)).header?.affectedRows ?? 0;
      outcome = { rowsWritten, rowsDeleted: await swapIn(connection, scratch, target, database) };
    } catch (error) {
      await ddl(`DROP TABLE IF EXISTS ${qualifiedName(scratch, database)}`).catch(() => undefined);
      throw error;
    }
    // The swap committed by itself (DDL); the ledger row follows it.
    return recordRefresh(connection, target, database, spec.refreshId, outcome);
  });
}
