/**
 * Tables and their columns as SQLite's schema describes them (worker side).
 */
import type { Database } from 'better-sqlite3';
import type { TableDescription, TableRef } from '../engine';
import { INTERNAL_TABLE_PREFIX, schemaOf } from './sqlite-sql';

interface TableInfoRow {
  readonly name: string;
  readonly type: string;
  readonly notnull: number;
  readonly pk: number;
}

/** User tables of `main`, by name; SQLite's own and the engine's scratch tables are left out. */
export function listTables(db: Database): TableRef[] {
  const rows = db
    .prepare(
      `SELECT name FROM main.sqlite_schema
        WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' AND substr(name, 1, ?) <> ?
        ORDER BY name`,
    )
    .all(INTERNAL_TABLE_PREFIX.length, INTERNAL_TABLE_PREFIX) as { name: string }[];
  return rows.map((row) => ({ database: 'main', name: row.name }));
}

function schemaExists(db: Database, schema: string): boolean {
  return db.prepare('SELECT 1 FROM pragma_database_list WHERE name = ?').get(schema) !== undefined;
}

/**
 * Columns in declaration order and primary key columns in key order; null when there is no such table (or
 * view — views describe themselves the same way). An INTEGER PRIMARY KEY column is the rowid and never NULL.
 */
export function describeTable(db: Database, table: TableRef): TableDescription | null {
  const schema = schemaOf(table);
  if (!schemaExists(db, schema)) return null;
  const rows = db
    .prepare('SELECT name, type, "notnull", pk FROM pragma_table_info(?, ?) ORDER BY cid')
    .all(table.name, schema) as TableInfoRow[];
  if (rows.length === 0) return null;
  const keyColumns = rows.filter((row) => row.pk > 0).sort((a, b) => a.pk - b.pk);
  const rowidAlias =
    keyColumns.length === 1 && keyColumns[0]?.type.toUpperCase() === 'INTEGER' ? keyColumns[0].name : null;
  return {
    columns: rows.map((row) => ({
      name: row.name,
      type: row.type,
      nullable: row.notnull === 0 && row.name !== rowidAlias,
    })),
    primaryKey: keyColumns.map((row) => row.name),
  };
}

/** Whether a table (not a view) exists in the given schema. */
export function tableExists(db: Database, table: TableRef): boolean {
  const schema = schemaOf(table);
  if (!schemaExists(db, schema)) return false;
  return (
    db.prepare(`SELECT 1 FROM pragma_table_list(?) WHERE schema = ? AND type = 'table'`).get(table.name, schema) !==
    undefined
  );
}
