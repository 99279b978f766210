/**
 * The profiler: a dataset's statistics computed in SQL on the engine that holds it. A count, then three statements
 * side by side over the same seeded sample (see `profile-statements.ts`): aggregates, groups (distinct and top
 * values) and histograms. Exact up to `sampleRows` rows; beyond that, a seeded sample (see `sampleClause`).
 */
import type { Engine, PortableTypeFamily } from '../engine/engine';
import type { SqlDialect } from '../model';
import {
  type AggregatePositions,
  aggregateStatement,
  BUCKETS,
  distinctStatement,
  groupsStatement,
  histogramStatement,
  keepsTopValues,
  TOP_FETCHED,
  topValuesStatement,
} from './profile-statements';
import {
  type ColumnKind,
  type ColumnProfile,
  type DatasetProfile,
  type HistogramBucket,
  isoOfEpoch,
  kindOf,
  resolutionOf,
  rounded,
  semanticTypesOf,
} from './profile-model';
import { literal, quote, type SampleClause, sampleClause } from './sql-dialect';

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

const TOP_VALUES = 10;

/** What the aggregate pass learns of a column. */
interface Stats {
  nonNull: number;
  min: number | null;
  max: number | null;
  mean: number | null;
  /** Sum of squares of a numeric column's values, for its deviation. */
  squares: number | null;
  trueCount: number | null;
  length: { min: number; max: number } | null;
  /** A time column's resolution, as an index of RESOLUTIONS. */
  finest: number | null;
  /** SQLite: values that read as ISO dates or date-times. */
  isoText: number | null;
}

interface Column extends ProfileColumn {
  readonly index: number;
  kind: ColumnKind;
  stats?: Stats;
  distinct?: number | null;
  /** Counts per bucket, from the histogram statement. */
  buckets?: number[];
  topValues?: Array<{ value: string; count: number }> | null;
}

const num = (value: unknown): number | null => (value === null || value === undefined ? null : Number(value));
const count = (value: unknown): number => Number(value ?? 0);

export class Profiler {
  private readonly columns: Column[];
  private sample: SampleClause = { with: [], from: '' };

  constructor(private readonly request: ProfileRequest) {
    this.columns = request.columns.map((c, index) => ({ ...c, index, kind: kindOf(c.family) }));
  }

  async run(): Promise<DatasetProfile> {
    const { request } = this;
    const where = Object.entries(request.partition ?? {}).map(
      ([column, value]) => `${quote(request.dialect, column)} = ${literal(request.dialect, value)}`,
    );
    const [rowCount, rowids] = await Promise.all([
      request.presampled?.rowCount ?? this.countRows(where),
      request.dialect === 'sqlite' && request.presampled === undefined ? this.rowids() : null,
    ]);
    const fraction =
      request.presampled === undefined && rowCount > request.sampleRows ? request.sampleRows / rowCount : 1;
    this.sample =
      fraction < 1
        ? sampleClause(request.dialect, request.table, where, {
            fraction,
            rows: request.sampleRows,
            seed: request.seed,
            rowids,
          })
        : { with: [], from: `${request.table}${where.length > 0 ? ` WHERE ${where.join(' AND ')}` : ''}` };
    const sampled = fraction < 1 || request.presampled?.sampled === true;
    let profiledRows = 0;
    if (rowCount > 0) {
      // Two lines of statements side by side, as many as a SQLite engine keeps readers for.
      const spread = async () => {
        const rows = await this.aggregate(this.columns);
        await this.histograms(this.columns);
        return rows;
      };
      [profiledRows] = await Promise.all([spread(), this.groups(this.columns)]);
      const readAsTime = this.columns.filter(
        (c) => c.kind === 'text' && (c.stats?.nonNull ?? 0) > 0 && c.stats?.isoText === c.stats?.nonNull,
      );
      for (const column of readAsTime) column.kind = 'temporal';
      if (readAsTime.length > 0) await Promise.all([this.aggregate(readAsTime), this.histograms(readAsTime)]);
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

  /** A SQLite table's least and greatest rowid (the ends of its b-tree); null for a table without rowids. */
  private async rowids(): Promise<{ min: number; max: number } | null> {
    try {
      const [row = []] = await this.query(`SELECT MIN(rowid), MAX(rowid) FROM ${this.request.table}`);
      const [min, max] = [num(row[0]), num(row[1])];
      return min === null || max === null ? null : { min, max };
    } catch {
      return null;
    }
  }

  /** Counts, extremes, means, lengths, time alignment and histograms. Returns the rows profiled. */
  private async aggregate(columns: readonly Column[]): Promise<number> {
    const { sql, positions } = aggregateStatement(this.request.dialect, this.sample, columns);
    const [row = []] = await this.query(sql);
    columns.forEach((c, i) => {
      const at: AggregatePositions = positions[i] ?? {};
      const read = (key: string) => (at[key] === undefined ? null : num(row[at[key]]));
      const lengthMin = read('lengthMin');
      c.stats = {
        nonNull: count(read('nonNull')),
        min: read('min'),
        max: read('max'),
        mean: read('mean'),
        squares: read('squares'),
        trueCount: read('trueCount'),
        length: lengthMin === null ? null : { min: lengthMin, max: count(read('lengthMax')) },
        isoText: read('isoText'),
        finest: read('finest'),
      };
      if (c.kind === 'boolean' && c.stats.nonNull > 0) c.topValues = booleanValues(c.stats);
    });
    return count(row[0]);
  }

  /**
   * Distinct values of every column, and the most frequent values of the columns that have few: in one statement
   * that groups each column once on PostgreSQL (which groups by hashing), in two elsewhere (`COUNT(DISTINCT)`, then
   * grouping only the columns with few values).
   */
  private async groups(columns: readonly Column[]): Promise<void> {
    const { dialect } = this.request;
    const comparable = columns.filter((c) => c.kind !== 'opaque');
    let rows: ReadonlyArray<readonly unknown[]>;
    if (dialect === 'postgresql') {
      rows = await this.query(groupsStatement(dialect, this.sample, columns), columns.length * (TOP_FETCHED + 1));
    } else {
      const [counts = []] = await this.query(distinctStatement(dialect, this.sample, comparable));
      const total = count(counts[0]);
      const distinct = comparable.map((c, i): readonly unknown[] => ['d', c.index, null, counts[i + 1]]);
      const few = comparable.filter((c, i) => keepsTopValues(c, num(counts[i + 1]), total));
      const top =
        few.length === 0
          ? []
          : await this.query(topValuesStatement(dialect, this.sample, few), few.length * TOP_FETCHED);
      rows = [...distinct, ...top];
    }
    for (const c of columns) {
      const mine = rows.filter((row) => Number(row[1]) === c.index);
      const distinct = mine.find((row) => row[0] === 'd');
      c.distinct = c.kind === 'opaque' || distinct === undefined ? null : count(distinct[3]);
      const values = mine
        .filter((row) => row[0] === 't')
        .map((row) => ({ value: String(row[2]), count: count(row[3]) }));
      if (values.length > 0) c.topValues = mostFrequent(values);
    }
  }

  /** Bucket counts of numeric and time columns. */
  private async histograms(columns: readonly Column[]): Promise<void> {
    const sql = histogramStatement(this.request.dialect, this.sample, columns);
    if (sql === null) return;
    const rows = await this.query(sql, columns.length * BUCKETS);
    for (const c of columns) {
      if (c.kind !== 'numeric' && c.kind !== 'temporal') continue;
      const counts = new Array<number>(BUCKETS).fill(0);
      for (const row of rows) if (Number(row[0]) === c.index) counts[Number(row[1])] = count(row[2]);
      c.buckets = counts;
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
      distinct: c.distinct ?? null,
      min: stats?.min ?? null,
      max: stats?.max ?? null,
      rows: profiledRows,
    });
    const extreme = (value: number | null | undefined) =>
      value === null || value === undefined ? null : temporal ? isoOfEpoch(value) : rounded(value);
    return {
      name: c.name,
      declaredType: c.declaredType,
      semanticType: semanticTypes[0] ?? 'text',
      semanticTypes,
      nullCount,
      nullRatio: profiledRows === 0 ? 0 : (rounded(nullCount / profiledRows) ?? 0),
      distinctCount: c.distinct ?? null,
      min: extreme(stats?.min),
      max: extreme(stats?.max),
      mean: c.kind === 'numeric' ? rounded(stats?.mean ?? null) : null,
      stddev: c.kind === 'numeric' && stats !== undefined ? deviation(stats) : null,
      histogram: stats === undefined || c.buckets === undefined ? null : histogramOf(c, stats),
      topValues: c.topValues ?? null,
      length: stats?.length ?? null,
      temporalCoverage:
        temporal && stats?.min !== null && stats?.min !== undefined && stats.max !== null && stats.finest !== null
          ? {
              column: c.name,
              start: isoOfEpoch(stats.min),
              end: isoOfEpoch(stats.max),
              resolution: resolutionOf(stats.finest),
            }
          : null,
    };
  }
}

/** The sample standard deviation from the sum and the sum of squares; 0 when every value is the same. */
function deviation(stats: Stats): number | null {
  const n = stats.nonNull;
  if (n < 2 || stats.mean === null || stats.squares === null) return null;
  if (stats.min !== null && stats.min === stats.max) return 0;
  const variance = (stats.squares - n * stats.mean * stats.mean) / (n - 1);
  return rounded(Math.sqrt(Math.max(0, variance)));
}

/** The ten most frequent values, ties broken by the value's code points (not by an engine's collation). */
function mostFrequent(values: Array<{ value: string; count: number }>): Array<{ value: string; count: number }> {
  values.sort((a, b) => b.count - a.count || (a.value < b.value ? -1 : a.value > b.value ? 1 : 0));
  return values.slice(0, TOP_VALUES);
}

/** A boolean column's values, from its counts. */
function booleanValues(stats: Stats): Array<{ value: string; count: number }> {
  const trueCount = stats.trueCount ?? 0;
  const values = [
    { value: 'true', count: trueCount },
    { value: 'false', count: stats.nonNull - trueCount },
  ];
  return mostFrequent(values.filter((v) => v.count > 0));
}

/** Buckets of equal width between the column's min and max; one bucket when they are equal. */
function histogramOf(c: Column, stats: Stats): HistogramBucket[] | null {
  if (stats.min === null || stats.max === null || c.buckets === undefined) return null;
  const { min, max } = stats;
  const counts = max > min ? c.buckets : [stats.nonNull];
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
