/**
 * The columns incremental refresh on PostgreSQL works with (see `postgres-incremental.ts`): the query's output
 * columns and where the target's columns sit among them, and matching rows on a list of columns.
 *
 * `IS NOT DISTINCT FROM` cannot use an index, so rows are matched with `=` on the columns that are not NULL and
 * `IS NULL` on those that are: the delta's rows are grouped by which of their columns are NULL, one statement
 * per such pattern.
 */
import type { IncrementalRefreshSpec } from '../engine';
import { IncrementalUnavailable, keyColumn } from '../incremental-sql';
import { renderTemplate, type GroupedMaintenance } from '../../sql/incremental-plan';
import type { PgPoolClient } from './postgres-driver';
import { sql } from './postgres-incremental-state';
import { run } from './postgres-pool';

/** The target's columns, their positions among the query's output columns, and how many of those there are. */
export interface TargetColumns {
  readonly targets: string[];
  readonly positions: number[];
  readonly width: number;
}

/** Output column names of a query, in order. */
export async function outputNames(client: PgPoolClient, query: string): Promise<string[]> {
  const result = await run(client, sql(`SELECT * FROM (\n${query.replace(/[\s;]+$/, '')}\n) AS q LIMIT 0`));
  return result.fields.map((field) => field.name);
}

/** Where the target's columns sit among the query's; fails when they no longer match. */
export async function targetColumns(client: PgPoolClient, spec: IncrementalRefreshSpec): Promise<TargetColumns> {
  const names = await outputNames(client, spec.query);
  const unique = new Set(names).size === names.length;
  const positions = spec.columns.map((mapping, i) => (unique ? names.indexOf(mapping.source) : i));
  if (positions.some((p) => p < 0 || p >= names.length))
    throw new IncrementalUnavailable("the table's columns no longer match its query");
  return { targets: spec.columns.map((m) => m.target), positions, width: names.length };
}

/** How many columns the rows a GROUP BY or DISTINCT query groups have. */
export async function inputWidthOf(client: PgPoolClient, plan: GroupedMaintenance): Promise<number> {
  return (
    await outputNames(
      client,
      renderTemplate(plan.input, () => null),
    )
  ).length;
}

/** Which columns of a row are NULL, as a string of 0 and 1. */
export const nullMask = (columns: readonly string[]) =>
  columns.length === 0 ? `''` : columns.map((c) => `(CASE WHEN ${c} IS NULL THEN '1' ELSE '0' END)`).join(' || ');

/** Equality of `pairs` (left, right) for rows whose NULL pattern is `mask`: `IS NULL` where it has a 1, else `=`. */
export const matchFor = (mask: string, pairs: ReadonlyArray<readonly [string, string]>) =>
  pairs.length === 0
    ? 'TRUE'
    : pairs.map(([left, right], i) => (mask[i] === '1' ? `${left} IS NULL` : `${left} = ${right}`)).join(' AND ');

/** The NULL patterns of `columns` among the rows of `relation` (aliased `r`) that satisfy `where`. */
export async function masksOf(
  client: PgPoolClient,
  relation: string,
  columns: readonly string[],
  where = 'TRUE',
): Promise<string[]> {
  const rows = await run<{ mask: string }>(
    client,
    sql(`SELECT DISTINCT ${nullMask(columns)} AS mask FROM ${relation} AS r WHERE ${where}`),
  );
  return rows.rows.map((row) => row.mask);
}

/** The group key columns (`__k1`, …), each with `prefix` in front. */
export const keyList = (keys: number, prefix = '') =>
  Array.from({ length: keys }, (_, i) => `${prefix}${keyColumn(i)}`);
/** The group key columns of `left` paired with those of `right`, for {@link matchFor}. */
export const keyPairs = (keys: number, left: string, right: string) =>
  Array.from({ length: keys }, (_, i) => [`${left}.${keyColumn(i)}`, `${right}.${keyColumn(i)}`] as const);
