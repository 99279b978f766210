/**
 * Freshet's own metadata store on knex: dynamic tables, refresh jobs, refresh history, leases, callback tokens,
 * orphaned workflows and plugin state. It stores and returns records; it decides nothing.
 *
 * Each kind of record has its own store ({@link Catalog.tables}, {@link Catalog.jobs}, …), so that a part of the
 * gateway can be given only the stores it uses; the methods of `Catalog` itself delegate to them.
 */
import type { PluginStateStore } from '../model';
import { CallbackTokenStore } from './callback-token-store';
import { CatalogConnection } from './catalog-connection';
import { DatasetStore } from './dataset-store';
import { FreshnessEventStore } from './freshness-event-store';
import { JobStore } from './job-store';
import { LeaseStore } from './lease-store';
import { OrphanStore } from './orphan-store';
import { PluginStates } from './plugin-state';
import { RegistryStore } from './registry-store';
import type {
  ClaimedJob,
  DynamicTableRecord,
  HistoryRecord,
  JobOwnership,
  JobRecord,
  JobStatus,
  LeaseRecord,
  OrphanRecord,
} from './records';
import type { HistoryChanges, JobChanges, NewHistoryRow } from './row-mapping';
import { SchemaVersionStore } from './schema-version-store';
import { DynamicTableStore } from './table-store';

export { catalogConnection, catalogKind, type CatalogDialect } from './catalog-connection';
export { SHARED_TABLE_CACHE_MS } from './table-store';

/** The catalog of one gateway: its connection and one store per kind of record. */
export class Catalog {
  readonly connection: CatalogConnection;
  readonly tables: DynamicTableStore;
  /** Refresh jobs, their history rows and their ownership. */
  readonly jobs: JobStore;
  /** Named leases (`scheduler-leader`, `table:<key>`). */
  readonly leases: LeaseStore;
  readonly callbackTokens: CallbackTokenStore;
  readonly orphans: OrphanStore;
  readonly pluginStates: PluginStates;
  /** Sources, providers, partitions and their events (DESIGN.md §10). */
  readonly registry: RegistryStore;
  /** Schema versions and state of the tables reflection reads. */
  readonly schemaVersions: SchemaVersionStore;
  /** The freshness monitor's transitions (DESIGN.md §12). */
  readonly freshnessEvents: FreshnessEventStore;
  /** Discovered datasets, their profiles and discovery errors (DESIGN.md §11). */
  readonly datasets: DatasetStore;
  /**
   * True for a PostgreSQL or MySQL catalog, which several gateways may share; false for a SQLite catalog, which
   * belongs to one gateway.
   */
  readonly shared: boolean;

  constructor(
    readonly url: string,
    baseDir: string,
  ) {
    this.connection = new CatalogConnection(url, baseDir);
    const { db, shared } = this.connection;
    this.shared = shared;
    this.tables = new DynamicTableStore(db, shared);
    this.jobs = new JobStore(db, this.connection.skipsLockedRows);
    this.leases = new LeaseStore(db);
    this.callbackTokens = new CallbackTokenStore(db);
    this.orphans = new OrphanStore(db);
    this.pluginStates = new PluginStates(db);
    this.registry = new RegistryStore(db);
    this.schemaVersions = new SchemaVersionStore(db);
    this.freshnessEvents = new FreshnessEventStore(db);
    this.datasets = new DatasetStore(db);
  }

  /** Applies pending migrations (one gateway at a time on a shared catalog). */
  open(): Promise<void> {
    return this.connection.open();
  }

  close(): Promise<void> {
    return this.connection.close();
  }

  ping(): Promise<void> {
    return this.connection.ping();
  }

  // ---- dynamic tables ----

  getTable(key: string): Promise<DynamicTableRecord | null> {
    return this.tables.get(key);
  }

  listTables(): Promise<DynamicTableRecord[]> {
    return this.tables.list();
  }

  /** Inserts a new table; false when one with the same key exists already. */
  insertTable(record: DynamicTableRecord): Promise<boolean> {
    return this.tables.insert(record);
  }

  updateTable(record: DynamicTableRecord): Promise<void> {
    return this.tables.update(record);
  }

  deleteTable(key: string): Promise<void> {
    return this.tables.delete(key);
  }

  // ---- jobs and history ----

  /** The newest attempt of a deduplicated job. */
  latestJobByKey(dedupeKey: string): Promise<JobRecord | null> {
    return this.jobs.latestByKey(dedupeKey);
  }

  getJob(jobId: string): Promise<JobRecord | null> {
    return this.jobs.get(jobId);
  }

  /** See {@link JobStore.insert}. */
  insertJob(job: JobRecord, history: ReadonlyArray<NewHistoryRow>, ownership?: JobOwnership): Promise<boolean> {
    return this.jobs.insert(job, history, ownership);
  }

  /** See {@link JobStore.update}. */
  updateJob(jobId: string, changes: JobChanges, ownedBy?: string): Promise<boolean> {
    return this.jobs.update(jobId, changes, ownedBy);
  }

  jobsWithStatus(statuses: readonly JobStatus[]): Promise<JobRecord[]> {
    return this.jobs.withStatus(statuses);
  }

  updateHistory(jobId: string, tableKey: string, changes: HistoryChanges): Promise<void> {
    return this.jobs.updateHistory(jobId, tableKey, changes);
  }

  historyOfJob(jobId: string): Promise<HistoryRecord[]> {
    return this.jobs.historyOfJob(jobId);
  }

  /** Newest first. */
  historyOfTable(tableKey: string, limit: number, beforeId?: number): Promise<HistoryRecord[]> {
    return this.jobs.historyOfTable(tableKey, limit, beforeId);
  }

  /** The newest successful full-table (unpartitioned) refresh of a table. */
  lastSuccessfulRefresh(tableKey: string): Promise<HistoryRecord | null> {
    return this.jobs.lastSuccessfulRefresh(tableKey);
  }

  deleteHistoryOfTable(tableKey: string): Promise<void> {
    return this.jobs.deleteHistoryOfTable(tableKey);
  }

  /** Marks every unfinished job and history row FAILED (after a restart nobody is running them). */
  failUnfinished(reason: string, at: string): Promise<number> {
    return this.jobs.failUnfinished(reason, at);
  }

  // ---- several gateways on one catalog: job ownership and named leases ----

  jobOwnership(jobId: string): Promise<JobOwnership | null> {
    return this.jobs.ownership(jobId);
  }

  /** See {@link JobStore.renewLeases}. */
  renewJobLeases(jobIds: readonly string[], owner: string, leaseUntil: string): Promise<number> {
    return this.jobs.renewLeases(jobIds, owner, leaseUntil);
  }

  /** See {@link JobStore.claimExpired}. */
  claimExpiredJobs(owner: string, leaseUntil: string, now: string, limit: number): Promise<ClaimedJob[]> {
    return this.jobs.claimExpired(owner, leaseUntil, now, limit);
  }

  /** See {@link LeaseStore.acquire}. */
  acquireLease(name: string, owner: string, until: string, now: string): Promise<boolean> {
    return this.leases.acquire(name, owner, until, now);
  }

  renewLeases(names: readonly string[], owner: string, until: string): Promise<number> {
    return this.leases.renew(names, owner, until);
  }

  releaseLease(name: string, owner: string): Promise<void> {
    return this.leases.release(name, owner);
  }

  getLease(name: string): Promise<LeaseRecord | null> {
    return this.leases.get(name);
  }

  // ---- callback tokens ----

  insertCallbackToken(tokenHash: string, tableKey: string, at: string): Promise<void> {
    return this.callbackTokens.insert(tokenHash, tableKey, at);
  }

  /** The table a callback token was minted for, or null. */
  callbackTokenTable(tokenHash: string): Promise<string | null> {
    return this.callbackTokens.tableOf(tokenHash);
  }

  deleteCallbackTokens(tableKey: string, keep?: string): Promise<void> {
    return this.callbackTokens.deleteOf(tableKey, keep);
  }

  // ---- workflows left behind ----

  insertOrphan(orphan: Omit<OrphanRecord, 'id'>): Promise<void> {
    return this.orphans.insert(orphan);
  }

  listOrphans(schedulerType: string): Promise<OrphanRecord[]> {
    return this.orphans.list(schedulerType);
  }

  deleteOrphan(id: number): Promise<void> {
    return this.orphans.delete(id);
  }

  // ---- plugin state ----

  pluginStateStore(scope: string): PluginStateStore {
    return this.pluginStates.store(scope);
  }
}
