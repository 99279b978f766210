/**
 * Publish guards on PostgreSQL (see `publish-guards.ts`): judging a result inside the transaction that wrote it,
 * and keeping a blocked result in `__freshet_staged_<hash>` next to its table until an operator publishes it
 * (which puts it in place in one transaction, recorded in the ledger like a refresh) or discards it.
 */
import { MissingTableError } from '../../errors';
import type { RefreshOutcome, RefreshSpec, TableRef } from '../engine';
import {
  type RowsBefore,
  type WrittenRows,
  checkStagedName,
  guardAudit,
  runGuardAudit,
  stagedResultGone,
  stagedTableName,
} from '../guard-audit';
import type { GuardReport, PublishGuards } from '../publish-guards';
import { copyRowsSql, countSql, sameDefinition } from '../server-sql';
import type { PgPool, PgPoolClient } from './postgres-driver';
import { forgetIncremental } from './postgres-incremental-state';
import { describeTable } from './postgres-introspection';
import { ensureLedger, recordRefresh } from './postgres-ledger';
import { inTransaction, run } from './postgres-pool';
import { POSTGRES_SQL, type Statement, qualifiedName, quoteIdentifier, refreshPlan } from './postgres-sql';
import { renameTable, swapIn } from './postgres-swap';

const sql = (text: string): Statement => ({ sql: text, client: null });

/** Inside the transaction that wrote `rows`: applies DROP ROW expectations and judges the result. */
export function judgeWritten(
  client: PgPoolClient,
  guards: PublishGuards,
  rows: WrittenRows,
  counts: { readonly rowsBefore: RowsBefore; readonly rowsWritten: number },
): Promise<GuardReport> {
  return runGuardAudit(guardAudit(guards, quoteIdentifier, rows, counts), {
    change: async (statement) => (await run(client, sql(statement.sql), statement.params)).rowCount ?? 0,
    row: async (statement) => (await run(client, sql(statement.sql), statement.params)).rows[0],
  });
}

/** Every row of a table, as {@link WrittenRows}. */
export const wholeTable = (table: TableRef, schema: string): WrittenRows => ({
  table: qualifiedName(table, schema),
  where: null,
  params: [],
});

/** Rows of `rows` (the table, or its partition), counted. */
export async function countRows(client: PgPoolClient, rows: WrittenRows): Promise<number> {
  return Number((await run<{ n: unknown }>(client, countSql(rows.table, rows.where), rows.params)).rows[0]?.n ?? 0);
}

/**
 * Inside the caller's transaction: keeps a judged replacement (a rebuild's scratch table, a stage of streamed
 * rows) as the staged result of `refreshId`, its primary key renamed with it. Returns the staged name.
 */
export async function keepAsStaged(
  client: PgPoolClient,
  table: TableRef,
  key: string,
  primaryKey: readonly string[] | null,
  refreshId: string | undefined,
  schema: string,
): Promise<string> {
  const staged = stagedTableName(refreshId);
  await run(client, sql(`DROP TABLE IF EXISTS ${qualifiedName({ database: table.database, name: staged }, schema)}`));
  await renameTable(client, table, key, primaryKey, staged, schema);
  return staged;
}

/**
 * After a blocked refresh rolled back: computes the result again into a staged table with the table's definition,
 * judges it, and keeps it for an operator. A result that passes this time (the sources changed in between) is
 * published at once, in the same transaction.
 */
export async function stageResult(
  pool: PgPool,
  spec: RefreshSpec,
  guards: PublishGuards,
  schema: string,
): Promise<RefreshOutcome> {
  const staged: TableRef = { database: spec.table.database, name: stagedTableName(spec.refreshId) };
  const stagedName = qualifiedName(staged, schema);
  const plan = refreshPlan(spec, schema, staged, true);
  const current = refreshPlan(spec, schema).written;
  await ensureLedger(pool, schema, spec.refreshId);
  return inTransaction(pool, async (client) => {
    await run(client, sql(`DROP TABLE IF EXISTS ${stagedName}`));
    // Its primary key is named <staged>_pkey, which a later swap renames to the table's own.
    await run(client, sql(`CREATE TABLE ${stagedName} (LIKE ${qualifiedName(spec.table, schema)} INCLUDING ALL)`));
    const rowsWritten = (await run(client, plan.insert, plan.params)).rowCount ?? 0;
    const rowsBefore = await countRows(client, current);
    const report = await judgeWritten(client, guards, wholeTable(staged, schema), { rowsBefore, rowsWritten });
    if (!report.blocked) return { ...(await publishWithin(client, spec, staged.name, schema)), guards: report };
    return { rowsWritten: rowsWritten - report.rowsDropped, rowsDeleted: 0, guards: report, staged: staged.name };
  });
}

/**
 * Inside the caller's transaction: puts a staged result in place and records the refresh. A whole table with the
 * staged table's definition gets its rows (DELETE + INSERT, so its grants, indexes and dependent views stay); one
 * whose definition differs (a blocked rebuild) is replaced by the staged table; a partition gets its rows.
 */
async function publishWithin(
  client: PgPoolClient,
  spec: RefreshSpec,
  staged: string,
  schema: string,
): Promise<RefreshOutcome> {
  const stagedTable: TableRef = { database: spec.table.database, name: staged };
  const from = qualifiedName(stagedTable, schema);
  try {
    // A publish or discard of the same result running meanwhile waits here, and then finds it gone.
    await run(client, sql(`LOCK TABLE ${from} IN ACCESS EXCLUSIVE MODE`));
  } catch (error) {
    if (error instanceof MissingTableError) throw stagedResultGone(staged);
    throw error;
  }
  const definition = await describeTable(client, stagedTable, schema);
  if (definition === null) throw stagedResultGone(staged);
  await forgetIncremental(client, spec.table, schema);
  const current = await describeTable(client, spec.table, schema);
  let outcome: RefreshOutcome;
  if (spec.partition === null && (current === null || !sameDefinition(current, definition))) {
    const rowsWritten = await countRows(client, wholeTable(stagedTable, schema));
    const table = { table: spec.table, ...definition };
    outcome = { rowsWritten, rowsDeleted: await swapIn(client, stagedTable, `${staged}_pkey`, table, schema) };
  } else {
    const plan = refreshPlan(spec, schema);
    const rowsDeleted = plan.delete === null ? 0 : ((await run(client, plan.delete, plan.params)).rowCount ?? 0);
    const copy = copyRowsSql(POSTGRES_SQL, from, qualifiedName(spec.table, schema), definition.columns);
    const rowsWritten = (await run(client, copy)).rowCount ?? 0;
    await run(client, sql(`DROP TABLE ${from}`));
    outcome = { rowsWritten, rowsDeleted };
  }
  return recordRefresh(client, spec.table, schema, spec.refreshId, outcome);
}

/** {@link StagedResults.publish}: one transaction; INVALID_STATE when the staged result is gone. */
export async function publishStaged(
  pool: PgPool,
  spec: RefreshSpec,
  staged: string,
  schema: string,
): Promise<RefreshOutcome> {
  checkStagedName(staged);
  await ensureLedger(pool, schema, spec.refreshId);
  return inTransaction(pool, (client) => publishWithin(client, spec, staged, schema));
}

/** {@link StagedResults.discard}: drops the staged table; one already gone is fine. */
export async function discardStaged(pool: PgPool, table: TableRef, staged: string, schema: string): Promise<void> {
  checkStagedName(staged);
  await run(pool, sql(`DROP TABLE IF EXISTS ${qualifiedName({ database: table.database, name: staged }, schema)}`));
}
