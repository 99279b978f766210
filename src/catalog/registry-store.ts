/**
 * The source registry's records (DESIGN.md §10): sources, providers, time partitions and their LOCK / UNLOCK
 * events. It stores and returns them; whether an interval is ready is decided above it.
 */
import type { Knex } from 'knex';
import type {
  PartitionEventKind,
  PartitionEventRecord,
  PartitionRecord,
  PartitionState,
  ProviderRecord,
  SourceKind,
  SourceRecord,
} from '../model';
import { json, parseJson, str, strOrNull, type Row } from './row-mapping';

/** A new source; `tokenHash` is the hash of the access token shown once to whoever registered it. */
export interface NewSource {
  readonly name: string;
  readonly owner: string;
  readonly catalogName: string | null;
  readonly tableName: string | null;
  readonly timeZone: string;
  readonly tokenHash: string;
  readonly kind: SourceKind;
  readonly options: Readonly<Record<string, string>>;
  readonly createdAt: string;
}

/** Reads and writes `registry_sources`, `registry_providers`, `registry_partitions` and `registry_events`. */
export class RegistryStore {
  constructor(private readonly db: Knex) {}

  /** False when a source of that name exists already (nothing is changed then). */
  async insertSource(source: NewSource): Promise<boolean> {
    try {
      await this.db('registry_sources').insert({
        name: source.name,
        owner: source.owner,
        catalog_name: source.catalogName,
        table_name: source.tableName,
        time_zone: source.timeZone,
        token_hash: source.tokenHash,
        kind: source.kind,
        options: json(source.options),
        created_at: source.createdAt,
      });
      return true;
    } catch (error) {
      if (/unique|duplicate|primary/i.test(String((error as Error).message))) return false;
      throw error;
    }
  }

  async getSource(name: string): Promise<SourceRecord | null> {
    const row = (await this.db('registry_sources').where({ name }).first()) as Row | undefined;
    return row ? toSource(row) : null;
  }

  /** The token hash of a source, for checking a provider's token; null for an unknown source. */
  async tokenHashOf(name: string): Promise<string | null> {
    const row = (await this.db('registry_sources').where({ name }).first('token_hash')) as Row | undefined;
    return row ? str(row.token_hash) : null;
  }

  /** The source whose token has this hash, or null. */
  async sourceByTokenHash(hash: string): Promise<SourceRecord | null> {
    const row = (await this.db('registry_sources').where({ token_hash: hash }).first()) as Row | undefined;
    return row ? toSource(row) : null;
  }

  /**
   * A source with what a readiness check needs besides its partitions: its longest partition and its change count.
   */
  async sourceState(name: string): Promise<{ source: SourceRecord; maxSpanMs: number; changes: number } | null> {
    const row = (await this.db('registry_sources').where({ name }).first()) as Row | undefined;
    if (!row) return null;
    return { source: toSource(row), maxSpanMs: Number(row.max_span_ms), changes: Number(row.change_count) };
  }

  async listSources(): Promise<SourceRecord[]> {
    return ((await this.db('registry_sources').orderBy('name')) as Row[]).map(toSource);
  }

  async updateSourceOptions(name: string, options: Readonly<Record<string, string>>): Promise<boolean> {
    return (
      Number(
        await this.db('registry_sources')
          .where({ name })
          .update({ options: json(options) }),
      ) > 0
    );
  }

  /** Removes a source with its providers, partitions and events; false when there was none. */
  async deleteSource(name: string): Promise<boolean> {
    return this.db.transaction(async (trx) => {
      await trx('registry_events').where({ source_name: name }).delete();
      await trx('registry_partitions').where({ source_name: name }).delete();
      await trx('registry_providers').where({ source_name: name }).delete();
      return Number(await trx('registry_sources').where({ name }).delete()) > 0;
    });
  }

  /** False when the provider is registered already. */
  async insertProvider(sourceName: string, name: string, at: string): Promise<boolean> {
    try {
      await this.db('registry_providers').insert({ source_name: sourceName, name, created_at: at });
      return true;
    } catch (error) {
      if (/unique|duplicate|primary/i.test(String((error as Error).message))) return false;
      throw error;
    }
  }

  async getProvider(sourceName: string, name: string): Promise<ProviderRecord | null> {
    const row = (await this.db('registry_providers').where({ source_name: sourceName, name }).first()) as
      | Row
      | undefined;
    return row ? toProvider(row) : null;
  }

  async listProviders(sourceName: string): Promise<ProviderRecord[]> {
    const rows = (await this.db('registry_providers').where({ source_name: sourceName }).orderBy('name')) as Row[];
    return rows.map(toProvider);
  }

  /** Removes a provider and the partitions (and events) it registered; false when there was none. */
  async deleteProvider(sourceName: string, name: string): Promise<boolean> {
    return this.db.transaction(async (trx) => {
      const ids = trx('registry_partitions').select('id').where({ source_name: sourceName, provider: name });
      await trx('registry_events').whereIn('partition_id', ids).delete();
      await trx('registry_partitions').where({ source_name: sourceName, provider: name }).delete();
      await bumpChanges(trx, sourceName);
      return Number(await trx('registry_providers').where({ source_name: sourceName, name }).delete()) > 0;
    });
  }

  /**
   * Registers the partition `[start, end)` of a source for a provider, or finds it: idempotent on (source,
   * provider, start, end). `event` is appended when given (a partition registered as locked or ready).
   */
  async registerPartition(
    key: { source: string; provider: string; start: string; end: string },
    event: PartitionEventKind | null,
    at: string,
  ): Promise<{ partition: PartitionRecord; created: boolean }> {
    return this.db.transaction(async (trx) => {
      const where = { source_name: key.source, provider: key.provider, start_at: key.start, end_at: key.end };
      let row = (await trx('registry_partitions').where(where).first()) as Row | undefined;
      const created = row === undefined;
      if (row === undefined) {
        await trx('registry_partitions').insert({ ...where, state: 'REGISTERED', state_since: at, created_at: at });
        row = (await trx('registry_partitions').where(where).first()) as Row;
        const span = Date.parse(key.end) - Date.parse(key.start);
        await trx('registry_sources').where({ name: key.source }).andWhere('max_span_ms', '<', span).update({
          max_span_ms: span,
        });
      }
      let partition = toPartition(row);
      if (event !== null) partition = await appendEvent(trx, partition, event, at);
      else if (created) await bumpChanges(trx, key.source);
      return { partition, created };
    });
  }

  /** Appends a LOCK or UNLOCK event to a registered partition; null when the partition is not registered. */
  async appendEvent(
    key: { source: string; provider: string; start: string; end: string },
    event: PartitionEventKind,
    at: string,
  ): Promise<PartitionRecord | null> {
    return this.db.transaction(async (trx) => {
      const where = { source_name: key.source, provider: key.provider, start_at: key.start, end_at: key.end };
      const row = (await trx('registry_partitions').where(where).first()) as Row | undefined;
      return row ? appendEvent(trx, toPartition(row), event, at) : null;
    });
  }

  /** The partitions of a source overlapping `[start, end)` (or all of them without bounds), by start. */
  async partitions(source: string, start?: string, end?: string, maxSpanMs?: number): Promise<PartitionRecord[]> {
    const query = this.db('registry_partitions').where({ source_name: source });
    if (start !== undefined && end !== undefined) {
      // Only partitions starting within the longest partition before `start` can reach into the interval: the
      // index on (source, start) then reads a narrow range, however many partitions the source holds.
      let reach = maxSpanMs;
      if (reach === undefined) {
        const row = (await this.db('registry_sources').where({ name: source }).first('max_span_ms')) as Row | undefined;
        reach = Number(row?.max_span_ms ?? 0);
      }
      const from = new Date(Date.parse(start) - reach).toISOString();
      query.andWhere('start_at', '>=', from).andWhere('start_at', '<', end).andWhere('end_at', '>', start);
    }
    const rows = (await query.orderBy([
      { column: 'start_at', order: 'asc' },
      { column: 'id', order: 'asc' },
    ])) as Row[];
    return rows.map(toPartition);
  }

  /** The interval and state of every LOCKED or READY partition of a source, by start: what readyThrough reads. */
  async settledSpans(source: string): Promise<Array<Pick<PartitionRecord, 'start' | 'end' | 'state'>>> {
    const rows = (await this.db('registry_partitions')
      .where({ source_name: source })
      .whereIn('state', ['LOCKED', 'READY'])
      .orderBy('start_at')
      .select('start_at', 'end_at', 'state')) as Row[];
    return rows.map((row) => ({
      start: str(row.start_at),
      end: str(row.end_at),
      state: str(row.state) as PartitionState,
    }));
  }

  /**
   * One page of a source's partitions, latest start first, optionally only those overlapping `[start, end)`; with
   * how many there are in all.
   */
  async partitionPage(
    source: string,
    page: { offset: number; limit: number; start?: string; end?: string },
  ): Promise<{ partitions: PartitionRecord[]; total: number }> {
    const where = (query: Knex.QueryBuilder) => {
      query.where({ source_name: source });
      if (page.start !== undefined) query.andWhere('end_at', '>', page.start);
      if (page.end !== undefined) query.andWhere('start_at', '<', page.end);
      return query;
    };
    const counted = (await where(this.db('registry_partitions').count({ n: '*' })).first()) as Row | undefined;
    const rows = (await where(this.db('registry_partitions'))
      .orderBy([
        { column: 'start_at', order: 'desc' },
        { column: 'id', order: 'desc' },
      ])
      .offset(page.offset)
      .limit(page.limit)) as Row[];
    return { partitions: rows.map(toPartition), total: Number(counted?.n ?? 0) };
  }

  /** How many partitions and providers each source has, by source name. */
  async counts(): Promise<Map<string, { partitions: number; providers: number }>> {
    const counts = new Map<string, { partitions: number; providers: number }>();
    const entry = (name: string) => {
      let found = counts.get(name);
      if (found === undefined) {
        found = { partitions: 0, providers: 0 };
        counts.set(name, found);
      }
      return found;
    };
    const partitions = (await this.db('registry_partitions')
      .select('source_name')
      .count({ n: '*' })
      .groupBy('source_name')) as Row[];
    for (const row of partitions) entry(str(row.source_name)).partitions = Number(row.n);
    const providers = (await this.db('registry_providers')
      .select('source_name')
      .count({ n: '*' })
      .groupBy('source_name')) as Row[];
    for (const row of providers) entry(str(row.source_name)).providers = Number(row.n);
    return counts;
  }

  /** How many partition changes the source has had: a cached answer about it is stale once this moves. */
  async changeCount(source: string): Promise<number | null> {
    const row = (await this.db('registry_sources').where({ name: source }).first('change_count')) as Row | undefined;
    return row ? Number(row.change_count) : null;
  }

  /** The newest events of a source's partitions, newest first. */
  async latestEvents(source: string, limit: number): Promise<PartitionEventRecord[]> {
    const rows = (await this.db('registry_events as e')
      .join('registry_partitions as p', 'p.id', 'e.partition_id')
      .where('e.source_name', source)
      .orderBy('e.id', 'desc')
      .limit(limit)
      .select('e.id', 'e.partition_id', 'e.event', 'e.at', 'p.provider', 'p.start_at', 'p.end_at')) as Row[];
    return rows.map((row) => ({
      id: Number(row.id),
      partitionId: Number(row.partition_id),
      event: str(row.event) as PartitionEventKind,
      at: str(row.at),
      provider: str(row.provider),
      start: str(row.start_at),
      end: str(row.end_at),
    }));
  }
  /**
   * Removes a provider's partitions of a source in `states` that end at or before `endAtOrBefore`, but for the one
   * with id `keep`: the ones a newer partition of the same provider has made redundant. Returns how many went.
   */
  async prunePartitions(
    source: string,
    provider: string,
    filter: { endAtOrBefore: string; states: readonly PartitionState[]; keep: number },
  ): Promise<number> {
    return this.db.transaction(async (trx) => {
      const doomed = () =>
        trx('registry_partitions')
          .where({ source_name: source, provider })
          .andWhere('end_at', '<=', filter.endAtOrBefore)
          .whereIn('state', filter.states as PartitionState[])
          .whereNot({ id: filter.keep });
      await trx('registry_events').whereIn('partition_id', doomed().select('id')).delete();
      const removed = Number(await doomed().delete());
      if (removed > 0) await bumpChanges(trx, source);
      return removed;
    });
  }

  /** The earliest start, the latest end and the number of a source's partitions (nulls and 0 for none). */
  async partitionSpan(source: string): Promise<{ min: string | null; max: string | null; count: number }> {
    const row = (await this.db('registry_partitions')
      .where({ source_name: source })
      .first(this.db.raw('min(start_at) as min_start, max(end_at) as max_end, count(*) as n'))) as Row | undefined;
    return { min: strOrNull(row?.min_start), max: strOrNull(row?.max_end), count: Number(row?.n ?? 0) };
  }

  /** A provider's partitions of a source in a state, by start. */
  async partitionsInState(source: string, provider: string, state: PartitionState): Promise<PartitionRecord[]> {
    const rows = (await this.db('registry_partitions')
      .where({ source_name: source, provider, state })
      .orderBy('start_at')) as Row[];
    return rows.map(toPartition);
  }
}

async function appendEvent(
  trx: Knex.Transaction,
  partition: PartitionRecord,
  event: PartitionEventKind,
  at: string,
): Promise<PartitionRecord> {
  await trx('registry_events').insert({ partition_id: partition.id, source_name: partition.source, event, at });
  const state: PartitionState = event === 'LOCK' ? 'LOCKED' : 'READY';
  await trx('registry_partitions').where({ id: partition.id }).update({ state, state_since: at });
  await bumpChanges(trx, partition.source);
  return { ...partition, state, stateSince: at };
}

async function bumpChanges(trx: Knex.Transaction, source: string): Promise<void> {
  await trx('registry_sources')
    .where({ name: source })
    .update({ change_count: trx.raw('change_count + 1') });
}

function toSource(row: Row): SourceRecord {
  return {
    name: str(row.name),
    owner: str(row.owner),
    catalogName: strOrNull(row.catalog_name),
    tableName: strOrNull(row.table_name),
    timeZone: str(row.time_zone),
    kind: str(row.kind) as SourceKind,
    options: parseJson(row.options, {}),
    createdAt: str(row.created_at),
  };
}

function toProvider(row: Row): ProviderRecord {
  return { source: str(row.source_name), name: str(row.name), createdAt: str(row.created_at) };
}

function toPartition(row: Row): PartitionRecord {
  return {
    id: Number(row.id),
    source: str(row.source_name),
    provider: str(row.provider),
    start: str(row.start_at),
    end: str(row.end_at),
    state: str(row.state) as PartitionState,
    stateSince: str(row.state_since),
    createdAt: str(row.created_at),
  };
}
