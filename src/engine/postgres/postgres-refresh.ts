/**
 * DDL and refreshes of dynamic tables on PostgreSQL. A refresh is DELETE + INSERT … SELECT in one
 * transaction: readers keep seeing the old rows until COMMIT and are never blocked (DELETE's row locks do not
 * stop readers, where TRUNCATE's ACCESS EXCLUSIVE lock would hold every reader for the whole refresh), and a
 * killed connection rolls back to the old rows. A rebuild uses transactional DDL the same way.
 */
import { FreshetError } from '../../errors';
import type { RefreshOutcome, RefreshSpec, TableDefinition, TableRef } from '../engine';
import { withReport } from '../guard-audit';
import { DEFAULT_GUARDS, type GuardReport } from '../publish-guards';
import type { PgPool } from './postgres-driver';
import { forgetIncremental, releaseWithin } from './postgres-incremental';
import { tableExists } from './postgres-introspection';
import { ensureLedger, forgetRefreshes, recordRefresh } from './postgres-ledger';
import { inTransaction, run, tentatively } from './postgres-pool';
import { createTableSql, qualifiedName, refreshPlan, scratchName } from './postgres-sql';
import { countRows, judgeWritten, keepAsStaged, stageResult, wholeTable } from './postgres-staging';
import { swapIn } from './postgres-swap';

export async function createTable(pool: PgPool, definition: TableDefinition, schema: string): Promise<void> {
  await run(pool, { sql: createTableSql(definition, schema), client: null });
}

/** Dropping a table that does not exist is not an error (a half-finished drop can be repeated). */
export async function dropTable(pool: PgPool, table: TableRef, schema: string): Promise<void> {
  await inTransaction(pool, async (client) => {
    await releaseWithin(client, table, schema);
    await forgetRefreshes(client, table, schema);
    await run(client, { sql: `DROP TABLE IF EXISTS ${qualifiedName(table, schema)}`, client: null });
  });
}

/**
 * Full or partition refresh. With guards, the result is judged before COMMIT; a blocked one is rolled back (the
 * table keeps its rows) and staged instead (see `postgres-staging.ts`). The default guard reads nothing: the
 * DELETE's count is the rows before, the INSERT's the rows after.
 */
export async function refreshTable(pool: PgPool, spec: RefreshSpec, schema: string): Promise<RefreshOutcome> {
  const plan = refreshPlan(spec, schema);
  const { guards } = spec;
  await ensureLedger(pool, schema, spec.refreshId);
  const outcome = await tentatively(pool, async (client) => {
    // Rewritten another way, the table no longer matches its incremental watermark.
    await forgetIncremental(client, spec.table, schema);
    const rowsDeleted = plan.delete === null ? 0 : ((await run(client, plan.delete, plan.params)).rowCount ?? 0);
    const rowsWritten = (await run(client, plan.insert, plan.params)).rowCount ?? 0;
    const report =
      guards === undefined
        ? undefined
        : await judgeWritten(client, guards, plan.written, { rowsBefore: rowsDeleted, rowsWritten });
    if (report?.blocked) return { value: null, commit: false };
    const written = { rowsDeleted, rowsWritten: rowsWritten - (report?.rowsDropped ?? 0) };
    const value = await recordRefresh(client, spec.table, schema, spec.refreshId, withReport(written, report));
    return { value, commit: true };
  });
  return outcome ?? stageResult(pool, spec, guards ?? DEFAULT_GUARDS, schema);
}

/**
 * Replaces a table by a new definition filled by a full refresh, in one transaction: the replacement is built
 * and filled under a scratch name while readers keep using the old table, then the old table is dropped and
 * the replacement renamed (the ACCESS EXCLUSIVE lock this takes is held only for those last statements).
 * Indexes other than the primary key and grants on the old table go with it.
 */
export async function rebuildTable(
  pool: PgPool,
  definition: TableDefinition,
  spec: RefreshSpec,
  schema: string,
): Promise<RefreshOutcome> {
  if (spec.partition !== null) {
    throw new FreshetError('INTERNAL', 'rebuildTable fills the whole new table; it cannot take a partition.');
  }
  const target = definition.table;
  const scratch: TableRef = { database: target.database, name: scratchName('rebuild', target.name) };
  // The key gets a scratch name too: index names share the schema's namespace with the old table's key.
  const scratchKey = `${scratch.name}_pkey`;
  const plan = refreshPlan(spec, schema, scratch, true);
  const { guards } = spec;
  await ensureLedger(pool, schema, spec.refreshId);
  return inTransaction(pool, async (client) => {
    await run(client, { sql: `DROP TABLE IF EXISTS ${qualifiedName(scratch, schema)}`, client: null });
    await run(client, { sql: createTableSql(definition, schema, scratch, scratchKey), client: null });
    const rowsWritten = (await run(client, plan.insert, plan.params)).rowCount ?? 0;
    let report: GuardReport | undefined;
    if (guards !== undefined) {
      const rowsBefore = (await tableExists(client, target, schema))
        ? await countRows(client, wholeTable(target, schema))
        : 0;
      report = await judgeWritten(client, guards, wholeTable(scratch, schema), { rowsBefore, rowsWritten });
      if (report.blocked) {
        // The new table is the result: kept as it is, under the staged name, and the old table stays.
        const staged = await keepAsStaged(client, scratch, scratchKey, definition.primaryKey, spec.refreshId, schema);
        return { rowsWritten: rowsWritten - report.rowsDropped, rowsDeleted: 0, guards: report, staged };
      }
    }
    await forgetIncremental(client, target, schema);
    const rowsDeleted = await swapIn(client, scratch, scratchKey, definition, schema);
    const written = { rowsWritten: rowsWritten - (report?.rowsDropped ?? 0), rowsDeleted };
    return recordRefresh(client, target, schema, spec.refreshId, withReport(written, report));
  });
}
