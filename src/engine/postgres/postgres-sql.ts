/**
 * SQL text generation for the PostgreSQL engine: identifier quoting and type names; the statements themselves
 * are built by `server-sql.ts`, shared with MySQL. Pure functions; the engine runs what they return.
 */
import type { ColumnMapping, RefreshSpec, TableDefinition, TableRef } from '../engine';
import * as server from '../server-sql';

export { INTERNAL_TABLE_PREFIX, embedQuery, type ClientText, type RefreshPlan, type Statement } from '../server-sql';

/** PostgreSQL's NAMEDATALEN − 1: longer identifiers are silently truncated. */
const MAX_IDENTIFIER_BYTES = 63;

/** `"name"` with embedded double quotes doubled. */
export function quoteIdentifier(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** PostgreSQL's half of the server SQL. */
export const POSTGRES_SQL: server.ServerSqlDialect = {
  label: 'PostgreSQL',
  quoteIdentifier,
  placeholder: (index) => `$${index + 1}`,
  // Type names are spliced into DDL, so accept only the tokens a type name is made of (words, quoted names,
  // numbers, dots, brackets, and commas inside parentheses): nothing that could end the column definition.
  typeStart: /^[A-Za-z_"]/,
  typeToken: /\s+|"(?:[^"]|"")+"|[A-Za-z_][A-Za-z0-9_$]*|\d+|[(),.[\]]/y,
  nullableSuffix: '',
  fitsIdentifier: (name) => Buffer.byteLength(name) <= MAX_IDENTIFIER_BYTES,
};

/** `"schema"."name"`; a null database means the engine's default schema. */
export const qualifiedName = (table: TableRef, defaultSchema: string): string =>
  server.qualifiedName(POSTGRES_SQL, table, defaultSchema);

/** See {@link server.createTableSql}; without `primaryKeyName`, PostgreSQL's `<table>_pkey`. */
export function createTableSql(
  definition: TableDefinition,
  schema: string,
  table?: TableRef,
  primaryKeyName?: string,
): string {
  return server.createTableSql(POSTGRES_SQL, definition, schema, table, primaryKeyName);
}

export const scratchName = (role: 'rebuild' | 'stage', name: string): string =>
  server.scratchName(POSTGRES_SQL, role, name);

export const partitionMapping = (spec: RefreshSpec, column: string): ColumnMapping =>
  server.partitionMapping(POSTGRES_SQL, spec, column);

/** ` WHERE <a> = $1 AND <b> = $2 …` over `columns` as `render` writes them; '' for no columns. */
export const partitionFilter = (columns: readonly string[], render: (column: string) => string): string =>
  server.partitionFilter(POSTGRES_SQL, columns.map(render));

export const refreshPlan = (spec: RefreshSpec, defaultSchema: string, into?: TableRef, targetIsEmpty?: boolean) =>
  server.refreshPlan(POSTGRES_SQL, spec, defaultSchema, into, targetIsEmpty);
