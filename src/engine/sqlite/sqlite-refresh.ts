/**
 * DDL and refreshes of dynamic tables (writer worker side). Each operation is one `BEGIN IMMEDIATE`
 * transaction, so readers (WAL) see the old contents until COMMIT and a killed process leaves the old
 * contents behind: SQLite's write-ahead log, not this code, is what makes a refresh atomic.
 */
import type { Database } from 'better-sqlite3';
import { FreshetError } from '../../errors';
import type { RefreshOutcome, RefreshSpec, TableDefinition, TableRef } from '../engine';
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
    db.prepare(`DROP TABLE IF EXISTS ${qualifiedName(table)}`).run();
  }).immediate();
}

/**
 * Full or partition refresh: DELETE then INSERT … SELECT in one transaction. Counts come from the statements'
 * own change counts, so the refresh costs no more than the two statements themselves.
 */
export function refreshTable(db: Database, spec: RefreshSpec): RefreshOutcome {
  const plan = refreshPlan(spec);
  const remove = plan.deleteSql === null ? null : db.prepare(plan.deleteSql);
  const insert = db.prepare(plan.insertSql);
  const run = db.transaction((): RefreshOutcome => {
    // Rewritten another way, the table no longer matches its incremental watermark.
    forgetIncremental(db, spec.table);
    const rowsDeleted = remove === null ? 0 : remove.run(...plan.params).changes;
    const rowsWritten = insert.run(...plan.params).changes;
    return recordRefresh(db, spec.table, spec.refreshId, { rowsDeleted, rowsWritten });
  });
  return run.immediate();
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
  const run = db.transaction((): RefreshOutcome => {
    forgetIncremental(db, target);
    db.prepare(`DROP TABLE IF EXISTS ${qualifiedName(scratch)}`).run();
    db.prepare(createTableSql(definition, scratch)).run();
    const rowsWritten = db.prepare(plan.insertSql).run(...plan.params).changes;
    let rowsDeleted = 0;
    if (tableExists(db, target)) {
      rowsDeleted = (db.prepare(`SELECT count(*) AS n FROM ${qualifiedName(target)}`).get() as { n: number }).n;
      db.prepare(`DROP TABLE ${qualifiedName(target)}`).run();
    }
    db.prepare(`ALTER TABLE ${qualifiedName(scratch)} RENAME TO ${quoteIdentifier(target.name)}`).run();
    return recordRefresh(db, target, spec.refreshId, { rowsWritten, rowsDeleted });
  });
  // Modern ALTER TABLE … RENAME re-checks every view and trigger, and views reading the table fail that
  // check in the moment between DROP and RENAME; the legacy rename leaves them alone, and they resolve to
  // the new table once it has the old name.
  db.pragma('legacy_alter_table = ON');
  try {
    return run.immediate();
  } finally {
    db.pragma('legacy_alter_table = OFF');
  }
}
