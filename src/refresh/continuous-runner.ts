/**
 * Keeps CONTINUOUS tables fresh without an external workflow: one timer per active table, firing every
 * freshness interval. A tick is skipped while the table's previous continuous refresh is still unfinished,
 * so a slow refresh never piles up work. When several gateways share a catalog, only the leader's ticks run
 * (see {@link ContinuousRunnerOptions.isLeader}); the others keep their timers on the same grid and skip.
 */
import type { Logger } from '../logger';

export interface ContinuousTick {
  readonly tableKey: string;
  readonly tickTime: Date;
  readonly configuration: Readonly<Record<string, string>>;
}

/** Starts a refresh for the tick; `done` settles when that refresh has finished. */
export type ContinuousSubmit = (tick: ContinuousTick) => Promise<{ readonly done: Promise<unknown> }>;

export interface ContinuousRunnerOptions {
  /**
   * Asked at every tick: false skips the tick, because another gateway sharing the catalog holds the leader
   * lease and runs it. Defaults to always true (one gateway, or a SQLite catalog).
   */
  readonly isLeader?: () => boolean;
}

interface Entry {
  readonly intervalMs: number;
  readonly configuration: Readonly<Record<string, string>>;
  timer: NodeJS.Timeout | null;
  nextTick: number;
  inFlight: Promise<unknown> | null;
}

export class ContinuousRunner {
  private readonly entries = new Map<string, Entry>();
  private closed = false;

  private isLeader: () => boolean;

  constructor(
    private readonly submit: ContinuousSubmit,
    private readonly logger: Logger,
    options: ContinuousRunnerOptions = {},
  ) {
    this.isLeader = options.isLeader ?? (() => true);
  }

  /** Replaces the leadership question (for a runner built before the gateway's replica services exist). */
  setLeadership(isLeader: () => boolean): void {
    this.isLeader = isLeader;
  }

  /**
   * Starts (or restarts) keeping a table fresh. `firstTickAt` is when the first refresh is due: now for a table
   * whose data is older than its freshness, one interval after its last refresh otherwise.
   */
  start(
    tableKey: string,
    intervalSeconds: number,
    firstTickAt: Date,
    configuration: Readonly<Record<string, string>> = {},
  ): void {
    this.stop(tableKey);
    if (this.closed) return;
    const entry: Entry = {
      intervalMs: intervalSeconds * 1000,
      configuration,
      timer: null,
      nextTick: firstTickAt.getTime(),
      inFlight: null,
    };
    this.entries.set(tableKey, entry);
    this.arm(tableKey, entry);
  }

  stop(tableKey: string): void {
    const entry = this.entries.get(tableKey);
    if (entry?.timer) clearTimeout(entry.timer);
    this.entries.delete(tableKey);
  }

  isRunning(tableKey: string): boolean {
    return this.entries.has(tableKey);
  }

  /**
   * The tables kept fresh and their intervals: for comparing with the catalog when other gateways sharing it
   * create, change or drop CONTINUOUS tables.
   */
  scheduled(): Array<{ readonly tableKey: string; readonly intervalSeconds: number }> {
    return [...this.entries].map(([tableKey, entry]) => ({ tableKey, intervalSeconds: entry.intervalMs / 1000 }));
  }

  async close(): Promise<void> {
    this.closed = true;
    const inFlight = [...this.entries.values()].map((e) => e.inFlight).filter((p): p is Promise<unknown> => p !== null);
    for (const key of [...this.entries.keys()]) this.stop(key);
    await Promise.allSettled(inFlight);
  }

  private arm(tableKey: string, entry: Entry): void {
    const delay = Math.min(Math.max(0, entry.nextTick - Date.now()), 2 ** 31 - 1);
    entry.timer = setTimeout(() => void this.fire(tableKey, entry), delay);
    entry.timer.unref();
  }

  private async fire(tableKey: string, entry: Entry): Promise<void> {
    if (this.entries.get(tableKey) !== entry) return;
    const tickTime = new Date(entry.nextTick);
    // The next tick stays on the fixed grid; ticks missed while busy are dropped, not queued.
    const now = Date.now();
    entry.nextTick += entry.intervalMs * Math.max(1, Math.ceil((now - entry.nextTick + 1) / entry.intervalMs));
    if (entry.inFlight === null && this.isLeader()) {
      try {
        const { done } = await this.submit({ tableKey, tickTime, configuration: entry.configuration });
        entry.inFlight = done.finally(() => {
          entry.inFlight = null;
        });
      } catch (error) {
        this.logger.warn('continuous refresh could not start', { table: tableKey, error: (error as Error).message });
      }
    }
    if (this.entries.get(tableKey) === entry) this.arm(tableKey, entry);
  }
}
