/**
 * Refresh jobs and their history rows (one per table of a job), and which gateway owns each unfinished job
 * until when, for gateways sharing the catalog.
 */
import type { Knex } from 'knex';
import type { ClaimedJob, HistoryRecord, JobOwnership, JobRecord, JobStatus } from './records';
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

const UNFINISHED: JobStatus[] = ['PENDING', 'RUNNING'];
/** Ids in one statement at most: MySQL and SQLite bound the number of parameters in one statement. */
const CHUNK = 500;

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

  /** The newest successful full-table (unpartitioned) refresh of a table. */
  async lastSuccessfulRefresh(tableKey: string): Promise<HistoryRecord | null> {
    const row = (await this.db('refresh_history')
      .where({ table_key: tableKey, state: 'SUCCEEDED' })
      .orderBy('schedule_time', 'desc')
      .first()) as Row | undefined;
    return row ? toHistory(row) : null;
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
