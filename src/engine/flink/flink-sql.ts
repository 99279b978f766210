/**
 * Flink SQL text generation: identifier quoting and the statements the engine sends. Pure functions.
 *
 * A refresh is Flink's own materialized-table refresh statement (MaterializedTableManager#getRefreshStatement),
 * with the target's columns listed so the query's columns land by name rather than by position:
 *
 *     INSERT OVERWRITE `cat`.`db`.`t` (`a`, `b`)
 *     SELECT `x` AS `a`, `y` AS `b` FROM (
 *     <definition query>
 *     )
 *     [WHERE `y` = 'v' AND …]
 *
 * A continuous job is the same SELECT under `INSERT INTO`, submitted in streaming mode.
 */
import { validationError } from '../../errors';
import type { ColumnInfo, RefreshSpec, TableDefinition, TableRef } from '../engine';

/** Prefix of the engine's scratch tables and views; `listTables` hides them. */
export const INTERNAL_PREFIX = '__freshet';

/** The temporary view `describeQuery` asks Flink to describe. */
export const QUERY_VIEW = `${INTERNAL_PREFIX}_query`;

/** How unqualified table references are completed. */
export interface FlinkNaming {
  /** Catalog that qualifies every table; null: the session's current catalog. */
  readonly catalog: string | null;
  readonly defaultDatabase: string;
}

/** `` `name` `` with embedded backticks doubled. */
export function quoteIdentifier(name: string): string {
  return `\`${name.replace(/`/g, '``')}\``;
}

/** `'text'` with embedded quotes doubled. */
export function stringLiteral(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

export function databaseOf(table: TableRef, naming: FlinkNaming): string {
  return table.database ?? naming.defaultDatabase;
}

/** `` [`catalog`.]`database`.`name` ``. */
export function qualifiedName(table: TableRef, naming: FlinkNaming): string {
  const parts = [naming.catalog, databaseOf(table, naming), table.name].filter((part): part is string => part !== null);
  return parts.map(quoteIdentifier).join('.');
}

/** `cat.db.t` as Flink prints identifiers in job names and messages. */
export function summaryName(table: TableRef, naming: FlinkNaming): string {
  return [naming.catalog, databaseOf(table, naming), table.name].filter((part) => part !== null).join('.');
}

/** A query usable as a sub-select: trailing semicolons dropped, newlines so a trailing `--` comment cannot swallow what follows. */
export function asSubquery(query: string): string {
  return `(\n${query.replace(/[\s;]+$/, '')}\n)`;
}

// Type names are spliced into DDL: accept what Flink's type grammar needs (ROW<`a` INT>, DECIMAL(10, 2),
// TIMESTAMP(3) WITH LOCAL TIME ZONE, MAP<STRING, INT>) and nothing that could end the column definition.
const TYPE_NAME = /^[A-Za-z][A-Za-z0-9_ ,()<>`]*$/;

function columnDefinition(column: ColumnInfo, table: TableRef): string {
  const type = column.type.trim();
  if (!TYPE_NAME.test(type)) {
    throw validationError(
      `Column ${quoteIdentifier(column.name)} of ${quoteIdentifier(table.name)} has type "${column.type}", which ` +
        `is not a Flink SQL type.`,
    );
  }
  const notNull = column.nullable || /\bNOT\s+NULL$/i.test(type) ? '' : ' NOT NULL';
  return `  ${quoteIdentifier(column.name)} ${type}${notNull}`;
}

export interface CreateTableOptions {
  /** `WITH (…)` options. */
  readonly tableOptions: Readonly<Record<string, string>>;
  readonly partitionKeys: readonly string[];
  /** Creates the table under another name (a scratch table for a rebuild). */
  readonly as?: TableRef;
}

/** `CREATE TABLE` for a definition; a primary key is declared NOT ENFORCED, the only mode Flink supports. */
export function createTableSql(definition: TableDefinition, naming: FlinkNaming, options: CreateTableOptions): string {
  const table = options.as ?? definition.table;
  if (definition.columns.length === 0) {
    throw validationError(`Table ${quoteIdentifier(definition.table.name)} needs at least one column.`);
  }
  const parts = definition.columns.map((column) => columnDefinition(column, definition.table));
  if (definition.primaryKey !== null && definition.primaryKey.length > 0) {
    parts.push(`  PRIMARY KEY (${definition.primaryKey.map(quoteIdentifier).join(', ')}) NOT ENFORCED`);
  }
  const lines = [`CREATE TABLE ${qualifiedName(table, naming)} (`, parts.join(',\n'), ')'];
  if (options.partitionKeys.length > 0)
    lines.push(`PARTITIONED BY (${options.partitionKeys.map(quoteIdentifier).join(', ')})`);
  const withOptions = Object.entries(options.tableOptions);
  if (withOptions.length > 0) {
    lines.push(
      'WITH (',
      withOptions.map(([key, value]) => `  ${stringLiteral(key)} = ${stringLiteral(value)}`).join(',\n'),
      ')',
    );
  }
  return lines.join('\n');
}

export const dropTableSql = (table: TableRef, naming: FlinkNaming) =>
  `DROP TABLE IF EXISTS ${qualifiedName(table, naming)}`;
export const describeTableSql = (table: TableRef, naming: FlinkNaming) => `DESCRIBE ${qualifiedName(table, naming)}`;
export const showCreateTableSql = (table: TableRef, naming: FlinkNaming) =>
  `SHOW CREATE TABLE ${qualifiedName(table, naming)}`;

/** `SHOW TABLES FROM [`catalog`.]`database``. */
export function showTablesSql(database: string, naming: FlinkNaming): string {
  const parts = [naming.catalog, database].filter((part): part is string => part !== null);
  return `SHOW TABLES FROM ${parts.map(quoteIdentifier).join('.')}`;
}

/** Flink renames within the table's database: the new name is a bare identifier. */
export const renameTableSql = (table: TableRef, newName: string, naming: FlinkNaming) =>
  `ALTER TABLE ${qualifiedName(table, naming)} RENAME TO ${quoteIdentifier(newName)}`;

export const useCatalogSql = (catalog: string) => `USE CATALOG ${quoteIdentifier(catalog)}`;
export const useDatabaseSql = (database: string) => `USE ${quoteIdentifier(database)}`;

/** The statement `describeQuery` runs first; the client's query starts on its second line. */
export const queryViewSql = (query: string) =>
  `CREATE TEMPORARY VIEW ${quoteIdentifier(QUERY_VIEW)} AS\n${query.replace(/[\s;]+$/, '')}`;
export const QUERY_VIEW_LINE_OFFSET = 1;

/** Flink job ids are 32 lower-case hex digits; anything else is refused before it reaches SQL. */
export function stopJobSql(jobId: string): string {
  if (!/^[0-9a-f]{32}$/.test(jobId)) {
    throw validationError(`'${jobId}' is not a Flink job id (32 hexadecimal digits).`);
  }
  return `STOP JOB ${stringLiteral(jobId)}`;
}

export const SHOW_JOBS_SQL = 'SHOW JOBS';

/** The partition's filter, on the query's columns that fill the partition's target columns. */
function partitionFilter(spec: RefreshSpec): string {
  const partition = Object.entries(spec.partition ?? {});
  if (partition.length === 0) return '';
  const sourceOf = (target: string) =>
    spec.columns.find((mapping) => mapping.target === target) ??
    spec.columns.find((mapping) => mapping.target.toLowerCase() === target.toLowerCase());
  const conditions = partition.map(([target, value]) => {
    const mapping = sourceOf(target);
    if (mapping === undefined) {
      throw validationError(
        `Partition column ${quoteIdentifier(target)} is not a column of ${quoteIdentifier(spec.table.name)}; ` +
          `partition by one of: ${spec.columns.map((m) => m.target).join(', ')}.`,
      );
    }
    return `${quoteIdentifier(mapping.source)} = ${stringLiteral(value)}`;
  });
  return `\nWHERE ${conditions.join(' AND ')}`;
}

function insertSql(
  verb: 'INSERT OVERWRITE' | 'INSERT INTO',
  spec: RefreshSpec,
  naming: FlinkNaming,
  filter: string,
): string {
  if (spec.columns.length === 0) {
    throw validationError(`The refresh of ${quoteIdentifier(spec.table.name)} maps no columns.`);
  }
  const targets = spec.columns.map((mapping) => quoteIdentifier(mapping.target)).join(', ');
  const select = spec.columns
    .map((mapping) => `${quoteIdentifier(mapping.source)} AS ${quoteIdentifier(mapping.target)}`)
    .join(', ');
  return `${verb} ${qualifiedName(spec.table, naming)} (${targets})\nSELECT ${select} FROM ${asSubquery(spec.query)}${filter}`;
}

/** The batch statement of a full refresh, or of a partition refresh (dynamic partition overwrite). */
export function refreshSql(spec: RefreshSpec, naming: FlinkNaming): string {
  return insertSql('INSERT OVERWRITE', spec, naming, partitionFilter(spec));
}

/** The streaming statement of a continuous job. */
export function continuousSql(spec: RefreshSpec, naming: FlinkNaming): string {
  return insertSql('INSERT INTO', spec, naming, '');
}

/** `pipeline.name` of the jobs Freshet submits, after Flink's `Materialized_table_<id>_…_job`. */
export function jobName(table: TableRef, naming: FlinkNaming, kind: 'refresh' | 'continuous'): string {
  return `Freshet_dynamic_table_${summaryName(table, naming)}_${kind === 'refresh' ? 'one_time_refresh' : 'continuous_refresh'}_job`;
}
