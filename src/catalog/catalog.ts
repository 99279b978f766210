/**
 * Freshet's own metadata store on knex: dynamic tables, refresh jobs, refresh history and plugin state.
 * It stores and returns records; it decides nothing.
 */
import { mkdirSync } from 'node:fs';
import * as path from 'node:path';
import knexFactory, { type Knex } from 'knex';
import { CATALOG_MIGRATIONS } from '../../catalog';
import type { PluginStateStore } from '../model';
import type { ClaimedJob, DynamicTableRecord, HistoryRecord, JobOwnership, JobRecord, JobStatus, LeaseRecord, OrphanRecord } from './records';

type Row = Record<string, unknown>;

const json = (value: unknown): string => JSON.stringify(value);
const parseJson = <T>(value: unknown, fallback: T): T =>
  typeof value === 'string' && value !== '' ? (JSON.parse(value) as T) : fallback;
const str = (value: unknown): string => String(value);
const strOrNull = (value: unknown): string | null => (value === null || value === undefined ? null : String(value));
const numOrNull = (value: unknown): number | null => (value === null || value === undefined ? null : Number(value));
const UNFINISHED: JobStatus[] = ['PENDING', 'RUNNING'];
/** A history row as a job is created: it has no id yet, and no action until its refresh has run. */
type NewHistoryRow = Omit<HistoryRecord, 'id' | 'action' | 'actionDetail'>;
/**
 * How gateways take turns migrating a shared catalog: a PostgreSQL advisory lock under a key of Freshet's own
 * ("FRSHMIGR" in ASCII), a MySQL named lock per database (waiting up to 5 minutes).
 */
const MIGRATION_LOCK = {
  postgres: ['SELECT pg_advisory_lock(5067204100744628050)', 'SELECT pg_advisory_unlock(5067204100744628050)'],
  mysql: [
    "SELECT GET_LOCK(LEFT(CONCAT('freshet_migrations:', DATABASE()), 64), 300)",
    "SELECT RELEASE_LOCK(LEFT(CONCAT('freshet_migrations:', DATABASE()), 64))",
  ],
} as const;

/**
 * knex connection settings for a catalog URL: `sqlite:<path>` (relative to `baseDir`),
 * `postgres://user@host:port/db` (or `postgresql://`), `mysql://user:password@host:port/db` (or `mariadb://`).
 */
export function catalogConnection(url: string, baseDir: string): Knex.Config {
  if (url.startsWith('sqlite:')) {
    const file = url.slice('sqlite:'.length);
    const resolved = file === ':memory:' ? file : path.resolve(baseDir, file);
    if (resolved !== ':memory:') mkdirSync(path.dirname(resolved), { recursive: true });
    return {
      client: 'better-sqlite3',
      connection: { filename: resolved },
      useNullAsDefault: true,
      pool: {
        afterCreate: (conn: { pragma(sql: string): unknown }, done: (err: Error | null, conn: unknown) => void) => {
          conn.pragma('journal_mode = WAL');
          conn.pragma('synchronous = NORMAL');
          conn.pragma('busy_timeout = 30000');
          done(null, conn);
        },
      },
    };
  }
  if (/^postgres(ql)?:\/\//.test(url)) {
    return { client: 'pg', connection: url, pool: { min: 0, max: 10 } };
  }
  if (/^(mysql|mariadb):\/\//.test(url)) {
    // mysql2 knows only the mysql: scheme; MariaDB speaks the same protocol.
    return { client: 'mysql2', connection: url.replace(/^mariadb:/, 'mysql:'), pool: { min: 0, max: 10 } };
  }
  throw new Error(`catalog.url "${url}" is not supported: use sqlite:<path>, postgres://… or mysql://…`);
}

/** The catalog's database kind, from its URL. */
export function catalogKind(url: string): 'sqlite' | 'postgres' | 'mysql' {
  return url.startsWith('sqlite:') ? 'sqlite' : /^postgres/.test(url) ? 'postgres' : 'mysql';
}

/** How long a gateway trusts a table record it read from a catalog shared with other gateways. */
export const SHARED_TABLE_CACHE_MS = 1_000;

export class Catalog {
  private readonly db: Knex;
  /**
   * Dynamic tables by key, so that refresh callbacks do not read the catalog for every table. A SQLite catalog
   * belongs to one gateway process and every write goes through this object, so its entries never expire. A
   * server catalog may be shared by several gateways: its entries are trusted for {@link SHARED_TABLE_CACHE_MS},
   * so a change made by another gateway is seen within that time (this gateway's own changes at once).
   */
  private readonly tables = new Map<string, { readonly record: DynamicTableRecord | null; readonly until: number }>();
  private readonly tableCacheMs: number;

  /** Which database holds the catalog: a SQLite catalog belongs to one gateway, the others may be shared. */
  readonly kind: 'sqlite' | 'postgres' | 'mysql';

  /** True when several gateways may share this catalog (a server database); a SQLite catalog has one gateway. */
  get shared(): boolean {
    return this.kind !== 'sqlite';
  }

  constructor(readonly url: string, baseDir: string) {
    this.db = knexFactory(catalogConnection(url, baseDir));
    this.kind = catalogKind(url);
    this.tableCacheMs = this.kind === 'sqlite' ? Infinity : SHARED_TABLE_CACHE_MS;
  }

  /**
   * Applies pending migrations. Gateways starting together on a shared catalog migrate one at a time, under a
   * database lock held on one connection: knex's own migration lock cannot guard the very first start, when each
   * gateway creates knex's migration tables and lock row at once (on MySQL this can leave two lock rows, and
   * then every later start fails as "already locked").
   */
  async open(): Promise<void> {
    if (this.kind === 'sqlite') return this.migrate();
    const [lock, unlock] = MIGRATION_LOCK[this.kind];
    const connection: unknown = await this.db.client.acquireConnection();
    try {
      await this.db.raw(lock).connection(connection);
      try {
        await this.migrate();
      } finally {
        await this.db.raw(unlock).connection(connection);
      }
    } finally {
      await this.db.client.releaseConnection(connection);
    }
  }

  private async migrate(): Promise<void> {
    await this.db.migrate.latest({
      tableName: 'catalog_migrations',
      migrationSource: {
        getMigrations: async () => [...CATALOG_MIGRATIONS],
        getMigrationName: (migration: { name: string }) => migration.name,
        getMigration: async (migration: Knex.Migration) => migration,
      },
    });
  }

  async close(): Promise<void> {
    await this.db.destroy();
  }

  async ping(): Promise<void> {
    await this.db.raw('select 1');
  }

  // ---- dynamic tables ----

  private remember(key: string, record: DynamicTableRecord | null): void {
    if (this.tables.size >= 10_000) this.tables.clear();
    this.tables.set(key, { record, until: Date.now() + this.tableCacheMs });
  }

  async getTable(key: string): Promise<DynamicTableRecord | null> {
    const cached = this.tables.get(key);
    if (cached !== undefined && cached.until > Date.now()) return cached.record;
    const row = (await this.db('dynamic_tables').where({ table_key: key }).first()) as Row | undefined;
    const record = row ? toTable(row) : null;
    this.remember(key, record);
    return record;
  }

  async listTables(): Promise<DynamicTableRecord[]> {
    const rows = (await this.db('dynamic_tables').orderBy('table_key')) as Row[];
    return rows.map(toTable);
  }

  /** Inserts a new table; false when one with the same key exists already. */
  async insertTable(record: DynamicTableRecord): Promise<boolean> {
    try {
      await this.db('dynamic_tables').insert(fromTable(record));
      this.remember(record.key, record);
      return true;
    } catch (error) {
      if (/unique|duplicate|primary/i.test(String((error as Error).message))) return false;
      throw error;
    }
  }

  async updateTable(record: DynamicTableRecord): Promise<void> {
    this.tables.delete(record.key);
    await this.db('dynamic_tables').where({ table_key: record.key }).update(fromTable(record));
    this.remember(record.key, record);
  }

  async deleteTable(key: string): Promise<void> {
    this.tables.delete(key);
    await this.db('dynamic_tables').where({ table_key: key }).delete();
    this.remember(key, null);
  }

  // ---- jobs ----

  /** The newest attempt of a deduplicated job. */
  async latestJobByKey(dedupeKey: string): Promise<JobRecord | null> {
    const row = (await this.db('refresh_jobs').where({ dedupe_key: dedupeKey }).orderBy('attempt', 'desc').first()) as
      | Row
      | undefined;
    return row ? toJob(row) : null;
  }

  async getJob(jobId: string): Promise<JobRecord | null> {
    const row = (await this.db('refresh_jobs').where({ job_id: jobId }).first()) as Row | undefined;
    return row ? toJob(row) : null;
  }

  /**
   * Inserts a job and one PENDING history row per table in one transaction. False when the (dedupe key,
   * attempt) pair exists already, i.e. another caller created the same attempt first. `ownership` records the
   * gateway that runs the job and its first lease. The rows start without an action: what a refresh did is
   * known once it has run ({@link Catalog.updateHistory}).
   */
  async insertJob(job: JobRecord, history: ReadonlyArray<NewHistoryRow>, ownership?: JobOwnership): Promise<boolean> {
    const row = fromJob(job);
    if (ownership) Object.assign(row, { owner: ownership.owner, lease_until: ownership.leaseUntil, resumable: ownership.resumable });
    try {
      await this.db.transaction(async (trx) => {
        await trx('refresh_jobs').insert(row);
        if (history.length > 0) await trx('refresh_history').insert(history.map(fromHistory));
      });
      return true;
    } catch (error) {
      if (job.dedupeKey !== null && /unique|duplicate/i.test(String((error as Error).message))) return false;
      throw error;
    }
  }

  /**
   * Changes a job. With `ownedBy`, only while that replica still owns it: false when another gateway has taken
   * the job over meanwhile (or the job does not exist).
   */
  async updateJob(
    jobId: string,
    changes: Partial<Pick<JobRecord, 'status' | 'error' | 'startedAt' | 'finishedAt'>>,
    ownedBy?: string,
  ): Promise<boolean> {
    const row: Row = {};
    if (changes.status !== undefined) row.status = changes.status;
    if (changes.error !== undefined) row.error = changes.error;
    if (changes.startedAt !== undefined) row.started_at = changes.startedAt;
    if (changes.finishedAt !== undefined) row.finished_at = changes.finishedAt;
    const query = this.db('refresh_jobs').where({ job_id: jobId });
    if (ownedBy !== undefined) query.andWhere({ owner: ownedBy });
    return Number(await query.update(row)) > 0;
  }

  async jobsWithStatus(statuses: readonly JobStatus[]): Promise<JobRecord[]> {
    const rows = (await this.db('refresh_jobs').whereIn('status', statuses as JobStatus[]).orderBy('created_at')) as Row[];
    return rows.map(toJob);
  }

  // ---- history ----

  async updateHistory(
    jobId: string,
    tableKey: string,
    changes: Partial<
      Pick<HistoryRecord, 'state' | 'rowsWritten' | 'rowsDeleted' | 'action' | 'actionDetail' | 'startedAt' | 'finishedAt' | 'error' | 'partition'>
    >,
  ): Promise<void> {
    const row: Row = {};
    if (changes.state !== undefined) row.state = changes.state;
    if (changes.rowsWritten !== undefined) row.rows_written = changes.rowsWritten;
    if (changes.rowsDeleted !== undefined) row.rows_deleted = changes.rowsDeleted;
    if (changes.action !== undefined) row.action = changes.action;
    if (changes.actionDetail !== undefined) row.action_detail = changes.actionDetail;
    if (changes.startedAt !== undefined) row.started_at = changes.startedAt;
    if (changes.finishedAt !== undefined) row.finished_at = changes.finishedAt;
    if (changes.error !== undefined) row.error = changes.error;
    if (changes.partition !== undefined) row.partition_spec = changes.partition === null ? null : json(changes.partition);
    await this.db('refresh_history').where({ job_id: jobId, table_key: tableKey }).update(row);
  }

  async historyOfJob(jobId: string): Promise<HistoryRecord[]> {
    const rows = (await this.db('refresh_history').where({ job_id: jobId }).orderBy('id')) as Row[];
    return rows.map(toHistory);
  }

  /** Newest first. */
  async historyOfTable(tableKey: string, limit: number, beforeId?: number): Promise<HistoryRecord[]> {
    let query = this.db('refresh_history').where({ table_key: tableKey });
    if (beforeId !== undefined) query = query.andWhere('id', '<', beforeId);
    const rows = (await query.orderBy('id', 'desc').limit(limit)) as Row[];
    return rows.map(toHistory);
  }

  /** The newest successful full-table (unpartitioned) refresh of a table. */
  async lastSuccessfulRefresh(tableKey: string): Promise<HistoryRecord | null> {
    const row = (await this.db('refresh_history')
      .where({ table_key: tableKey, state: 'SUCCEEDED' })
      .orderBy('schedule_time', 'desc')
      .first()) as Row | undefined;
    return row ? toHistory(row) : null;
  }

  async deleteHistoryOfTable(tableKey: string): Promise<void> {
    await this.db('refresh_history').where({ table_key: tableKey }).delete();
  }

  /** Marks every unfinished job and history row FAILED (after a restart nobody is running them). */
  async failUnfinished(reason: string, at: string): Promise<number> {
    return this.db.transaction(async (trx) => {
      const jobs = await trx('refresh_jobs').whereIn('status', ['PENDING', 'RUNNING']).update({ status: 'FAILED', error: reason, finished_at: at });
      await trx('refresh_history').whereIn('state', ['PENDING', 'RUNNING']).update({ state: 'FAILED', error: reason, finished_at: at });
      return Number(jobs);
    });
  }

  // ---- several gateways on one catalog: job ownership and named leases ----

  /** Who runs a job and until when; null for a job that does not exist or was never given an owner. */
  async jobOwnership(jobId: string): Promise<JobOwnership | null> {
    const row = (await this.db('refresh_jobs').where({ job_id: jobId }).first('owner', 'lease_until', 'resumable')) as Row | undefined;
    if (!row || row.owner === null || row.owner === undefined) return null;
    return { owner: str(row.owner), leaseUntil: str(row.lease_until), resumable: Boolean(row.resumable) };
  }

  /**
   * Extends the leases of the unfinished jobs among `jobIds` that `owner` still holds; returns how many it
   * extended. A job another gateway has taken over is left alone.
   */
  async renewJobLeases(jobIds: readonly string[], owner: string, leaseUntil: string): Promise<number> {
    let renewed = 0;
    // Chunked: MySQL and SQLite bound the number of parameters in one statement.
    for (let i = 0; i < jobIds.length; i += 500) {
      const ids = jobIds.slice(i, i + 500);
      renewed += Number(
        await this.db('refresh_jobs').whereIn('job_id', ids).andWhere({ owner }).whereIn('status', UNFINISHED).update({ lease_until: leaseUntil }),
      );
    }
    return renewed;
  }

  /**
   * Takes over, for `owner`, up to `limit` unfinished jobs whose lease has passed by `now` (or that never had
   * one), oldest first, giving each a lease until `leaseUntil`. Gateways that claim at the same moment each get
   * different jobs: PostgreSQL and MySQL lock the rows they pick (`FOR UPDATE SKIP LOCKED`), SQLite takes each
   * job with an UPDATE that only succeeds while its lease is still expired.
   */
  async claimExpiredJobs(owner: string, leaseUntil: string, now: string, limit: number): Promise<ClaimedJob[]> {
    const expired = (query: Knex.QueryBuilder) =>
      query.whereIn('status', UNFINISHED).andWhere((q) => q.whereNull('lease_until').orWhere('lease_until', '<', now));
    const claimed = (row: Row): ClaimedJob => ({ job: toJob(row), resumable: Boolean(row.resumable), previousOwner: strOrNull(row.owner) });
    if (this.kind === 'sqlite') {
      const rows = (await expired(this.db('refresh_jobs')).orderBy('created_at').limit(limit)) as Row[];
      const won: ClaimedJob[] = [];
      for (const row of rows) {
        const changed = await expired(this.db('refresh_jobs').where({ job_id: row.job_id })).update({ owner, lease_until: leaseUntil });
        if (Number(changed) === 1) won.push(claimed(row));
      }
      return won;
    }
    return this.db.transaction(async (trx) => {
      const rows = (await expired(trx('refresh_jobs')).orderBy('created_at').limit(limit).forUpdate().skipLocked()) as Row[];
      if (rows.length === 0) return [];
      await trx('refresh_jobs')
        .whereIn(
          'job_id',
          rows.map((row) => str(row.job_id)),
        )
        .update({ owner, lease_until: leaseUntil });
      return rows.map(claimed);
    });
  }

  /**
   * Takes or extends the named lease for `owner` until `until`: true when `owner` holds it now, false while
   * another holder's lease has not passed by `now`.
   */
  async acquireLease(name: string, owner: string, until: string, now: string): Promise<boolean> {
    const take = () =>
      this.db('leases')
        .where({ name })
        .andWhere((q) => q.where({ owner }).orWhere('lease_until', '<', now))
        .update({ owner, lease_until: until });
    if (Number(await take()) === 1) return true;
    // First use of the name: an expired placeholder, so that the conditional UPDATE above decides who wins.
    await this.db('leases').insert({ name, owner: '', lease_until: '' }).onConflict('name').ignore();
    return Number(await take()) === 1;
  }

  /** Extends the named leases `owner` still holds; returns how many it extended. */
  async renewLeases(names: readonly string[], owner: string, until: string): Promise<number> {
    let renewed = 0;
    for (let i = 0; i < names.length; i += 500) {
      renewed += Number(await this.db('leases').whereIn('name', names.slice(i, i + 500)).andWhere({ owner }).update({ lease_until: until }));
    }
    return renewed;
  }

  /** Gives a lease up at once, if `owner` holds it, so that the next gateway need not wait for it to pass. */
  async releaseLease(name: string, owner: string): Promise<void> {
    await this.db('leases').where({ name, owner }).update({ owner: '', lease_until: '' });
  }

  /** The current holder of a named lease, or null when nobody holds it (possibly expired: compare `until`). */
  async getLease(name: string): Promise<LeaseRecord | null> {
    const row = (await this.db('leases').where({ name }).first()) as Row | undefined;
    if (!row || str(row.owner) === '') return null;
    return { name: str(row.name), owner: str(row.owner), until: str(row.lease_until) };
  }

  // ---- callback tokens ----

  async insertCallbackToken(tokenHash: string, tableKey: string, at: string): Promise<void> {
    await this.db('callback_tokens').insert({ token_hash: tokenHash, table_key: tableKey, created_at: at });
  }

  /** The table a callback token was minted for, or null. */
  async callbackTokenTable(tokenHash: string): Promise<string | null> {
    const row = (await this.db('callback_tokens').where({ token_hash: tokenHash }).first()) as Row | undefined;
    return row ? str(row.table_key) : null;
  }

  async deleteCallbackTokens(tableKey: string, keep?: string): Promise<void> {
    let query = this.db('callback_tokens').where({ table_key: tableKey });
    if (keep !== undefined) query = query.whereNot({ token_hash: keep });
    await query.delete();
  }

  // ---- workflows left behind ----

  async insertOrphan(orphan: Omit<OrphanRecord, 'id'>): Promise<void> {
    await this.db('scheduler_orphans').insert({
      scheduler_type: orphan.schedulerType,
      table_identifier: orphan.tableIdentifier,
      handler: json(orphan.handler),
      reason: orphan.reason,
      created_at: orphan.createdAt,
    });
  }

  async listOrphans(schedulerType: string): Promise<OrphanRecord[]> {
    const rows = (await this.db('scheduler_orphans').where({ scheduler_type: schedulerType }).orderBy('id')) as Row[];
    return rows.map((row) => ({
      id: Number(row.id),
      schedulerType: str(row.scheduler_type),
      tableIdentifier: str(row.table_identifier),
      handler: parseJson(row.handler, {}),
      reason: strOrNull(row.reason),
      createdAt: str(row.created_at),
    }));
  }

  async deleteOrphan(id: number): Promise<void> {
    await this.db('scheduler_orphans').where({ id }).delete();
  }

  // ---- plugin state ----

  pluginStateStore(scope: string): PluginStateStore {
    const db = this.db;
    return {
      async get(key) {
        const row = (await db('plugin_state').where({ scope, state_key: key }).first()) as Row | undefined;
        return row ? JSON.parse(str(row.state_value)) : undefined;
      },
      async put(key, value) {
        await db('plugin_state')
          .insert({ scope, state_key: key, state_value: json(value) })
          .onConflict(['scope', 'state_key'])
          .merge(['state_value']);
      },
      async delete(key) {
        await db('plugin_state').where({ scope, state_key: key }).delete();
      },
      async list() {
        const rows = (await db('plugin_state').where({ scope }).orderBy('state_key')) as Row[];
        return rows.map((row) => ({ key: str(row.state_key), value: JSON.parse(str(row.state_value)) as unknown }));
      },
    };
  }
}

function toTable(row: Row): DynamicTableRecord {
  return {
    key: str(row.table_key),
    identifier: str(row.identifier),
    catalogName: str(row.catalog_name),
    databaseName: str(row.database_name),
    tableName: str(row.table_name),
    definitionQuery: str(row.definition_query),
    queryHash: str(row.query_hash),
    createStatement: str(row.create_statement),
    freshness: { interval: Number(row.freshness_interval), unit: str(row.freshness_unit) as DynamicTableRecord['freshness']['unit'] },
    logicalRefreshMode: str(row.logical_refresh_mode) as DynamicTableRecord['logicalRefreshMode'],
    refreshMode: str(row.refresh_mode) as DynamicTableRecord['refreshMode'],
    refreshStatus: str(row.refresh_status) as DynamicTableRecord['refreshStatus'],
    partitionKeys: parseJson(row.partition_keys, []),
    options: parseJson(row.options, {}),
    schema: parseJson(row.table_schema, []),
    columnMapping: parseJson(row.column_mapping, []),
    primaryKey: parseJson(row.primary_key, null),
    comment: strOrNull(row.comment),
    sourceTables: parseJson(row.source_tables, []),
    schedulerType: strOrNull(row.scheduler_type),
    cron: strOrNull(row.cron),
    refreshHandler: parseJson(row.refresh_handler, null),
    createdAt: str(row.created_at),
    updatedAt: str(row.updated_at),
  };
}

function fromTable(r: DynamicTableRecord): Row {
  return {
    table_key: r.key,
    identifier: r.identifier,
    catalog_name: r.catalogName,
    database_name: r.databaseName,
    table_name: r.tableName,
    definition_query: r.definitionQuery,
    query_hash: r.queryHash,
    create_statement: r.createStatement,
    freshness_interval: r.freshness.interval,
    freshness_unit: r.freshness.unit,
    logical_refresh_mode: r.logicalRefreshMode,
    refresh_mode: r.refreshMode,
    refresh_status: r.refreshStatus,
    partition_keys: json(r.partitionKeys),
    options: json(r.options),
    table_schema: json(r.schema),
    column_mapping: json(r.columnMapping),
    primary_key: r.primaryKey === null ? null : json(r.primaryKey),
    comment: r.comment,
    source_tables: json(r.sourceTables),
    scheduler_type: r.schedulerType,
    cron: r.cron,
    refresh_handler: r.refreshHandler === null ? null : json(r.refreshHandler),
    created_at: r.createdAt,
    updated_at: r.updatedAt,
  };
}

function toJob(row: Row): JobRecord {
  return {
    jobId: str(row.job_id),
    dedupeKey: strOrNull(row.dedupe_key),
    attempt: Number(row.attempt),
    trigger: str(row.trigger_kind) as JobRecord['trigger'],
    status: str(row.status) as JobStatus,
    tables: parseJson(row.tables, []),
    scheduleTime: str(row.schedule_time),
    isPeriodic: Boolean(row.is_periodic),
    configuration: parseJson(row.configuration, {}),
    staticPartitions: parseJson(row.static_partitions, null),
    clusterInfo: parseJson(row.cluster_info, {}),
    error: strOrNull(row.error),
    createdAt: str(row.created_at),
    startedAt: strOrNull(row.started_at),
    finishedAt: strOrNull(row.finished_at),
  };
}

function fromJob(j: JobRecord): Row {
  return {
    job_id: j.jobId,
    dedupe_key: j.dedupeKey,
    attempt: j.attempt,
    trigger_kind: j.trigger,
    status: j.status,
    tables: json(j.tables),
    schedule_time: j.scheduleTime,
    is_periodic: j.isPeriodic,
    configuration: json(j.configuration),
    static_partitions: j.staticPartitions === null ? null : json(j.staticPartitions),
    cluster_info: json(j.clusterInfo),
    error: j.error,
    created_at: j.createdAt,
    started_at: j.startedAt,
    finished_at: j.finishedAt,
  };
}

function toHistory(row: Row): HistoryRecord {
  return {
    id: Number(row.id),
    jobId: str(row.job_id),
    tableKey: str(row.table_key),
    identifier: str(row.identifier),
    trigger: str(row.trigger_kind) as HistoryRecord['trigger'],
    scheduleTime: str(row.schedule_time),
    partition: parseJson(row.partition_spec, null),
    state: str(row.state) as JobStatus,
    rowsWritten: numOrNull(row.rows_written),
    rowsDeleted: numOrNull(row.rows_deleted),
    action: strOrNull(row.action) as HistoryRecord['action'],
    actionDetail: strOrNull(row.action_detail),
    startedAt: strOrNull(row.started_at),
    finishedAt: strOrNull(row.finished_at),
    error: strOrNull(row.error),
  };
}

function fromHistory(h: NewHistoryRow): Row {
  return {
    job_id: h.jobId,
    table_key: h.tableKey,
    identifier: h.identifier,
    trigger_kind: h.trigger,
    schedule_time: h.scheduleTime,
    partition_spec: h.partition === null ? null : json(h.partition),
    state: h.state,
    rows_written: h.rowsWritten,
    rows_deleted: h.rowsDeleted,
    started_at: h.startedAt,
    finished_at: h.finishedAt,
    error: h.error,
  };
}
