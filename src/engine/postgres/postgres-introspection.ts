/**
 * Tables, columns and query output types as PostgreSQL's catalog describes them. Type names are
 * `format_type`'s: `integer`, `bigint`, `numeric(10,2)`, `character varying(40)`, `timestamp with time zone`.
 */
import type { ColumnInfo, TableDescription, TableRef } from '../engine';
import type { PgField, PgPool, PgPoolClient, PgQueryable } from './postgres-driver';
import { toFreshetError } from './postgres-errors';
import { run } from './postgres-pool';
import { keepsNotNull } from '../../sql/query-shape';
import { INTERNAL_TABLE_PREFIX, embedQuery } from './postgres-sql';

/** Ordinary and partitioned tables of `schema`, by name; the engine's scratch tables are left out. */
export async function listTables(db: PgQueryable, schema: string): Promise<TableRef[]> {
  const result = await db.query<{ name: string }>({
    text: `SELECT c.relname AS name
             FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname = $1 AND c.relkind IN ('r', 'p') AND left(c.relname, $2) <> $3
            ORDER BY c.relname`,
    values: [schema, INTERNAL_TABLE_PREFIX.length, INTERNAL_TABLE_PREFIX],
  });
  return result.rows.map((row) => ({ database: schema, name: row.name }));
}

/** Whether an ordinary or partitioned table (not a view) of that name exists. */
export async function tableExists(db: PgPool | PgPoolClient, table: TableRef, defaultSchema: string): Promise<boolean> {
  const result = await run(
    db,
    {
      sql: `SELECT 1 FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
             WHERE n.nspname = $1 AND c.relname = $2 AND c.relkind IN ('r', 'p')`,
      client: null,
    },
    [table.database ?? defaultSchema, table.name],
  );
  return result.rows.length > 0;
}

interface ColumnRow {
  readonly name: string;
  readonly type: string;
  readonly not_null: boolean;
  readonly key_position: number | null;
}

/**
 * Columns in declaration order and primary key columns in key order; null when there is no such table (or
 * view, materialized view or foreign table, which describe themselves the same way).
 */
export async function describeTable(
  db: PgQueryable,
  table: TableRef,
  defaultSchema: string,
): Promise<TableDescription | null> {
  const result = await db.query<ColumnRow>({
    text: `SELECT a.attname AS name, pg_catalog.format_type(a.atttypid, a.atttypmod) AS type, a.attnotnull AS not_null,
                  array_position(pk.indkey::int2[], a.attnum) AS key_position
             FROM pg_catalog.pg_class c
             JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
             JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
             LEFT JOIN pg_catalog.pg_index pk ON pk.indrelid = c.oid AND pk.indisprimary
            WHERE n.nspname = $1 AND c.relname = $2 AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
            ORDER BY a.attnum`,
    values: [table.database ?? defaultSchema, table.name],
  });
  if (result.rows.length === 0) return null;
  const keyColumns = result.rows.filter((row) => row.key_position !== null);
  keyColumns.sort((a, b) => (a.key_position ?? 0) - (b.key_position ?? 0));
  return {
    columns: result.rows.map((row) => ({ name: row.name, type: row.type, nullable: !row.not_null })),
    primaryKey: keyColumns.map((row) => row.name),
  };
}

interface OutputTypeRow {
  readonly type: string;
  readonly not_null: boolean;
}

/**
 * The output columns of a query. The server plans `SELECT * FROM (<query>) AS q LIMIT 0`, whose Limit node
 * returns before asking its input for a row, so no row of the query is computed; its result description
 * gives each column's type and, for a column read straight from a table, that table column, whose NOT NULL
 * carries over when the query's shape cannot produce NULL (see `src/sql/query-shape.ts`).
 */
export async function describeQuery(db: PgQueryable, query: string): Promise<ColumnInfo[]> {
  const statement = embedQuery('SELECT * FROM ', query, ' AS q LIMIT 0');
  let fields: readonly PgField[];
  try {
    fields = (await db.query({ text: statement.sql, queryMode: 'extended', rowMode: 'array' })).fields;
  } catch (error) {
    throw toFreshetError(error, statement);
  }
  if (fields.length === 0) return [];
  const types = await db.query<OutputTypeRow>({
    text: `SELECT pg_catalog.format_type(u.type_oid, u.type_modifier) AS type, coalesce(a.attnotnull, false) AS not_null
             FROM unnest($1::oid[], $2::int4[], $3::oid[], $4::int2[]) WITH ORDINALITY
                  AS u(type_oid, type_modifier, table_oid, column_number, position)
             LEFT JOIN pg_catalog.pg_attribute a ON a.attrelid = u.table_oid AND a.attnum = u.column_number
            ORDER BY u.position`,
    values: [
      fields.map((field) => field.dataTypeID),
      fields.map((field) => field.dataTypeModifier),
      fields.map((field) => field.tableID),
      fields.map((field) => field.columnID),
    ],
  });
  const notNullSurvives = types.rows.some((row) => row.not_null) && keepsNotNull(query, 'postgresql');
  return fields.map((field, index) => {
    const row = types.rows[index];
    return { name: field.name, type: row?.type ?? '', nullable: !(notNullSurvives && row?.not_null === true) };
  });
}
