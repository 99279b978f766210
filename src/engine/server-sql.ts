/**
 * The SQL text both server engines (PostgreSQL, MySQL) generate the same way, apart from quoting, placeholders
 * and type tokens, which each supplies as a {@link ServerSqlDialect}: table DDL, scratch names, the statements of
 * a refresh, and where a client's text sits inside a statement sent. Pure functions; the engines run the results.
 */
import { createHash } from 'node:crypto';
import { validationError } from '../errors';
import type { ColumnInfo, ColumnMapping, RefreshSpec, TableDefinition, TableDescription, TableRef } from './engine';
import type { WrittenRows } from './guard-audit';
import { isTypeName } from './type-name';

/** Prefix of the engines' own scratch tables; `listTables` hides them. */
export const INTERNAL_TABLE_PREFIX = '__freshet';

/** What differs between the servers' SQL text. */
export interface ServerSqlDialect {
  /** The server's name in messages (`PostgreSQL`). */
  readonly label: string;
  quoteIdentifier(name: string): string;
  /** The placeholder of the bound parameter at `index` (0-based). */
  placeholder(index: number): string;
  /** How a type name may start, and the tokens it may be made of (see `type-name.ts`). */
  readonly typeStart: RegExp;
  readonly typeToken: RegExp;
  /** What follows a nullable column's type (`''` or `' NULL'`). */
  readonly nullableSuffix: string;
  /** Whether a name is short enough to be an identifier unchanged. */
  fitsIdentifier(name: string): boolean;
}

/**
 * Where the text a client wrote sits inside a statement the engine sent, so that an error position the
 * server reports can be turned back into a line and column of the client's own text.
 */
export interface ClientText {
  readonly text: string;
  /** Index in the sent statement at which `text` begins. */
  readonly start: number;
}

export interface Statement {
  readonly sql: string;
  readonly client: ClientText | null;
}

/** `"schema"."name"` in the dialect's quotes; a null database means the engine's default one. */
export function qualifiedName(dialect: ServerSqlDialect, table: TableRef, defaultDatabase: string): string {
  return `${dialect.quoteIdentifier(table.database ?? defaultDatabase)}.${dialect.quoteIdentifier(table.name)}`;
}

/**
 * `<before>(\n<query>\n)<after>`: the query as a sub-select, trailing semicolons dropped, with newlines so a
 * trailing `--` (or MySQL's `#`) comment cannot swallow the closing parenthesis.
 */
export function embedQuery(before: string, query: string, after: string): Statement {
  const text = query.replace(/[\s;]+$/, '');
  const head = `${before}(\n`;
  return { sql: `${head}${text}\n)${after}`, client: { text, start: head.length } };
}

function columnDefinition(dialect: ServerSqlDialect, column: ColumnInfo): string {
  const name = dialect.quoteIdentifier(column.name);
  const type = column.type.trim();
  if (type === '') throw validationError(`Column ${name} needs a type on ${dialect.label}.`);
  if (!isTypeName(type, dialect.typeStart, dialect.typeToken)) {
    throw validationError(`Column ${name} has type "${column.type}", which is not a ${dialect.label} type name.`);
  }
  return `${name} ${type}${column.nullable ? dialect.nullableSuffix : ' NOT NULL'}`;
}

/**
 * `CREATE TABLE` for a definition; `table` overrides where it is created (a replacement under a scratch name),
 * `primaryKeyName` names the primary key constraint (default: the server's own name).
 */
export function createTableSql(
  dialect: ServerSqlDialect,
  definition: TableDefinition,
  defaultDatabase: string,
  table: TableRef = definition.table,
  primaryKeyName?: string,
): string {
  const quote = dialect.quoteIdentifier;
  if (definition.columns.length === 0) {
    throw validationError(`Table ${quote(definition.table.name)} needs at least one column.`);
  }
  const parts = definition.columns.map((column) => columnDefinition(dialect, column));
  if (definition.primaryKey !== null && definition.primaryKey.length > 0) {
    const constraint = primaryKeyName === undefined ? '' : `CONSTRAINT ${quote(primaryKeyName)} `;
    parts.push(`${constraint}PRIMARY KEY (${definition.primaryKey.map(quote).join(', ')})`);
  }
  return `CREATE TABLE ${qualifiedName(dialect, table, defaultDatabase)} (${parts.join(', ')})`;
}

/**
 * The engine's scratch name for a table (`__freshet_rebuild_<name>`, `__freshet_old_<name>`,
 * `__freshet_stage_<name>`); names too long for an identifier get a hash instead, because a server may truncate
 * them and two long names could meet.
 */
export function scratchName(dialect: ServerSqlDialect, role: 'rebuild' | 'old' | 'stage', name: string): string {
  const readable = `${INTERNAL_TABLE_PREFIX}_${role}_${name}`;
  if (dialect.fitsIdentifier(readable)) return readable;
  return `${INTERNAL_TABLE_PREFIX}_${role}_${createHash('sha256').update(name).digest('hex').slice(0, 32)}`;
}

/**
 * The mapping of a partition column: the exact target name first, else one differing only in case (the
 * statement that named the partition may have spelt it differently from the column).
 */
export function partitionMapping(dialect: ServerSqlDialect, spec: RefreshSpec, column: string): ColumnMapping {
  const mapping =
    spec.columns.find((candidate) => candidate.target === column) ??
    spec.columns.find((candidate) => candidate.target.toLowerCase() === column.toLowerCase());
  if (mapping === undefined) {
    const quote = dialect.quoteIdentifier;
    throw validationError(
      `Partition column ${quote(column)} is not a column of ${quote(spec.table.name)}; ` +
        `partition by one of: ${spec.columns.map((candidate) => candidate.target).join(', ')}.`,
    );
  }
  return mapping;
}

/** ` WHERE <a> = <p1> AND <b> = <p2> …` over columns as they are written; '' for no columns. */
export function partitionFilter(dialect: ServerSqlDialect, columns: readonly string[]): string {
  if (columns.length === 0) return '';
  return ` WHERE ${columns.map((column, index) => `${column} = ${dialect.placeholder(index)}`).join(' AND ')}`;
}

export interface RefreshPlan {
  /** Null when the target is known to be empty (a freshly created replacement table). */
  readonly delete: Statement | null;
  readonly insert: Statement;
  /** Bound to the placeholders of both statements, in order. */
  readonly params: readonly string[];
  /** The rows the refresh writes (the table, or its partition), for the publish guards' audit. */
  readonly written: WrittenRows;
}

/**
 * The DELETE and INSERT … SELECT of a refresh. A partition refresh filters both sides with bound text
 * parameters, which the server converts to the type of the column they are compared with (`'2024-01-02'`
 * matches a date column).
 */
export function refreshPlan(
  dialect: ServerSqlDialect,
  spec: RefreshSpec,
  defaultDatabase: string,
  into: TableRef = spec.table,
  targetIsEmpty = false,
): RefreshPlan {
  const quote = dialect.quoteIdentifier;
  if (spec.columns.length === 0) {
    throw validationError(`The refresh of ${quote(spec.table.name)} maps no columns.`);
  }
  const partition = Object.entries(spec.partition ?? {}).map(([column, value]) => ({
    mapping: partitionMapping(dialect, spec, column),
    value,
  }));
  const where = (side: (mapping: ColumnMapping) => string) =>
    partitionFilter(
      dialect,
      partition.map((p) => side(p.mapping)),
    );
  const table = qualifiedName(dialect, into, defaultDatabase);
  const params = partition.map((p) => p.value);
  const targets = spec.columns.map((mapping) => quote(mapping.target)).join(', ');
  const sources = spec.columns.map((mapping) => `src.${quote(mapping.source)}`).join(', ');
  return {
    delete: targetIsEmpty ? null : { sql: `DELETE FROM ${table}${where((m) => quote(m.target))}`, client: null },
    insert: embedQuery(
      `INSERT INTO ${table} (${targets}) SELECT ${sources} FROM `,
      spec.query,
      ` AS src${where((m) => `src.${quote(m.source)}`)}`,
    ),
    params,
    written: {
      table,
      where: partitionCondition(
        dialect,
        partition.map((p) => quote(p.mapping.target)),
      ),
      params,
    },
  };
}

/** `<a> = <p1> AND <b> = <p2> …` over columns as they are written; null for no columns. */
export function partitionCondition(dialect: ServerSqlDialect, columns: readonly string[]): string | null {
  return columns.length === 0 ? null : partitionFilter(dialect, columns).slice(' WHERE '.length);
}

/** `SELECT count(*) AS n FROM <table> [WHERE <where>]`. */
export function countSql(table: string, where: string | null): Statement {
  return { sql: `SELECT count(*) AS n FROM ${table}${where === null ? '' : ` WHERE ${where}`}`, client: null };
}

/** `INSERT INTO <to> (<columns>) SELECT <columns> FROM <from>`: a staged result copied into its table. */
export function copyRowsSql(
  dialect: ServerSqlDialect,
  from: string,
  to: string,
  columns: readonly ColumnInfo[],
): Statement {
  const names = columns.map((column) => dialect.quoteIdentifier(column.name)).join(', ');
  return { sql: `INSERT INTO ${to} (${names}) SELECT ${names} FROM ${from}`, client: null };
}

/**
 * Whether two tables have the same columns (names, types, nullability, order) and primary key: a staged result
 * with its table's definition is copied into the table, one with another (a blocked rebuild's) replaces it.
 */
export function sameDefinition(left: TableDescription, right: TableDescription): boolean {
  const columns = (table: TableDescription) => JSON.stringify(table.columns.map((c) => [c.name, c.type, c.nullable]));
  return columns(left) === columns(right) && JSON.stringify(left.primaryKey) === JSON.stringify(right.primaryKey);
}

export interface TextPosition {
  readonly line: number;
  readonly column: number;
}

/** Line and column (1-based; columns counted in characters) of an index into `text`. */
export function positionOf(text: string, index: number): TextPosition {
  const lines = text.slice(0, index).split('\n');
  return { line: lines.length, column: Array.from(lines[lines.length - 1] ?? '').length + 1 };
}

/** Characters of the `\n)` that close an embedded query (see {@link embedQuery}). */
export const CLOSING_LENGTH = 2;
