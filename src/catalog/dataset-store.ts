/**
 * Discovery's records (DESIGN.md §11): datasets, their profiles as a time series, and the errors met while
 * discovering and profiling them. What a dataset's JSON holds is the discovery service's business; this store keeps
 * it and hands it back.
 */
import type { Knex } from 'knex';
import { json, parseJson, str, strOrNull, type Row } from './row-mapping';

export interface DatasetRecord {
  /** `<discoverer>:<localId>`. */
  readonly id: string;
  readonly discoverer: string;
  readonly localId: string;
  readonly kind: string;
  readonly name: string;
  readonly materialize: unknown;
  readonly metadata: unknown;
  readonly rowCount: number | null;
  readonly updatedAt: string | null;
  readonly origin: string;
  readonly status: string;
  readonly profiledVersion: string | null;
  readonly summary: unknown;
  readonly firstSeen: string;
  readonly lastSeen: string;
  readonly changedAt: string;
}

export interface ProfileRecord {
  readonly id: number;
  readonly datasetId: string;
  readonly profiledAt: string;
  readonly rowCount: number;
  readonly profiledRows: number;
  readonly sampled: boolean;
  readonly durationMs: number;
  readonly trigger: string;
  readonly profile: unknown;
}

export type NewProfile = Omit<ProfileRecord, 'id'>;

export interface DiscoveryErrorRecord {
  readonly id: number;
  readonly discoverer: string;
  /** Null for an error of a whole run. */
  readonly datasetId: string | null;
  readonly stage: string;
  readonly message: string;
  readonly code: string | null;
  readonly occurrences: number;
  readonly firstAt: string;
  readonly at: string;
}

export type NewDiscoveryError = Pick<DiscoveryErrorRecord, 'discoverer' | 'datasetId' | 'stage' | 'message' | 'code'>;

/** Ids in one `WHERE … IN` at most: SQLite and MySQL bound the parameters of one statement. */
const CHUNK = 200;
/** Datasets in one INSERT at most (16 columns each). */
const INSERT_CHUNK = 50;

export class DatasetStore {
  constructor(private readonly db: Knex) {}

  async list(): Promise<DatasetRecord[]> {
    return ((await this.db('datasets').orderBy('id')) as Row[]).map(toDataset);
  }

  async get(id: string): Promise<DatasetRecord | null> {
    const row = (await this.db('datasets').where({ id }).first()) as Row | undefined;
    return row ? toDataset(row) : null;
  }

  /** Inserts the dataset or replaces the one of the same id. */
  async put(record: DatasetRecord): Promise<void> {
    const row = fromDataset(record);
    await this.db.transaction(async (trx) => {
      const updated = await trx('datasets').where({ id: record.id }).update(row);
      if (updated === 0) await trx('datasets').insert(row);
    });
  }

  /** Inserts many new datasets in one transaction (a first discovery of a large source). */
  async insertMany(records: readonly DatasetRecord[]): Promise<void> {
    await this.db.transaction(async (trx) => {
      for (let i = 0; i < records.length; i += INSERT_CHUNK) {
        await trx('datasets').insert(records.slice(i, i + INSERT_CHUNK).map(fromDataset));
      }
    });
  }

  /** Removes datasets with their profiles and errors. */
  async delete(ids: readonly string[]): Promise<void> {
    await this.db.transaction(async (trx) => {
      for (let i = 0; i < ids.length; i += CHUNK) {
        const chunk = ids.slice(i, i + CHUNK);
        await trx('dataset_profiles').whereIn('dataset_id', chunk).delete();
        await trx('discovery_errors').whereIn('dataset_id', chunk).delete();
        await trx('datasets').whereIn('id', chunk).delete();
      }
    });
  }

  /** Sets a dataset's status (and the version it was decided for); false when the dataset is gone. */
  async setStatus(id: string, status: string, profiledVersion: string | null, changedAt: string): Promise<boolean> {
    const n = await this.db('datasets')
      .where({ id })
      .update({ status, profiled_version: profiledVersion, changed_at: changedAt });
    return n > 0;
  }

  /**
   * Adds a profile, keeping the `keep` newest of the dataset. With `dataset`, the profile becomes the dataset's newest
   * (its status, version and summary); without, it is a partition's and only joins the series. False (and nothing
   * stored) when the dataset is gone.
   */
  async addProfile(
    profile: NewProfile,
    dataset: { status: string; version: string | null; summary: unknown } | null,
    keep: number,
  ): Promise<boolean> {
    return this.db.transaction(async (trx) => {
      const exists = (await trx('datasets').where({ id: profile.datasetId }).first('id')) as Row | undefined;
      if (exists === undefined) return false;
      if (dataset !== null) {
        await trx('datasets')
          .where({ id: profile.datasetId })
          .update({
            status: dataset.status,
            profiled_version: dataset.version,
            summary: json(dataset.summary),
            row_count: profile.rowCount,
            changed_at: profile.profiledAt,
          });
      }
      await trx('dataset_profiles').insert(fromProfile(profile));
      const kept = (await trx('dataset_profiles')
        .where({ dataset_id: profile.datasetId })
        .orderBy('id', 'desc')
        .offset(keep)
        .limit(1)
        .select('id')) as Row[];
      const oldestDropped = kept[0]?.id;
      if (oldestDropped !== undefined) {
        await trx('dataset_profiles')
          .where({ dataset_id: profile.datasetId })
          .where('id', '<=', Number(oldestDropped))
          .delete();
      }
      return true;
    });
  }

  /** A dataset's profiles, newest first. */
  async profiles(datasetId: string, limit: number): Promise<ProfileRecord[]> {
    const rows = (await this.db('dataset_profiles')
      .where({ dataset_id: datasetId })
      .orderBy('id', 'desc')
      .limit(limit)) as Row[];
    return rows.map(toProfile);
  }

  /** Records an error, or counts it once more when the same discoverer, dataset and stage already have one. */
  async recordError(error: NewDiscoveryError, at: string): Promise<void> {
    const key = { discoverer: error.discoverer, dataset_id: error.datasetId ?? '', stage: error.stage };
    await this.db.transaction(async (trx) => {
      const existing = (await trx('discovery_errors').where(key).first()) as Row | undefined;
      if (existing === undefined) {
        await trx('discovery_errors').insert({
          ...key,
          message: error.message,
          code: error.code,
          occurrences: 1,
          first_at: at,
          at,
        });
        return;
      }
      await trx('discovery_errors')
        .where({ id: existing.id })
        .update({ message: error.message, code: error.code, occurrences: Number(existing.occurrences) + 1, at });
    });
  }

  /** Forgets the error of a discoverer's dataset at a stage (it succeeded since). */
  async clearError(discoverer: string, datasetId: string | null, stage: string): Promise<void> {
    await this.db('discovery_errors')
      .where({ discoverer, dataset_id: datasetId ?? '', stage })
      .delete();
  }

  /** Errors, newest first. */
  async errors(filter: { discoverer?: string; datasetId?: string; limit: number }): Promise<DiscoveryErrorRecord[]> {
    const query = this.db('discovery_errors');
    if (filter.discoverer !== undefined) query.where({ discoverer: filter.discoverer });
    if (filter.datasetId !== undefined) query.where({ dataset_id: filter.datasetId });
    const rows = (await query.orderBy('at', 'desc').orderBy('id', 'desc').limit(filter.limit)) as Row[];
    return rows.map(toError);
  }
}

const numOrNull = (value: unknown): number | null => (value === null || value === undefined ? null : Number(value));

function toDataset(row: Row): DatasetRecord {
  return {
    id: str(row.id),
    discoverer: str(row.discoverer),
    localId: str(row.local_id),
    kind: str(row.kind),
    name: str(row.name),
    materialize: parseJson(row.materialize, null),
    metadata: parseJson(row.metadata, null),
    rowCount: numOrNull(row.row_count),
    updatedAt: strOrNull(row.updated_at),
    origin: str(row.origin),
    status: str(row.status),
    profiledVersion: strOrNull(row.profiled_version),
    summary: parseJson(row.summary, null),
    firstSeen: str(row.first_seen),
    lastSeen: str(row.last_seen),
    changedAt: str(row.changed_at),
  };
}

function fromDataset(r: DatasetRecord): Row {
  return {
    id: r.id,
    discoverer: r.discoverer,
    local_id: r.localId,
    kind: r.kind,
    name: r.name,
    materialize: json(r.materialize),
    metadata: json(r.metadata),
    row_count: r.rowCount,
    updated_at: r.updatedAt,
    origin: r.origin,
    status: r.status,
    profiled_version: r.profiledVersion,
    summary: r.summary === null || r.summary === undefined ? null : json(r.summary),
    first_seen: r.firstSeen,
    last_seen: r.lastSeen,
    changed_at: r.changedAt,
  };
}

function fromProfile(p: NewProfile): Row {
  return {
    dataset_id: p.datasetId,
    profiled_at: p.profiledAt,
    row_count: p.rowCount,
    profiled_rows: p.profiledRows,
    sampled: p.sampled,
    duration_ms: p.durationMs,
    trigger: p.trigger,
    profile: json(p.profile),
  };
}

function toProfile(row: Row): ProfileRecord {
  return {
    id: Number(row.id),
    datasetId: str(row.dataset_id),
    profiledAt: str(row.profiled_at),
    rowCount: Number(row.row_count),
    profiledRows: Number(row.profiled_rows),
    sampled: row.sampled === true || row.sampled === 1 || row.sampled === '1',
    durationMs: Number(row.duration_ms),
    trigger: str(row.trigger),
    profile: parseJson(row.profile, null),
  };
}

function toError(row: Row): DiscoveryErrorRecord {
  const datasetId = str(row.dataset_id);
  return {
    id: Number(row.id),
    discoverer: str(row.discoverer),
    datasetId: datasetId === '' ? null : datasetId,
    stage: str(row.stage),
    message: str(row.message),
    code: strOrNull(row.code),
    occurrences: Number(row.occurrences),
    firstAt: str(row.first_at),
    at: str(row.at),
  };
}
