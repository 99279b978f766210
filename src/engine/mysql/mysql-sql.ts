/**
 * SQL text generation for the MySQL/MariaDB engine: identifier quoting, type names and text literals; the
 * statements themselves are built by `server-sql.ts`, shared with PostgreSQL. Pure functions; the engine runs
 * what they return.
 */
import type { RefreshSpec, TableDefinition, TableRef } from '../engine';
import * as server from '../server-sql';

export { INTERNAL_TABLE_PREFIX, embedQuery, type ClientText, type RefreshPlan, type Statement } from '../server-sql';

/** MySQL's longest identifier, in characters. */
const MAX_IDENTIFIER_LENGTH = 64;

/** `` `name` `` with embedded backticks doubled. */
export function quoteIdentifier(name: string): string {
  return `\`${name.replace(/`/g, '``')}\``;
}

/** MySQL's half of the server SQL. */
export const MYSQL_SQL: server.ServerSqlDialect = {
  label: 'MySQL',
  quoteIdentifier,
  placeholder: () => '?',
  // Type names are spliced into DDL, so accept only the tokens a type name is made of (words, numbers, quoted
  // ENUM/SET members, and commas inside parentheses): nothing that could end the column definition.
  typeStart: /^[A-Za-z_]/,
  typeToken: /\s+|[A-Za-z_][A-Za-z0-9_]*|\d+|'(?:[^'\\]|'')*'|[(),]/y,
  nullableSuffix: ' NULL',
  fitsIdentifier: (name) => Array.from(name).length <= MAX_IDENTIFIER_LENGTH,
};

/** `` `database`.`name` ``; a null database means the engine's default database. */
export const qualifiedName = (table: TableRef, defaultDatabase: string): string =>
  server.qualifiedName(MYSQL_SQL, table, defaultDatabase);

/** `CREATE TABLE` for a definition; `table` overrides where it is created (a replacement under a scratch name). */
export const createTableSql = (definition: TableDefinition, defaultDatabase: string, table?: TableRef): string =>
  server.createTableSql(MYSQL_SQL, definition, defaultDatabase, table);

export const scratchName = (role: 'rebuild' | 'old' | 'stage', name: string): string =>
  server.scratchName(MYSQL_SQL, role, name);

/**
 * The DELETE and INSERT … SELECT of a refresh; a partition's values are bound as text, which MySQL converts to
 * the column's type when comparing (`'2024-01-02'` matches a DATE).
 */
export const refreshPlan = (spec: RefreshSpec, defaultDatabase: string, into?: TableRef, targetIsEmpty?: boolean) =>
  server.refreshPlan(MYSQL_SQL, spec, defaultDatabase, into, targetIsEmpty);

/**
 * A text literal that reads the same whatever the session's sql_mode (NO_BACKSLASH_ESCAPES changes what
 * quotes and backslashes mean in '…'): utf8mb4 bytes in hex, with an introducer so it compares as text in the
 * other side's collation.
 */
export function textLiteral(value: string): string {
  return `_utf8mb4 X'${Buffer.from(value, 'utf8').toString('hex')}'`;
}
