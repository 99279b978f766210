/**
 * Keeps the refresh history from growing forever: a pass every `history.pruneIntervalSeconds` removes, in one
 * bounded batch, finished rows older than `history.retentionDays` and rows beyond a table's newest
 * `history.maxRowsPerTable`, then the jobs left without rows; then, by the same rules and in a batch of their own,
 * the freshness monitor's transitions, each table's newest excepted. On a shared catalog only the leader prunes.
 */
import type { FreshnessEventStore } from '../catalog/freshness-event-store';
import type { JobStore } from '../catalog/job-store';
import { messageOf } from '../errors';
import type { Logger } from '../logger';

/** The `history` settings. */
export interface RetentionSettings {
  readonly retentionDays: number;
  readonly maxRowsPerTable: number;
  /** 0: no background passes (one still runs when asked). */
  readonly pruneIntervalSeconds: number;
  readonly pruneBatchSize: number;
}

export const DEFAULT_RETENTION: RetentionSettings = {
  retentionDays: 7,
  maxRowsPerTable: 10_000,
  pruneIntervalSeconds: 60,
  pruneBatchSize: 1000,
};

const DAY_MS = 24 * 3600 * 1000;

/** What one pass removed: history rows, jobs left without rows, freshness transitions. */
export interface Pruned {
  readonly rows: number;
  readonly jobs: number;
  readonly events: number;
}

export class HistoryRetention {
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<Pruned> | null = null;

  constructor(
    private readonly catalog: {
      readonly jobs: Pick<JobStore, 'pruneHistory'>;
      readonly freshnessEvents: Pick<FreshnessEventStore, 'prune'>;
    },
    private readonly settings: RetentionSettings,
    private readonly isLeader: () => boolean,
    private readonly logger: Logger,
  ) {}

  start(): void {
    if (this.settings.pruneIntervalSeconds <= 0) return;
    this.#timer = setInterval(() => {
      if (!this.isLeader()) return;
      this.prune().catch((error: unknown) =>
        this.logger.warn('pruning the refresh history failed', { error: messageOf(error) }),
      );
    }, this.settings.pruneIntervalSeconds * 1000);
    this.#timer.unref();
  }

  async close(): Promise<void> {
    clearInterval(this.#timer);
    await this.#running?.catch(() => undefined);
  }

  /** Runs one pass as of `now` (passes never overlap); returns how many history rows, jobs and transitions went. */
  prune(now = new Date()): Promise<Pruned> {
    this.#running ??= this.#pass(now).finally(() => {
      this.#running = null;
    });
    return this.#running;
  }

  async #pass(now: Date): Promise<Pruned> {
    const { retentionDays, maxRowsPerTable, pruneBatchSize } = this.settings;
    const cutoff = new Date(now.getTime() - retentionDays * DAY_MS).toISOString();
    const limits = { cutoff, maxRowsPerTable, batchSize: pruneBatchSize };
    const history = await this.catalog.jobs.pruneHistory(limits);
    const removed = { ...history, events: await this.catalog.freshnessEvents.prune(limits) };
    if (removed.rows > 0 || removed.events > 0) this.logger.debug('refresh history pruned', removed);
    return removed;
  }
}
