/** Runs a job's table refreshes in order, each under the table's lock (and lease), and records the outcome. */
import type { JobRecord } from '../catalog/records';
import { messageOf } from '../errors';
import { type Progress, type RefreshEnded, type RunnerContext, tellRefreshEnded } from './refresh-context';
import { awaitSources, recordNotReady } from './refresh-readiness';
import { refreshIdOf } from './refresh-ledger';
import type { RefreshOutcome } from '../engine/engine';
import { describeBlock } from '../engine/publish-guards';
import type { GuardReport } from '../model';
import type { TableRefresh } from './table-refresher';
import { dataTimestampOf } from './data-timestamp';
import type { UpstreamCheck, UpstreamRead } from './upstream-gate';

/** The history's error code of a result a publish guard blocked. */
export const PUBLISH_BLOCKED = 'PUBLISH_BLOCKED';

/** Where a job taken over from another gateway stands: the tables that failed there, and whether it started. */
export interface JobResume {
  readonly failed: ReadonlySet<string>;
  readonly started: boolean;
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
  const progress: Progress = {
    failed: new Set(resume.failed),
    causes: new Map(),
    causesByKey: new Map(),
    skipped: new Set(),
    started: resume.started,
    waiting: false,
  };
  for (const refresh of refreshes) {
    // Waited for outside the table's lock: nothing this table's other refreshes need is held meanwhile.
    const upstream = await context.gate.check(job, refresh.table);
    const readiness = await awaitSources(context, job, refresh, progress);
    const step = () =>
      readiness.kind === 'ready'
        ? refreshStep(context, job, refresh, progress, upstream)
        : recordNotReady(context, job, refresh, progress, readiness);
    const key = refresh.table.key;
    const stillOurs = await locks.withLock(key, () => (keeper ? keeper.withTableLease(key, step) : step()));
    if (!stillOurs) {
      logger.warn('another gateway took this refresh job over; leaving it to that gateway', { job: job.jobId });
      return false;
    }
  }
  const finishedAt = new Date().toISOString();
  const error = jobError(progress);
  const allSkipped = refreshes.length > 0 && progress.skipped.size === refreshes.length;
  const status = error !== null ? 'FAILED' : allSkipped ? 'SKIPPED' : 'SUCCEEDED';
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
  upstreamCheck: UpstreamCheck,
): Promise<boolean> {
  const { keeper, stores, gate } = context;
  const { table } = refresh;
  // Checked under the table lease, right before the engine: a gateway too slow to renew its lease never
  // refreshes a job that another gateway has taken over meanwhile.
  if (keeper && !(await keeper.confirmJob(job.jobId))) return false;
  const startedAt = new Date().toISOString();
  const blockedBy = blockingUpstream(table.sourceTables, progress, upstreamCheck);
  if (blockedBy !== null) {
    await recordUpstreamFailed(context, job, refresh, progress, { ...blockedBy, startedAt });
    return true;
  }
  // Read before the engine reads them: an upstream table refreshed meanwhile only makes this table fresher than
  // it claims, never staler.
  const upstream = await gate.read(table);
  const late = upstreamCheck.kind === 'ready' ? upstreamCheck.late : [];
  const stamp = (vouches: boolean) =>
    dataTimestampOf({
      scheduleTime: job.scheduleTime,
      startedAt,
      vouchesForTable: vouches,
      upstream: upstream.dataTimestamp,
    });
  const vouches = refresh.partition === null || job.isPeriodic;
  if (await upstreamUnchanged(context, job, refresh, upstream)) {
    const outcome: RefreshOutcome = { rowsWritten: 0, rowsDeleted: 0, action: 'NO_DATA' };
    await startMarks(context, job, refresh, progress, startedAt);
    await recordSuccess(context, job, refresh, { startedAt, outcome, dataTimestamp: stamp(vouches), late });
    return true;
  }
  // Readers of this table see the window it is about to write locked until it commits.
  await context.hooks.started(job, refresh);
  // The engine starts at once; the RUNNING marks are written meanwhile, and always before the outcome.
  const refreshId = refreshIdOf(job.jobId, table.key);
  const outcome = context.refresher.refresh({ ...refresh, refreshId }, job.configuration).then(
    (value) => ({ ok: true as const, value }),
    (error: unknown) => ({ ok: false as const, error }),
  );
  await startMarks(context, job, refresh, progress, startedAt);
  const result = await outcome;
  if (result.ok && result.value.guards?.blocked === true) {
    await recordBlocked(context, job, refresh, progress, {
      startedAt,
      outcome: result.value,
      dataTimestamp: stamp(vouches),
      late,
    });
  } else if (result.ok) {
    await recordSuccess(context, job, refresh, {
      startedAt,
      outcome: result.value,
      dataTimestamp: stamp(vouches),
      late,
    });
  } else {
    progress.failed.add(table.key);
    progress.causes.set(table.identifier, messageOf(result.error));
    progress.causesByKey.set(table.key, messageOf(result.error));
    logRefresh(context, job, refresh, { state: 'FAILED', startedAt, error: messageOf(result.error) });
    await stores.jobs.updateHistory(job.jobId, table.key, {
      state: 'FAILED',
      finishedAt: new Date().toISOString(),
      error: messageOf(result.error),
    });
    gate.notify();
  }
  return true;
}

/** Marks the table's refresh (and the job, at its first) RUNNING. */
async function startMarks(
  context: RunnerContext,
  job: JobRecord,
  refresh: TableRefresh,
  progress: Progress,
  startedAt: string,
): Promise<void> {
  const { stores } = context;
  const marks: Promise<unknown>[] = [
    stores.jobs.updateHistory(job.jobId, refresh.table.key, { state: 'RUNNING', startedAt }),
  ];
  if (!progress.started) marks.push(stores.jobs.update(job.jobId, { status: 'RUNNING', startedAt }));
  else if (progress.waiting) marks.push(stores.jobs.update(job.jobId, { status: 'RUNNING' }));
  progress.started = true;
  progress.waiting = false;
  await Promise.all(marks);
}

/** A refresh that succeeded (or found nothing to do), as the history and the log show it. */
interface Success {
  readonly startedAt: string;
  readonly outcome: RefreshOutcome;
  readonly dataTimestamp: string | null;
  /** Upstream tables that had not refreshed for the tick when the wait for them ended. */
  readonly late: readonly string[];
}

async function recordSuccess(context: RunnerContext, job: JobRecord, refresh: TableRefresh, success: Success) {
  const { outcome, late } = success;
  const lateNote =
    late.length === 0
      ? null
      : `read ${late.join(', ')} before its refresh for this tick, which had not finished within ` +
        `refresh.upstreamWaitSeconds`;
  const detail = [outcome.actionDetail ?? null, lateNote].filter((d) => d !== null).join('; ') || null;
  await context.stores.jobs.updateHistory(job.jobId, refresh.table.key, {
    state: 'SUCCEEDED',
    rowsWritten: outcome.rowsWritten,
    rowsDeleted: outcome.rowsDeleted,
    action: outcome.action ?? 'FULL',
    actionDetail: detail,
    dataTimestamp: success.dataTimestamp,
    ...(worthKeeping(outcome.guards) ? { guardReport: outcome.guards } : {}),
    finishedAt: new Date().toISOString(),
  });
  context.gate.notify();
  await context.hooks.succeeded(job, refresh, success.dataTimestamp);
  logRefresh(context, job, refresh, {
    state: 'SUCCEEDED',
    startedAt: success.startedAt,
    outcome,
    dataTimestamp: success.dataTimestamp,
    ...(lateNote === null ? {} : { late }),
  });
}

/**
 * Whether a published result's guard report says anything: a guard warned, or the table has guards of its own. The
 * default guard passing on every refresh of every table would only fill the history.
 */
function worthKeeping(report: GuardReport | undefined): report is GuardReport {
  return report?.results.some((r) => r.verdict !== 'PASSED' || r.guard !== 'allow_empty') === true;
}

/**
 * A result a publish guard blocked: the table kept its rows, the refresh counts as failed within the job (the
 * tables reading it do not run) and its window stays locked. The history keeps the guards' report, the staged
 * result's name and the data timestamp the result would vouch for once an operator publishes it.
 */
async function recordBlocked(
  context: RunnerContext,
  job: JobRecord,
  refresh: TableRefresh,
  progress: Progress,
  blocked: Success,
): Promise<void> {
  const { table } = refresh;
  const report = blocked.outcome.guards as GuardReport;
  const error = describeBlock(report);
  progress.failed.add(table.key);
  progress.causes.set(table.identifier, error);
  progress.causesByKey.set(table.key, error);
  await context.stores.jobs.updateHistory(job.jobId, table.key, {
    state: 'BLOCKED',
    finishedAt: new Date().toISOString(),
    error,
    errorCode: PUBLISH_BLOCKED,
    guardReport: report,
    staged: blocked.outcome.staged ?? null,
    dataTimestamp: blocked.dataTimestamp,
  });
  context.gate.notify();
  logRefresh(context, job, refresh, {
    state: 'BLOCKED',
    startedAt: blocked.startedAt,
    outcome: blocked.outcome,
    error,
  });
}

/** The upstream table whose failure keeps this refresh from running, and why; null when none does. */
function blockingUpstream(
  sources: readonly string[],
  progress: Progress,
  check: UpstreamCheck,
): { upstream: string; error: string | null } | null {
  const inJob = sources.find((source) => progress.failed.has(source));
  if (inJob !== undefined) return { upstream: inJob, error: progress.causesByKey.get(inJob) ?? null };
  return check.kind === 'failed' ? { upstream: check.upstream, error: check.error } : null;
}

/** Records a refresh that did not run because the refresh of an upstream table it waited for failed. */
async function recordUpstreamFailed(
  context: RunnerContext,
  job: JobRecord,
  refresh: TableRefresh,
  progress: Progress,
  blocked: { upstream: string; error: string | null; startedAt: string },
): Promise<void> {
  const { stores } = context;
  const { table } = refresh;
  const { upstream, startedAt } = blocked;
  const cause = blocked.error === null ? '' : `: ${blocked.error}`;
  progress.failed.add(table.key);
  progress.causes.set(table.identifier, `not refreshed because the refresh of its upstream table ${upstream} failed`);
  progress.causesByKey.set(table.key, `its upstream table ${upstream} failed${cause}`);
  if (!progress.started) await stores.jobs.update(job.jobId, { status: 'RUNNING', startedAt });
  progress.started = true;
  await stores.jobs.updateHistory(job.jobId, table.key, {
    state: 'UPSTREAM_FAILED',
    startedAt,
    finishedAt: startedAt,
    error: `Not refreshed because the refresh of its upstream table ${upstream} failed${cause}`,
  });
  context.gate.notify();
  logRefresh(context, job, refresh, { state: 'UPSTREAM_FAILED', startedAt, upstream });
}

/**
 * NO_DATA (DESIGN.md §9): a whole-table refresh of a table that reads only dynamic tables, none of which has
 * changed anything since this table's last successful refresh started, would write the same rows again.
 */
async function upstreamUnchanged(
  context: RunnerContext,
  job: JobRecord,
  refresh: TableRefresh,
  upstream: UpstreamRead,
): Promise<boolean> {
  const { table } = refresh;
  if (refresh.partition !== null || refresh.rebuild !== undefined || job.trigger === 'CREATION') return false;
  if (upstream.keys.length === 0 || upstream.keys.length !== table.sourceTables.length) return false;
  const last = await context.stores.jobs.lastSuccessfulRefresh(table.key);
  if (last === null || last.partition !== null || last.startedAt === null) return false;
  return !(await context.stores.jobs.changedSince(upstream.keys, last.startedAt));
}

/** How one table's refresh ended, for its log line. */
interface RefreshEnd {
  readonly state: RefreshEnded['state'];
  readonly startedAt: string;
  readonly dataTimestamp?: string | null;
  readonly late?: readonly string[];
  readonly outcome?: RefreshOutcome;
  readonly error?: string;
  readonly upstream?: string;
}

/**
 * One line per table refresh, whatever fired it: an operator follows refreshes in the log without the REST API.
 */
function logRefresh(context: RunnerContext, job: JobRecord, refresh: TableRefresh, end: RefreshEnd): void {
  const durationMs = Date.now() - Date.parse(end.startedAt);
  const fields: Record<string, unknown> = {
    table: refresh.table.identifier,
    trigger: job.trigger,
    action: end.outcome ? (end.outcome.action ?? 'FULL') : undefined,
    rows: end.outcome?.rowsWritten,
    durationMs,
    dataTimestamp: end.dataTimestamp ?? undefined,
    lateUpstream: end.late,
    rowsDeleted: end.outcome?.rowsDeleted ? end.outcome.rowsDeleted : undefined,
    partition: refresh.partition ?? undefined,
    job: job.jobId,
  };
  const report = end.outcome?.guards;
  const noted = report?.results.filter((r) => r.verdict !== 'PASSED') ?? [];
  const guards =
    noted.length === 0
      ? undefined
      : noted.map((r) => `${r.guard} ${r.verdict} (observed ${r.observed}, expected ${r.expected})`).join('; ');
  if (end.state === 'SUCCEEDED' && guards === undefined) context.logger.info('refresh', fields);
  else if (end.state === 'SUCCEEDED')
    context.logger.warn('refresh published with publish guard warnings', { ...fields, guards });
  else if (end.state === 'FAILED') context.logger.warn('refresh failed', { ...fields, error: end.error });
  else if (end.state === 'BLOCKED') {
    context.logger.warn('refresh blocked by a publish guard; the table keeps its rows', {
      ...fields,
      action: undefined,
      rows: undefined,
      error: end.error,
      guards,
      staged: end.outcome?.staged ?? undefined,
    });
  } else context.logger.warn('refresh not run: upstream failed', { ...fields, upstreamFailed: end.upstream });
  const blocked = end.state === 'BLOCKED';
  const ended: RefreshEnded = {
    table: refresh.table.identifier,
    jobId: job.jobId,
    trigger: job.trigger,
    state: end.state,
    action: end.outcome && !blocked ? (end.outcome.action ?? 'FULL') : null,
    durationMs,
    rowsWritten: blocked ? 0 : (end.outcome?.rowsWritten ?? 0),
    rowsDeleted: blocked ? 0 : (end.outcome?.rowsDeleted ?? 0),
    error: end.error ?? null,
    blockedBy: blocked ? noted.filter((r) => r.verdict === 'BLOCKED').map((r) => r.guard) : [],
    at: new Date().toISOString(),
  };
  tellRefreshEnded(context, ended);
}
