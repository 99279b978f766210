/**
 * SQL text generation for the PostgreSQL engine: identifier quoting, type names, and the statements of a
 * refresh. Pure functions; the engine runs what they return.
 */
import { createHash } from 'node:crypto';
import { validationError } from '../../errors';
import type { ColumnInfo, ColumnMapping, RefreshSpec, TableDefinition, TableRef } from '../engine';
import { isTypeName } from '../type-name';

/** Prefix of the engine's own scratch tables; `listTables` hides them. */
export const INTERNAL_TABLE_PREFIX = '__freshet';

/** PostgreSQL's NAMEDATALEN − 1: longer identifiers are silently truncated. */
const MAX_IDENTIFIER_BYTES = 63;

/** `"name"` with embedded double quotes doubled. */
export function quoteIdentifier(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** `"schema"."name"`; a null database means the engine's default schema. */
export function qualifiedName(table: TableRef, defaultSchema: string): string {
  return `${quoteIdentifier(table.database ?? defaultSchema)}.${quoteIdentifier(table.name)}`;
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
 * `<before>(\n<query>\n)<after>`: the query as a sub-select, trailing semicolons dropped, with newlines so a
 * trailing `--` comment cannot swallow the closing parenthesis.
 */
export function embedQuery(before: string, query: string, after: string): Statement {
  const text = query.replace(/[\s;]+$/, '');
  const head = `${before}(\n`;
  return { sql: `${head}${text}\n)${after}`, client: { text, start: head.length } };
}

// Type names are spliced into DDL, so accept only the tokens a type name is made of (words, quoted names,
// numbers, dots, brackets, and commas inside parentheses): nothing that could end the column definition.
const TYPE_TOKEN = /\s+|"(?:[^"]|"")+"|[A-Za-z_][A-Za-z0-9_$]*|\d+|[(),.[\]]/y;

const TYPE_START = /^[A-Za-z_"]/;

function columnDefinition(column: ColumnInfo): string {
  const type = column.type.trim();
  if (type === '') throw validationError(`Column ${quoteIdentifier(column.name)} needs a type on PostgreSQL.`);
  if (!isTypeName(type, TYPE_START, TYPE_TOKEN)) {
    throw validationError(`Column ${quoteIdentifier(column.name)} has type "${column.type}", which is not a PostgreSQL type name.`);
  }
  return `${quoteIdentifier(column.name)} ${type}${column.nullable ? '' : ' NOT NULL'}`;
}

/**
 * `CREATE TABLE` for a definition; `table` overrides where it is created (a replacement under a scratch
 * name), `primaryKeyName` names the primary key constraint (default: PostgreSQL's `<table>_pkey`).
 */
export function createTableSql(
  definition: TableDefinition,
  defaultSchema: string,
  table: TableRef = definition.table,
  primaryKeyName?: string,
): string {
  if (definition.columns.length === 0) {
    throw validationError(`Table ${quoteIdentifier(definition.table.name)} needs at least one column.`);
  }
  const parts = definition.columns.map(columnDefinition);
  if (definition.primaryKey !== null && definition.primaryKey.length > 0) {
    const constraint = primaryKeyName === undefined ? '' : `CONSTRAINT ${quoteIdentifier(primaryKeyName)} `;
    parts.push(`${constraint}PRIMARY KEY (${definition.primaryKey.map(quoteIdentifier).join(', ')})`);
  }
  return `CREATE TABLE ${qualifiedName(table, defaultSchema)} (${parts.join(', ')})`;
}

/**
 * The engine's scratch name for a table (`__freshet_rebuild_<name>`, `__freshet_stage_<name>`); names too long for an identifier get
 * a hash instead, because PostgreSQL would truncate them and two long names could meet.
 */
export function scratchName(role: 'rebuild' | 'stage', name: string): string {
  const readable = `${INTERNAL_TABLE_PREFIX}_${role}_${name}`;
  if (Buffer.byteLength(readable) <= MAX_IDENTIFIER_BYTES) return readable;
  return `${INTERNAL_TABLE_PREFIX}_${role}_${createHash('sha256').update(name).digest('hex').slice(0, 32)}`;
}

/**
 * The mapping of a partition column: the exact target name first, else one differing only in case (the
 * statement that named the partition may have spelt it differently from the column).
 */
export function partitionMapping(spec: RefreshSpec, column: string): ColumnMapping {
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

/** ` WHERE <a> = $1 AND <b> = $2 …` over `columns` as `render` writes them; '' for no columns. */
export function partitionFilter(columns: readonly string[], render: (column: string) => string): string {
  return columns.length === 0 ? '' : ` WHERE ${columns.map((column, index) => `${render(column)} = $${index + 1}`).join(' AND ')}`;
}

export interface RefreshPlan {
  /** Null when the target is known to be empty (a freshly created replacement table). */
  readonly delete: Statement | null;
  readonly insert: Statement;
  /** Bound to `$1 … $n` of both statements. */
  readonly params: readonly string[];
}

/**
 * The DELETE and INSERT … SELECT of a refresh. A partition refresh filters both sides with bound text
 * parameters, whose type PostgreSQL infers from the column they are compared with (`'2024-01-02'` becomes a
 * date for a date column).
 */
export function refreshPlan(spec: RefreshSpec, defaultSchema: string, into: TableRef = spec.table, targetIsEmpty = false): RefreshPlan {
  if (spec.columns.length === 0) {
    throw validationError(`The refresh of ${quoteIdentifier(spec.table.name)} maps no columns.`);
  }
  const partition = Object.entries(spec.partition ?? {}).map(([column, value]) => ({ mapping: partitionMapping(spec, column), value }));
  const where = (side: (mapping: ColumnMapping) => string) => partitionFilter(partition.map((p) => side(p.mapping)), (column) => column);
  const table = qualifiedName(into, defaultSchema);
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
