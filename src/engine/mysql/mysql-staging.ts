/**
 * Publish guards on MySQL (see `publish-guards.ts`): judging a result before it is committed or swapped in, and
 * keeping a blocked result in `__freshet_staged_<hash>` next to its table until an operator publishes it (rows
 * copied in one transaction and recorded in the ledger, or the table replaced by one RENAME TABLE when its
 * definition differs) or discards it.
 */
import type { Pool } from 'mysql2/promise';
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
import { describeTable } from './mysql-introspection';
import { ensureLedger, recordRefresh } from './mysql-ledger';
import { type Queryable, run, transactionOn, withConnection } from './mysql-pool';
import { MYSQL_SQL, type Statement, qualifiedName, quoteIdentifier, refreshPlan } from './mysql-sql';
import { swapIn } from './mysql-swap';

const sql = (text: string): Statement => ({ sql: text, client: null });

/** Longest a publish waits for another publish of the same result (seconds). */
const PUBLISH_LOCK_WAIT_SECONDS = 60;

/** Applies DROP ROW expectations to `rows` and judges the result (inside its transaction where it has one). */
export function judgeWritten(
  db: Queryable,
  guards: PublishGuards,
  rows: WrittenRows,
  counts: { readonly rowsBefore: RowsBefore; readonly rowsWritten: number },
): Promise<GuardReport> {
  return runGuardAudit(guardAudit(guards, quoteIdentifier, rows, counts), {
    change: async (statement) => (await run(db, sql(statement.sql), statement.params)).header?.affectedRows ?? 0,
    row: async (statement) => (await run(db, sql(statement.sql), statement.params)).rows[0],
  });
}

/** Every row of a table, as {@link WrittenRows}. */
export const wholeTable = (table: TableRef, database: string): WrittenRows => ({
  table: qualifiedName(table, database),
  where: null,
  params: [],
});

export async function countRows(db: Queryable, rows: WrittenRows): Promise<number> {
  return Number((await run<{ n: unknown }>(db, countSql(rows.table, rows.where), rows.params)).rows[0]?.n ?? 0);
}

/** Keeps a judged replacement (a rebuild's scratch table, a stage of streamed rows) as a staged result. */
export async function keepAsStaged(
  db: Queryable,
  table: TableRef,
  refreshId: string | undefined,
  database: string,
): Promise<string> {
  const staged: TableRef = { database: table.database, name: stagedTableName(refreshId) };
  await run(db, sql(`DROP TABLE IF EXISTS ${qualifiedName(staged, database)}`));
  await run(db, sql(`RENAME TABLE ${qualifiedName(table, database)} TO ${qualifiedName(staged, database)}`));
  return staged.name;
}

/**
 * After a blocked refresh rolled back: computes the result again into a staged table with the table's definition
 * (`CREATE TABLE … LIKE`), judges it, and keeps it for an operator. A result that passes this time (the sources
 * changed in between) is published at once.
 */
export async function stageResult(
  pool: Pool,
  spec: RefreshSpec,
  guards: PublishGuards,
  database: string,
): Promise<RefreshOutcome> {
  const staged: TableRef = { database: spec.table.database, name: stagedTableName(spec.refreshId) };
  const stagedName = qualifiedName(staged, database);
  const plan = refreshPlan(spec, database, staged, true);
  await run(pool, sql(`DROP TABLE IF EXISTS ${stagedName}`));
  await run(pool, sql(`CREATE TABLE ${stagedName} LIKE ${qualifiedName(spec.table, database)}`));
  let outcome: RefreshOutcome;
  try {
    const rowsWritten = (await run(pool, plan.insert, plan.params)).header?.affectedRows ?? 0;
    const rowsBefore = await countRows(pool, refreshPlan(spec, database).written);
    const report = await judgeWritten(pool, guards, wholeTable(staged, database), { rowsBefore, rowsWritten });
    if (!report.blocked) return { ...(await publishStaged(pool, spec, staged.name, database)), guards: report };
    outcome = { rowsWritten: rowsWritten - report.rowsDropped, rowsDeleted: 0, guards: report, staged: staged.name };
  } catch (error) {
    await run(pool, sql(`DROP TABLE IF EXISTS ${stagedName}`)).catch(() => undefined);
    throw error;
  }
  return outcome;
}

/**
 * {@link StagedResults.publish}. Publishes of one result take turns (a named lock), so the second finds it gone:
 * INVALID_STATE. A whole table with the staged table's definition, or a partition, gets the staged rows in one
 * transaction with its ledger row (its grants, indexes and triggers stay); a table whose definition differs (a
 * blocked rebuild) is replaced by the staged table with one RENAME TABLE, its ledger row right after.
 */
export async function publishStaged(
  pool: Pool,
  spec: RefreshSpec,
  staged: string,
  database: string,
): Promise<RefreshOutcome> {
  checkStagedName(staged);
  await ensureLedger(pool, database, spec.refreshId);
  const stagedTable: TableRef = { database: spec.table.database, name: staged };
  const from = qualifiedName(stagedTable, database);
  const lock = `freshet_${staged}`;
  return withConnection(pool, async (connection, discard) => {
    await run(connection, sql('SELECT GET_LOCK(?, ?)'), [lock, PUBLISH_LOCK_WAIT_SECONDS]);
    try {
      const definition = await describeTable(connection, stagedTable, database);
      if (definition === null) throw stagedResultGone(staged);
      const current = await describeTable(connection, spec.table, database);
      if (spec.partition === null && (current === null || !sameDefinition(current, definition))) {
        const rowsWritten = await countRows(connection, wholeTable(stagedTable, database));
        const rowsDeleted = await swapIn(connection, stagedTable, spec.table, database);
        return await recordRefresh(connection, spec.table, database, spec.refreshId, { rowsWritten, rowsDeleted });
      }
      const plan = refreshPlan(spec, database);
      const copy = copyRowsSql(MYSQL_SQL, from, qualifiedName(spec.table, database), definition.columns);
      const outcome = await transactionOn(
        connection,
        async () => {
          const deleted = plan.delete === null ? null : await run(connection, plan.delete, plan.params);
          const rowsWritten = (await run(connection, copy)).header?.affectedRows ?? 0;
          const written = { rowsWritten, rowsDeleted: deleted?.header?.affectedRows ?? 0 };
          return {
            value: await recordRefresh(connection, spec.table, database, spec.refreshId, written),
            commit: true,
          };
        },
        discard,
      );
      // DDL commits by itself: after the rows are in place. A publish stopped in between published; the leftover
      // table is published again (to the same rows) by a retry, or dropped by a discard.
      await run(connection, sql(`DROP TABLE IF EXISTS ${from}`));
      return outcome;
    } finally {
      await run(connection, sql('SELECT RELEASE_LOCK(?)'), [lock]).catch(discard);
    }
  });
}

/** {@link StagedResults.discard}: drops the staged table; one already gone is fine. */
export async function discardStaged(pool: Pool, table: TableRef, staged: string, database: string): Promise<void> {
  checkStagedName(staged);
  await run(pool, sql(`DROP TABLE IF EXISTS ${qualifiedName({ database: table.database, name: staged }, database)}`));
}
