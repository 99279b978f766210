/**
 * Upstream first, whoever fired the refreshes (DESIGN.md §9): before a dynamic table refreshes for tick T, every
 * dynamic table it reads that was due at or before T must have refreshed for that tick — in the same job, in
 * another job (another workflow, the embedded scheduler, the continuous runner) or on another gateway sharing the
 * catalog. The catalog's refresh history is the meeting point, so the gate works across all of them; refreshes
 * ending in this process wake the waiters at once, the others are seen by polling.
 */
import type { DynamicTableRecord, HistoryRecord, JobRecord } from '../catalog/records';
import { previousFireTime } from '../freshness/cron';
import { freshnessToSeconds } from '../freshness/freshness';
import type { JobStore } from '../catalog/job-store';
import type { DynamicTableStore } from '../catalog/table-store';

export interface UpstreamOptions {
  /** Longest a refresh waits for its upstream tables' refreshes of the same tick. */
  readonly waitSeconds: number;
  /** The zone the tables' schedules are read in. */
  readonly timeZone: string;
}

export const DEFAULT_UPSTREAM_OPTIONS: UpstreamOptions = { waitSeconds: 300, timeZone: 'UTC' };

/** What waiting for the upstream tables found. */
export type UpstreamCheck =
  | {
      readonly kind: 'ready';
      /** Upstream tables that had not refreshed for the tick when the wait ended: what to say about them. */
      readonly late: readonly string[];
    }
  | { readonly kind: 'failed'; readonly upstream: string; readonly error: string | null };

/** The upstream dynamic tables of a table as its refresh is about to read them. */
export interface UpstreamRead {
  /** Keys of the dynamic tables among the table's sources. */
  readonly keys: readonly string[];
  /**
   * The oldest data timestamp among them (ISO-8601 UTC); null when one of them holds no refreshed data yet, and
   * undefined when the table reads no dynamic table.
   */
  readonly dataTimestamp: string | null | undefined;
}

/** Pauses between two reads of the history while waiting: first, and longest. */
const POLL_MS = { first: 50, max: 1000 } as const;
/** States of a refresh that ended without new data (a result a publish guard blocked counts until published). */
const FAILED_STATES: ReadonlySet<string> = new Set(['FAILED', 'UPSTREAM_FAILED', 'BLOCKED']);

export class UpstreamGate {
  private readonly wakers = new Set<() => void>();
  private closed = false;

  constructor(
    private readonly stores: {
      readonly tables: Pick<DynamicTableStore, 'get'>;
      readonly jobs: Pick<JobStore, 'lastSuccessfulRefresh' | 'refreshesScheduledSince'>;
    },
    private readonly options: UpstreamOptions,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * Waits until every upstream dynamic table due at or before the job's tick has refreshed for it, or one of those
   * refreshes failed, or the wait is over. Only scheduled ticks wait: a manual or creation refresh reads what is
   * there, and its data timestamp says how old that is.
   */
  async check(job: JobRecord, table: DynamicTableRecord): Promise<UpstreamCheck> {
    if (!job.isPeriodic || job.dedupeKey === null) return { kind: 'ready', late: [] };
    const tick = Date.parse(job.scheduleTime);
    const due = await this.dueUpstream(table, tick);
    if (due.length === 0) return { kind: 'ready', late: [] };
    const deadline = this.now() + this.options.waitSeconds * 1000;
    let pause: number = POLL_MS.first;
    let pending = due;
    for (;;) {
      const still: DueRefresh[] = [];
      for (const entry of pending) {
        const rows = await this.stores.jobs.refreshesScheduledSince(
          entry.table.key,
          new Date(entry.since).toISOString(),
        );
        const outcome = outcomeOf(rows);
        if (outcome === 'waiting') still.push(entry);
        else if (outcome !== 'succeeded') {
          return { kind: 'failed', upstream: entry.table.identifier, error: outcome.error };
        }
      }
      pending = still;
      if (pending.length === 0) return { kind: 'ready', late: [] };
      if (this.closed || this.now() >= deadline) {
        return { kind: 'ready', late: pending.map((p) => `${p.table.identifier} (due ${isoOf(p.since)})`) };
      }
      await this.sleep(Math.min(pause, Math.max(0, deadline - this.now())));
      pause = Math.min(pause * 2, POLL_MS.max);
    }
  }

  /** The dynamic tables the table reads and the oldest data timestamp among them, as of now. */
  async read(table: DynamicTableRecord): Promise<UpstreamRead> {
    const keys: string[] = [];
    let oldest: string | null | undefined;
    for (const key of table.sourceTables) {
      const upstream = await this.stores.tables.get(key);
      if (!upstream) continue;
      keys.push(key);
      const stamp = await this.dataTimestampOf(upstream);
      if (stamp === null || oldest === null) oldest = null;
      else if (oldest === undefined || stamp < oldest) oldest = stamp;
    }
    return { keys, dataTimestamp: keys.length === 0 ? undefined : oldest };
  }

  /** Wakes every waiting refresh to read the history again (a refresh in this process has ended). */
  notify(): void {
    for (const wake of [...this.wakers]) wake();
  }

  /** Ends every wait at once (the gateway is stopping): what has not refreshed yet counts as late. */
  close(): void {
    this.closed = true;
    this.notify();
  }

  private async dataTimestampOf(upstream: DynamicTableRecord): Promise<string | null> {
    // An engine job keeps such a table within its freshness without refreshes Freshet records.
    if (upstream.continuousJob !== null) {
      return isoOf(this.now() - freshnessToSeconds(upstream.freshness) * 1000);
    }
    return (await this.stores.jobs.lastSuccessfulRefresh(upstream.key))?.dataTimestamp ?? null;
  }

  /**
   * The upstream dynamic tables that owe a refresh for a tick at or before `tick`, each with the earliest schedule
   * time that refresh may carry. A suspended table owes nothing, nor does one created after its last tick (its
   * creation refresh is newer) or one an engine job keeps fresh.
   */
  private async dueUpstream(table: DynamicTableRecord, tick: number): Promise<DueRefresh[]> {
    const due: DueRefresh[] = [];
    for (const key of table.sourceTables) {
      if (key === table.key) continue;
      const upstream = await this.stores.tables.get(key);
      if (upstream?.refreshStatus !== 'ACTIVATED' || upstream.continuousJob !== null) continue;
      const since = this.lastTickOf(upstream, tick);
      if (since === null || since < Date.parse(upstream.createdAt)) continue;
      due.push({ table: upstream, since });
    }
    return due;
  }

  /**
   * The upstream table's own tick at or before `tick`: from its schedule, or — for a table refreshed every
   * freshness on its own grid (CONTINUOUS) — any tick within one freshness before `tick`.
   */
  private lastTickOf(upstream: DynamicTableRecord, tick: number): number | null {
    if (upstream.refreshMode === 'FULL' && upstream.cron !== null) {
      try {
        return previousFireTime(upstream.cron, new Date(tick), this.options.timeZone)?.getTime() ?? null;
      } catch {
        // A schedule the cron reader does not take: fall back to the freshness grid below.
      }
    }
    return tick - freshnessToSeconds(upstream.freshness) * 1000 + 1;
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.wakers.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      timer.unref();
      this.wakers.add(done);
    });
  }
}

interface DueRefresh {
  readonly table: DynamicTableRecord;
  /** Epoch milliseconds: the refresh owed carries this schedule time or a later one. */
  readonly since: number;
}

/**
 * Whether an upstream table's refreshes for the tick (newest first) let its readers go on: one succeeded; all of
 * them ended and the newest failed; or one is still due or running.
 */
function outcomeOf(rows: readonly HistoryRecord[]): 'succeeded' | 'waiting' | { error: string | null } {
  if (rows.some((row) => row.state === 'SUCCEEDED')) return 'succeeded';
  const newest = rows[0];
  if (newest === undefined || !rows.every((row) => FAILED_STATES.has(row.state))) return 'waiting';
  return { error: newest.error };
}

function isoOf(ms: number): string {
  return new Date(ms).toISOString();
}
