/**
 * DDL and refreshes of dynamic tables on PostgreSQL. A refresh is DELETE + INSERT … SELECT in one
 * transaction: readers keep seeing the old rows until COMMIT and are never blocked (DELETE's row locks do not
 * stop readers, where TRUNCATE's ACCESS EXCLUSIVE lock would hold every reader for the whole refresh), and a
 * killed connection rolls back to the old rows. A rebuild uses transactional DDL the same way.
 */
import { FreshetError, validationError } from '../../errors';
import type { RefreshOutcome, RefreshSpec, TableDefinition, TableRef } from '../engine';
import type { PgPool, PgPoolClient } from './postgres-driver';
import { forgetIncremental, releaseWithin } from './postgres-incremental';
import { tableExists } from './postgres-introspection';
import { ensureLedger, forgetRefreshes, recordRefresh } from './postgres-ledger';
import { inTransaction, run } from './postgres-pool';
import { createTableSql, qualifiedName, quoteIdentifier, refreshPlan, scratchName } from './postgres-sql';

const DEPENDENT_OBJECTS_STILL_EXIST = '2BP01';

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

export async function refreshTable(pool: PgPool, spec: RefreshSpec, schema: string): Promise<RefreshOutcome> {
  const plan = refreshPlan(spec, schema);
  await ensureLedger(pool, schema, spec.refreshId);
  return inTransaction(pool, async (client) => {
    // Rewritten another way, the table no longer matches its incremental watermark.
    await forgetIncremental(client, spec.table, schema);
    const rowsDeleted = plan.delete === null ? 0 : ((await run(client, plan.delete, plan.params)).rowCount ?? 0);
    const rowsWritten = (await run(client, plan.insert, plan.params)).rowCount ?? 0;
    return recordRefresh(client, spec.table, schema, spec.refreshId, { rowsDeleted, rowsWritten });
  });
}

/** Drops the target (after counting its rows) so a replacement can take its name; views on it stop that. */
async function dropTarget(client: PgPoolClient, target: TableRef, schema: string): Promise<number> {
  if (!(await tableExists(client, target, schema))) return 0;
  const counted = await run<{ n: number }>(client, {
    sql: `SELECT count(*) AS n FROM ${qualifiedName(target, schema)}`,
    client: null,
  });
  try {
    await run(client, { sql: `DROP TABLE ${qualifiedName(target, schema)}`, client: null });
  } catch (error) {
    const cause =
      error instanceof FreshetError ? (error.cause as { code?: unknown; detail?: unknown } | undefined) : undefined;
    if (cause?.code !== DEPENDENT_OBJECTS_STILL_EXIST) throw error;
    throw validationError(
      `PostgreSQL: cannot replace table ${quoteIdentifier(target.name)} by its new definition while other objects ` +
        `depend on it ` +
        `(${String(cause.detail ?? 'views or foreign keys')}); drop them first and create them again afterwards.`,
      { cause: error },
    );
  }
  return counted.rows[0]?.n ?? 0;
}

/**
 * Inside the caller's transaction: drops the target and gives its name to a replacement table built aside,
 * whose primary key constraint (named `replacementKey`) takes the target's usual `<name>_pkey`. Returns the
 * rows the old table had.
 */
export async function swapIn(
  client: PgPoolClient,
  replacement: TableRef,
  replacementKey: string,
  definition: TableDefinition,
  schema: string,
): Promise<number> {
  const target = definition.table;
  const rowsDeleted = await dropTarget(client, target, schema);
  await run(client, {
    sql: `ALTER TABLE ${qualifiedName(replacement, schema)} RENAME TO ${quoteIdentifier(target.name)}`,
    client: null,
  });
  if (definition.primaryKey !== null && definition.primaryKey.length > 0) {
    await run(client, {
      sql:
        `ALTER TABLE ${qualifiedName(target, schema)} RENAME CONSTRAINT ${quoteIdentifier(replacementKey)} TO ` +
        `${quoteIdentifier(`${target.name}_pkey`)}`,
      client: null,
    });
  }
  return rowsDeleted;
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
  await ensureLedger(pool, schema, spec.refreshId);
  return inTransaction(pool, async (client) => {
    await forgetIncremental(client, target, schema);
    await run(client, { sql: `DROP TABLE IF EXISTS ${qualifiedName(scratch, schema)}`, client: null });
    await run(client, { sql: createTableSql(definition, schema, scratch, scratchKey), client: null });
    const rowsWritten = (await run(client, plan.insert, plan.params)).rowCount ?? 0;
    const rowsDeleted = await swapIn(client, scratch, scratchKey, definition, schema);
    return recordRefresh(client, target, schema, spec.refreshId, { rowsWritten, rowsDeleted });
  });
}
