/**
 * The SQL the profiler writes, per engine dialect: quoting, casts, epoch seconds of a time value, calendar parts of
 * an epoch, and a seeded row sample. Every expression here means the same on SQLite, PostgreSQL and MySQL/MariaDB,
 * so that the same data profiles the same on each.
 */
import type { Engine } from '../engine/engine';
import type { SqlDialect } from '../model';

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
  if (dialect === 'postgresql') return `CAST(FLOOR(EXTRACT(EPOCH FROM ${expr})) AS BIGINT)`;
  return `TIMESTAMPDIFF(SECOND, '1970-01-01 00:00:00', ${expr})`;
}

/** The day of the month (1–31) and the month (1–12) of an epoch in seconds, in UTC. */
export function calendarPart(dialect: SqlDialect, part: 'day' | 'month', epoch: string): string {
  if (dialect === 'sqlite')
    return `CAST(strftime('${part === 'day' ? '%d' : '%m'}', ${epoch}, 'unixepoch') AS INTEGER)`;
  if (dialect === 'postgresql') return `EXTRACT(${part.toUpperCase()} FROM to_timestamp(${epoch}) AT TIME ZONE 'UTC')`;
  const instant = `DATE_ADD('1970-01-01 00:00:00', INTERVAL ${epoch} SECOND)`;
  return part === 'day' ? `DAYOFMONTH(${instant})` : `MONTH(${instant})`;
}

/** The whole part of a non-negative number. */
export function wholePart(dialect: SqlDialect, expr: string): string {
  return dialect === 'sqlite' ? `CAST(${expr} AS INTEGER)` : `FLOOR(${expr})`;
}

/**
 * The `FROM` clause of a seeded Bernoulli sample keeping about `fraction` of the rows that pass `where`: the same
 * seed keeps the same rows of the same data. SQLite hashes the rowid, PostgreSQL uses `TABLESAMPLE … REPEATABLE`,
 * MySQL `RAND(seed)`. Rows are kept independently of each other, so sampling before a filter keeps the same share
 * of the filtered rows as sampling after it would.
 */
export function sampledFrom(
  dialect: SqlDialect,
  table: string,
  where: readonly string[],
  fraction: number,
  seed: number,
): string {
  const conditions = [...where];
  let from = table;
  if (dialect === 'postgresql') {
    from = `${table} TABLESAMPLE BERNOULLI (${numberLiteral(fraction * 100)}) REPEATABLE (${seed})`;
  } else if (dialect === 'sqlite') {
    const threshold = Math.max(1, Math.floor(fraction * 2 ** 31));
    conditions.push(`((rowid * 1103515245 + ${seed}) % 2147483648) < ${threshold}`);
  } else {
    conditions.push(`RAND(${seed}) < ${numberLiteral(fraction)}`);
  }
  return `${from}${conditions.length > 0 ? ` WHERE ${conditions.join(' AND ')}` : ''}`;
}
