/**
 * Runs refresh jobs: creates them idempotently, refreshes their tables in order on the engine (one table at
 * a time, never the same table twice at once), and records the job and a history row per table.
 *
 * Several gateways (replicas) may share a PostgreSQL or MySQL catalog. Then each job is owned by the gateway
 * that created it and carries a lease that gateway renews while it runs the job; every gateway sweeps the
 * catalog for jobs whose lease has passed (their gateway stopped) and takes them over, and a table lease in the
 * catalog keeps two gateways from refreshing one table at once.
 */
import { createHash, randomUUID } from 'node:crypto';
import type { Catalog } from '../catalog/catalog';
import type { ClaimedJob, DynamicTableRecord, HistoryRecord, JobRecord, RefreshTrigger } from '../catalog/records';
import type { RefreshOutcome, TableDefinition } from '../engine/engine';
import { messageOf } from '../errors';
import type { Logger } from '../logger';
import { defaultReplicaId } from '../replica/replica-id';
import { LeaseKeeper } from './lease-keeper';
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

/** This gateway as one of several on a shared catalog. */
export interface RunnerReplica {
  /** Written as the owner of the jobs and leases this gateway holds; unique per running process. */
  readonly id: string;
  /** How long a job or table lease holds without renewal; another gateway takes the job over after it. */
  readonly leaseSeconds: number;
}

/** Jobs taken over in one sweep at most; the next sweep takes the rest. */
const SWEEP_BATCH = 100;

/** Carries out one table's refresh with the job's configuration. */
export type RefreshPerformer = (refresh: TableRefresh, configuration: Readonly<Record<string, string>>) => Promise<RefreshOutcome>;

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
  /** Null for a SQLite catalog: it belongs to this one gateway, so there is nobody to share jobs or tables with. */
  private readonly keeper: LeaseKeeper | null;
  private readonly replicaId: string;
  private readonly leaseMs: number;
  private sweepTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly catalog: Catalog,
    /** Carries out one table's refresh (the manager decides how: on the table's engine, or streamed from another catalog). */
    private readonly perform: RefreshPerformer,
    private readonly clusterInfo: Readonly<Record<string, string>>,
    private readonly logger: Logger,
    replica: RunnerReplica = { id: defaultReplicaId(), leaseSeconds: 30 },
  ) {
    this.replicaId = replica.id;
    this.leaseMs = replica.leaseSeconds * 1000;
    this.keeper = catalog.kind === 'sqlite' ? null : new LeaseKeeper(catalog, replica.id, this.leaseMs, logger);
  }

  /**
   * Start-up duty for the jobs a stopped process left unfinished. On a SQLite catalog that process was this
   * gateway's predecessor and nobody runs its jobs any more: they are failed. A shared catalog's unfinished jobs
   * may belong to other gateways that are alive, so nothing is failed; instead this gateway starts sweeping for
   * jobs whose lease has passed and takes them over. Returns the number of jobs failed.
   */
  async recover(now: Date): Promise<number> {
    if (this.keeper) {
      this.startSweeping();
      return 0;
    }
    return this.catalog.failUnfinished('The gateway stopped before this refresh finished; it was not applied.', now.toISOString());
  }

  /**
   * Takes over the unfinished jobs whose lease has passed by `now` (their gateway stopped) and starts running
   * them; returns how many it took. Gateways sweeping at the same moment never take the same job.
   */
  async sweep(now = new Date()): Promise<number> {
    if (!this.keeper || this.closed) return 0;
    const claimed = await this.catalog.claimExpiredJobs(this.replicaId, this.keeper.leaseUntil(now.getTime()), now.toISOString(), SWEEP_BATCH);
    for (const job of claimed) this.start(job.job.jobId, () => this.takeOver(job));
    return claimed.length;
  }

  private startSweeping(): void {
    if (this.sweepTimer !== undefined || this.closed) return;
    const every = Math.min(5000, Math.max(500, this.leaseMs / 3));
    const round = () => {
      this.sweep()
        .catch((error: unknown) => this.logger.warn('could not look for refresh jobs to take over', { error: messageOf(error) }))
        .finally(() => {
          if (this.closed) return;
          // Jitter keeps the gateways from sweeping in step.
          this.sweepTimer = setTimeout(round, every * (0.75 + Math.random() / 2));
          this.sweepTimer.unref();
        });
    };
    round();
  }

  /** Runs a job taken over from a gateway that stopped, from its first table not yet refreshed. */
  private async takeOver({ job, resumable, previousOwner }: ClaimedJob): Promise<void> {
    this.logger.info('taking over a refresh job whose gateway stopped renewing its lease', { job: job.jobId, previousOwner });
    const history = await this.catalog.historyOfJob(job.jobId);
    if (!resumable) {
      const at = new Date().toISOString();
      const error = 'The gateway running this refresh stopped before it finished; it was not applied. Repeat the statement.';
      for (const row of history) {
        if (UNFINISHED.has(row.state)) await this.catalog.updateHistory(job.jobId, row.tableKey, { state: 'FAILED', finishedAt: at, error });
      }
      await this.catalog.updateJob(job.jobId, { status: 'FAILED', error, finishedAt: at }, this.replicaId);
      await this.notify(job.jobId);
      return;
    }
    const failed = new Set<string>();
    const refreshes: TableRefresh[] = [];
    for (const key of job.tables) {
      const row = history.find((h) => h.tableKey === key);
      // Committed and recorded by the previous gateway: refreshing it again would run it twice.
      if (row?.state === 'SUCCEEDED') continue;
      if (row?.state === 'FAILED') {
        failed.add(key);
        continue;
      }
      const table = await this.catalog.getTable(key);
      if (table === null) {
        failed.add(key);
        const at = new Date().toISOString();
        await this.catalog.updateHistory(job.jobId, key, { state: 'FAILED', startedAt: at, finishedAt: at, error: 'The table was dropped before its refresh ran.' });
        continue;
      }
      refreshes.push({ table, partition: row?.partition ?? null });
    }
    await this.execute(job, refreshes, { failed, started: job.status === 'RUNNING' });
  }

  /** Runs `work` for a job this gateway owns, renewing the job's lease until it ends; `close` waits for it. */
  private start(jobId: string, work: () => Promise<void>): void {
    this.keeper?.holdJob(jobId);
    const run = work()
      .catch((error: unknown) => this.logger.error('refresh job could not be run to its end', { job: jobId, error: messageOf(error) }))
      .finally(() => {
        this.keeper?.releaseJob(jobId);
        this.running.delete(run);
      });
    this.running.add(run);
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
    const ownership = {
      owner: this.replicaId,
      leaseUntil: new Date(Date.now() + this.leaseMs).toISOString(),
      // A rebuild's new definition lives only in this process: another gateway could not run it again.
      resumable: request.refreshes.every((r) => !r.rebuild),
    };
    if (!(await this.catalog.insertJob(job, history, ownership))) {
      // Another process created this attempt first: answer with its job.
      const existing = dedupeKey === null ? null : await this.catalog.latestJobByKey(dedupeKey);
      if (existing) return existing;
      throw new Error('A refresh job with the same key was created concurrently and could not be read back.');
    }
    this.start(job.jobId, () => this.execute(job, request.refreshes));
    return job;
  }

  /**
   * Refreshes the job's tables in order and records the outcome. `resume` describes a job taken over from
   * another gateway: the tables that failed there, and whether it had started.
   */
  private async execute(
    job: JobRecord,
    refreshes: readonly TableRefresh[],
    resume: { readonly failed: ReadonlySet<string>; readonly started: boolean } = { failed: new Set(), started: false },
  ): Promise<void> {
    const failed = new Set<string>(resume.failed);
    let started = resume.started;
    for (const refresh of refreshes) {
      const { table } = refresh;
      const step = async (): Promise<boolean> => {
        // Checked under the table lease, right before the engine: a gateway too slow to renew its lease never
        // refreshes a job that another gateway has taken over meanwhile.
        if (this.keeper && !(await this.keeper.confirmJob(job.jobId))) return false;
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
          return true;
        }
        // The engine starts at once; the RUNNING marks are written meanwhile, and always before the outcome.
        const outcome = this.perform(refresh, job.configuration).then(
          (value) => ({ ok: true as const, value }),
          (error: unknown) => ({ ok: false as const, error }),
        );
        const marks: Promise<unknown>[] = [this.catalog.updateHistory(job.jobId, table.key, { state: 'RUNNING', startedAt })];
        if (!started) marks.push(this.catalog.updateJob(job.jobId, { status: 'RUNNING', startedAt }));
        started = true;
        await Promise.all(marks);
        const result = await outcome;
        if (result.ok) {
          await this.catalog.updateHistory(job.jobId, table.key, {
            state: 'SUCCEEDED',
            rowsWritten: result.value.rowsWritten,
            rowsDeleted: result.value.rowsDeleted,
            action: result.value.action ?? 'FULL',
            actionDetail: result.value.actionDetail ?? null,
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
        return true;
      };
      const stillOurs = await this.locks.withLock(table.key, () => (this.keeper ? this.keeper.withTableLease(table.key, step) : step()));
      if (!stillOurs) {
        this.logger.warn('another gateway took this refresh job over; leaving it to that gateway', { job: job.jobId });
        return;
      }
    }
    const finishedAt = new Date().toISOString();
    const error = failed.size === 0 ? null : `Refresh failed for ${[...failed].join(', ')}; see the tables' entries for the cause.`;
    const status = error === null ? 'SUCCEEDED' : 'FAILED';
    if (!(await this.catalog.updateJob(job.jobId, { status, error, finishedAt }, this.keeper ? this.replicaId : undefined))) {
      this.logger.warn('another gateway took this refresh job over before it was recorded as finished', { job: job.jobId });
    }
    await this.notify(job.jobId);
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
    let waiting = true;
    try {
      const current = await this.catalog.getJob(jobId);
      if (!current || !UNFINISHED.has(current.status)) return current;
      const timedOut = new Promise<null>((resolve) => (timer = setTimeout(() => resolve(null), timeoutMs)));
      const racers: Promise<JobRecord | null>[] = [finished, timedOut];
      // A job another gateway runs finishes without telling this one: watch the catalog for it.
      if (this.keeper) racers.push(this.pollUntilFinished(jobId, () => waiting));
      return (await Promise.race(racers)) ?? (await this.catalog.getJob(jobId));
    } finally {
      waiting = false;
      clearTimeout(timer);
      set.delete(done);
      if (set.size === 0 && this.waiters.get(jobId) === set) this.waiters.delete(jobId);
    }
  }

  /** The job once the catalog shows it finished; null once `waiting` turns false. */
  private async pollUntilFinished(jobId: string, waiting: () => boolean): Promise<JobRecord | null> {
    let pause = 100;
    for (;;) {
      await new Promise<void>((resolve) => setTimeout(resolve, pause).unref());
      pause = Math.min(pause * 2, 1000);
      if (!waiting()) return null;
      if (this.keeper?.holdsJobLocally(jobId)) continue;
      const job = await this.catalog.getJob(jobId);
      if (job && !UNFINISHED.has(job.status)) return job;
    }
  }

  async view(jobId: string): Promise<JobView | null> {
    const job = await this.catalog.getJob(jobId);
    if (!job) return null;
    return { job, history: await this.catalog.historyOfJob(jobId) };
  }

  /** Runs `work` while no refresh of the table runs, on this gateway or any other (for DROP and ALTER). */
  exclusive<T>(tableKey: string, work: () => Promise<T>): Promise<T> {
    return this.locks.withLock(tableKey, () => (this.keeper ? this.keeper.withTableLease(tableKey, work) : work()));
  }

  isRefreshing(tableKey: string): boolean {
    return this.locks.isBusy(tableKey);
  }

  /** Stops accepting jobs and waits for the running ones. */
  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.sweepTimer);
    // Leases stay renewed until the running jobs end, so nobody takes them over meanwhile.
    await Promise.allSettled([...this.running]);
    this.keeper?.close();
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
