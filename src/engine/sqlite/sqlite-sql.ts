/**
 * SQL text generation for the SQLite engine: identifier quoting and the statements of a refresh. Pure
 * functions; the worker prepares and runs what they return.
 */
import { validationError } from '../../errors';
import type { ColumnInfo, RefreshSpec, TableDefinition, TableRef } from '../engine';

/** Prefix of the engine's own scratch tables; `listTables` hides them. */
export const INTERNAL_TABLE_PREFIX = '__freshet';

/** `"name"` with embedded double quotes doubled. */
export function quoteIdentifier(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** The schema a table lives in: null means `main`. */
export function schemaOf(table: TableRef): string {
  return table.database ?? 'main';
}

/** `"schema"."name"`, always qualified so a same-named temp table never shadows the intended one. */
export function qualifiedName(table: TableRef): string {
  return `${quoteIdentifier(schemaOf(table))}.${quoteIdentifier(table.name)}`;
}

/** A query usable as a sub-select: trailing semicolons dropped, and a newline so a trailing `--` comment cannot swallow the closing parenthesis. */
export function asSubquery(query: string): string {
  return `(\n${query.replace(/[\s;]+$/, '')}\n)`;
}

// Type names are spliced into DDL, so only accept the shapes SQLite's grammar gives a type name:
// words, optionally followed by one or two signed numbers in parentheses.
const TYPE_NAME =
  /^[A-Za-z_][A-Za-z0-9_]*( +[A-Za-z_][A-Za-z0-9_]*)*( *\( *[+-]?\d+(\.\d+)? *(, *[+-]?\d+(\.\d+)? *)?\))?$/;

function columnDefinition(column: ColumnInfo): string {
  const type = column.type.trim();
  if (type !== '' && !TYPE_NAME.test(type)) {
    throw validationError(
      `Column ${quoteIdentifier(column.name)} has type "${column.type}", which is not a SQLite type name.`,
    );
  }
  return [quoteIdentifier(column.name), type, column.nullable ? '' : 'NOT NULL']
    .filter((part) => part !== '')
    .join(' ');
}

/**
 * `CREATE TABLE` for a definition; `table` overrides where it is created (used to build a replacement under
 * a scratch name). Non-nullable columns are declared NOT NULL so the table describes itself as it was defined.
 */
export function createTableSql(definition: TableDefinition, table: TableRef = definition.table): string {
  if (definition.columns.length === 0) {
    throw validationError(`Table ${quoteIdentifier(definition.table.name)} needs at least one column.`);
  }
  const parts = definition.columns.map(columnDefinition);
  if (definition.primaryKey !== null && definition.primaryKey.length > 0) {
    parts.push(`PRIMARY KEY (${definition.primaryKey.map(quoteIdentifier).join(', ')})`);
  }
  return `CREATE TABLE ${qualifiedName(table)} (${parts.join(', ')})`;
}

export interface RefreshPlan {
  /** Null when the target is known to be empty (a freshly created replacement table). */
  readonly deleteSql: string | null;
  readonly insertSql: string;
  /** The condition on the target's partition columns (`"ds" = ?`), or null for the whole table. */
  readonly targetFilter: string | null;
  /** Bound to the `?` of both statements, in order. */
  readonly params: readonly string[];
}

/**
 * The DELETE and INSERT … SELECT of a refresh. A partition refresh filters both sides on the partition
 * columns with bound values; SQLite applies the target column's affinity to the bound text when comparing, so
 * `'2024'` matches an INTEGER partition column.
 */
export function refreshPlan(spec: RefreshSpec, into: TableRef = spec.table, targetIsEmpty = false): RefreshPlan {
  if (spec.columns.length === 0) {
    throw validationError(`The refresh of ${quoteIdentifier(spec.table.name)} maps no columns.`);
  }
  const partition = Object.entries(spec.partition ?? {});
  // SQLite matches identifiers case-insensitively, so a partition key may be spelt differently from its column.
  const mappingOf = (target: string) =>
    spec.columns.find((mapping) => mapping.target === target) ??
    spec.columns.find((mapping) => mapping.target.toLowerCase() === target.toLowerCase());
  const filters = partition.map(([target]) => {
    const source = mappingOf(target)?.source;
    if (source === undefined) {
      throw validationError(
        `Partition column ${quoteIdentifier(target)} is not a column of ${quoteIdentifier(spec.table.name)}; ` +
          `partition by one of: ${spec.columns.map((mapping) => mapping.target).join(', ')}.`,
      );
    }
    return { target: quoteIdentifier(target), source: `src.${quoteIdentifier(source)}` };
  });
  const targetFilter = filters.length === 0 ? null : filters.map((f) => `${f.target} = ?`).join(' AND ');
  const targetWhere = targetFilter === null ? '' : ` WHERE ${targetFilter}`;
  const sourceWhere = filters.length === 0 ? '' : ` WHERE ${filters.map((f) => `${f.source} = ?`).join(' AND ')}`;
  const targets = spec.columns.map((mapping) => quoteIdentifier(mapping.target)).join(', ');
  const sources = spec.columns.map((mapping) => `src.${quoteIdentifier(mapping.source)}`).join(', ');
  return {
    deleteSql: targetIsEmpty ? null : `DELETE FROM ${qualifiedName(into)}${targetWhere}`,
    insertSql:
      `INSERT INTO ${qualifiedName(into)} (${targets}) SELECT ${sources} FROM ${asSubquery(spec.query)} ` +
      `AS src${sourceWhere}`,
    targetFilter,
    params: partition.map(([, value]) => value),
  };
}
