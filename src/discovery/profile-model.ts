/**
 * What a dataset's profile holds (after Auctus' profiler, DataHub's DatasetFieldProfile and OpenMetadata's
 * profiler), and the pure rules that name a column's semantic types and a time column's resolution from its
 * statistics.
 */
import type { PortableTypeFamily } from '../engine/engine';

export const SEMANTIC_TYPES = [
  'integer',
  'float',
  'text',
  'boolean',
  'datetime',
  'identifier',
  'categorical',
  'latitude',
  'longitude',
] as const;

export type SemanticType = (typeof SEMANTIC_TYPES)[number];

/** The finest unit a time column's values vary in. */
export type Resolution = 'second' | 'minute' | 'hour' | 'day' | 'month' | 'year';

export interface TemporalCoverage {
  readonly column: string;
  /** ISO-8601 UTC. */
  readonly start: string;
  readonly end: string;
  readonly resolution: Resolution;
}

export interface HistogramBucket {
  /** Numbers for a numeric column, ISO-8601 instants for a time column; `upper` is exclusive but for the last. */
  readonly lower: number | string;
  readonly upper: number | string;
  readonly count: number;
}

export interface ColumnProfile {
  readonly name: string;
  readonly declaredType: string;
  /** The most specific of {@link semanticTypes}. */
  readonly semanticType: SemanticType;
  /** Most specific first: a latitude column is `['latitude', 'float']`. */
  readonly semanticTypes: readonly SemanticType[];
  readonly nullCount: number;
  readonly nullRatio: number;
  /** Null for values that cannot be compared (JSON, binary). */
  readonly distinctCount: number | null;
  /** Numbers for numeric columns, ISO-8601 instants for time columns; null otherwise. */
  readonly min: number | string | null;
  readonly max: number | string | null;
  readonly mean: number | null;
  /** Sample standard deviation; null with fewer than two values. */
  readonly stddev: number | null;
  /** Twenty buckets of equal width between min and max, for numeric and time columns. */
  readonly histogram: readonly HistogramBucket[] | null;
  /** The ten most frequent values of a low-cardinality column (distinct values ≤ 10% of the rows), as text. */
  readonly topValues: ReadonlyArray<{ readonly value: string; readonly count: number }> | null;
  /** Shortest and longest text, in characters. */
  readonly length: { readonly min: number; readonly max: number } | null;
  readonly temporalCoverage: TemporalCoverage | null;
}

export interface DatasetProfile {
  /** Every row (of the partition, when one was asked for). */
  readonly rowCount: number;
  /** The rows the statistics come from: all of them, or a seeded sample. */
  readonly profiledRows: number;
  readonly sampled: boolean;
  /** The sample's seed; null when every row was profiled. */
  readonly seed: number | null;
  /** The partition profiled (column → value); null for the whole dataset. */
  readonly partition: Readonly<Record<string, string>> | null;
  readonly columns: readonly ColumnProfile[];
  /** One entry per time column with values. */
  readonly temporalCoverage: readonly TemporalCoverage[];
}

/** How the profiler treats a column. */
export type ColumnKind = 'numeric' | 'boolean' | 'temporal' | 'text' | 'opaque';

export function kindOf(family: PortableTypeFamily): ColumnKind {
  switch (family) {
    case 'integer':
    case 'float':
    case 'decimal':
      return 'numeric';
    case 'boolean':
      return 'boolean';
    case 'timestamp':
    case 'timestamptz':
    case 'date':
      return 'temporal';
    case 'json':
    case 'binary':
      return 'opaque';
    default:
      return 'text';
  }
}

/** Names a latitude or longitude column carries, alone or after `_` (`pickup_lat`). */
const LATITUDE = /(^|_)(lat|latitude)$/i;
const LONGITUDE = /(^|_)(lon|lng|long|longitude)$/i;
const IDENTIFIER = /(^|_)(id|key|uuid|code)$|^id_/i;

/** What the semantic typing needs of a column's statistics. */
export interface TypingFacts {
  readonly name: string;
  readonly family: PortableTypeFamily;
  readonly nonNull: number;
  readonly distinct: number | null;
  readonly min: number | null;
  readonly max: number | null;
  readonly rows: number;
}

/** A low-cardinality column: distinct values at most 10% of the rows. */
export function isLowCardinality(distinct: number | null, rows: number): boolean {
  return distinct !== null && distinct > 0 && distinct <= rows * 0.1;
}

/** The column's semantic types, most specific first. */
export function semanticTypesOf(facts: TypingFacts): SemanticType[] {
  const kind = kindOf(facts.family);
  let base: SemanticType;
  if (kind === 'numeric') base = facts.family === 'integer' ? 'integer' : 'float';
  else if (kind === 'boolean') base = 'boolean';
  else if (kind === 'temporal') base = 'datetime';
  else base = 'text';
  const types: SemanticType[] = [base];
  const within = (low: number, high: number) =>
    facts.min !== null && facts.max !== null && facts.min >= low && facts.max <= high;
  if (kind === 'numeric' && LATITUDE.test(facts.name) && within(-90, 90)) types.unshift('latitude');
  else if (kind === 'numeric' && LONGITUDE.test(facts.name) && within(-180, 180)) types.unshift('longitude');
  else if (
    (base === 'integer' || base === 'text') &&
    IDENTIFIER.test(facts.name) &&
    facts.nonNull > 0 &&
    facts.distinct === facts.nonNull
  ) {
    types.unshift('identifier');
  } else if ((base === 'integer' || base === 'text') && isLowCardinality(facts.distinct, facts.rows)) {
    types.unshift('categorical');
  }
  return types;
}

/** Resolutions from the coarsest; a time column's resolution is the finest its values need. */
export const RESOLUTIONS: readonly Resolution[] = ['year', 'month', 'day', 'hour', 'minute', 'second'];

/** The resolution a value needs at least (its index in {@link RESOLUTIONS}): 0 for a New Year's midnight. */
export function resolutionOf(finest: number): Resolution {
  return RESOLUTIONS[Math.max(0, Math.min(RESOLUTIONS.length - 1, finest))] ?? 'second';
}

/** A statistic rounded to 12 significant digits: engines sum doubles in their own order. */
export function rounded(value: number | null): number | null {
  if (value === null || !Number.isFinite(value)) return null;
  return Number(value.toPrecision(12));
}

export function isoOfEpoch(seconds: number): string {
  return new Date(seconds * 1000).toISOString();
}
