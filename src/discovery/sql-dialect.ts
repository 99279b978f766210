/**
 * The SQL the profiler writes, per engine dialect: quoting, casts, epoch seconds of a time value, calendar parts of
 * an epoch, and a seeded row sample. Every expression here means the same on SQLite, PostgreSQL and MySQL/MariaDB,
 * so that the same data profiles the same on each.
 */
import type { Engine } from '../engine/engine';
import type { SqlDialect } from '../model';
import { seededRandom } from './file-values';

/** The dialect of an engine the profiler can run on; null for one it cannot (a streaming engine such as Flink). */
export function dialectOf(engine: Engine): SqlDialect | null {
  return engine.name === 'sqlite' || engine.name === 'postgres' || engine.name === 'mysql' ? engine.dialect : null;
}

export function quote(dialect: SqlDialect, name: string): string {
  return dialect === 'mysql' ? `\`${name.replace(/`/g, '``')}\`` : `"${name.replace(/"/g, '""')}"`;
}

/** A string literal; MySQL also reads backslashes as escapes unless told not to. */
export function literal(dialect: SqlDialect, value: string): string {
  const escaped = dialect === 'mysql' ? value.replace(/\\/g, '\\\\') : value;
  return `'${escaped.replace(/'/g, "''")}'`;
}

/** A number as SQL reads it back exactly. */
export function numberLiteral(value: number): string {
  if (!Number.isFinite(value)) throw new Error(`Cannot write ${value} in SQL.`);
  return Number.isInteger(value) && Math.abs(value) < 2 ** 53 ? String(value) : value.toExponential(17);
}

/** `db.table`, or the table alone on SQLite (which has one database). */
export function tableReference(dialect: SqlDialect, database: string, table: string): string {
  return dialect === 'sqlite' ? quote(dialect, table) : `${quote(dialect, database)}.${quote(dialect, table)}`;
}

/** `expr` as a double: averages and sums of squares never overflow nor divide as integers. */
export function asDouble(dialect: SqlDialect, expr: string): string {
  if (dialect === 'sqlite') return `CAST(${expr} AS REAL)`;
  if (dialect === 'postgresql') return `CAST(${expr} AS DOUBLE PRECISION)`;
  return `(${expr} + 0e0)`;
}

export function asText(dialect: SqlDialect, expr: string): string {
  return dialect === 'mysql' ? `CAST(${expr} AS CHAR)` : `CAST(${expr} AS TEXT)`;
}

/** Characters of a text value. */
export function textLength(dialect: SqlDialect, expr: string): string {
  if (dialect === 'mysql') return `CHAR_LENGTH(${expr})`;
  if (dialect === 'postgresql') return `LENGTH(CAST(${expr} AS TEXT))`;
  return `LENGTH(${expr})`;
}

/** Whole seconds since 1970-01-01 UTC of a date or timestamp value (a zone-less timestamp is read as UTC). */
export function epochSeconds(dialect: SqlDialect, expr: string): string {
  if (dialect === 'sqlite') return `unixepoch(${expr})`;
  // date_part gives a double; EXTRACT gives a numeric, several times slower to compute.
  if (dialect === 'postgresql') return `CAST(FLOOR(date_part('epoch', ${expr})) AS BIGINT)`;
  return `TIMESTAMPDIFF(SECOND, '1970-01-01 00:00:00', ${expr})`;
}

/** The day of the month (1–31) and the month (1–12) of an epoch in seconds, in UTC. */
export function calendarPart(dialect: SqlDialect, part: 'day' | 'month', epoch: string): string {
  if (dialect === 'sqlite')
    return `CAST(strftime('${part === 'day' ? '%d' : '%m'}', ${epoch}, 'unixepoch') AS INTEGER)`;
  if (dialect === 'postgresql') return `date_part('${part}', to_timestamp(${epoch}) AT TIME ZONE 'UTC')`;
  const instant = `DATE_ADD('1970-01-01 00:00:00', INTERVAL ${epoch} SECOND)`;
  return part === 'day' ? `DAYOFMONTH(${instant})` : `MONTH(${instant})`;
}

/** The whole part of a non-negative number. */
export function wholePart(dialect: SqlDialect, expr: string): string {
  return dialect === 'sqlite' ? `CAST(${expr} AS INTEGER)` : `FLOOR(${expr})`;
}

/** From this many rows on, PostgreSQL samples pages (`SYSTEM`) rather than rows (`BERNOULLI`). */
const PAGE_SAMPLE_ROWS = 10_000;

/** Blocks of consecutive rowids a SQLite sample reads, at most. */
const SQLITE_BLOCKS = 200;

/** What a statement reading a sample starts with: CTEs to put first, and the FROM clause (with its WHERE). */
export interface SampleClause {
  readonly with: readonly string[];
  readonly from: string;
}

/**
 * A seeded sample of about `fraction` of the rows that pass `where`: the same seed reads the same rows of the same
 * data. PostgreSQL reads pages (`TABLESAMPLE SYSTEM … REPEATABLE`; rows, `BERNOULLI`, for a small sample); SQLite reads blocks of consecutive rowids, one
 * at a random place within each of up to 200 equal stretches of the rowid range (`rowids`: its least and greatest);
 * MySQL keeps rows with `RAND(seed)`. SQLite and PostgreSQL read only the sampled part of the table.
 */
export function sampleClause(
  dialect: SqlDialect,
  table: string,
  where: readonly string[],
  sample: {
    readonly fraction: number;
    /** About how many rows the sample holds. */
    readonly rows: number;
    readonly seed: number;
    /** SQLite: the table's least and greatest rowid; null for a table without rowids. */
    readonly rowids: { readonly min: number; readonly max: number } | null;
  },
): SampleClause {
  const { fraction, seed, rowids } = sample;
  const conditions = [...where];
  const filtered = (from: string) => `${from}${conditions.length > 0 ? ` WHERE ${conditions.join(' AND ')}` : ''}`;
  if (dialect === 'postgresql') {
    const percent = numberLiteral(Math.min(100, fraction * 100));
    // Whole pages are cheap to read but few pages make a lumpy sample: small samples take rows one by one.
    const method = sample.rows >= PAGE_SAMPLE_ROWS ? 'SYSTEM' : 'BERNOULLI';
    return { with: [], from: filtered(`${table} TABLESAMPLE ${method} (${percent}) REPEATABLE (${seed})`) };
  }
  if (dialect === 'mysql') {
    conditions.push(`RAND(${seed}) < ${numberLiteral(fraction)}`);
    return { with: [], from: filtered(table) };
  }
  // A table without rowids has no order to sample by that repeats: its first rows stand for it.
  if (rowids === null) return { with: [], from: `${filtered(table)} LIMIT ${sample.rows}` };
  const span = rowids.max - rowids.min + 1;
  const blocks = Math.max(1, Math.min(SQLITE_BLOCKS, Math.floor(span * fraction)));
  const stretch = span / blocks;
  const length = Math.max(1, Math.ceil((span * fraction) / blocks));
  const random = seededRandom(seed);
  const ranges = Array.from({ length: blocks }, (_, k) => {
    const low = rowids.min + Math.floor(k * stretch + random() * Math.max(0, stretch - length));
    return `(${low}, ${low + length - 1})`;
  });
  return {
    with: [`sample_blocks(lo, hi) AS (VALUES ${ranges.join(', ')})`],
    from: filtered(`sample_blocks JOIN ${table} ON ${table}.rowid BETWEEN sample_blocks.lo AND sample_blocks.hi`),
  };
}
