/**
 * Refresh jobs and their history rows (one per table of a job), and which gateway owns each unfinished job
 * until when, for gateways sharing the catalog.
 */
import { CHUNK, type PruneLimits, pruneHistory, UNFINISHED } from './history-pruning';
import type { Knex } from 'knex';
import type {
  ClaimedJob,
  HistoryRecord,
  HistoryState,
  JobOwnership,
  JobRecord,
  JobStatus,
  RefreshTrigger,
} from './records';
import {
  fromHistory,
  fromHistoryChanges,
  fromJob,
  fromJobChanges,
  str,
  strOrNull,
  toHistory,
  toJob,
  type HistoryChanges,
  type JobChanges,
  type NewHistoryRow,
  type Row,
} from './row-mapping';

/** Which jobs to list, newest first. */
export interface JobFilter {
  readonly status?: JobStatus;
  /** Jobs that refresh this table (its key). */
  readonly tableKey?: string;
  readonly trigger?: RefreshTrigger;
  /** ISO-8601 UTC: jobs created at or after it. */
  readonly since?: string;
  readonly limit: number;
  readonly offset: number;
}

/** Which history rows to list, newest first. */
export interface HistoryFilter {
  /** Rows of this table (its key); every table's when omitted. */
  readonly tableKey?: string;
  readonly state?: HistoryState;
  /** ISO-8601 UTC: rows scheduled at or after it. */
  readonly since?: string;
  readonly limit: number;
  readonly offset: number;
}

export type { PruneLimits } from './history-pruning';

/** Reads and writes `refresh_jobs` and `refresh_history`. */
export class JobStore {
  constructor(
    private readonly db: Knex,
    /** False for SQLite, which claims jobs one conditional UPDATE at a time instead. */
    private readonly skipsLockedRows: boolean,
  ) {}

  /** The newest attempt of a deduplicated job. */
  async latestByKey(dedupeKey: string): Promise<JobRecord | null> {
    const row = (await this.db('refresh_jobs').where({ dedupe_key: dedupeKey }).orderBy('attempt', 'desc').first()) as
      | Row
      | undefined;
    return row ? toJob(row) : null;
  }

  async get(jobId: string): Promise<JobRecord | null> {
    const row = (await this.db('refresh_jobs').where({ job_id: jobId }).first()) as Row | undefined;
    return row ? toJob(row) : null;
  }

  /**
   * Inserts a job and one PENDING history row per table in one transaction. False when the (dedupe key,
   * attempt) pair exists already, i.e. another caller created the same attempt first. `ownership` records the
   * gateway that runs the job and its first lease. The rows start without an action: what a refresh did is
   * known once it has run ({@link JobStore.updateHistory}).
   */
  async insert(job: JobRecord, history: ReadonlyArray<NewHistoryRow>, ownership?: JobOwnership): Promise<boolean> {
    const row = fromJob(job);
    if (ownership) {
      Object.assign(row, { owner: ownership.owner, lease_until: ownership.leaseUntil, resumable: ownership.resumable });
    }
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
  async update(jobId: string, changes: JobChanges, ownedBy?: string): Promise<boolean> {
    const query = this.db('refresh_jobs').where({ job_id: jobId });
    if (ownedBy !== undefined) query.andWhere({ owner: ownedBy });
    return Number(await query.update(fromJobChanges(changes))) > 0;
  }

  async withStatus(statuses: readonly JobStatus[]): Promise<JobRecord[]> {
    const rows = (await this.db('refresh_jobs')
      .whereIn('status', statuses as JobStatus[])
      .orderBy('created_at')) as Row[];
    return rows.map(toJob);
  }

  /** Marks every unfinished job and history row FAILED (after a restart nobody is running them). */
  async failUnfinished(reason: string, at: string): Promise<number> {
    return this.db.transaction(async (trx) => {
      const failed = { error: reason, finished_at: at };
      const jobs = await trx('refresh_jobs')
        .whereIn('status', UNFINISHED)
        .update({ status: 'FAILED', ...failed });
      await trx('refresh_history')
        .whereIn('state', UNFINISHED)
        .update({ state: 'FAILED', ...failed });
      return Number(jobs);
    });
  }

  // ---- history ----

  async updateHistory(jobId: string, tableKey: string, changes: HistoryChanges): Promise<void> {
    await this.db('refresh_history').where({ job_id: jobId, table_key: tableKey }).update(fromHistoryChanges(changes));
  }

  /**
   * Records an operator's decision on a `BLOCKED` refresh, only while nobody has decided yet: false when the row
   * is not blocked (any more) or already resolved.
   */
  async resolveBlocked(jobId: string, tableKey: string, changes: HistoryChanges): Promise<boolean> {
    const updated = await this.db('refresh_history')
      .where({ job_id: jobId, table_key: tableKey, state: 'BLOCKED' })
      .whereNull('resolution')
      .update(fromHistoryChanges(changes));
    return Number(updated) > 0;
  }

  /** A table's successful refreshes recorded after the history row `afterId`, newest first. */
  async successesAfter(tableKey: string, afterId: number, limit = 100): Promise<HistoryRecord[]> {
    const rows = (await this.db('refresh_history')
      .where({ table_key: tableKey, state: 'SUCCEEDED' })
      .andWhere('id', '>', afterId)
      .orderBy('id', 'desc')
      .limit(limit)) as Row[];
    return rows.map(toHistory);
  }

  /** The names under which the table's engine keeps blocked results of the table nobody has decided on. */
  async stagedOfTable(tableKey: string): Promise<string[]> {
    const rows = (await this.db('refresh_history')
      .where({ table_key: tableKey, state: 'BLOCKED' })
      .whereNull('resolution')
      .whereNotNull('staged_result')
      .select('staged_result')) as Row[];
    return rows.map((row) => str(row.staged_result));
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

  /**
   * The successful refresh of a table with the newest data timestamp: the one its valid-through comes from. Null
   * while no refresh has vouched for the whole table.
   */
  async lastSuccessfulRefresh(tableKey: string): Promise<HistoryRecord | null> {
    const row = (await this.db('refresh_history')
      .where({ table_key: tableKey, state: 'SUCCEEDED' })
      .whereNotNull('data_timestamp')
      .orderBy([
        { column: 'data_timestamp', order: 'desc' },
        { column: 'id', order: 'desc' },
      ])
      .first()) as Row | undefined;
    return row ? toHistory(row) : null;
  }

  /**
   * Every table's valid-through (the newest data timestamp of its successful refreshes), by table key, in one
   * query: what the freshness monitor reads each pass. Tables no refresh has vouched for are absent.
   */
  async newestDataTimestamps(): Promise<Map<string, string>> {
    const rows = (await this.db('refresh_history')
      .select('table_key')
      .max({ stamp: 'data_timestamp' })
      .where({ state: 'SUCCEEDED' })
      .whereNotNull('data_timestamp')
      .groupBy('table_key')) as Row[];
    return new Map(rows.filter((row) => row.stamp !== null).map((row) => [str(row.table_key), str(row.stamp)]));
  }

  /** Each table's newest refresh that is not pending or running (waiting ones count), by table key, in one query. */
  async newestSettledPerTable(): Promise<Map<string, HistoryRecord>> {
    const newest = this.db('refresh_history')
      .max({ id: 'id' })
      .whereNotIn('state', ['PENDING', 'RUNNING'])
      .groupBy('table_key');
    const rows = (await this.db('refresh_history').whereIn('id', newest)) as Row[];
    return new Map(rows.map((row) => [str(row.table_key), toHistory(row)]));
  }

  /** The newest successful refreshes of the given tables, up to `perTable` each, newest first, by table key. */
  async recentSuccesses(tableKeys: readonly string[], perTable: number): Promise<Map<string, HistoryRecord[]>> {
    const found = new Map<string, HistoryRecord[]>();
    for (let i = 0; i < tableKeys.length; i += CHUNK) {
      const keys = tableKeys.slice(i, i + CHUNK);
      const rows = (await this.db('refresh_history')
        .whereIn('table_key', keys)
        .andWhere({ state: 'SUCCEEDED' })
        .orderBy('id', 'desc')
        .limit(keys.length * perTable)) as Row[];
      for (const row of rows.map(toHistory)) {
        const list = found.get(row.tableKey) ?? [];
        if (list.length < perTable) list.push(row);
        found.set(row.tableKey, list);
      }
    }
    return found;
  }

  /**
   * Every table with a successful refresh, in one query: its newest data timestamp (its valid-through; null while
   * no refresh has vouched for the whole table) and when its last successful refresh finished. With
   * `finishedSince` (ISO-8601 UTC), only the successes that finished at or after it count: a reader that keeps
   * what it read before reads the new ones through the `finished_at` index instead of the whole history.
   */
  async lastSuccesses(
    finishedSince?: string,
  ): Promise<Map<string, { validThrough: string | null; finishedAt: string | null }>> {
    const query = this.db('refresh_history').where({ state: 'SUCCEEDED' });
    if (finishedSince !== undefined) query.andWhere('finished_at', '>=', finishedSince);
    const rows = (await query
      .groupBy('table_key')
      .select('table_key')
      .max({ valid_through: 'data_timestamp', finished_at: 'finished_at' })) as Row[];
    return new Map(
      rows.map((r) => [
        str(r.table_key),
        { validThrough: strOrNull(r.valid_through), finishedAt: strOrNull(r.finished_at) },
      ]),
    );
  }

  /** A table's refreshes for schedule times at or after `scheduleTime` (ISO-8601 UTC), newest first. */
  async refreshesScheduledSince(tableKey: string, scheduleTime: string, limit = 20): Promise<HistoryRecord[]> {
    const rows = (await this.db('refresh_history')
      .where({ table_key: tableKey })
      .andWhere('schedule_time', '>=', scheduleTime)
      .orderBy('id', 'desc')
      .limit(limit)) as Row[];
    return rows.map(toHistory);
  }

  /**
   * Whether any of the tables had a refresh that succeeded and changed something (not `NO_DATA`) finishing (or
   * published) at or after `since` (ISO-8601 UTC), or one that is running now (it may have committed already).
   */
  async changedSince(tableKeys: readonly string[], since: string): Promise<boolean> {
    if (tableKeys.length === 0) return false;
    const row = (await this.db('refresh_history')
      .whereIn('table_key', tableKeys as string[])
      .andWhere((q) =>
        q
          .where((done) =>
            done
              .where({ state: 'SUCCEEDED' })
              .andWhere((a) => a.whereNull('action').orWhereNot({ action: 'NO_DATA' }))
              // A blocked result an operator published changed the table when it was published.
              .andWhere((at) => at.where('finished_at', '>=', since).orWhere('resolved_at', '>=', since)),
          )
          .orWhere({ state: 'RUNNING' }),
      )
      .first('id')) as Row | undefined;
    return row !== undefined;
  }

  /** A page of jobs, newest first, and how many match in all. */
  async listJobs(filter: JobFilter): Promise<{ jobs: JobRecord[]; total: number }> {
    const matching = () => {
      const query = this.db('refresh_jobs');
      if (filter.status !== undefined) query.where({ status: filter.status });
      if (filter.trigger !== undefined) query.where({ trigger_kind: filter.trigger });
      if (filter.since !== undefined) query.where('created_at', '>=', filter.since);
      if (filter.tableKey !== undefined) {
        const ofTable = this.db('refresh_history').select('job_id').where({ table_key: filter.tableKey });
        query.whereIn('job_id', ofTable);
      }
      return query;
    };
    const [count] = (await matching().count({ n: '*' })) as Row[];
    const rows = (await matching()
      .orderBy([
        { column: 'created_at', order: 'desc' },
        { column: 'job_id', order: 'desc' },
      ])
      .limit(filter.limit)
      .offset(filter.offset)) as Row[];
    return { jobs: rows.map(toJob), total: Number(count?.n ?? 0) };
  }

  /** A page of history rows, newest first. */
  async historyPage(filter: HistoryFilter): Promise<HistoryRecord[]> {
    const query = this.db('refresh_history');
    if (filter.tableKey !== undefined) query.where({ table_key: filter.tableKey });
    if (filter.state !== undefined) query.where({ state: filter.state });
    if (filter.since !== undefined) query.where('schedule_time', '>=', filter.since);
    const rows = (await query.orderBy('id', 'desc').limit(filter.limit).offset(filter.offset)) as Row[];
    return rows.map(toHistory);
  }

  /**
   * Removes, in one bounded pass, finished history rows older than the cutoff and rows beyond a table's newest
   * `maxRowsPerTable` (see history-pruning.ts). Returns how many rows and jobs went.
   */
  pruneHistory(limits: PruneLimits): Promise<{ rows: number; jobs: number }> {
    return pruneHistory(this.db, limits);
  }

  async deleteHistoryOfTable(tableKey: string): Promise<void> {
    await this.db('refresh_history').where({ table_key: tableKey }).delete();
  }

  // ---- ownership, for gateways sharing the catalog ----

  /** Who runs a job and until when; null for a job that does not exist or was never given an owner. */
  async ownership(jobId: string): Promise<JobOwnership | null> {
    const row = (await this.db('refresh_jobs').where({ job_id: jobId }).first('owner', 'lease_until', 'resumable')) as
      | Row
      | undefined;
    if (!row || row.owner === null || row.owner === undefined) return null;
    return { owner: str(row.owner), leaseUntil: str(row.lease_until), resumable: Boolean(row.resumable) };
  }

  /**
   * Extends the leases of the unfinished jobs among `jobIds` that `owner` still holds; returns how many it
   * extended. A job another gateway has taken over is left alone.
   */
  async renewLeases(jobIds: readonly string[], owner: string, leaseUntil: string): Promise<number> {
    let renewed = 0;
    for (let i = 0; i < jobIds.length; i += CHUNK) {
      const ids = jobIds.slice(i, i + CHUNK);
      const query = this.db('refresh_jobs').whereIn('job_id', ids).andWhere({ owner }).whereIn('status', UNFINISHED);
      renewed += Number(await query.update({ lease_until: leaseUntil }));
    }
    return renewed;
  }

  /**
   * Takes over, for `owner`, up to `limit` unfinished jobs whose lease has passed by `now` (or that never had
   * one), oldest first, giving each a lease until `leaseUntil`. Gateways that claim at the same moment each get
   * different jobs: PostgreSQL and MySQL lock the rows they pick (`FOR UPDATE SKIP LOCKED`), SQLite takes each
   * job with an UPDATE that only succeeds while its lease is still expired.
   */
  async claimExpired(owner: string, leaseUntil: string, now: string, limit: number): Promise<ClaimedJob[]> {
    const expired = (query: Knex.QueryBuilder) =>
      query.whereIn('status', UNFINISHED).andWhere((q) => q.whereNull('lease_until').orWhere('lease_until', '<', now));
    const claimed = (row: Row): ClaimedJob => ({
      job: toJob(row),
      resumable: Boolean(row.resumable),
      previousOwner: strOrNull(row.owner),
    });
    if (!this.skipsLockedRows) {
      const rows = (await expired(this.db('refresh_jobs')).orderBy('created_at').limit(limit)) as Row[];
      const won: ClaimedJob[] = [];
      for (const row of rows) {
        const take = expired(this.db('refresh_jobs').where({ job_id: row.job_id }));
        if (Number(await take.update({ owner, lease_until: leaseUntil })) === 1) won.push(claimed(row));
      }
      return won;
    }
    return this.db.transaction(async (trx) => {
      const pick = expired(trx('refresh_jobs')).orderBy('created_at').limit(limit).forUpdate().skipLocked();
      const rows = (await pick) as Row[];
      if (rows.length === 0) return [];
      const ids = rows.map((row) => str(row.job_id));
      await trx('refresh_jobs').whereIn('job_id', ids).update({ owner, lease_until: leaseUntil });
      return rows.map(claimed);
    });
  }
}
