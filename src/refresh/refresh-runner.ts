/**
 * Runs refresh jobs: creates them idempotently, refreshes their tables in order through a {@link TableRefresher}
 * (one table at a time, never the same table twice at once), and records the job and a history row per table.
 *
 * Several gateways (replicas) may share a PostgreSQL or MySQL catalog. Then each job is owned by the gateway
 * that created it and carries a lease that gateway renews while it runs the job; every gateway sweeps the
 * catalog for jobs whose lease has passed (their gateway stopped) and takes them over, and a table lease in the
 * catalog keeps two gateways from refreshing one table at once.
 *
 * The parts live next to this file: submitting (refresh-submit), executing (refresh-execute), waiting
 * (refresh-wait) and taking over (refresh-takeover).
 */
import type { HistoryRecord, JobRecord } from '../catalog/records';
import { messageOf } from '../errors';
import type { Logger } from '../logger';
import { systemClock, type Clock } from '../replica/clock';
import { defaultReplicaId } from '../replica/replica-id';
import { LeaseKeeper } from './lease-keeper';
import type { RefreshEnded, RunnerContext, RunnerStores } from './refresh-context';
import { executeJob, type JobResume } from './refresh-execute';
import { settleUnfinishedJobs } from './refresh-ledger';
import { JobSubmitter, type JobRequest } from './refresh-submit';
import { JobTakeover } from './refresh-takeover';
import { JobWaits } from './refresh-wait';
import { TableLocks } from './table-locks';
import { DEFAULT_UPSTREAM_OPTIONS, UpstreamGate, type UpstreamOptions } from './upstream-gate';
import { NO_HOOKS, type RefreshHooks } from './refresh-hooks';
import type { TableRefresh, TableRefresher } from './table-refresher';

export type { RefreshEnded, RunnerStores } from './refresh-context';
export type { JobRequest } from './refresh-submit';
export type { TableRefresh, TableRefresher } from './table-refresher';
export type { UpstreamOptions } from './upstream-gate';
export type { ReadinessOutcome, RefreshHooks } from './refresh-hooks';

/** This gateway as one of several on a shared catalog. */
export interface RunnerReplica {
  /** Written as the owner of the jobs and leases this gateway holds; unique per running process. */
  readonly id: string;
  /** How long a job or table lease holds without renewal; another gateway takes the job over after it. */
  readonly leaseSeconds: number;
}

export interface JobView {
  readonly job: JobRecord;
  readonly history: readonly HistoryRecord[];
}

export class RefreshRunner {
  private readonly context: RunnerContext;
  private readonly submitter: JobSubmitter;
  private readonly waits: JobWaits;
  /** Null for a catalog nobody shares with this gateway: there is nobody to take jobs over from. */
  private readonly takeover: JobTakeover | null;
  private readonly running = new Set<Promise<void>>();
  private closed = false;

  constructor(
    private readonly stores: RunnerStores,
    /** Carries out one table's refresh (the manager decides how). */
    refresher: TableRefresher,
    clusterInfo: Readonly<Record<string, string>>,
    private readonly logger: Logger,
    replica: RunnerReplica = { id: defaultReplicaId(), leaseSeconds: 30 },
    /** What job and table leases are measured in. */
    private readonly clock: Clock = systemClock,
    /** How long a scheduled refresh waits for its upstream tables' refreshes of the same tick. */
    upstream: UpstreamOptions = DEFAULT_UPSTREAM_OPTIONS,
  ) {
    const leaseMs = replica.leaseSeconds * 1000;
    const keeper = stores.shared ? new LeaseKeeper(stores, replica.id, leaseMs, logger, clock) : null;
    const locks = new TableLocks();
    this.context = {
      stores,
      refresher,
      locks,
      keeper,
      replicaId: replica.id,
      leaseMs,
      clock,
      logger,
      gate: new UpstreamGate(stores, upstream),
      hooks: NO_HOOKS,
      finishedListeners: [],
      refreshListeners: [],
    };
    this.submitter = new JobSubmitter(this.context, clusterInfo, (job, refreshes) =>
      this.start(job.jobId, () => this.run(job, refreshes)),
    );
    this.waits = new JobWaits(stores.jobs, keeper, (job) => this.submitter.remember(job));
    this.takeover = keeper
      ? new JobTakeover(this.context, keeper, {
          start: (jobId, work) => this.start(jobId, work),
          run: (job, refreshes, resume) => this.run(job, refreshes, resume),
          notify: (jobId) => this.waits.notify(jobId),
        })
      : null;
  }

  /**
   * Start-up duty for the jobs a stopped process left unfinished. On a SQLite catalog that process was this
   * gateway's predecessor and nobody runs its jobs any more: the refreshes its engine recorded as committed are
   * recorded SUCCEEDED (a job whose refreshes all committed too), the rest are failed. A shared catalog's
   * unfinished jobs may belong to other gateways that are alive, so nothing is failed; instead this gateway starts
   * sweeping for jobs whose lease has passed and takes them over. Returns the number of jobs failed.
   */
  async recover(now: Date): Promise<number> {
    if (this.takeover) {
      if (!this.closed) this.takeover.startSweeping();
      return 0;
    }
    // Refreshes that committed in the engine before the stop are recorded as they happened, never failed.
    const completed = await settleUnfinishedJobs(this.context, now);
    if (completed > 0) this.logger.info('refresh jobs found committed after the last stop', { jobs: completed });
    const reason = 'The gateway stopped before this refresh finished; it was not applied.';
    return this.stores.jobs.failUnfinished(reason, now.toISOString());
  }

  /**
   * Takes over the unfinished jobs whose lease has passed by `now` (their gateway stopped) and starts running
   * them; returns how many it took. Gateways sweeping at the same moment never take the same job.
   */
  async sweep(now = new Date(this.clock.now())): Promise<number> {
    if (!this.takeover || this.closed) return 0;
    return this.takeover.sweep(now.getTime());
  }

  /**
   * Registers what to do once a job run here has its end recorded, given the keys of the tables that failed in
   * it (empty when it succeeded). Listeners must not throw; they are not waited for.
   */
  onJobFinished(listener: (jobId: string, failed: ReadonlySet<string>) => void): void {
    this.context.finishedListeners.push(listener);
  }

  /** Registers what to tell of each table refresh run here as it ends. Listeners must not throw. */
  onRefreshEnded(listener: (end: RefreshEnded) => void): void {
    this.context.refreshListeners.push(listener);
  }

  /** Gates refreshes on their sources' readiness and publishes their windows through `hooks` from now on. */
  useHooks(hooks: RefreshHooks): void {
    this.context.hooks = hooks;
  }

  /** Returns the existing job for a repeated request, or creates and starts a new one. */
  async submit(request: JobRequest): Promise<JobRecord> {
    if (this.closed) throw new Error('The refresh runner is shut down.');
    return this.submitter.submit(request);
  }

  /** The job once it has finished, or as it stands when `timeoutMs` has passed. */
  waitFor(jobId: string, timeoutMs: number): Promise<JobRecord | null> {
    return this.waits.waitFor(jobId, timeoutMs);
  }

  async view(jobId: string): Promise<JobView | null> {
    const job = await this.stores.jobs.get(jobId);
    if (!job) return null;
    return { job, history: await this.stores.jobs.historyOfJob(jobId) };
  }

  /** Runs `work` while no refresh of the table runs, on this gateway or any other (for DROP and ALTER). */
  exclusive<T>(tableKey: string, work: () => Promise<T>): Promise<T> {
    const { keeper, locks } = this.context;
    return locks.withLock(tableKey, () => (keeper ? keeper.withTableLease(tableKey, work) : work()));
  }

  /**
   * After an operator published a result a publish guard blocked (the history already says so): wakes the refreshes
   * waiting for the table and publishes the window the refresh wrote, as a refresh that succeeded would.
   */
  async published(job: JobRecord, refresh: TableRefresh, dataTimestamp: string | null): Promise<void> {
    this.context.gate.notify();
    await this.context.hooks.succeeded(job, refresh, dataTimestamp);
  }

  isRefreshing(tableKey: string): boolean {
    return this.context.locks.isBusy(tableKey);
  }

  /** Stops accepting jobs and waits for the running ones. */
  async close(): Promise<void> {
    this.closed = true;
    this.takeover?.close();
    // Refreshes waiting for their upstream tables go on with what those hold now, rather than hold the stop up.
    this.context.gate.close();
    this.context.hooks.close();
    // Leases stay renewed until the running jobs end, so nobody takes them over meanwhile.
    await Promise.allSettled([...this.running]);
    this.context.keeper?.close();
  }

  /** Runs `work` for a job this gateway owns, renewing the job's lease until it ends; `close` waits for it. */
  private start(jobId: string, work: () => Promise<void>): void {
    const { keeper } = this.context;
    keeper?.holdJob(jobId);
    const run = work()
      .catch((error: unknown) => {
        this.logger.error('refresh job could not be run to its end', { job: jobId, error: messageOf(error) });
      })
      .finally(() => {
        keeper?.releaseJob(jobId);
        this.running.delete(run);
      });
    this.running.add(run);
  }

  /** Executes a job's refreshes and, unless another gateway took it over on the way, tells its waiters. */
  private async run(job: JobRecord, refreshes: readonly TableRefresh[], resume?: JobResume): Promise<void> {
    if (await executeJob(this.context, job, refreshes, resume)) await this.waits.notify(job.jobId);
  }
}
