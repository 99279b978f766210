/**
 * The profiler: a dataset's statistics computed in SQL on the engine that holds it, in few passes over the rows
 * (a count; one aggregate pass for every column; one for histograms and deviations; one for the top values of
 * low-cardinality columns). Exact up to `sampleRows` rows; beyond that, a seeded sample (see `sampledFrom`).
 */
import type { Engine, PortableTypeFamily } from '../engine/engine';
import type { SqlDialect } from '../model';
import {
  type AlignmentCounts,
  type ColumnKind,
  type ColumnProfile,
  type DatasetProfile,
  type HistogramBucket,
  isLowCardinality,
  isoOfEpoch,
  kindOf,
  resolutionOf,
  rounded,
  semanticTypesOf,
} from './profile-model';
import {
  asDouble,
  asText,
  calendarPart,
  epochSeconds,
  literal,
  numberLiteral,
  quote,
  sampledFrom,
  textLength,
  wholePart,
} from './sql-dialect';

export interface ProfileColumn {
  readonly name: string;
  /** As shown in the profile. */
  readonly declaredType: string;
  readonly family: PortableTypeFamily;
}

export interface ProfileRequest {
  readonly engine: Engine;
  readonly dialect: SqlDialect;
  /** The table as SQL names it (quoted, qualified). */
  readonly table: string;
  readonly columns: readonly ProfileColumn[];
  /** Only the rows whose columns equal these values. */
  readonly partition: Readonly<Record<string, string>> | null;
  readonly sampleRows: number;
  readonly seed: number;
  /** Set when the table holds a sample taken already (a file's): how many rows the whole had. */
  readonly presampled?: { readonly rowCount: number; readonly sampled: boolean };
  readonly signal?: AbortSignal;
}

const BUCKETS = 20;
const TOP_VALUES = 10;
/** Values fetched per column before ties are broken the same way on every engine. */
const TOP_FETCHED = 50;

/** What the aggregate pass learns of a column. */
interface Stats {
  nonNull: number;
  distinct: number | null;
  min: number | null;
  max: number | null;
  mean: number | null;
  trueCount: number | null;
  length: { min: number; max: number } | null;
  align: AlignmentCounts | null;
  /** SQLite: values that read as ISO dates or date-times. */
  isoText: number | null;
}

interface Column extends ProfileColumn {
  readonly index: number;
  kind: ColumnKind;
  stats?: Stats;
  sumSquares?: number | null;
  histogram?: HistogramBucket[] | null;
  topValues?: Array<{ value: string; count: number }> | null;
}

/** Collects select expressions and reads their values back by position. */
class Select {
  readonly expressions: string[] = [];
  add(sql: string): number {
    this.expressions.push(sql);
    return this.expressions.length - 1;
  }
}

const num = (value: unknown): number | null => (value === null || value === undefined ? null : Number(value));
const count = (value: unknown): number => Number(value ?? 0);

export class Profiler {
  private readonly q: (name: string) => string;
  private readonly columns: Column[];
  private from = '';

  constructor(private readonly request: ProfileRequest) {
    this.q = (name) => quote(request.dialect, name);
    this.columns = request.columns.map((c, index) => ({ ...c, index, kind: kindOf(c.family) }));
  }

  async run(): Promise<DatasetProfile> {
    const { request } = this;
    const where = Object.entries(request.partition ?? {}).map(
      ([column, value]) => `${this.q(column)} = ${literal(request.dialect, value)}`,
    );
    const rowCount = request.presampled?.rowCount ?? (await this.countRows(where));
    const fraction =
      request.presampled === undefined && rowCount > request.sampleRows ? request.sampleRows / rowCount : 1;
    this.from =
      fraction < 1
        ? sampledFrom(request.dialect, request.table, where, fraction, request.seed)
        : `${request.table}${where.length > 0 ? ` WHERE ${where.join(' AND ')}` : ''}`;
    const sampled = fraction < 1 || request.presampled?.sampled === true;
    let profiledRows = 0;
    if (rowCount > 0) {
      profiledRows = await this.aggregate(this.columns);
      const dated = this.columns.filter((c) => c.kind === 'text' && c.stats?.isoText === c.stats?.nonNull);
      const readAsTime = dated.filter((c) => (c.stats?.nonNull ?? 0) > 0);
      for (const column of readAsTime) column.kind = 'temporal';
      if (readAsTime.length > 0) await this.aggregate(readAsTime);
      await this.spread();
      await this.topValues(profiledRows);
    }
    const columns = this.columns.map((c) => this.columnProfile(c, profiledRows));
    return {
      rowCount,
      profiledRows,
      sampled,
      seed: sampled ? request.seed : null,
      partition: request.partition,
      columns,
      temporalCoverage: columns.flatMap((c) => (c.temporalCoverage === null ? [] : [c.temporalCoverage])),
    };
  }

  private async query(sql: string, rowLimit = 1): Promise<ReadonlyArray<readonly unknown[]>> {
    const { engine, signal } = this.request;
    const result = await engine.execute(sql, { rowLimit, ...(signal ? { signal } : {}) });
    if (result.kind !== 'rows') throw new Error('The profiler expected rows from the engine.');
    return result.rows;
  }

  private async countRows(where: readonly string[]): Promise<number> {
    const filter = where.length > 0 ? ` WHERE ${where.join(' AND ')}` : '';
    const rows = await this.query(`SELECT COUNT(*) FROM ${this.request.table}${filter}`);
    return count(rows[0]?.[0]);
  }

  /** The rows profiled, each column as `c<i>` and each time column's epoch seconds as `t<i>`. */
  private relation(): string {
    const { dialect } = this.request;
    const select = this.columns.flatMap((c) => {
      const value = `${this.q(c.name)} AS c${c.index}`;
      return c.kind === 'temporal' ? [value, `${epochSeconds(dialect, this.q(c.name))} AS t${c.index}`] : [value];
    });
    return `SELECT ${select.join(', ')} FROM ${this.from}`;
  }

  /** Pass 1: counts, distinct values, extremes, means, lengths, time alignment. Returns the rows profiled. */
  private async aggregate(columns: readonly Column[]): Promise<number> {
    const { dialect } = this.request;
    const select = new Select();
    const total = select.add('COUNT(*)');
    const positions = columns.map((c) => {
      const v = `c${c.index}`;
      const t = `t${c.index}`;
      const sum = (condition: string) => select.add(`SUM(CASE WHEN ${condition} THEN 1 ELSE 0 END)`);
      const at: Record<string, number> = { nonNull: select.add(`COUNT(${v})`) };
      if (c.kind !== 'opaque') at.distinct = select.add(`COUNT(DISTINCT ${v})`);
      if (c.kind === 'numeric') {
        at.min = select.add(`MIN(${v})`);
        at.max = select.add(`MAX(${v})`);
        at.mean = select.add(`AVG(${asDouble(dialect, v)})`);
      } else if (c.kind === 'boolean') {
        at.trueCount = sum(v);
      } else if (c.kind === 'temporal') {
        at.min = select.add(`MIN(${t})`);
        at.max = select.add(`MAX(${t})`);
        at.offMinute = sum(`${t} % 60 <> 0`);
        at.offHour = sum(`${t} % 3600 <> 0`);
        at.offDay = sum(`${t} % 86400 <> 0`);
        at.offMonthStart = sum(`${calendarPart(dialect, 'day', t)} <> 1`);
        at.offYearStart = sum(`${calendarPart(dialect, 'month', t)} <> 1`);
      } else if (c.kind === 'text') {
        at.lengthMin = select.add(`MIN(${textLength(dialect, v)})`);
        at.lengthMax = select.add(`MAX(${textLength(dialect, v)})`);
        if (dialect === 'sqlite') {
          at.isoText = sum(`${v} GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]*' AND unixepoch(${v}) IS NOT NULL`);
        }
      }
      return at;
    });
    const [row = []] = await this.query(`SELECT ${select.expressions.join(', ')} FROM (${this.relation()}) r`);
    columns.forEach((c, i) => {
      const at = positions[i] ?? {};
      const read = (key: string) => (at[key] === undefined ? null : num(row[at[key]]));
      const lengthMin = read('lengthMin');
      c.stats = {
        nonNull: count(read('nonNull')),
        distinct: read('distinct'),
        min: read('min'),
        max: read('max'),
        mean: read('mean'),
        trueCount: read('trueCount'),
        length: lengthMin === null ? null : { min: lengthMin, max: count(read('lengthMax')) },
        isoText: read('isoText'),
        align:
          c.kind === 'temporal'
            ? {
                offMinute: count(read('offMinute')),
                offHour: count(read('offHour')),
                offDay: count(read('offDay')),
                offMonthStart: count(read('offMonthStart')),
                offYearStart: count(read('offYearStart')),
              }
            : null,
      };
    });
    return count(row[total]);
  }

  /** Pass 2: twenty-bucket histograms of numeric and time columns, and sums of squared deviations. */
  private async spread(): Promise<void> {
    const { dialect } = this.request;
    const spread = this.columns.filter(
      (c) => (c.kind === 'numeric' || c.kind === 'temporal') && c.stats !== undefined && c.stats.nonNull > 0,
    );
    const select = new Select();
    const buckets: string[] = [];
    const positions = spread.map((c) => {
      const stats = c.stats as Stats;
      const source = c.kind === 'temporal' ? `t${c.index}` : `c${c.index}`;
      const at: { squares?: number; buckets?: number[] } = {};
      if (c.kind === 'numeric' && stats.mean !== null) {
        const deviation = `(${asDouble(dialect, source)} - ${asDouble(dialect, numberLiteral(stats.mean))})`;
        at.squares = select.add(`SUM(${deviation} * ${deviation})`);
      }
      const { min, max } = stats;
      if (min !== null && max !== null && max > min) {
        const low = asDouble(dialect, numberLiteral(min));
        const high = asDouble(dialect, numberLiteral(max));
        const scaled = `(${asDouble(dialect, source)} - ${low}) * ${BUCKETS} / (${high} - ${low})`;
        buckets.push(
          `CASE WHEN ${source} IS NULL THEN NULL WHEN ${asDouble(dialect, source)} >= ${high} THEN ${BUCKETS - 1} ` +
            `ELSE ${wholePart(dialect, scaled)} END AS b${c.index}`,
        );
        at.buckets = Array.from({ length: BUCKETS }, (_, k) =>
          select.add(`SUM(CASE WHEN b${c.index} = ${k} THEN 1 ELSE 0 END)`),
        );
      }
      return at;
    });
    if (select.expressions.length > 0) {
      const inner = `SELECT r0.*${buckets.map((b) => `, ${b}`).join('')} FROM (${this.relation()}) r0`;
      const [row = []] = await this.query(`SELECT ${select.expressions.join(', ')} FROM (${inner}) r`);
      spread.forEach((c, i) => {
        const at = positions[i] ?? {};
        c.sumSquares = at.squares === undefined ? null : num(row[at.squares]);
        c.histogram =
          at.buckets === undefined
            ? null
            : histogramOf(
                c,
                at.buckets.map((p) => count(row[p])),
              );
      });
    }
    for (const c of spread) {
      const stats = c.stats as Stats;
      if (c.histogram === undefined || (c.histogram === null && stats.min !== null && stats.min === stats.max)) {
        c.histogram = histogramOf(c, [stats.nonNull]);
      }
    }
  }

  /** Pass 3: the most frequent values of booleans and of low-cardinality integer and text columns. */
  private async topValues(profiledRows: number): Promise<void> {
    const { dialect } = this.request;
    const wanted = this.columns.filter((c) => {
      const stats = c.stats;
      if (stats === undefined || stats.nonNull === 0) return false;
      if (c.kind === 'boolean') return true;
      const countable = c.kind === 'text' || (c.kind === 'numeric' && c.family === 'integer');
      return countable && isLowCardinality(stats.distinct, profiledRows);
    });
    if (wanted.length === 0) return;
    const relation = this.relation();
    const branches = wanted.map(
      (c) =>
        `SELECT * FROM (SELECT ${c.index} AS k, ${asText(dialect, `c${c.index}`)} AS v, COUNT(*) AS n ` +
        `FROM (${relation}) r WHERE c${c.index} IS NOT NULL GROUP BY c${c.index} ORDER BY COUNT(*) DESC ` +
        `LIMIT ${TOP_FETCHED}) x${c.index}`,
    );
    const rows = await this.query(branches.join(' UNION ALL '), wanted.length * TOP_FETCHED);
    for (const c of wanted) {
      const values = rows
        .filter((row) => Number(row[0]) === c.index)
        .map((row) => ({ value: c.kind === 'boolean' ? booleanText(row[1]) : String(row[1]), count: count(row[2]) }));
      // Ties broken by the value's code points, not by the engine's collation.
      values.sort((a, b) => b.count - a.count || (a.value < b.value ? -1 : a.value > b.value ? 1 : 0));
      c.topValues = values.slice(0, TOP_VALUES);
    }
  }

  private columnProfile(c: Column, profiledRows: number): ColumnProfile {
    const stats = c.stats;
    const nonNull = stats?.nonNull ?? 0;
    const temporal = c.kind === 'temporal';
    const nullCount = profiledRows - nonNull;
    const semanticTypes = semanticTypesOf({
      name: c.name,
      family: temporal ? 'timestamp' : c.family,
      nonNull,
      distinct: stats?.distinct ?? null,
      min: stats?.min ?? null,
      max: stats?.max ?? null,
      rows: profiledRows,
    });
    const extreme = (value: number | null | undefined) =>
      value === null || value === undefined ? null : temporal ? isoOfEpoch(value) : rounded(value);
    const stddev =
      c.sumSquares === undefined || c.sumSquares === null || nonNull < 2
        ? null
        : rounded(Math.sqrt(Math.max(0, c.sumSquares) / (nonNull - 1)));
    return {
      name: c.name,
      declaredType: c.declaredType,
      semanticType: semanticTypes[0] ?? 'text',
      semanticTypes,
      nullCount,
      nullRatio: profiledRows === 0 ? 0 : (rounded(nullCount / profiledRows) ?? 0),
      distinctCount: stats?.distinct ?? null,
      min: extreme(stats?.min),
      max: extreme(stats?.max),
      mean: c.kind === 'numeric' ? rounded(stats?.mean ?? null) : null,
      stddev: c.kind === 'numeric' ? (stats?.min === stats?.max && nonNull >= 2 ? 0 : stddev) : null,
      histogram: c.histogram ?? null,
      topValues: c.topValues ?? null,
      length: stats?.length ?? null,
      temporalCoverage:
        temporal && stats?.min !== null && stats?.min !== undefined && stats.max !== null && stats.align
          ? {
              column: c.name,
              start: isoOfEpoch(stats.min),
              end: isoOfEpoch(stats.max),
              resolution: resolutionOf(stats.align),
            }
          : null,
    };
  }
}

function booleanText(value: unknown): string {
  const text = String(value).toLowerCase();
  return text === '1' || text === 't' || text === 'true'
    ? 'true'
    : text === '0' || text === 'f' || text === 'false'
      ? 'false'
      : text;
}

/** Buckets of equal width between the column's min and max; one bucket when they are equal. */
function histogramOf(c: Column, counts: readonly number[]): HistogramBucket[] | null {
  const stats = c.stats;
  if (stats === undefined || stats.min === null || stats.max === null) return null;
  const { min, max } = stats;
  const width = (max - min) / counts.length;
  const bound = (value: number) => (c.kind === 'temporal' ? isoOfEpoch(Math.round(value)) : (rounded(value) ?? value));
  return counts.map((n, k) => ({
    lower: bound(min + k * width),
    upper: bound(k === counts.length - 1 ? max : min + (k + 1) * width),
    count: n,
  }));
}

/** Profiles one table (see {@link ProfileRequest}). */
export function profileTable(request: ProfileRequest): Promise<DatasetProfile> {
  return new Profiler(request).run();
}
