/**
 * DDL and refreshes of dynamic tables (writer worker side). Each operation is one `BEGIN IMMEDIATE`
 * transaction, so readers (WAL) see the old contents until COMMIT and a killed process leaves the old
 * contents behind: SQLite's write-ahead log, not this code, is what makes a refresh atomic. A refresh with
 * publish guards is judged inside that transaction (see `sqlite-guards.ts`).
 */
import type { Database } from 'better-sqlite3';
import { FreshetError } from '../../errors';
import type { RefreshOutcome, RefreshSpec, TableDefinition, TableRef } from '../engine';
import type { GuardReport } from '../publish-guards';
import { BlockedResult, dropStagedOf, judgeWrite, stageBlocked } from './sqlite-guards';
import { forgetIncremental, releaseWithin } from './sqlite-incremental';
import { tableExists } from './sqlite-introspection';
import { forgetRefreshes, recordRefresh } from './sqlite-ledger';
import { INTERNAL_TABLE_PREFIX, createTableSql, qualifiedName, quoteIdentifier, refreshPlan } from './sqlite-sql';

export function createTable(db: Database, definition: TableDefinition): void {
  db.prepare(createTableSql(definition)).run();
}

/** Dropping a table that does not exist is not an error (a half-finished drop can be repeated). */
export function dropTable(db: Database, table: TableRef): void {
  db.transaction(() => {
    releaseWithin(db, table);
    forgetRefreshes(db, table);
    dropStagedOf(db, table);
    db.prepare(`DROP TABLE IF EXISTS ${qualifiedName(table)}`).run();
  }).immediate();
}

/**
 * Full or partition refresh: DELETE then INSERT … SELECT in one transaction. Counts come from the statements'
 * own change counts, so the refresh costs no more than the two statements themselves; the default publish guard
 * needs nothing more (the DELETE's count is what the table held). A result the guards block is rolled back and
 * staged.
 */
export function refreshTable(db: Database, spec: RefreshSpec): RefreshOutcome {
  const plan = refreshPlan(spec);
  const { guards } = spec;
  const remove = plan.deleteSql === null ? null : db.prepare(plan.deleteSql);
  const insert = db.prepare(plan.insertSql);
  const run = db.transaction((): RefreshOutcome => {
    // Rewritten another way, the table no longer matches its incremental watermark.
    forgetIncremental(db, spec.table);
    const rowsDeleted = remove === null ? 0 : remove.run(...plan.params).changes;
    const rowsWritten = insert.run(...plan.params).changes;
    if (guards === undefined) return recordRefresh(db, spec.table, spec.refreshId, { rowsDeleted, rowsWritten });
    const written = { into: spec.table, filter: plan.targetFilter, params: plan.params };
    const report = judgeWrite(db, guards, written, { rowsBefore: rowsDeleted, rowsWritten });
    if (report.blocked) throw new BlockedResult(report);
    const kept = rowsWritten - report.rowsDropped;
    return recordRefresh(db, spec.table, spec.refreshId, { rowsDeleted, rowsWritten: kept, guards: report });
  });
  try {
    return run.immediate();
  } catch (error) {
    if (!(error instanceof BlockedResult) || guards === undefined) throw error;
    return stageBlocked(db, spec, guards);
  }
}

/**
 * Replaces a table by a new definition filled by a full refresh: the replacement is built under a scratch
 * name, then the old table is dropped and the replacement renamed, all in one transaction (SQLite's DDL is
 * transactional). Indexes and triggers on the old table go with it.
 */
export function rebuildTable(db: Database, definition: TableDefinition, spec: RefreshSpec): RefreshOutcome {
  if (spec.partition !== null) {
    throw new FreshetError('INTERNAL', 'rebuildTable fills the whole new table; it cannot take a partition.');
  }
  const target = definition.table;
  const scratch: TableRef = { database: target.database, name: `${INTERNAL_TABLE_PREFIX}_rebuild_${target.name}` };
  const plan = refreshPlan(spec, scratch, true);
  const { guards } = spec;
  const run = db.transaction((): RefreshOutcome => {
    forgetIncremental(db, target);
    db.prepare(`DROP TABLE IF EXISTS ${qualifiedName(scratch)}`).run();
    db.prepare(createTableSql(definition, scratch)).run();
    let rowsWritten = db.prepare(plan.insertSql).run(...plan.params).changes;
    const exists = tableExists(db, target);
    const rowsDeleted = exists
      ? (db.prepare(`SELECT count(*) AS n FROM ${qualifiedName(target)}`).get() as { n: number }).n
      : 0;
    let report: GuardReport | undefined;
    if (guards !== undefined) {
      const written = { into: scratch, filter: null, params: [] };
      report = judgeWrite(db, guards, written, { rowsBefore: rowsDeleted, rowsWritten });
      if (report.blocked) throw new BlockedResult(report);
      rowsWritten -= report.rowsDropped;
    }
    if (exists) db.prepare(`DROP TABLE ${qualifiedName(target)}`).run();
    db.prepare(`ALTER TABLE ${qualifiedName(scratch)} RENAME TO ${quoteIdentifier(target.name)}`).run();
    const outcome: RefreshOutcome = { rowsWritten, rowsDeleted, ...(report === undefined ? {} : { guards: report }) };
    return recordRefresh(db, target, spec.refreshId, outcome);
  });
  // Modern ALTER TABLE … RENAME re-checks every view and trigger, and views reading the table fail that
  // check in the moment between DROP and RENAME; the legacy rename leaves them alone, and they resolve to
  // the new table once it has the old name.
  db.pragma('legacy_alter_table = ON');
  try {
    return run.immediate();
  } catch (error) {
    // A blocked rebuild is not staged: its new definition belongs to the ALTER that failed with it.
    if (error instanceof BlockedResult) return { rowsWritten: 0, rowsDeleted: 0, guards: error.report, staged: null };
    throw error;
  } finally {
    db.pragma('legacy_alter_table = OFF');
  }
}
