/**
 * Telling a refresh that committed from one that did not, after its gateway stopped: every refresh carries an
 * id the engine records in the same transaction as the rows (see `RefreshLedger` in `src/engine/engine.ts`).
 * Recovery and job takeover ask the engine about each refresh the catalog still shows unfinished; one that
 * committed is recorded SUCCEEDED with the outcome the engine kept, and is never run a second time.
 */
import type { HistoryRecord, JobRecord } from '../catalog/records';
import { messageOf } from '../errors';
import { dataTimestampOf } from './data-timestamp';
import { UNFINISHED, type RunnerContext } from './refresh-context';

/** The id of a job's refresh of one table: a job refreshes each of its tables once. */
export function refreshIdOf(jobId: string, tableKey: string): string {
  return `${jobId}/${tableKey}`;
}

/**
 * Asks the table's engine whether the refresh of `row` committed; if it did, records it SUCCEEDED and returns
 * true. False when it did not, when the engine keeps no ledger, or when the table is gone.
 */
export async function settleCommitted(context: RunnerContext, row: HistoryRecord): Promise<boolean> {
  const { refresher, stores, logger } = context;
  if (refresher.committed === undefined || !UNFINISHED.has(row.state)) return false;
  const table = await stores.tables.get(row.tableKey);
  if (table === null) return false;
  let outcome: Awaited<ReturnType<NonNullable<typeof refresher.committed>>>;
  try {
    outcome = await refresher.committed({ table, partition: row.partition }, refreshIdOf(row.jobId, row.tableKey));
  } catch (error) {
    logger.warn('could not ask the engine whether a refresh committed', {
      table: row.identifier,
      error: messageOf(error),
    });
    return false;
  }
  if (outcome === null) return false;
  const finishedAt = new Date().toISOString();
  const startedAt = row.startedAt ?? finishedAt;
  // What an upstream dynamic table held when this refresh read it is not known any more: no data timestamp then.
  const readsDynamic = await anyDynamic(context, table.sourceTables);
  await stores.jobs.updateHistory(row.jobId, row.tableKey, {
    state: 'SUCCEEDED',
    startedAt,
    rowsWritten: outcome.rowsWritten,
    rowsDeleted: outcome.rowsDeleted,
    action: outcome.action ?? 'FULL',
    actionDetail: outcome.actionDetail ?? null,
    dataTimestamp: dataTimestampOf({
      scheduleTime: row.scheduleTime,
      startedAt,
      vouchesForTable: row.partition === null || row.trigger === 'SCHEDULED' || row.trigger === 'CONTINUOUS',
      upstream: readsDynamic ? null : undefined,
    }),
    finishedAt,
    error: null,
  });
  logger.info('a refresh whose gateway stopped had committed; recorded it as succeeded', {
    job: row.jobId,
    table: row.identifier,
  });
  return true;
}

async function anyDynamic(context: RunnerContext, keys: readonly string[]): Promise<boolean> {
  for (const key of keys) if ((await context.stores.tables.get(key)) !== null) return true;
  return false;
}

/**
 * Start-up duty on a catalog nobody shares: every refresh the last process left unfinished that did commit is
 * recorded SUCCEEDED, and a job all of whose refreshes committed with it (never an ALTER … AS rebuild). Returns
 * the jobs so completed; the rest are failed by the caller as before.
 */
export async function settleUnfinishedJobs(context: RunnerContext, now: Date): Promise<number> {
  const { stores } = context;
  let completed = 0;
  for (const job of await stores.jobs.withStatus(['PENDING', 'WAITING', 'RUNNING'])) {
    // An ALTER … AS rebuild committed in the engine still lacks its new definition in the catalog, which only the
    // stopped process had: it stays failed, for its statement to be repeated.
    if ((await stores.jobs.ownership(job.jobId))?.resumable === false) continue;
    const history = await stores.jobs.historyOfJob(job.jobId);
    let succeeded = 0;
    for (const row of history) {
      if (row.state === 'SUCCEEDED' || (await settleCommitted(context, row))) succeeded += 1;
    }
    if (history.length > 0 && succeeded === history.length && (await finishJob(context, job, now))) completed += 1;
  }
  return completed;
}

async function finishJob(context: RunnerContext, job: JobRecord, now: Date): Promise<boolean> {
  const at = now.toISOString();
  return context.stores.jobs.update(job.jobId, {
    status: 'SUCCEEDED',
    error: null,
    finishedAt: at,
    startedAt: job.startedAt ?? at,
  });
}
