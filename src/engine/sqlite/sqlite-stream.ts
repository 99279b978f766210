/**
 * Streaming rows out of and into SQLite, for dynamic tables whose query runs on another catalog. Reading keeps
 * one cursor per connection and hands out one batch per call; loading stages rows in a private table, one
 * transaction per batch, and swaps them in with one final transaction.
 */
import type { Database } from 'better-sqlite3';
import type { ReadSpec, RefreshOutcome, RowBatch, TableDefinition, TableRef } from '../engine';
import { forgetIncremental } from './sqlite-incremental';
import { tableExists } from './sqlite-introspection';
import { recordRefresh } from './sqlite-ledger';
import { INTERNAL_TABLE_PREFIX, asSubquery, createTableSql, qualifiedName, quoteIdentifier } from './sqlite-sql';

const cursors = new WeakMap<Database, Iterator<unknown[]>>();

export function openCursor(db: Database, spec: Omit<ReadSpec, 'batchRows'>): null {
  closeCursor(db);
  const filters = Object.entries(spec.filter ?? {});
  const where =
    filters.length === 0
      ? ''
      : ` WHERE ${filters.map(([column]) => `src.${quoteIdentifier(column)} = ?`).join(' AND ')}`;
  const sql =
    `SELECT ${spec.columns.map((c) => `src.${quoteIdentifier(c)}`).join(', ')} FROM ` +
    `${asSubquery(spec.query)} AS src${where}`;
  cursors.set(
    db,
    db
      .prepare(sql)
      .raw(true)
      .iterate(...filters.map(([, value]) => value)) as Iterator<unknown[]>,
  );
  return null;
}

export function nextBatch(db: Database, size: number): { rows: RowBatch; done: boolean } {
  const cursor = cursors.get(db);
  if (!cursor) return { rows: [], done: true };
  const rows: unknown[][] = [];
  while (rows.length < size) {
    const next = cursor.next();
    if (next.done) {
      cursors.delete(db);
      return { rows, done: true };
    }
    rows.push(next.value);
  }
  return { rows, done: false };
}

export function closeCursor(db: Database): null {
  cursors.get(db)?.return?.();
  cursors.delete(db);
  return null;
}

/** The private table rows are staged in before they replace a table's contents. */
export function stageOf(table: TableRef): TableRef {
  return { database: table.database, name: `${INTERNAL_TABLE_PREFIX}_stage_${table.name}` };
}

export function createStage(db: Database, definition: TableDefinition): null {
  const stage = stageOf(definition.table);
  db.prepare(`DROP TABLE IF EXISTS ${qualifiedName(stage)}`).run();
  // The stage has the table's own definition, primary key included: a duplicate fails while staging, with the
  // table untouched, and a whole-table swap is a rename.
  db.prepare(createTableSql(definition, stage)).run();
  return null;
}

/** Values from other engines, as SQLite can bind them. */
function bindable(value: unknown): unknown {
  if (value === null || value === undefined) return null;
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (value instanceof Date) return value.toISOString();
  if (value instanceof Uint8Array) return Buffer.from(value);
  if (typeof value === 'object') return JSON.stringify(value);
  return value;
}

export function insertStage(db: Database, table: TableRef, columns: readonly string[], rows: RowBatch): number {
  const stage = stageOf(table);
  const insert = db.prepare(
    `INSERT INTO ${qualifiedName(stage)} (${columns.map(quoteIdentifier).join(', ')}) VALUES ` +
      `(${columns.map(() => '?').join(', ')})`,
  );
  const load = db.transaction(() => {
    for (const row of rows) insert.run(...row.map(bindable));
  });
  load.immediate();
  return rows.length;
}

/** Puts the staged rows in place in one transaction: the whole table (rename) or one partition (delete + copy). */
export function swapStage(
  db: Database,
  definition: TableDefinition,
  partition: Readonly<Record<string, string>> | null,
  refreshId?: string,
): RefreshOutcome {
  const target = definition.table;
  const stage = stageOf(target);
  const rowsWritten = (db.prepare(`SELECT count(*) AS n FROM ${qualifiedName(stage)}`).get() as { n: number }).n;
  if (partition !== null) {
    const filters = Object.entries(partition);
    const where = ` WHERE ${filters.map(([column]) => `${quoteIdentifier(column)} = ?`).join(' AND ')}`;
    const values = filters.map(([, value]) => value);
    const columns = definition.columns.map((c) => quoteIdentifier(c.name)).join(', ');
    const swap = db.transaction((): RefreshOutcome => {
      forgetIncremental(db, target);
      const rowsDeleted = db.prepare(`DELETE FROM ${qualifiedName(target)}${where}`).run(...values).changes;
      db.prepare(
        `INSERT INTO ${qualifiedName(target)} (${columns}) SELECT ${columns} FROM ${qualifiedName(stage)}`,
      ).run();
      db.prepare(`DROP TABLE ${qualifiedName(stage)}`).run();
      return recordRefresh(db, target, refreshId, { rowsWritten, rowsDeleted });
    });
    return swap.immediate();
  }
  const swap = db.transaction((): RefreshOutcome => {
    forgetIncremental(db, target);
    let rowsDeleted = 0;
    if (tableExists(db, target)) {
      rowsDeleted = (db.prepare(`SELECT count(*) AS n FROM ${qualifiedName(target)}`).get() as { n: number }).n;
      db.prepare(`DROP TABLE ${qualifiedName(target)}`).run();
    }
    db.prepare(`ALTER TABLE ${qualifiedName(stage)} RENAME TO ${quoteIdentifier(target.name)}`).run();
    return recordRefresh(db, target, refreshId, { rowsWritten, rowsDeleted });
  });
  db.pragma('legacy_alter_table = ON');
  try {
    return swap.immediate();
  } finally {
    db.pragma('legacy_alter_table = OFF');
  }
}

export function dropStage(db: Database, table: TableRef): null {
  db.prepare(`DROP TABLE IF EXISTS ${qualifiedName(stageOf(table))}`).run();
  return null;
}
