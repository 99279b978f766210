/**
 * The runner's side of gated refreshes: while the manager's hooks wait for a table's sources, the refresh and its
 * job show WAITING with what they wait for; a window whose sources were not ready in time is recorded SKIPPED or
 * FAILED (`NOT_READY`) without running.
 */
import type { JobRecord } from '../catalog/records';
import { type Progress, type RunnerContext, tellRefreshEnded } from './refresh-context';
import type { ReadinessOutcome } from './refresh-hooks';
import type { TableRefresh } from './table-refresher';

/** Waits (through the hooks) until the table's sources are ready for the job's window, recording WAITING meanwhile. */
export async function awaitSources(
  context: RunnerContext,
  job: JobRecord,
  refresh: TableRefresh,
  progress: Progress,
): Promise<ReadinessOutcome> {
  const { stores, hooks } = context;
  return hooks.awaitReadiness(job, refresh.table, async (waitingOn) => {
    await stores.jobs.updateHistory(job.jobId, refresh.table.key, { state: 'WAITING', waitingOn });
    if (!progress.waiting) await stores.jobs.update(job.jobId, { status: 'WAITING' });
    progress.waiting = true;
  });
}

/** Records a window whose sources were not ready: SKIPPED, or FAILED with code NOT_READY. */
export async function recordNotReady(
  context: RunnerContext,
  job: JobRecord,
  refresh: TableRefresh,
  progress: Progress,
  outcome: Exclude<ReadinessOutcome, { kind: 'ready' }>,
): Promise<boolean> {
  const { stores, logger } = context;
  const { table } = refresh;
  const at = new Date().toISOString();
  const skipped = outcome.kind === 'skip';
  await stores.jobs.updateHistory(job.jobId, table.key, {
    state: skipped ? 'SKIPPED' : 'FAILED',
    errorCode: 'NOT_READY',
    waitingOn: outcome.waitingOn,
    startedAt: at,
    finishedAt: at,
    ...(skipped ? { actionDetail: outcome.reason } : { error: outcome.reason }),
  });
  if (skipped) progress.skipped.add(table.key);
  else {
    progress.failed.add(table.key);
    progress.causes.set(table.identifier, outcome.reason);
    progress.causesByKey.set(table.key, outcome.reason);
  }
  context.gate.notify();
  tellRefreshEnded(context, {
    table: table.identifier,
    jobId: job.jobId,
    trigger: job.trigger,
    state: skipped ? 'SKIPPED' : 'FAILED',
    errorCode: 'NOT_READY',
    action: null,
    durationMs: 0,
    rowsWritten: 0,
    rowsDeleted: 0,
    error: skipped ? null : outcome.reason,
    blockedBy: [],
    at,
  });
  const fields = { table: table.identifier, job: job.jobId, window: [outcome.waitingOn.start, outcome.waitingOn.end] };
  logger.warn(skipped ? 'refresh skipped: sources not ready' : 'refresh failed: sources not ready', {
    ...fields,
    reason: outcome.reason,
  });
  return true;
}
