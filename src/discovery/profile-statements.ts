/**
 * The profiler's statements over a sample `s` of a table, written for one dialect: the aggregates (counts,
 * extremes, sums, lengths, time alignment), the histograms (twenty buckets between each numeric or time column's
 * extremes), the distinct values and the most frequent values of low-cardinality columns (in one statement on
 * PostgreSQL, which groups by hashing; in two elsewhere). Only the last needs another's result: they run side by
 * side. Every statement reads only the columns it uses.
 */
import type { PortableTypeFamily } from '../engine/engine';
import type { SqlDialect } from '../model';
import type { ColumnKind } from './profile-model';
import {
  asDouble,
  asText,
  calendarPart,
  epochSeconds,
  quote,
  type SampleClause,
  textLength,
  wholePart,
} from './sql-dialect';

export const BUCKETS = 20;
/** Values fetched per column before ties are broken the same way on every engine. */
export const TOP_FETCHED = 50;

export interface StatementColumn {
  /** Names the column's values `c<index>` and a time column's epoch seconds `t<index>` in `s`. */
  readonly index: number;
  readonly name: string;
  readonly kind: ColumnKind;
  readonly family: PortableTypeFamily;
}

/** The aggregates of one column, by what they are, as positions in the aggregate statement's row. */
export type AggregatePositions = Readonly<Record<string, number>>;

/**
 * `WITH … s AS (…) body`: `s` holds the sampled rows, `values` as `c<i>` and the epoch seconds of `epochs` as
 * `t<i>`. `shared`: `body` reads `s` more than once, so it is read once and kept for the statement.
 */
export function overSample(
  dialect: SqlDialect,
  sample: SampleClause,
  columns: { readonly values: readonly StatementColumn[]; readonly epochs: readonly StatementColumn[] },
  shared: boolean,
  body: string,
  more: readonly string[] = [],
): string {
  const q = (name: string) => quote(dialect, name);
  const select = [
    ...columns.values.map((c) => `${q(c.name)} AS c${c.index}`),
    ...columns.epochs.map((c) => `${epochSeconds(dialect, q(c.name))} AS t${c.index}`),
  ];
  const materialized = shared && dialect !== 'mysql' ? 'MATERIALIZED ' : '';
  const rows = `s AS ${materialized}(SELECT ${select.length > 0 ? select.join(', ') : '1 AS one'} FROM ${sample.from})`;
  return `WITH ${[...sample.with, rows, ...more].join(', ')} ${body}`;
}

/** `COUNT` of the rows where `condition` holds. */
function countWhere(dialect: SqlDialect, condition: string): string {
  return dialect === 'postgresql'
    ? `COUNT(*) FILTER (WHERE ${condition})`
    : `SUM(CASE WHEN ${condition} THEN 1 ELSE 0 END)`;
}

/** Counts, extremes, means, sums of squares, lengths and time alignment; the row count is first. */
export function aggregateStatement(
  dialect: SqlDialect,
  sample: SampleClause,
  columns: readonly StatementColumn[],
): { sql: string; positions: AggregatePositions[] } {
  const expressions = ['COUNT(*)'];
  const add = (sql: string) => expressions.push(sql) - 1;
  const sum = (condition: string) => add(countWhere(dialect, condition));
  const positions = columns.map((c) => {
    const v = `c${c.index}`;
    const t = `t${c.index}`;
    const at: Record<string, number> = { nonNull: add(`COUNT(${v})`) };
    if (c.kind === 'numeric') {
      at.min = add(`MIN(${v})`);
      at.max = add(`MAX(${v})`);
      at.mean = add(`AVG(${asDouble(dialect, v)})`);
      at.squares = add(`SUM(${asDouble(dialect, v)} * ${asDouble(dialect, v)})`);
    } else if (c.kind === 'boolean') {
      at.trueCount = sum(v);
    } else if (c.kind === 'temporal') {
      at.min = add(`MIN(${t})`);
      at.max = add(`MAX(${t})`);
      // The finest unit any value needs (an index of RESOLUTIONS); calendar parts are read of midnights only.
      at.finest = add(
        `MAX(CASE WHEN ${t} % 60 <> 0 THEN 5 WHEN ${t} % 3600 <> 0 THEN 4 WHEN ${t} % 86400 <> 0 THEN 3 ` +
          `WHEN ${calendarPart(dialect, 'day', t)} <> 1 THEN 2 WHEN ${calendarPart(dialect, 'month', t)} <> 1 THEN 1 ` +
          'ELSE 0 END)',
      );
    } else if (c.kind === 'text') {
      at.lengthMin = add(`MIN(${textLength(dialect, v)})`);
      at.lengthMax = add(`MAX(${textLength(dialect, v)})`);
      // SQLite has no date types: dates and times are text, found by their look.
      if (dialect === 'sqlite') {
        at.isoText = sum(`${v} GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]*' AND unixepoch(${v}) IS NOT NULL`);
      }
    }
    return at;
  });
  const epochs = columns.filter((c) => c.kind === 'temporal');
  const sql = overSample(
    dialect,
    sample,
    { values: columns, epochs },
    false,
    `SELECT ${expressions.join(', ')} FROM s`,
  );
  return { sql, positions };
}

/**
 * Rows `(i, bucket, count)`: twenty buckets of equal width between each numeric or time column's least and
 * greatest value (all in bucket 0 when they are equal), each column grouped once by its bucket.
 */
export function histogramStatement(
  dialect: SqlDialect,
  sample: SampleClause,
  columns: readonly StatementColumn[],
): string | null {
  const spread = columns.filter((c) => c.kind === 'numeric' || c.kind === 'temporal');
  if (spread.length === 0) return null;
  const x = (c: StatementColumn) => asDouble(dialect, c.kind === 'temporal' ? `t${c.index}` : `c${c.index}`);
  const extremes = spread.map((c) => `MIN(${x(c)}) AS lo${c.index}, MAX(${x(c)}) AS hi${c.index}`);
  const branches = spread.map((c) => {
    const [v, lo, hi] = [x(c), `e.lo${c.index}`, `e.hi${c.index}`];
    const bucket =
      `CASE WHEN ${hi} = ${lo} THEN 0 WHEN ${v} >= ${hi} THEN ${BUCKETS - 1} ` +
      `ELSE ${wholePart(dialect, `(${v} - ${lo}) * ${BUCKETS} / (${hi} - ${lo})`)} END`;
    return (
      `SELECT k, b, COUNT(*) AS n FROM (SELECT ${c.index} AS k, ${bucket} AS b FROM s, e ` +
      `WHERE c${c.index} IS NOT NULL) h${c.index} GROUP BY k, b`
    );
  });
  const materialized = dialect === 'mysql' ? '' : 'MATERIALIZED ';
  const more = [`e AS ${materialized}(SELECT ${extremes.join(', ')} FROM s)`];
  const epochs = spread.filter((c) => c.kind === 'temporal');
  return overSample(dialect, sample, { values: spread, epochs }, true, branches.join(' UNION ALL '), more);
}

/** Columns whose most frequent values are kept when they have few distinct ones (booleans' come from their counts). */
function counted(c: StatementColumn): boolean {
  return c.kind === 'text' || (c.kind === 'numeric' && c.family === 'integer');
}

/**
 * PostgreSQL, which groups by hashing: rows `('d', i, NULL, distinct values)` for every comparable column, and
 * `('t', i, value, count)` for the most frequent values of the columns {@link keepsTopValues} keeps. Each column
 * is grouped once, for both.
 */
export function groupsStatement(
  dialect: SqlDialect,
  sample: SampleClause,
  columns: readonly StatementColumn[],
): string {
  const grouped = columns.filter((c) => c.kind !== 'opaque');
  const materialized = dialect === 'mysql' ? '' : 'MATERIALIZED ';
  const groups = grouped.map(
    (c) =>
      `g${c.index} AS ${materialized}(SELECT c${c.index} AS v, COUNT(*) AS n FROM s ` +
      `WHERE c${c.index} IS NOT NULL GROUP BY c${c.index})`,
  );
  const branches = grouped.flatMap((c) => {
    const g = `g${c.index}`;
    const distinct = `SELECT 'd' AS tag, ${c.index} AS k, ${asText(dialect, 'NULL')} AS v, COUNT(*) AS n FROM ${g}`;
    if (!counted(c)) return [distinct];
    const few = `WHERE (SELECT COUNT(*) FROM ${g}) * 10 <= (SELECT COUNT(*) FROM s) `;
    return [
      distinct,
      `SELECT * FROM (SELECT 't' AS tag, ${c.index} AS k, ${asText(dialect, 'v')} AS v, n FROM ${g} ${few}` +
        `ORDER BY n DESC LIMIT ${TOP_FETCHED}) x${c.index}`,
    ];
  });
  const body = branches.length > 0 ? branches.join(' UNION ALL ') : `SELECT 'd' AS tag, 0 AS k, '' AS v, 0 AS n`;
  return overSample(dialect, sample, { values: grouped, epochs: [] }, true, body, groups);
}

/** The row count, then the distinct values of every comparable column (in the order of `columns`). */
export function distinctStatement(
  dialect: SqlDialect,
  sample: SampleClause,
  columns: readonly StatementColumn[],
): string {
  const expressions = ['COUNT(*)', ...columns.map((c) => `COUNT(DISTINCT c${c.index})`)];
  return overSample(dialect, sample, { values: columns, epochs: [] }, false, `SELECT ${expressions.join(', ')} FROM s`);
}

/** Rows `('t', i, value, count)`: the most frequent values of each of `columns`. */
export function topValuesStatement(
  dialect: SqlDialect,
  sample: SampleClause,
  columns: readonly StatementColumn[],
): string {
  const branches = columns.map(
    (c) =>
      `SELECT * FROM (SELECT 't' AS tag, ${c.index} AS k, ${asText(dialect, `c${c.index}`)} AS v, COUNT(*) AS n ` +
      `FROM s WHERE c${c.index} IS NOT NULL GROUP BY c${c.index} ORDER BY COUNT(*) DESC LIMIT ${TOP_FETCHED}) x${c.index}`,
  );
  return overSample(dialect, sample, { values: columns, epochs: [] }, columns.length > 1, branches.join(' UNION ALL '));
}

/** Whether the most frequent values of an integer or text column are counted: when it has few values. */
export function keepsTopValues(c: StatementColumn, distinct: number | null, rows: number): boolean {
  return counted(c) && distinct !== null && distinct > 0 && distinct * 10 <= rows;
}
