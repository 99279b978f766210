/**
 * Runs refresh jobs: creates them idempotently, refreshes their tables in order on the engine (one table at
 * a time, never the same table twice at once), and records the job and a history row per table.
 */
import { createHash, randomUUID } from 'node:crypto';
import type { Catalog } from '../catalog/catalog';
import type { DynamicTableRecord, HistoryRecord, JobRecord, RefreshTrigger } from '../catalog/records';
import type { Engine, RefreshOutcome, RefreshSpec, TableDefinition } from '../engine/engine';
import { messageOf } from '../errors';
import type { Logger } from '../logger';
import { TableLocks } from './table-locks';

export interface TableRefresh {
  readonly table: DynamicTableRecord;
  /** Null: the whole table. */
  readonly partition: Readonly<Record<string, string>> | null;
  /** Set when the table must be rebuilt with a new definition (ALTER … AS). */
  readonly rebuild?: TableDefinition;
}

export interface JobRequest {
  /** Upstream first. */
  readonly refreshes: readonly TableRefresh[];
  readonly scheduleTime: Date;
  /** Deduplicate on (tables, schedule time, partitions): true when the caller gave the schedule time. */
  readonly deduplicate: boolean;
  readonly trigger: RefreshTrigger;
  readonly isPeriodic: boolean;
  readonly configuration: Readonly<Record<string, string>>;
  readonly staticPartitions: Readonly<Record<string, string>> | null;
}

export interface JobView {
  readonly job: JobRecord;
  readonly history: readonly HistoryRecord[];
}

const UNFINISHED = new Set(['PENDING', 'RUNNING']);

export class RefreshRunner {
  private readonly locks = new TableLocks();
  private readonly waiters = new Map<string, Set<(job: JobRecord) => void>>();
  private readonly creating = new Map<string, Promise<JobRecord>>();
  private readonly running = new Set<Promise<void>>();
  /** Succeeded jobs by dedupe key: final, so a repeated callback needs no catalog read. Oldest dropped first. */
  private readonly succeeded = new Map<string, JobRecord>();
  private closed = false;

  constructor(
    private readonly catalog: Catalog,
    /** The engine of a catalog, by catalog name. */
    private readonly engineOf: (catalogName: string) => Engine,
    private readonly clusterInfo: Readonly<Record<string, string>>,
    private readonly logger: Logger,
  ) {}

  /** Jobs left PENDING or RUNNING by a process that stopped are failed: nobody runs them any more. */
  async recover(now: Date): Promise<number> {
    return this.catalog.failUnfinished('The gateway stopped before this refresh finished; it was not applied.', now.toISOString());
  }

  /** Returns the existing job for a repeated request, or creates and starts a new one. */
  async submit(request: JobRequest): Promise<JobRecord> {
    if (this.closed) throw new Error('The refresh runner is shut down.');
    if (!request.deduplicate) return this.create(request, null, 1);
    const dedupeKey = dedupeKeyOf(request);
    const done = this.succeeded.get(dedupeKey);
    if (done) return done;
    // Serialise creation per key inside this process; the catalog's unique key guards across processes.
    const inFlight = this.creating.get(dedupeKey);
    if (inFlight) return inFlight;
    const creation = (async () => {
      const latest = await this.catalog.latestJobByKey(dedupeKey);
      if (latest?.status === 'SUCCEEDED') this.remember(latest);
      if (latest && latest.status !== 'FAILED') return latest;
      const attempt = latest ? latest.attempt + 1 : 1;
      return this.create(request, dedupeKey, attempt);
    })();
    this.creating.set(dedupeKey, creation);
    try {
      return await creation;
    } finally {
      this.creating.delete(dedupeKey);
    }
  }

  private async create(request: JobRequest, dedupeKey: string | null, attempt: number): Promise<JobRecord> {
    const createdAt = new Date().toISOString();
    const scheduleTime = request.scheduleTime.toISOString();
    const job: JobRecord = {
      jobId: randomUUID(),
      dedupeKey,
      attempt,
      trigger: request.trigger,
      status: 'PENDING',
      tables: request.refreshes.map((r) => r.table.key),
      scheduleTime,
      isPeriodic: request.isPeriodic,
      configuration: request.configuration,
      staticPartitions: request.staticPartitions,
      clusterInfo: this.clusterInfo,
      error: null,
      createdAt,
      startedAt: null,
      finishedAt: null,
    };
    const history = request.refreshes.map((r) => ({
      jobId: job.jobId,
      tableKey: r.table.key,
      identifier: r.table.identifier,
      trigger: request.trigger,
      scheduleTime,
      partition: r.partition,
      state: 'PENDING' as const,
      rowsWritten: null,
      rowsDeleted: null,
      startedAt: null,
      finishedAt: null,
      error: null,
    }));
    if (!(await this.catalog.insertJob(job, history))) {
      // Another process created this attempt first: answer with its job.
      const existing = dedupeKey === null ? null : await this.catalog.latestJobByKey(dedupeKey);
      if (existing) return existing;
      throw new Error('A refresh job with the same key was created concurrently and could not be read back.');
    }
    const run = this.execute(job, request.refreshes).finally(() => this.running.delete(run));
    this.running.add(run);
    return job;
  }

  private async execute(job: JobRecord, refreshes: readonly TableRefresh[]): Promise<void> {
    const failed = new Set<string>();
    let started = false;
    for (const refresh of refreshes) {
      const { table } = refresh;
      await this.locks.withLock(table.key, async () => {
        const startedAt = new Date().toISOString();
        const blockedBy = table.sourceTables.find((source) => failed.has(source));
        if (blockedBy !== undefined) {
          failed.add(table.key);
          if (!started) await this.catalog.updateJob(job.jobId, { status: 'RUNNING', startedAt });
          started = true;
          await this.catalog.updateHistory(job.jobId, table.key, {
            state: 'FAILED',
            startedAt,
            finishedAt: startedAt,
            error: `Not refreshed because its upstream table ${blockedBy} failed in this job.`,
          });
          return;
        }
        // The engine starts at once; the RUNNING marks are written meanwhile, and always before the outcome.
        const outcome = this.refreshOne(refresh).then(
          (value) => ({ ok: true as const, value }),
          (error: unknown) => ({ ok: false as const, error }),
        );
        const marks = [this.catalog.updateHistory(job.jobId, table.key, { state: 'RUNNING', startedAt })];
        if (!started) marks.push(this.catalog.updateJob(job.jobId, { status: 'RUNNING', startedAt }));
        started = true;
        await Promise.all(marks);
        const result = await outcome;
        if (result.ok) {
          await this.catalog.updateHistory(job.jobId, table.key, {
            state: 'SUCCEEDED',
            rowsWritten: result.value.rowsWritten,
            rowsDeleted: result.value.rowsDeleted,
            finishedAt: new Date().toISOString(),
          });
        } else {
          failed.add(table.key);
          this.logger.warn('refresh failed', { job: job.jobId, table: table.identifier, error: messageOf(result.error) });
          await this.catalog.updateHistory(job.jobId, table.key, {
            state: 'FAILED',
            finishedAt: new Date().toISOString(),
            error: messageOf(result.error),
          });
        }
      });
    }
    const finishedAt = new Date().toISOString();
    const error = failed.size === 0 ? null : `Refresh failed for ${[...failed].join(', ')}; see the tables' entries for the cause.`;
    await this.catalog.updateJob(job.jobId, { status: error === null ? 'SUCCEEDED' : 'FAILED', error, finishedAt });
    this.notify(job.jobId);
  }

  private refreshOne(refresh: TableRefresh): Promise<RefreshOutcome> {
    const { table } = refresh;
    const spec: RefreshSpec = {
      table: { database: table.databaseName, name: table.tableName },
      query: table.definitionQuery,
      columns: table.columnMapping,
      partition: refresh.partition,
    };
    const engine = this.engineOf(table.catalogName);
    return refresh.rebuild ? engine.rebuildTable(refresh.rebuild, spec) : engine.refresh(spec);
  }

  private async notify(jobId: string): Promise<void> {
    const waiting = this.waiters.get(jobId);
    this.waiters.delete(jobId);
    const job = await this.catalog.getJob(jobId);
    if (job?.status === 'SUCCEEDED') this.remember(job);
    if (job && waiting) for (const resolve of waiting) resolve(job);
  }

  private remember(job: JobRecord): void {
    if (job.dedupeKey === null) return;
    if (this.succeeded.size >= 10_000) this.succeeded.delete(this.succeeded.keys().next().value as string);
    this.succeeded.set(job.dedupeKey, job);
  }

  /** The job once it has finished, or as it stands when `timeoutMs` has passed. */
  async waitFor(jobId: string, timeoutMs: number): Promise<JobRecord | null> {
    if (timeoutMs <= 0) return this.catalog.getJob(jobId);
    // Register before reading: a job that finishes between the read and the registration would otherwise be
    // missed, and the caller would wait for the whole timeout.
    let done!: (job: JobRecord) => void;
    const finished = new Promise<JobRecord>((resolve) => (done = resolve));
    const set = this.waiters.get(jobId) ?? new Set();
    this.waiters.set(jobId, set);
    set.add(done);
    let timer: NodeJS.Timeout | undefined;
    try {
      const current = await this.catalog.getJob(jobId);
      if (!current || !UNFINISHED.has(current.status)) return current;
      const timedOut = new Promise<null>((resolve) => (timer = setTimeout(() => resolve(null), timeoutMs)));
      return (await Promise.race([finished, timedOut])) ?? (await this.catalog.getJob(jobId));
    } finally {
      clearTimeout(timer);
      set.delete(done);
      if (set.size === 0 && this.waiters.get(jobId) === set) this.waiters.delete(jobId);
    }
  }

  async view(jobId: string): Promise<JobView | null> {
    const job = await this.catalog.getJob(jobId);
    if (!job) return null;
    return { job, history: await this.catalog.historyOfJob(jobId) };
  }

  /** Runs `work` while no refresh of the table runs (for DROP and ALTER). */
  exclusive<T>(tableKey: string, work: () => Promise<T>): Promise<T> {
    return this.locks.withLock(tableKey, work);
  }

  isRefreshing(tableKey: string): boolean {
    return this.locks.isBusy(tableKey);
  }

  /** Stops accepting jobs and waits for the running ones. */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.allSettled([...this.running]);
  }
}

/**
 * Jobs are idempotent on (tables, schedule time, partitions, periodic or not). Each table counts with its creation
 * time, so a table dropped and created again under the same name does not inherit the old table's jobs. Hashed, to
 * fit the catalog column whatever the number of tables.
 */
function dedupeKeyOf(request: JobRequest): string {
  const tables = request.refreshes.map((r) => `${r.table.key}@${r.table.createdAt}`).sort();
  const partitions = request.staticPartitions === null ? '' : JSON.stringify(Object.entries(request.staticPartitions).sort());
  const text = [tables.join(','), request.scheduleTime.toISOString(), partitions, request.isPeriodic ? 'periodic' : 'one-off'].join('|');
  return createHash('sha256').update(text).digest('hex');
}
