/**
 * SQL text generation for the MySQL/MariaDB engine: identifier quoting, type names, and the statements of a
 * refresh. Pure functions; the engine runs what they return.
 */
import { createHash } from 'node:crypto';
import { validationError } from '../../errors';
import type { ColumnInfo, ColumnMapping, RefreshSpec, TableDefinition, TableRef } from '../engine';
import { isTypeName } from '../type-name';

/** Prefix of the engine's own scratch tables; `listTables` hides them. */
export const INTERNAL_TABLE_PREFIX = '__freshet';

/** MySQL's longest identifier, in characters. */
const MAX_IDENTIFIER_LENGTH = 64;

/** `` `name` `` with embedded backticks doubled. */
export function quoteIdentifier(name: string): string {
  return `\`${name.replace(/`/g, '``')}\``;
}

/** `` `database`.`name` ``; a null database means the engine's default database. */
export function qualifiedName(table: TableRef, defaultDatabase: string): string {
  return `${quoteIdentifier(table.database ?? defaultDatabase)}.${quoteIdentifier(table.name)}`;
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

/**
 * `<before>(\n<query>\n)<after>`: the query as a derived table, trailing semicolons dropped, with newlines so
 * a trailing `--` or `#` comment cannot swallow the closing parenthesis.
 */
export function embedQuery(before: string, query: string, after: string): Statement {
  const text = query.replace(/[\s;]+$/, '');
  const head = `${before}(\n`;
  return { sql: `${head}${text}\n)${after}`, client: { text, start: head.length } };
}

// Type names are spliced into DDL, so accept only the tokens a type name is made of (words, numbers, quoted
// ENUM/SET members, and commas inside parentheses): nothing that could end the column definition.
const TYPE_TOKEN = /\s+|[A-Za-z_][A-Za-z0-9_]*|\d+|'(?:[^'\\]|'')*'|[(),]/y;

const TYPE_START = /^[A-Za-z_]/;

function columnDefinition(column: ColumnInfo): string {
  const type = column.type.trim();
  if (type === '') throw validationError(`Column ${quoteIdentifier(column.name)} needs a type on MySQL.`);
  if (!isTypeName(type, TYPE_START, TYPE_TOKEN)) {
    throw validationError(`Column ${quoteIdentifier(column.name)} has type "${column.type}", which is not a MySQL type name.`);
  }
  return `${quoteIdentifier(column.name)} ${type}${column.nullable ? ' NULL' : ' NOT NULL'}`;
}

/** `CREATE TABLE` for a definition; `table` overrides where it is created (a replacement under a scratch name). */
export function createTableSql(definition: TableDefinition, defaultDatabase: string, table: TableRef = definition.table): string {
  if (definition.columns.length === 0) {
    throw validationError(`Table ${quoteIdentifier(definition.table.name)} needs at least one column.`);
  }
  const parts = definition.columns.map(columnDefinition);
  if (definition.primaryKey !== null && definition.primaryKey.length > 0) {
    parts.push(`PRIMARY KEY (${definition.primaryKey.map(quoteIdentifier).join(', ')})`);
  }
  return `CREATE TABLE ${qualifiedName(table, defaultDatabase)} (${parts.join(', ')})`;
}

/**
 * The engine's scratch name for a table (`__freshet_rebuild_<name>`, `__freshet_old_<name>`,
 * `__freshet_stage_<name>`); names too long
 * for an identifier get a hash instead.
 */
export function scratchName(role: 'rebuild' | 'old' | 'stage', name: string): string {
  const readable = `${INTERNAL_TABLE_PREFIX}_${role}_${name}`;
  if (Array.from(readable).length <= MAX_IDENTIFIER_LENGTH) return readable;
  return `${INTERNAL_TABLE_PREFIX}_${role}_${createHash('sha256').update(name).digest('hex').slice(0, 32)}`;
}

/**
 * The mapping of a partition column: the exact target name first, else one differing only in case (MySQL
 * column names are case-insensitive, and the statement that named the partition may spell it differently).
 */
function partitionMapping(spec: RefreshSpec, column: string): ColumnMapping {
  const mapping =
    spec.columns.find((candidate) => candidate.target === column) ??
    spec.columns.find((candidate) => candidate.target.toLowerCase() === column.toLowerCase());
  if (mapping === undefined) {
    throw validationError(
      `Partition column ${quoteIdentifier(column)} is not a column of ${quoteIdentifier(spec.table.name)}; ` +
        `partition by one of: ${spec.columns.map((candidate) => candidate.target).join(', ')}.`,
    );
  }
  return mapping;
}

/**
 * A text literal that reads the same whatever the session's sql_mode (NO_BACKSLASH_ESCAPES changes what
 * quotes and backslashes mean in '…'): utf8mb4 bytes in hex, with an introducer so it compares as text in the
 * other side's collation.
 */
export function textLiteral(value: string): string {
  return `_utf8mb4 X'${Buffer.from(value, 'utf8').toString('hex')}'`;
}

export interface RefreshPlan {
  /** Null when the target is known to be empty (a freshly created replacement table). */
  readonly delete: Statement | null;
  readonly insert: Statement;
  /** Bound to the `?` of both statements, in order. */
  readonly params: readonly string[];
}

/**
 * The DELETE and INSERT … SELECT of a refresh. A partition refresh filters both sides with bound text
 * parameters; MySQL converts them to the column's type when comparing (`'2024-01-02'` matches a DATE).
 */
export function refreshPlan(spec: RefreshSpec, defaultDatabase: string, into: TableRef = spec.table, targetIsEmpty = false): RefreshPlan {
  if (spec.columns.length === 0) {
    throw validationError(`The refresh of ${quoteIdentifier(spec.table.name)} maps no columns.`);
  }
  const partition = Object.entries(spec.partition ?? {}).map(([column, value]) => ({ mapping: partitionMapping(spec, column), value }));
  const where = (side: (mapping: ColumnMapping) => string) =>
    partition.length === 0 ? '' : ` WHERE ${partition.map((p) => `${side(p.mapping)} = ?`).join(' AND ')}`;
  const table = qualifiedName(into, defaultDatabase);
  const targets = spec.columns.map((mapping) => quoteIdentifier(mapping.target)).join(', ');
  const sources = spec.columns.map((mapping) => `src.${quoteIdentifier(mapping.source)}`).join(', ');
  return {
    delete: targetIsEmpty ? null : { sql: `DELETE FROM ${table}${where((m) => quoteIdentifier(m.target))}`, client: null },
    insert: embedQuery(
      `INSERT INTO ${table} (${targets}) SELECT ${sources} FROM `,
      spec.query,
      ` AS src${where((m) => `src.${quoteIdentifier(m.source)}`)}`,
    ),
    params: partition.map((p) => p.value),
  };
}
