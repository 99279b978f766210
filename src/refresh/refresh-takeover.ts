/**
 * Taking over the jobs of gateways that stopped: on a shared catalog every gateway sweeps the catalog for
 * unfinished jobs whose lease has passed, claims them and runs them on from their first table not yet refreshed.
 */
import type { ClaimedJob, JobRecord } from '../catalog/records';
import { messageOf } from '../errors';
import { isoAt, type ClockTimer } from '../replica/clock';
import type { LeaseKeeper } from './lease-keeper';
import { UNFINISHED, type RunnerContext } from './refresh-context';
import type { JobResume } from './refresh-execute';
import { settleCommitted } from './refresh-ledger';
import type { TableRefresh } from './table-refresher';

/** Jobs taken over in one sweep at most; the next sweep takes the rest. */
const SWEEP_BATCH = 100;

/** What the runner does for the jobs taken over. */
export interface TakeoverActions {
  /** Runs `work` for a job this gateway now owns, renewing its lease meanwhile. */
  start(jobId: string, work: () => Promise<void>): void;
  /** Executes a job's remaining refreshes and tells its waiters. */
  run(job: JobRecord, refreshes: readonly TableRefresh[], resume: JobResume): Promise<void>;
  /** Tells a job's waiters that it has ended. */
  notify(jobId: string): Promise<void>;
}

export class JobTakeover {
  private timer: ClockTimer | undefined;
  private closed = false;

  constructor(
    private readonly context: RunnerContext,
    private readonly keeper: LeaseKeeper,
    private readonly actions: TakeoverActions,
  ) {}

  /**
   * Takes over the unfinished jobs whose lease has passed by `now` (their gateway stopped) and starts running
   * them; returns how many it took. Gateways sweeping at the same moment never take the same job.
   */
  async sweep(now: number): Promise<number> {
    if (this.closed) return 0;
    const { stores, replicaId } = this.context;
    const claimed = await stores.jobs.claimExpired(replicaId, this.keeper.leaseUntil(now), isoAt(now), SWEEP_BATCH);
    for (const job of claimed) this.actions.start(job.job.jobId, () => this.takeOver(job));
    return claimed.length;
  }

  /** Sweeps now and then again and again, a fraction of a lease apart (by the runner's clock). */
  startSweeping(): void {
    if (this.timer !== undefined || this.closed) return;
    const { clock, leaseMs, logger } = this.context;
    const every = Math.min(5000, Math.max(500, leaseMs / 3));
    const round = (): Promise<void> =>
      this.sweep(clock.now())
        .then(
          () => undefined,
          (error: unknown) => logger.warn('could not look for refresh jobs to take over', { error: messageOf(error) }),
        )
        .finally(() => {
          if (this.closed) return;
          // Jitter keeps the gateways from sweeping in step.
          this.timer = clock.after(every * (0.75 + Math.random() / 2), round);
        });
    void round();
  }

  close(): void {
    this.closed = true;
    this.timer?.cancel();
  }

  /** Runs a job taken over from a gateway that stopped, from its first table not yet refreshed. */
  private async takeOver({ job, resumable, previousOwner }: ClaimedJob): Promise<void> {
    const { logger, stores } = this.context;
    const message = 'taking over a refresh job whose gateway stopped renewing its lease';
    logger.info(message, { job: job.jobId, previousOwner });
    const history = await stores.jobs.historyOfJob(job.jobId);
    if (!resumable) return this.failUnresumable(job, history);
    const failed = new Set<string>();
    const refreshes: TableRefresh[] = [];
    for (const key of job.tables) {
      const row = history.find((h) => h.tableKey === key);
      // Committed and recorded by the previous gateway: refreshing it again would run it twice.
      if (row?.state === 'SUCCEEDED') continue;
      // Committed in the engine, but the previous gateway stopped before the catalog recorded it: record it now.
      if (row !== undefined && (await settleCommitted(this.context, row))) continue;
      if (row?.state === 'FAILED' || row?.state === 'UPSTREAM_FAILED' || row?.state === 'BLOCKED') {
        failed.add(key);
        continue;
      }
      const table = await stores.tables.get(key);
      if (table === null) {
        failed.add(key);
        const at = new Date().toISOString();
        const error = 'The table was dropped before its refresh ran.';
        await stores.jobs.updateHistory(job.jobId, key, { state: 'FAILED', startedAt: at, finishedAt: at, error });
        continue;
      }
      refreshes.push({ table, partition: row?.partition ?? null });
    }
    await this.actions.run(job, refreshes, { failed, started: job.status === 'RUNNING' });
  }

  /** An ALTER … AS rebuild cannot be run again from the catalog alone: it fails, for its statement to be repeated. */
  private async failUnresumable(job: JobRecord, history: ReadonlyArray<{ tableKey: string; state: string }>) {
    const { stores, replicaId } = this.context;
    const at = new Date().toISOString();
    const error =
      'The gateway running this refresh stopped before it finished; it was not applied. Repeat the statement.';
    for (const row of history) {
      if (UNFINISHED.has(row.state)) {
        await stores.jobs.updateHistory(job.jobId, row.tableKey, { state: 'FAILED', finishedAt: at, error });
      }
    }
    await stores.jobs.update(job.jobId, { status: 'FAILED', error, finishedAt: at }, replicaId);
    await this.actions.notify(job.jobId);
  }
}
