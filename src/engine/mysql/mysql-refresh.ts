/**
 * DDL and refreshes of dynamic tables on MySQL/InnoDB. A refresh is DELETE + INSERT … SELECT in one
 * transaction: readers' consistent reads keep seeing the old rows until COMMIT without waiting for the
 * refresh's row locks, and a killed connection rolls back to the old rows. DDL commits implicitly in MySQL,
 * so a rebuild cannot be one transaction; it builds the new table aside and swaps it in with one RENAME TABLE.
 */
import type { Pool } from 'mysql2/promise';
import { FreshetError } from '../../errors';
import type { RefreshOutcome, RefreshSpec, TableDefinition, TableRef } from '../engine';
import { withReport } from '../guard-audit';
import { DEFAULT_GUARDS, type GuardReport } from '../publish-guards';
import { tableExists } from './mysql-introspection';
import { ensureLedger, forgetRefreshes, recordRefresh } from './mysql-ledger';
import { run, tentatively, withConnection } from './mysql-pool';
import { createTableSql, qualifiedName, refreshPlan, scratchName } from './mysql-sql';
import { countRows, judgeWritten, keepAsStaged, stageResult, wholeTable } from './mysql-staging';
import { swapIn } from './mysql-swap';

export async function createTable(pool: Pool, definition: TableDefinition, database: string): Promise<void> {
  await run(pool, { sql: createTableSql(definition, database), client: null });
}

/** Dropping a table that does not exist is not an error (a half-finished drop can be repeated). */
export async function dropTable(pool: Pool, table: TableRef, database: string): Promise<void> {
  await run(pool, { sql: `DROP TABLE IF EXISTS ${qualifiedName(table, database)}`, client: null });
  await forgetRefreshes(pool, table, database);
}

/**
 * Full or partition refresh. With guards, the result is judged before COMMIT; a blocked one is rolled back (the
 * table keeps its rows) and staged instead (see `mysql-staging.ts`). The default guard reads nothing: the
 * DELETE's count is the rows before, the INSERT's the rows after.
 */
export async function refreshTable(pool: Pool, spec: RefreshSpec, database: string): Promise<RefreshOutcome> {
  const plan = refreshPlan(spec, database);
  const { guards } = spec;
  await ensureLedger(pool, database, spec.refreshId);
  const outcome = await tentatively(pool, async (connection) => {
    const rowsDeleted =
      plan.delete === null ? 0 : ((await run(connection, plan.delete, plan.params)).header?.affectedRows ?? 0);
    const rowsWritten = (await run(connection, plan.insert, plan.params)).header?.affectedRows ?? 0;
    const report =
      guards === undefined
        ? undefined
        : await judgeWritten(connection, guards, plan.written, { rowsBefore: rowsDeleted, rowsWritten });
    if (report?.blocked) return { value: null, commit: false };
    const written = { rowsDeleted, rowsWritten: rowsWritten - (report?.rowsDropped ?? 0) };
    const value = await recordRefresh(connection, spec.table, database, spec.refreshId, withReport(written, report));
    return { value, commit: true };
  });
  return outcome ?? stageResult(pool, spec, guards ?? DEFAULT_GUARDS, database);
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
      let report: GuardReport | undefined;
      if (spec.guards !== undefined) {
        const exists = await tableExists(connection, target, database);
        const rowsBefore = exists ? await countRows(connection, wholeTable(target, database)) : 0;
        const rows = wholeTable(scratch, database);
        report = await judgeWritten(connection, spec.guards, rows, { rowsBefore, rowsWritten });
        if (report.blocked) {
          // The new table is the result: kept as it is, under the staged name, and the old table stays.
          const staged = await keepAsStaged(connection, scratch, spec.refreshId, database);
          return { rowsWritten: rowsWritten - report.rowsDropped, rowsDeleted: 0, guards: report, staged };
        }
      }
      const rowsDeleted = await swapIn(connection, scratch, target, database);
      outcome = withReport({ rowsWritten: rowsWritten - (report?.rowsDropped ?? 0), rowsDeleted }, report);
    } catch (error) {
      await ddl(`DROP TABLE IF EXISTS ${qualifiedName(scratch, database)}`).catch(() => undefined);
      throw error;
    }
    // The swap committed by itself (DDL); the ledger row follows it.
    return recordRefresh(connection, target, database, spec.refreshId, outcome);
  });
}
