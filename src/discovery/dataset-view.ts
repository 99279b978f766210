/**
 * Datasets as the discovery service holds them in memory and as users see them: the stored record with its JSON
 * read into types, the columns merged from what the discoverer said and what the newest profile found, and the
 * summary of a profile kept on the dataset for search.
 */
import type { DatasetRecord } from '../catalog/dataset-store';
import type { DatasetKind, DatasetMetadata, Materialize } from './discoverer';
import type { DatasetProfile, SemanticType, TemporalCoverage } from './profile-model';

/** `pending` until profiled; `too_big` and `empty` are marks, as Auctus makes them; `error` until it changes. */
export type DatasetStatus = 'pending' | 'profiled' | 'empty' | 'too_big' | 'error' | 'unprofilable';

/** What a dataset keeps of its newest whole-dataset profile. */
export interface ProfileSummary {
  readonly profiledAt: string;
  readonly rowCount: number;
  readonly sampled: boolean;
  readonly columns: ReadonlyArray<{
    readonly name: string;
    readonly declaredType: string;
    readonly semanticTypes: readonly SemanticType[];
  }>;
  readonly temporalCoverage: readonly TemporalCoverage[];
}

/** A dataset in memory. */
export interface Dataset {
  readonly id: string;
  readonly discoverer: string;
  readonly localId: string;
  readonly kind: DatasetKind;
  readonly name: string;
  readonly materialize: Materialize;
  readonly metadata: DatasetMetadata;
  readonly rowCount: number | null;
  readonly updatedAt: string | null;
  readonly origin: 'discover' | 'query';
  readonly status: DatasetStatus;
  readonly profiledVersion: string | null;
  readonly summary: ProfileSummary | null;
  readonly firstSeen: string;
  readonly lastSeen: string;
  readonly changedAt: string;
}

export function datasetOf(record: DatasetRecord): Dataset {
  return record as unknown as Dataset;
}

export function recordOf(dataset: Dataset): DatasetRecord {
  return dataset;
}

export function summaryOf(profile: DatasetProfile, profiledAt: string): ProfileSummary {
  return {
    profiledAt,
    rowCount: profile.rowCount,
    sampled: profile.sampled,
    columns: profile.columns.map((c) => ({
      name: c.name,
      declaredType: c.declaredType,
      semanticTypes: c.semanticTypes,
    })),
    temporalCoverage: profile.temporalCoverage,
  };
}

export interface ColumnView {
  readonly name: string;
  readonly type: string | null;
  readonly semanticType: SemanticType | null;
  readonly semanticTypes: readonly SemanticType[];
  readonly comment?: string;
}

/** The discoverer's columns, with what the newest profile found; a profile's columns when the discoverer named none. */
export function columnsOf(dataset: Dataset): ColumnView[] {
  const profiled = new Map((dataset.summary?.columns ?? []).map((c) => [c.name.toLowerCase(), c]));
  const named = dataset.metadata.columns.length > 0 ? dataset.metadata.columns : (dataset.summary?.columns ?? []);
  return named.map((column) => {
    const profile = profiled.get(column.name.toLowerCase());
    const declared = 'type' in column && typeof column.type === 'string' ? column.type : null;
    return {
      name: column.name,
      type: declared ?? profile?.declaredType ?? null,
      semanticType: profile?.semanticTypes[0] ?? null,
      semanticTypes: profile?.semanticTypes ?? [],
      ...('comment' in column && typeof column.comment === 'string' ? { comment: column.comment } : {}),
    };
  });
}

/** Where a dataset is: its table (with the identifier SQL names it by) or its file. */
export function locationOf(dataset: Dataset): Record<string, string> {
  const m = dataset.materialize;
  if (m.kind === 'file') return { path: m.path, format: m.format };
  const database = m.database ?? '';
  return {
    catalog: m.catalog,
    ...(database === '' ? {} : { database }),
    table: m.table,
    identifier: [m.catalog, m.database, m.table].filter((p) => p !== undefined).join('.'),
  };
}

/** The key of a dataset's table as the catalog of dynamic tables writes it (`catalog.database.table`, lower case). */
export function tableKeyOf(dataset: Dataset): string | null {
  const m = dataset.materialize;
  if (m.kind !== 'table' || m.database === undefined) return null;
  return `${m.catalog}.${m.database}.${m.table}`.toLowerCase();
}

/** One dataset as lists and searches show it. */
export interface DatasetResult {
  readonly id: string;
  readonly kind: DatasetKind;
  readonly name: string;
  readonly score?: number;
  readonly description: string | null;
  readonly columns: readonly ColumnView[];
  readonly rowCount: number | null;
  readonly temporalCoverage: readonly TemporalCoverage[];
  /** The freshness state of a dynamic table; null for other datasets. */
  readonly freshness: string | null;
  readonly location: Record<string, string>;
  readonly status: DatasetStatus;
  readonly discoverer: string;
  readonly updatedAt: string | null;
  readonly profiledAt: string | null;
}

export function resultOf(dataset: Dataset, freshness: string | null, score?: number): DatasetResult {
  return {
    id: dataset.id,
    kind: dataset.kind,
    name: dataset.name,
    ...(score === undefined ? {} : { score: Math.round(score * 1000) / 1000 }),
    description: dataset.metadata.description ?? null,
    columns: columnsOf(dataset),
    rowCount: dataset.rowCount,
    temporalCoverage: dataset.summary?.temporalCoverage ?? [],
    freshness,
    location: locationOf(dataset),
    status: dataset.status,
    discoverer: dataset.discoverer,
    updatedAt: dataset.updatedAt,
    profiledAt: dataset.summary?.profiledAt ?? null,
  };
}
