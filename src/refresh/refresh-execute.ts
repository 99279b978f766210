/** Runs a job's table refreshes in order, each under the table's lock (and lease), and records the outcome. */
import type { JobRecord } from '../catalog/records';
import { messageOf } from '../errors';
import type { RunnerContext } from './refresh-context';
import { refreshIdOf } from './refresh-ledger';
import type { RefreshOutcome } from '../engine/engine';
import type { TableRefresh } from './table-refresher';

/** Where a job taken over from another gateway stands: the tables that failed there, and whether it started. */
export interface JobResume {
  readonly failed: ReadonlySet<string>;
  readonly started: boolean;
}

/** What executing a job has learnt so far. */
interface Progress {
  readonly failed: Set<string>;
  /** What went wrong, by table identifier, for the job's own error. */
  readonly causes: Map<string, string>;
  started: boolean;
}

/**
 * Refreshes the job's tables in order and records the outcome. False when another gateway took the job over
 * on the way (the job is left to it, unrecorded); true once the job's end is recorded (or found taken over).
 */
export async function executeJob(
  context: RunnerContext,
  job: JobRecord,
  refreshes: readonly TableRefresh[],
  resume: JobResume = { failed: new Set(), started: false },
): Promise<boolean> {
  const { keeper, locks, logger, stores } = context;
  const progress: Progress = { failed: new Set(resume.failed), causes: new Map(), started: resume.started };
  for (const refresh of refreshes) {
    const step = () => refreshStep(context, job, refresh, progress);
    const key = refresh.table.key;
    const stillOurs = await locks.withLock(key, () => (keeper ? keeper.withTableLease(key, step) : step()));
    if (!stillOurs) {
      logger.warn('another gateway took this refresh job over; leaving it to that gateway', { job: job.jobId });
      return false;
    }
  }
  const finishedAt = new Date().toISOString();
  const error = jobError(progress);
  const status = error === null ? 'SUCCEEDED' : 'FAILED';
  if (!(await stores.jobs.update(job.jobId, { status, error, finishedAt }, keeper ? context.replicaId : undefined))) {
    logger.warn('another gateway took this refresh job over before it was recorded as finished', { job: job.jobId });
  }
  for (const listener of context.finishedListeners) listener(job.jobId, progress.failed);
  return true;
}

/**
 * A failed job's error names each failed table with the engine's message: schedulers show this text in their
 * task logs, where the per-table history is out of sight.
 */
function jobError({ failed, causes }: Progress): string | null {
  if (failed.size === 0) return null;
  const told = [...causes].map(([table, cause]) => `${table}: ${cause}`);
  const untold = [...failed].filter((key) => ![...causes.keys()].some((id) => id.toLowerCase() === key));
  if (untold.length > 0) told.push(`${untold.join(', ')}: failed on another gateway (see the table's refreshes)`);
  return `Refresh failed for ${told.join('; ')}`;
}

/** One table's refresh, under its lock (and lease); false when the job is no longer this gateway's. */
async function refreshStep(
  context: RunnerContext,
  job: JobRecord,
  refresh: TableRefresh,
  progress: Progress,
): Promise<boolean> {
  const { keeper, stores } = context;
  const { table } = refresh;
  // Checked under the table lease, right before the engine: a gateway too slow to renew its lease never
  // refreshes a job that another gateway has taken over meanwhile.
  if (keeper && !(await keeper.confirmJob(job.jobId))) return false;
  const startedAt = new Date().toISOString();
  const blockedBy = table.sourceTables.find((source) => progress.failed.has(source));
  if (blockedBy !== undefined) {
    progress.failed.add(table.key);
    progress.causes.set(table.identifier, `not refreshed because its upstream table ${blockedBy} failed`);
    if (!progress.started) await stores.jobs.update(job.jobId, { status: 'RUNNING', startedAt });
    progress.started = true;
    await stores.jobs.updateHistory(job.jobId, table.key, {
      state: 'FAILED',
      startedAt,
      finishedAt: startedAt,
      error: `Not refreshed because its upstream table ${blockedBy} failed in this job.`,
    });
    logRefresh(context, job, refresh, { state: 'SKIPPED', startedAt, upstream: blockedBy });
    return true;
  }
  // The engine starts at once; the RUNNING marks are written meanwhile, and always before the outcome.
  const refreshId = refreshIdOf(job.jobId, table.key);
  const outcome = context.refresher.refresh({ ...refresh, refreshId }, job.configuration).then(
    (value) => ({ ok: true as const, value }),
    (error: unknown) => ({ ok: false as const, error }),
  );
  const marks: Promise<unknown>[] = [stores.jobs.updateHistory(job.jobId, table.key, { state: 'RUNNING', startedAt })];
  if (!progress.started) marks.push(stores.jobs.update(job.jobId, { status: 'RUNNING', startedAt }));
  progress.started = true;
  await Promise.all(marks);
  const result = await outcome;
  if (result.ok) {
    await stores.jobs.updateHistory(job.jobId, table.key, {
      state: 'SUCCEEDED',
      rowsWritten: result.value.rowsWritten,
      rowsDeleted: result.value.rowsDeleted,
      action: result.value.action ?? 'FULL',
      actionDetail: result.value.actionDetail ?? null,
      finishedAt: new Date().toISOString(),
    });
    logRefresh(context, job, refresh, { state: 'SUCCEEDED', startedAt, outcome: result.value });
  } else {
    progress.failed.add(table.key);
    progress.causes.set(table.identifier, messageOf(result.error));
    logRefresh(context, job, refresh, { state: 'FAILED', startedAt, error: messageOf(result.error) });
    await stores.jobs.updateHistory(job.jobId, table.key, {
      state: 'FAILED',
      finishedAt: new Date().toISOString(),
      error: messageOf(result.error),
    });
  }
  return true;
}

/** How one table's refresh ended, for its log line. */
interface RefreshEnd {
  readonly state: 'SUCCEEDED' | 'FAILED' | 'SKIPPED';
  readonly startedAt: string;
  readonly outcome?: RefreshOutcome;
  readonly error?: string;
  readonly upstream?: string;
}

/**
 * One line per table refresh, whatever fired it: an operator follows refreshes in the log without the REST API.
 * The data timestamp is the schedule time the refresh ran for.
 */
function logRefresh(context: RunnerContext, job: JobRecord, refresh: TableRefresh, end: RefreshEnd): void {
  const fields: Record<string, unknown> = {
    table: refresh.table.identifier,
    trigger: job.trigger,
    action: end.outcome ? (end.outcome.action ?? 'FULL') : undefined,
    rows: end.outcome?.rowsWritten,
    durationMs: Date.now() - Date.parse(end.startedAt),
    dataTimestamp: end.state === 'SUCCEEDED' ? job.scheduleTime : undefined,
    rowsDeleted: end.outcome?.rowsDeleted ? end.outcome.rowsDeleted : undefined,
    partition: refresh.partition ?? undefined,
    job: job.jobId,
  };
  if (end.state === 'SUCCEEDED') context.logger.info('refresh', fields);
  else if (end.state === 'FAILED') context.logger.warn('refresh failed', { ...fields, error: end.error });
  else context.logger.warn('refresh skipped', { ...fields, upstreamFailed: end.upstream });
}
