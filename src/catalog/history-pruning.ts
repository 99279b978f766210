/**
 * Pruning of the refresh history (`history.*`): bounded passes that remove old finished rows, and the jobs left
 * without any, but never a table's row with the newest data timestamp, rows of unfinished jobs, nor the row of a
 * blocked result the engine still keeps.
 */
import type { Knex } from 'knex';
import type { JobStatus } from './records';
import { str, type Row } from './row-mapping';

/** Job and history states that are not final. */
export const UNFINISHED: JobStatus[] = ['PENDING', 'WAITING', 'RUNNING'];
/** Ids in one statement at most: MySQL and SQLite bound the number of parameters in one statement. */
export const CHUNK = 500;

/** What one pruning pass may remove. */
export interface PruneLimits {
  /** ISO-8601 UTC: finished rows older than this go. */
  readonly cutoff: string;
  /** Rows of one table beyond its newest this many go, however young. */
  readonly maxRowsPerTable: number;
  /** Most history rows removed in one pass. */
  readonly batchSize: number;
}

/**
 * Removes, in one bounded pass, finished history rows older than the cutoff and rows beyond a table's newest
 * `maxRowsPerTable`, then the jobs left without any row. Rows of unfinished jobs stay, and so does each table's
 * successful refresh with the newest data timestamp: its valid-through is computed from it. Returns how many rows
 * and jobs went.
 */
export async function pruneHistory(db: Knex, limits: PruneLimits): Promise<{ rows: number; jobs: number }> {
  const doomed = new Map<number, string>();
  for (const row of [
    ...(await agedRows(db, limits.cutoff, limits.batchSize)),
    ...(await excessRows(db, limits.maxRowsPerTable, limits.batchSize)),
  ]) {
    if (doomed.size >= limits.batchSize) break;
    doomed.set(row.id, row.jobId);
  }
  const ids = [...doomed.keys()];
  let rows = 0;
  for (let i = 0; i < ids.length; i += CHUNK) {
    rows += Number(
      await db('refresh_history')
        .whereIn('id', ids.slice(i, i + CHUNK))
        .delete(),
    );
  }
  return { rows, jobs: await deleteEmptyJobs(db, [...new Set(doomed.values())]) };
}

/**
 * History rows pruning may remove: finished ones of finished jobs, but not a table's newest successful refresh.
 * Filtered in the query, so that rows which must stay never fill a batch and stall the pruning.
 */
function prunable(db: Knex): Knex.QueryBuilder {
  const unfinishedJobs = db('refresh_jobs').select('job_id').whereIn('status', UNFINISHED);
  const newestSuccess = db.raw(
    '(select max(h2.data_timestamp) from refresh_history h2 where h2.table_key = refresh_history.table_key ' +
      'and h2.state = ?)',
    ['SUCCEEDED'],
  );
  return (
    db('refresh_history')
      .select('id', 'job_id')
      .whereNotIn('state', UNFINISHED)
      .whereNotIn('job_id', unfinishedJobs)
      // A blocked result still kept by the engine waits for an operator; its row says where it is.
      .whereNull('staged_result')
      .whereNot((q) =>
        q.where({ state: 'SUCCEEDED' }).whereNotNull('data_timestamp').andWhere('data_timestamp', '=', newestSuccess),
      )
  );
}

/** Prunable rows finished before `cutoff`, oldest first. */
async function agedRows(db: Knex, cutoff: string, limit: number): Promise<Array<{ id: number; jobId: string }>> {
  const rows = (await prunable(db)
    .whereRaw('coalesce(finished_at, schedule_time) < ?', [cutoff])
    .orderBy('id')
    .limit(limit)) as Row[];
  return rows.map((row) => ({ id: Number(row.id), jobId: str(row.job_id) }));
}

/** Prunable rows beyond each table's newest `max` rows, oldest first. */
async function excessRows(db: Knex, max: number, limit: number): Promise<Array<{ id: number; jobId: string }>> {
  const crowded = (await db('refresh_history')
    .select('table_key')
    .groupBy('table_key')
    .havingRaw('count(*) > ?', [max])) as Row[];
  const found: Array<{ id: number; jobId: string }> = [];
  for (const { table_key } of crowded) {
    if (found.length >= limit) break;
    const newest = db('refresh_history').select('id').where({ table_key }).orderBy('id', 'desc').limit(max);
    const keptIds = ((await newest) as Row[]).map((row) => Number(row.id));
    const oldest = keptIds.length === 0 ? 0 : Math.min(...keptIds);
    const rows = (await prunable(db)
      .where({ table_key })
      .andWhere('id', '<', oldest)
      .orderBy('id')
      .limit(limit - found.length)) as Row[];
    found.push(...rows.map((row) => ({ id: Number(row.id), jobId: str(row.job_id) })));
  }
  return found;
}

/** Deletes the finished jobs among `jobIds` that have no history row left. */
async function deleteEmptyJobs(db: Knex, jobIds: readonly string[]): Promise<number> {
  let deleted = 0;
  for (let i = 0; i < jobIds.length; i += CHUNK) {
    const ids = jobIds.slice(i, i + CHUNK);
    const left = (await db('refresh_history').distinct('job_id').whereIn('job_id', ids)) as Row[];
    const remaining = new Set(left.map((row) => str(row.job_id)));
    const empty = ids.filter((id) => !remaining.has(id));
    if (empty.length === 0) continue;
    deleted += Number(await db('refresh_jobs').whereIn('job_id', empty).whereNotIn('status', UNFINISHED).delete());
  }
  return deleted;
}
