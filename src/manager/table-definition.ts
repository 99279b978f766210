/**
 * Turns a CREATE statement's query, column list and options into the physical definition of a dynamic
 * table, checking everything a user can get wrong before anything is written.
 */
import { createHash } from 'node:crypto';
import type { DynamicTableRecord } from '../catalog/records';
import type { ColumnInfo, ColumnMapping, Engine, TableDefinition } from '../engine/engine';
import { validationError } from '../errors';
import { dateFormatterOption, partitionFormatters, validateDateFormatter } from '../freshness';
import type { PrimaryKeySpec } from '../sql/statements';

export const KNOWN_INITIALIZE_VALUES = ['on_create', 'on_schedule'] as const;
export const REFRESH_STRATEGY_OPTION = 'refresh.strategy';
export const KNOWN_STRATEGIES = ['auto', 'incremental', 'full'] as const;

export interface DefinitionInput {
  readonly query: string;
  readonly columns: readonly string[] | null;
  readonly primaryKey: PrimaryKeySpec | null;
  readonly partitionKeys: readonly string[];
  readonly options: Readonly<Record<string, string>>;
}

export interface Definition {
  readonly schema: readonly ColumnInfo[];
  readonly columnMapping: readonly ColumnMapping[];
  readonly queryHash: string;
}

const quoteList = (names: readonly string[]) => `[${names.map((n) => `'${n}'`).join(', ')}]`;
const sameName = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();

export async function buildDefinition(engine: Engine, input: DefinitionInput): Promise<Definition> {
  const output = await engine.describeQuery(input.query);
  const seen = new Map<string, string>();
  for (const column of output) {
    const previous = seen.get(column.name.toLowerCase());
    if (previous !== undefined) {
      throw validationError(
        `The query returns two columns named '${column.name}'; give each output column a unique alias.`,
      );
    }
    seen.set(column.name.toLowerCase(), column.name);
  }
  const { schema, columnMapping } = applyColumnList(output, input.columns);
  const names = schema.map((c) => c.name);

  if (input.primaryKey) {
    for (const key of input.primaryKey.columns) {
      if (!names.some((n) => sameName(n, key))) {
        throw validationError(
          `Primary key column '${key}' is not a column of the dynamic table. Available columns: ${quoteList(names)}.`,
        );
      }
    }
  }
  for (const key of input.partitionKeys) {
    if (!names.some((n) => sameName(n, key))) {
      throw validationError(
        `Partition column '${key}' not defined in the query's schema. Available columns: ${quoteList(names)}.`,
      );
    }
  }
  const formatters = partitionFormatters(input.options);
  for (const [column, pattern] of Object.entries(formatters)) {
    const option = dateFormatterOption(column);
    if (!input.partitionKeys.some((k) => sameName(k, column))) {
      throw validationError(
        `Column '${column}' referenced by dynamic table option '${option}' isn't a partition column. Available ` +
          `partition columns: ${quoteList(input.partitionKeys.length > 0 ? input.partitionKeys : [''])}.`,
      );
    }
    validateDateFormatter(option, pattern);
  }
  const strategy = input.options[REFRESH_STRATEGY_OPTION];
  if (strategy !== undefined && !(KNOWN_STRATEGIES as readonly string[]).includes(strategy)) {
    throw validationError(
      `Option '${REFRESH_STRATEGY_OPTION}' must be one of ${KNOWN_STRATEGIES.join(', ')}; got '${strategy}'.`,
    );
  }
  const initialize = input.options.initialize;
  if (initialize !== undefined && !(KNOWN_INITIALIZE_VALUES as readonly string[]).includes(initialize)) {
    throw validationError(
      `Option 'initialize' must be one of ${KNOWN_INITIALIZE_VALUES.join(', ')}; got '${initialize}'.`,
    );
  }
  return { schema, columnMapping, queryHash: hashQuery(input.query) };
}

/**
 * No list: the query's columns. A list naming exactly the query's columns selects them in the list's order
 * (Flink); any other list of the same length renames the query's columns by position (Snowflake).
 */
function applyColumnList(
  output: readonly ColumnInfo[],
  columns: readonly string[] | null,
): { schema: ColumnInfo[]; columnMapping: ColumnMapping[] } {
  if (columns === null) {
    return { schema: [...output], columnMapping: output.map((c) => ({ target: c.name, source: c.name })) };
  }
  if (columns.length !== output.length) {
    throw validationError(
      `The column list names ${columns.length} column(s) but the query returns ${output.length}: ` +
        `${quoteList(output.map((c) => c.name))}.`,
    );
  }
  const lower = new Set<string>();
  for (const name of columns) {
    if (lower.has(name.toLowerCase())) throw validationError(`Column '${name}' appears twice in the column list.`);
    lower.add(name.toLowerCase());
  }
  const byName = columns.map((name) => output.find((c) => sameName(c.name, name)));
  if (byName.every((c) => c !== undefined)) {
    const picked = byName as ColumnInfo[];
    return {
      schema: picked.map((c, i) => ({ ...c, name: columns[i] as string })),
      columnMapping: picked.map((c, i) => ({ target: columns[i] as string, source: c.name })),
    };
  }
  return {
    schema: output.map((c, i) => ({ ...c, name: columns[i] as string })),
    columnMapping: output.map((c, i) => ({ target: columns[i] as string, source: c.name })),
  };
}

/** A hash of the query with whitespace and comments normalised away, to tell real changes from re-formatting. */
export function hashQuery(query: string): string {
  const normalised = query
    .replace(/--[^\n]*/g, ' ')
    .replace(/\/\*[\s\S]*?\*\//g, ' ')
    .replace(/\s+/g, ' ')
    .trim()
    .toLowerCase();
  return createHash('sha256').update(normalised).digest('hex');
}

/** The physical table of a stored dynamic table, as its engine creates it. */
export function physicalDefinition(record: DynamicTableRecord): TableDefinition {
  return {
    table: { database: record.databaseName, name: record.tableName },
    columns: record.schema,
    primaryKey: record.primaryKey?.enforced ? record.primaryKey.columns : null,
  };
}
