/**
 * Streaming rows out of and into SQLite, for dynamic tables whose query runs on another catalog. Reading keeps
 * one cursor per connection and hands out one batch per call; loading stages rows in a private table, one
 * transaction per batch, and swaps them in with one final transaction.
 */
import type { Database } from 'better-sqlite3';
import type { ReadSpec, RefreshOutcome, RowBatch, TableDefinition, TableRef } from '../engine';
import { type WrittenRows, withReport } from '../guard-audit';
import { stagedTableOf } from './sqlite-guards';
import type { GuardReport, PublishGuards } from '../publish-guards';
import { countRows, judgeWritten } from './sqlite-guard-audit';
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

/** The rows of the target a load replaces: the whole table, or its partition. */
function replacedRows(target: TableRef, partition: Readonly<Record<string, string>> | null): WrittenRows {
  const filters = Object.entries(partition ?? {});
  const where = filters.length === 0 ? null : filters.map(([column]) => `${quoteIdentifier(column)} = ?`).join(' AND ');
  return { table: qualifiedName(target), where, params: filters.map(([, value]) => value) };
}

/**
 * Judges the staged rows before they replace the table's: DROP ROW expectations remove rows from the stage. A
 * blocked result stays where it is, renamed to a staged result; returns the outcome then, else the report.
 */
function judgeStage(
  db: Database,
  target: TableRef,
  partition: Readonly<Record<string, string>> | null,
  guards: PublishGuards,
  rowsWritten: number,
  refreshId: string | undefined,
): RefreshOutcome | GuardReport {
  const stage = stageOf(target);
  const exists = partition !== null || tableExists(db, target);
  const rowsBefore = exists ? countRows(db, replacedRows(target, partition)) : 0;
  const rows = { table: qualifiedName(stage), where: null, params: [] };
  const report = judgeWritten(db, guards, rows, { rowsBefore, rowsWritten });
  if (!report.blocked) return report;
  const staged = stagedTableOf(target, refreshId).name;
  db.prepare(`DROP TABLE IF EXISTS ${qualifiedName({ database: target.database, name: staged })}`).run();
  db.prepare(`ALTER TABLE ${qualifiedName(stage)} RENAME TO ${quoteIdentifier(staged)}`).run();
  return { rowsWritten: rowsWritten - report.rowsDropped, rowsDeleted: 0, guards: report, staged };
}

/**
 * Puts the staged rows in place in one transaction: the whole table (rename) or one partition (delete + copy).
 * With guards, the staged rows are judged first (see {@link judgeStage}).
 */
export function swapStage(
  db: Database,
  definition: TableDefinition,
  partition: Readonly<Record<string, string>> | null,
  refreshId?: string,
  guards?: PublishGuards,
): RefreshOutcome {
  const target = definition.table;
  const stage = stageOf(target);
  const staged = (db.prepare(`SELECT count(*) AS n FROM ${qualifiedName(stage)}`).get() as { n: number }).n;
  const judged = (): { report?: GuardReport; blocked?: RefreshOutcome } => {
    if (guards === undefined) return {};
    const verdict = judgeStage(db, target, partition, guards, staged, refreshId);
    return 'blocked' in verdict ? { report: verdict } : { blocked: verdict };
  };
  if (partition !== null) {
    const replaced = replacedRows(target, partition);
    const columns = definition.columns.map((c) => quoteIdentifier(c.name)).join(', ');
    const swap = db.transaction((): RefreshOutcome => {
      const { report, blocked } = judged();
      if (blocked !== undefined) return blocked;
      forgetIncremental(db, target);
      const rowsDeleted = db
        .prepare(`DELETE FROM ${replaced.table} WHERE ${replaced.where}`)
        .run(...replaced.params).changes;
      const rowsWritten = db
        .prepare(`INSERT INTO ${qualifiedName(target)} (${columns}) SELECT ${columns} FROM ${qualifiedName(stage)}`)
        .run().changes;
      db.prepare(`DROP TABLE ${qualifiedName(stage)}`).run();
      return recordRefresh(db, target, refreshId, withReport({ rowsWritten, rowsDeleted }, report));
    });
    return swap.immediate();
  }
  const swap = db.transaction((): RefreshOutcome => {
    const { report, blocked } = judged();
    if (blocked !== undefined) return blocked;
    forgetIncremental(db, target);
    let rowsDeleted = 0;
    if (tableExists(db, target)) {
      rowsDeleted = (db.prepare(`SELECT count(*) AS n FROM ${qualifiedName(target)}`).get() as { n: number }).n;
      db.prepare(`DROP TABLE ${qualifiedName(target)}`).run();
    }
    db.prepare(`ALTER TABLE ${qualifiedName(stage)} RENAME TO ${quoteIdentifier(target.name)}`).run();
    const rowsWritten = staged - (report?.rowsDropped ?? 0);
    return recordRefresh(db, target, refreshId, withReport({ rowsWritten, rowsDeleted }, report));
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
