/**
 * Discovery, dataset profiles and search (DESIGN.md §11): the front door the REST layer, the SQL statements and
 * the gateway call. It decides what to discover, profile, remove and load; the catalog stores datasets, engines
 * run the profiler's SQL, and discoverers talk to the sources.
 */
import { rmSync } from 'node:fs';
import * as path from 'node:path';
import type { DatasetStore, DiscoveryErrorRecord, ProfileRecord } from '../catalog/dataset-store';
import type { JobStore } from '../catalog/job-store';
import type { DynamicTableStore } from '../catalog/table-store';
import type { Engine } from '../engine/engine';
import { createEngine } from '../engine/registry';
import { messageOf, notFound } from '../errors';
import type { Logger } from '../logger';
import type { PluginStateStore } from '../model';
import type { RefreshEnded } from '../refresh/refresh-context';
import { EngineCatalogAccess } from './catalog-access';
import { publishedTable } from './catalogs-discoverer';
import { DatasetBook } from './dataset-book';
import { DatasetProfiling, type ProfileSettings } from './dataset-profiling';
import { DatasetRecorder } from './dataset-recorder';
import { type Dataset, type DatasetResult, resultOf, tableKeyOf } from './dataset-view';
import type { DatasetKind } from './discoverer';
import { DiscovererRuns, type RunSummary } from './discovery-runs';
import { FileMaterializer, type MaterializeRequest, type Materialized } from './file-materializer';
import type { ResolvedDiscoverer } from './registry';
import { canProfile } from './table-profile';
import type { DatasetSearch } from './search-index';

export interface DiscoveryConfig {
  readonly discoverers: readonly ResolvedDiscoverer[];
  readonly profile: ProfileSettings;
  readonly queryDeadlineMs: number;
  /** The gateway's data directory: relative paths in options, and the scratch database files are profiled in. */
  readonly baseDir: string;
  /** The catalog a materialised file goes to unless the request names one. */
  readonly defaultCatalog: string;
  /** How long after start the scheduled discoverers first run. */
  readonly firstRunMs?: number;
}

export interface DiscoveryParts {
  readonly store: DatasetStore;
  readonly engines: ReadonlyMap<string, Engine>;
  readonly tables: Pick<DynamicTableStore, 'list'>;
  readonly jobs: Pick<JobStore, 'recentSuccesses'>;
  readonly stateStore: (scope: string) => PluginStateStore;
  readonly logger: Logger;
  readonly isLeader: () => boolean;
  /** Each dynamic table's freshness state, by table key. */
  readonly freshness: () => Promise<ReadonlyMap<string, string>>;
}

export interface SearchRequest extends DatasetSearch {
  /** 1-based. */
  readonly page?: number;
  readonly size?: number;
}

export interface DatasetDetail extends DatasetResult {
  readonly materialize: unknown;
  readonly keywords: readonly string[];
  readonly queryText: string | null;
  readonly origin: string;
  readonly firstSeen: string;
  readonly changedAt: string;
  /** The newest profile (whole dataset); null before the first. */
  readonly profile: ProfileRecord | null;
  readonly lineage: { readonly upstream: readonly string[]; readonly downstream: readonly string[] };
  readonly errors: readonly DiscoveryErrorRecord[];
}

/** How long freshness states are reused between searches. */
const FRESHNESS_CACHE_MS = 5000;

export class DiscoveryService {
  readonly book: DatasetBook;
  private readonly catalogs: EngineCatalogAccess;
  private readonly profiling: DatasetProfiling;
  private readonly recorder: DatasetRecorder;
  private readonly runs: DiscovererRuns;
  private readonly materializer: FileMaterializer;
  private scratch: Promise<Engine> | null = null;
  private freshnessCache: { at: number; states: ReadonlyMap<string, string> } | null = null;
  private readonly background = new Set<Promise<unknown>>();
  private closed = false;

  constructor(
    private readonly config: DiscoveryConfig,
    private readonly parts: DiscoveryParts,
  ) {
    const now = () => new Date();
    this.book = new DatasetBook(parts.store);
    this.catalogs = new EngineCatalogAccess(parts);
    this.profiling = new DatasetProfiling({
      book: this.book,
      catalogs: this.catalogs,
      scratch: () => this.scratchEngine(),
      settings: config.profile,
      logger: parts.logger,
      now,
    });
    this.recorder = new DatasetRecorder(this.book, this.profiling, this.catalogs, now);
    this.runs = new DiscovererRuns(
      {
        book: this.book,
        recorder: this.recorder,
        catalogs: this.catalogs,
        stateStore: parts.stateStore,
        logger: parts.logger,
        baseDir: config.baseDir,
        now,
        isLeader: parts.isLeader,
      },
      config.discoverers,
    );
    this.materializer = new FileMaterializer({
      book: this.book,
      catalogs: this.catalogs,
      tables: parts.tables,
      defaultCatalog: config.defaultCatalog,
      discovered: (catalog, database, table) => this.discoverTable(catalog, database, table),
      now,
    });
  }

  /** Reads the datasets, forgets those of discoverers no longer configured, and starts the scheduled runs. */
  async open(): Promise<void> {
    await this.book.load();
    if (this.parts.isLeader()) {
      const unconfigured = this.book
        .all()
        .filter((d) => !this.runs.has(d.discoverer))
        .map((d) => d.id);
      await this.book.remove(unconfigured);
    }
    this.runs.start(this.config.firstRunMs ?? 30_000);
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.runs.close();
    await this.profiling.close();
    await Promise.allSettled([...this.background]);
    if (this.scratch !== null) await (await this.scratch.catch(() => null))?.close();
  }

  /** Resolves once no profile runs or waits (and no refresh is being followed up). */
  async idle(): Promise<void> {
    while (this.background.size > 0 || this.profiling.queue.pending > 0) {
      await Promise.allSettled([...this.background]);
      await this.profiling.queue.idle();
    }
  }

  discoverers() {
    return this.runs.list();
  }

  runDiscoverer(id: string): Promise<RunSummary> {
    return this.runs.run(id);
  }

  /** Datasets by name, with optional filters. */
  async list(query: { kind?: DatasetKind; discoverer?: string; offset: number; limit: number }) {
    const states = await this.freshnessStates();
    const all = this.book
      .all()
      .filter(
        (d) =>
          (query.kind === undefined || d.kind === query.kind) && (query.discoverer ?? d.discoverer) === d.discoverer,
      )
      .sort((a, b) => a.name.localeCompare(b.name) || (a.id < b.id ? -1 : 1));
    const page = all.slice(query.offset, query.offset + query.limit);
    return { datasets: page.map((d) => resultOf(d, this.freshnessOf(d, states))), total: all.length };
  }

  /** A dataset; NOT_FOUND when there is none of that id. */
  get(id: string): Dataset {
    const dataset = this.book.get(id);
    if (dataset === undefined) {
      throw notFound(
        `There is no dataset '${id}'; GET /v3/datasets lists them (ids look like catalogs:default.main.orders).`,
      );
    }
    return dataset;
  }

  async detail(id: string): Promise<DatasetDetail> {
    const dataset = this.get(id);
    const [profile = null] = await this.book.store.profiles(id, 1);
    const wholeProfile =
      profile !== null && (profile.profile as { partition?: unknown }).partition == null ? profile : null;
    return {
      ...resultOf(dataset, this.freshnessOf(dataset, await this.freshnessStates())),
      materialize: dataset.materialize,
      keywords: dataset.metadata.keywords ?? [],
      queryText: dataset.metadata.queryText ?? null,
      origin: dataset.origin,
      firstSeen: dataset.firstSeen,
      changedAt: dataset.changedAt,
      profile: wholeProfile,
      lineage: await this.lineageOf(dataset),
      errors: await this.book.store.errors({ datasetId: id, limit: 20 }),
    };
  }

  async profiles(id: string, limit: number): Promise<ProfileRecord[]> {
    this.get(id);
    return this.book.store.profiles(id, limit);
  }

  /** Profiles a dataset now (or one partition of a table) and returns the stored profile. */
  profile(id: string, partition: Readonly<Record<string, string>> | null): Promise<ProfileRecord> {
    this.get(id);
    return this.profiling.profileNow(id, partition);
  }

  /**
   * Datasets matching a search, best first. Discoverers that answer queries are asked first (until
   * `discovery.queryDeadlineMs`), so that what they publish is found by this search.
   */
  async search(request: SearchRequest): Promise<{ results: DatasetResult[]; total: number }> {
    await this.runs.query(
      {
        keywords: (request.keywords ?? '').split(/\s+/).filter((k) => k !== ''),
        columns: request.columns ?? [],
        types: request.types ?? [],
        kind: request.kind ?? null,
        temporal: request.temporal ?? null,
      },
      this.config.queryDeadlineMs,
    );
    const states = await this.freshnessStates();
    const hits = this.book.index.search(request, (d) => this.freshnessOf(d, states));
    const size = request.size ?? 20;
    const from = ((request.page ?? 1) - 1) * size;
    const results = hits
      .slice(from, from + size)
      .map((h) => resultOf(h.dataset, this.freshnessOf(h.dataset, states), h.score));
    return { results, total: hits.length };
  }

  errors(filter: { discoverer?: string; dataset?: string; limit: number }): Promise<DiscoveryErrorRecord[]> {
    return this.book.store.errors({
      ...(filter.discoverer !== undefined ? { discoverer: filter.discoverer } : {}),
      ...(filter.dataset !== undefined ? { datasetId: filter.dataset } : {}),
      limit: filter.limit,
    });
  }

  /** Loads a file dataset into a catalog as a source table. */
  materialize(id: string, request: MaterializeRequest): Promise<Materialized> {
    return this.materializer.materialize(this.get(id), request);
  }

  /**
   * Follows up a refresh of a dynamic table: the table's dataset gets the refresh's time and a new profile (the
   * table is published first when it is new). Runs in the background: the refresh never waits for it.
   */
  tableRefreshed(end: RefreshEnded): void {
    if (end.state !== 'SUCCEEDED' || this.closed) return;
    const work = this.followRefresh(end.table).catch((error: unknown) =>
      this.parts.logger.debug('could not profile a refreshed table', { table: end.table, error: messageOf(error) }),
    );
    this.background.add(work);
    void work.finally(() => this.background.delete(work));
  }

  private async followRefresh(identifier: string): Promise<void> {
    const record = (await this.parts.tables.list()).find((t) => t.identifier === identifier);
    const catalogsId = this.catalogsDiscoverer();
    if (record === undefined || catalogsId === null) return;
    // A table on an engine the profiler cannot run on (a streaming one) waits for the catalogs discoverer's run.
    const engine = this.catalogs.engineOf(record.catalogName);
    if (engine === undefined || !canProfile(engine)) return;
    const { catalogName, databaseName, tableName } = record;
    const id = await this.discoverTable(catalogName, databaseName, tableName, false);
    if (id !== null && !this.closed) this.profiling.request(id, 'refresh');
  }

  /**
   * Publishes one table as the `catalogs` discoverer would (and has it profiled unless `profile` is false); its
   * dataset id, or null when there is none.
   */
  private async discoverTable(
    catalog: string,
    database: string,
    table: string,
    profile = true,
  ): Promise<string | null> {
    const catalogsId = this.catalogsDiscoverer();
    if (catalogsId === null) return null;
    const found = await this.catalogs.describeTable(catalog, database, table);
    if (found === null) return null;
    // Not counted here: the profile that follows counts the rows anyway.
    const [materialize, metadata, localId] = publishedTable(found, null);
    return this.recorder.record(catalogsId, 'discover', null, materialize, metadata, localId, profile);
  }

  /** The id of the configured `catalogs` discoverer, if any. */
  private catalogsDiscoverer(): string | null {
    return this.runs.list().find((d) => d.type === 'catalogs')?.id ?? null;
  }

  private freshnessOf(dataset: Dataset, states: ReadonlyMap<string, string>): string | null {
    if (dataset.kind !== 'dynamic_table') return null;
    const key = tableKeyOf(dataset);
    return key === null ? null : (states.get(key) ?? null);
  }

  private async freshnessStates(): Promise<ReadonlyMap<string, string>> {
    const cached = this.freshnessCache;
    if (cached !== null && Date.now() - cached.at < FRESHNESS_CACHE_MS) return cached.states;
    const states = await this.parts.freshness().catch(() => new Map<string, string>());
    this.freshnessCache = { at: Date.now(), states };
    return states;
  }

  private async lineageOf(dataset: Dataset): Promise<{ upstream: string[]; downstream: string[] }> {
    const key = tableKeyOf(dataset);
    if (key === null) return { upstream: [], downstream: [] };
    const tables = await this.parts.tables.list();
    const own = tables.find((t) => t.key === key);
    return {
      upstream: [...(own?.sourceTables ?? [])],
      downstream: tables.filter((t) => t.sourceTables.includes(key)).map((t) => t.identifier),
    };
  }

  /** The SQLite database files are profiled in, emptied when this gateway first needs it. */
  private scratchEngine(): Promise<Engine> {
    this.scratch ??= (async () => {
      const file = path.join(this.config.baseDir, 'discovery-scratch.db');
      for (const suffix of ['', '-wal', '-shm']) rmSync(`${file}${suffix}`, { force: true });
      const engine = createEngine(`sqlite:${file}`, { baseDir: this.config.baseDir });
      await engine.open();
      return engine;
    })();
    return this.scratch;
  }
}
