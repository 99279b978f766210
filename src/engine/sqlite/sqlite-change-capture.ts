/**
 * Change capture for SQLite source tables (worker side): triggers append every INSERT, UPDATE and DELETE of a
 * source table in `main` to its changelog, `__freshet_changes_<table>`, which continuous dynamic tables read
 * from their watermark on. Capture is per source table and shared by every dynamic table that reads it; the
 * caller installs it for the first such table and removes it after the last.
 *
 * Changelog rows carry `__change_id` (the order of the changes), `__op` (`I` or `D`) and then one column per
 * source column, same names, same order. An UPDATE is logged as a `D` of the old row followed by an `I` of the
 * new one, so consumers only ever apply inserts and deletes; an UPDATE that leaves every column as it was is
 * not logged at all.
 *
 * Change ids must never be reused while the changelog exists, or a stored watermark would skip changes. They
 * are a plain `INTEGER PRIMARY KEY` (the rowid, which VACUUM keeps), not AUTOINCREMENT: AUTOINCREMENT would
 * guarantee that by itself but rewrites `sqlite_sequence` on every captured row, a large part of the capture's
 * cost. A plain rowid is one more than the highest id present, so it would hand out pruned ids again once the
 * newest changes were deleted; {@link pruneChanges} therefore always keeps the newest change. Its id then stays
 * the high-water mark, which is what {@link currentChangeId} returns, and a watermark taken before pruning is
 * never reached again by a new change. As SQLite has one writer at a time, ids also follow commit order; the
 * ids of a rolled-back transaction are handed out again, which is harmless since nobody saw them.
 *
 * A changelog of an earlier layout (with a `__captured_at` column and AUTOINCREMENT ids) is reported by
 * {@link captureMismatch} like a changed source: the caller removes and reinstalls capture and refreshes fully.
 *
 * Because the triggers live in the database schema, writes from every connection are captured, including
 * other processes. One exception: rows that `INSERT OR REPLACE` (or `REPLACE`) deletes to resolve a conflict
 * fire delete triggers only on connections with `PRAGMA recursive_triggers = ON`; every connection that may
 * write a captured table with REPLACE must set it, or the replaced row's `D` is missing from the changelog.
 *
 * Changes to the source table's schema after installation:
 * - `ADD COLUMN`: the new column would not be captured, so {@link captureMismatch} reports it and
 *   {@link readChanges} refuses to read; the caller removes and reinstalls capture and refreshes fully.
 * - `RENAME COLUMN`: SQLite rewrites the triggers, so values are still captured, but under the old column
 *   name in the changelog; reported as a mismatch the same way.
 * - `DROP COLUMN` of a captured column: SQLite itself refuses it while the triggers reference the column, so a
 *   pass-through ALTER TABLE of a captured table runs through {@link acrossSchemaChange}, which sets them aside.
 * - `RENAME TO`: the triggers follow the table but the changelog keeps the old name; capture for the new name
 *   reads as not installed, and the old changelog must be removed under the old name.
 * - `DROP TABLE`: SQLite drops the triggers with the table; the changelog stays until {@link removeCapture}.
 */
import type { Database } from 'better-sqlite3';
import { invalidState, validationError } from '../../errors';
import { INTERNAL_TABLE_PREFIX, quoteIdentifier } from './sqlite-sql';

/** One captured change: `I` a row that appeared, `D` a row that went away. */
export interface CapturedChange {
  readonly changeId: number;
  readonly op: 'I' | 'D';
  /** The row's values in the source table's column order (at installation time). */
  readonly row: unknown[];
}

const CHANGE_ID = '__change_id';
const OP = '__op';
const META_COLUMNS = [CHANGE_ID, OP];

const TRIGGER_KINDS = ['insert', 'update', 'delete'] as const;

/** The changelog table of a source table (in `main`). */
export function changelogName(table: string): string {
  return `${INTERNAL_TABLE_PREFIX}_changes_${table}`;
}

function triggerName(table: string, kind: (typeof TRIGGER_KINDS)[number]): string {
  return `${INTERNAL_TABLE_PREFIX}_capture_${kind}_${table}`;
}

const main = (name: string) => `main.${quoteIdentifier(name)}`;

function objectExists(db: Database, type: 'table' | 'trigger', name: string): boolean {
  return db.prepare('SELECT 1 FROM main.sqlite_schema WHERE type = ? AND name = ?').get(type, name) !== undefined;
}

interface ColumnInfo {
  readonly name: string;
  readonly type: string;
  readonly notnull: number;
}

/** Columns whose values a row has, generated ones included (hidden 2 and 3), virtual-table hidden ones not. */
function columnInfoOf(db: Database, table: string): ColumnInfo[] {
  return db
    .prepare(`SELECT name, type, "notnull" FROM pragma_table_xinfo(?, 'main') WHERE hidden IN (0, 2, 3) ORDER BY cid`)
    .all(table) as ColumnInfo[];
}

function columnsOf(db: Database, table: string): string[] {
  return columnInfoOf(db, table).map((column) => column.name);
}

function changelogColumns(db: Database, table: string): string[] {
  return columnsOf(db, changelogName(table)).slice(META_COLUMNS.length);
}

/**
 * Whether the changelog of `table` was laid out by an earlier version. This version declares its data columns
 * without type or constraint; the earlier layout had `__captured_at INTEGER NOT NULL` among them, which a
 * source column of that name can never look like here.
 */
function olderLayout(db: Database, table: string): boolean {
  const data = columnInfoOf(db, changelogName(table)).slice(META_COLUMNS.length);
  return data.some((column) => column.type !== '' || column.notnull !== 0);
}

const olderLayoutProblem = (table: string) =>
  `Change capture of ${quoteIdentifier(table)} was installed by an older version of Freshet`;

// Rows are appended with the same INSERT whichever trigger fires; `prefix` is NEW or OLD.
function appendSql(table: string, columns: readonly string[], op: 'I' | 'D', prefix: 'NEW' | 'OLD'): string {
  const targets = [OP, ...columns].map(quoteIdentifier).join(', ');
  const values = columns.map((column) => `${prefix}.${quoteIdentifier(column)}`).join(', ');
  // Unqualified: SQLite forbids qualified names in a trigger body and resolves them in the trigger's own schema.
  return `INSERT INTO ${quoteIdentifier(changelogName(table))} (${targets}) VALUES ('${op}', ${values});`;
}

function triggerSql(table: string, columns: readonly string[], kind: (typeof TRIGGER_KINDS)[number]): string {
  const head =
    `CREATE TRIGGER ${main(triggerName(table, kind))} AFTER ${kind.toUpperCase()} ON ` +
    `${quoteIdentifier(table)} FOR EACH ROW`;
  if (kind === 'insert') return `${head} BEGIN ${appendSql(table, columns, 'I', 'NEW')} END`;
  if (kind === 'delete') return `${head} BEGIN ${appendSql(table, columns, 'D', 'OLD')} END`;
  // IS NOT compares NULLs and storage classes exactly, so only an UPDATE that really changed a value is logged.
  const changed = columns
    .map((column) => `OLD.${quoteIdentifier(column)} IS NOT NEW.${quoteIdentifier(column)}`)
    .join(' OR ');
  return `${head} WHEN ${changed} BEGIN ${appendSql(table, columns, 'D', 'OLD')} ${appendSql(table, columns, 'I', 'NEW')} END`;
}

function sameColumns(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((name, i) => name === b[i]);
}

const columnList = (columns: readonly string[]) => `(${columns.join(', ')})`;

/**
 * Installs capture on `table` (a table in `main`): creates its changelog and the three triggers, in one
 * transaction (a savepoint when the caller already holds one). Idempotent: installing again keeps the
 * changelog and its rows and recreates the triggers, which also repairs a trigger dropped by hand.
 * Throws VALIDATION_ERROR when the table does not exist, is a view, is one of Freshet's own tables or has a
 * column whose name the changelog reserves; INVALID_STATE when capture is installed for a different column set
 * than the table has now, or by an earlier version (see the module comment).
 */
export function installCapture(db: Database, table: string): void {
  db.transaction(() => {
    if (table.startsWith(INTERNAL_TABLE_PREFIX)) {
      throw validationError(`Cannot capture changes of ${quoteIdentifier(table)}: it is one of Freshet's own tables.`);
    }
    if (!objectExists(db, 'table', table)) {
      throw validationError(
        `Cannot capture changes of ${quoteIdentifier(table)}: there is no such table in main (views cannot be ` +
          `captured).`,
      );
    }
    const columns = columnsOf(db, table);
    const reserved = columns.filter((column) => META_COLUMNS.includes(column.toLowerCase()));
    if (reserved.length > 0) {
      throw validationError(
        `Cannot capture changes of ${quoteIdentifier(table)}: its column ${quoteIdentifier(reserved[0] ?? '')} ` +
          `has a name the changelog reserves (${META_COLUMNS.join(', ')}); rename the column.`,
      );
    }
    if (objectExists(db, 'table', changelogName(table))) {
      if (olderLayout(db, table))
        throw invalidState(`${olderLayoutProblem(table)}; remove capture and install it again.`);
      const logged = changelogColumns(db, table);
      if (!sameColumns(logged, columns)) {
        throw invalidState(
          `Change capture of ${quoteIdentifier(table)} was installed for columns ${columnList(logged)} but the ` +
            `table now has ${columnList(columns)}; remove capture and install it again.`,
        );
      }
    } else {
      // A rowid alias, not AUTOINCREMENT; pruneChanges keeps ids from being reused (see the module comment).
      // `__op` has no CHECK: only the triggers write it, always a literal 'I' or 'D', and a CHECK would be
      // evaluated again for every captured row.
      const data = columns.map(quoteIdentifier).join(', ');
      db.exec(
        `CREATE TABLE ${main(changelogName(table))} (` +
          `${quoteIdentifier(CHANGE_ID)} INTEGER PRIMARY KEY, ${quoteIdentifier(OP)} TEXT NOT NULL, ` +
          // Data columns have no declared type, so no affinity: values are kept exactly as the source held them.
          `${data})`,
      );
    }
    for (const kind of TRIGGER_KINDS) {
      db.exec(`DROP TRIGGER IF EXISTS ${main(triggerName(table, kind))}`);
      db.exec(triggerSql(table, columns, kind));
    }
  })();
}

/**
 * Removes capture from `table`: drops its triggers and its changelog with every change in it. A no-op when
 * nothing is installed; works also after the source table itself was dropped. Change ids start again from 1
 * after a later reinstall, so no watermark taken before removal may be used afterwards.
 */
export function removeCapture(db: Database, table: string): void {
  db.transaction(() => {
    for (const kind of TRIGGER_KINDS) db.exec(`DROP TRIGGER IF EXISTS ${main(triggerName(table, kind))}`);
    db.exec(`DROP TABLE IF EXISTS ${main(changelogName(table))}`);
  })();
}

/**
 * Runs `change`, which alters the columns of `table`, in one transaction with what keeps capture of `table`
 * honest: its triggers are dropped first (SQLite refuses to drop a column they name) and put back only when they
 * were all there and the columns came out as the changelog records them. Otherwise the changelog stays as it
 * was and {@link captureMismatch} names the changed columns, so that the next reader refreshes fully and installs
 * capture anew.
 */
export function acrossSchemaChange<T>(db: Database, table: string, change: () => T): T {
  return db.transaction(() => {
    const hadTriggers = TRIGGER_KINDS.every((kind) => objectExists(db, 'trigger', triggerName(table, kind)));
    for (const kind of TRIGGER_KINDS) db.exec(`DROP TRIGGER IF EXISTS ${main(triggerName(table, kind))}`);
    const result = change();
    const columns = objectExists(db, 'table', table) ? columnsOf(db, table) : null;
    if (hadTriggers && columns !== null && sameColumns(changelogColumns(db, table), columns)) {
      for (const kind of TRIGGER_KINDS) db.exec(triggerSql(table, columns, kind));
    }
    return result;
  })();
}

/** Whether `table` has a changelog and all three triggers. */
export function captureInstalled(db: Database, table: string): boolean {
  return (
    objectExists(db, 'table', changelogName(table)) &&
    TRIGGER_KINDS.every((kind) => objectExists(db, 'trigger', triggerName(table, kind)))
  );
}

/**
 * Why capture of `table` cannot be trusted to hold every change, or null when it can: not installed, the
 * source table gone, the changelog laid out by an earlier version, a trigger missing, or the table's columns
 * no longer those the changelog records.
 */
export function captureMismatch(db: Database, table: string): string | null {
  const name = quoteIdentifier(table);
  if (!objectExists(db, 'table', changelogName(table))) return `Change capture is not installed on ${name}.`;
  if (!objectExists(db, 'table', table)) return `Table ${name}, whose changes were captured, no longer exists.`;
  if (olderLayout(db, table)) return `${olderLayoutProblem(table)}.`;
  // Columns first: a change of them sets the triggers aside (acrossSchemaChange), and is the reason to report.
  const logged = changelogColumns(db, table);
  const columns = columnsOf(db, table);
  if (!sameColumns(logged, columns)) {
    return `Change capture of ${name} records columns ${columnList(logged)} but the table now has ${columnList(columns)}.`;
  }
  const missing = TRIGGER_KINDS.filter((kind) => !objectExists(db, 'trigger', triggerName(table, kind)));
  if (missing.length > 0)
    return `Change capture of ${name} lacks its ${missing.join(', ')} trigger; changes may have been lost.`;
  return null;
}

function requireCapture(db: Database, table: string): void {
  if (!objectExists(db, 'table', changelogName(table))) {
    throw invalidState(`Change capture is not installed on ${quoteIdentifier(table)}.`);
  }
}

/**
 * The highest change id ever assigned in the changelog of `table` (0 when none), also after pruning, which
 * always keeps that change: the starting watermark of a dynamic table created now, whose initial full refresh
 * sees every change up to it. Read it in the same transaction as that refresh.
 */
export function currentChangeId(db: Database, table: string): number {
  requireCapture(db, table);
  const row = db
    .prepare(`SELECT COALESCE(MAX(${quoteIdentifier(CHANGE_ID)}), 0) AS id FROM ${main(changelogName(table))}`)
    .get() as { id: number };
  return Number(row.id);
}

function requireWholeNumber(name: string, value: number, min: number): void {
  if (!Number.isSafeInteger(value) || value < min)
    throw new RangeError(`${name} must be an integer of at least ${min}, got ${value}.`);
}

/**
 * Up to `limit` changes of `table` with `after < changeId <= upTo`, in change order. Read a batch, apply it,
 * store its last `changeId` as the new watermark in the same transaction, repeat until a batch comes back
 * empty. Throws INVALID_STATE when {@link captureMismatch} reports a problem, since the changes could then be
 * incomplete and the reader must fall back to a full refresh.
 */
export function readChanges(db: Database, table: string, after: number, upTo: number, limit: number): CapturedChange[] {
  requireWholeNumber('after', after, 0);
  requireWholeNumber('upTo', upTo, 0);
  requireWholeNumber('limit', limit, 1);
  const mismatch = captureMismatch(db, table);
  if (mismatch !== null) throw invalidState(mismatch);
  const data = changelogColumns(db, table).map(quoteIdentifier).join(', ');
  const rows = db
    .prepare(
      `SELECT ${quoteIdentifier(CHANGE_ID)}, ${quoteIdentifier(OP)}, ${data} FROM ${main(changelogName(table))} ` +
        `WHERE ${quoteIdentifier(CHANGE_ID)} > ? AND ${quoteIdentifier(CHANGE_ID)} <= ? ORDER BY ` +
        `${quoteIdentifier(CHANGE_ID)} LIMIT ?`,
    )
    .raw(true)
    .all(after, upTo, limit) as unknown[][];
  return rows.map(([changeId, op, ...row]) => ({ changeId: Number(changeId), op: op as 'I' | 'D', row }));
}

/**
 * Deletes the changes of `table` with `changeId <= below`, except the newest change, which stays as the
 * high-water mark that keeps ids from being reused (see the module comment): pass the lowest watermark among
 * the dynamic tables reading it. Returns how many changes were deleted.
 */
export function pruneChanges(db: Database, table: string, below: number): number {
  requireWholeNumber('below', below, 0);
  requireCapture(db, table);
  const id = quoteIdentifier(CHANGE_ID);
  const changelog = main(changelogName(table));
  return db
    .prepare(`DELETE FROM ${changelog} WHERE ${id} <= ? AND ${id} < (SELECT MAX(${id}) FROM ${changelog})`)
    .run(below).changes;
}
