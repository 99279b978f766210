/**
 * Catch-up after downtime (DESIGN.md §10). A partitioned table rewrites only the window of each tick, so a tick
 * that never fired (the gateway or the scheduler was down) leaves its partition unwritten for good. When a
 * scheduled refresh for tick T arrives and the table's last successful scheduled refresh is older than T's
 * previous tick, the ticks in between are owed: one window each, never merged, the newest `maxWindows` of them.
 * A table refreshed whole catches up by itself and owes nothing.
 */
import type { JobStore } from '../catalog/job-store';
import type { DynamicTableRecord } from '../catalog/records';
import { countTicks, formatScheduleTime, partitionFormatters, ticksBetween } from '../freshness';
import type { Logger } from '../logger';

/** Successful refreshes read at most when looking for a table's last scheduled one. */
const HISTORY_READ = 1000;

export class CatchUp {
  constructor(
    private readonly history: Pick<JobStore, 'historyPage'>,
    /** `refresh.maxCatchUpWindows`: most missed windows caught up before one tick; 0 none. */
    private readonly maxWindows: number,
    /** The zone the tables' schedules are read in. */
    private readonly timeZone: string,
    private readonly logger: Logger,
  ) {}

  /**
   * The ticks before `tick` whose windows the table missed, oldest first. Ticks at or before the table's last
   * change (its creation, a RESUME, a new schedule or definition) are not owed: before then it had another schedule,
   * was paused on purpose, or was filled whole.
   */
  async missedTicks(table: DynamicTableRecord, tick: Date): Promise<Date[]> {
    const cron = table.cron;
    if (this.maxWindows === 0 || cron === null || Object.keys(partitionFormatters(table.options)).length === 0) {
      return [];
    }
    const changed = new Date(table.updatedAt);
    const candidates = ticksBetween(cron, changed, tick, this.timeZone, this.maxWindows + 1);
    const oldest = candidates[0];
    if (oldest === undefined) return [];
    const done = await this.lastScheduledSuccess(table.key, oldest, tick);
    const missed = done === null ? candidates : candidates.filter((t) => t.getTime() > done.getTime());
    if (missed.length <= this.maxWindows) return missed;
    const kept = missed.slice(missed.length - this.maxWindows);
    const since = (await this.lastScheduledSuccess(table.key, changed, oldest)) ?? changed;
    const first = kept[0] as Date;
    const left = countTicks(cron, table.freshness, { after: since, before: first }, this.timeZone);
    this.logger.warn('missed windows left out of the catch-up', {
      table: table.identifier,
      leftOut: left.exact ? left.count : `about ${left.count}`,
      caughtUp: kept.length,
      oldestCaughtUp: formatScheduleTime(first, this.timeZone),
      lastScheduledRefresh: formatScheduleTime(since, this.timeZone),
      hint:
        `refresh.maxCatchUpWindows is ${this.maxWindows}; ALTER DYNAMIC TABLE ${table.identifier} BACKFILL ` +
        'FROM … TO … refreshes the windows left out.',
    });
    return kept;
  }

  /** The newest tick in `[since, before)` the table's scheduled refresh succeeded for; null when there is none. */
  private async lastScheduledSuccess(tableKey: string, since: Date, before: Date): Promise<Date | null> {
    const rows = await this.history.historyPage({
      tableKey,
      state: 'SUCCEEDED',
      since: since.toISOString(),
      limit: HISTORY_READ,
      offset: 0,
    });
    let newest: number | null = null;
    for (const row of rows) {
      const at = Date.parse(row.scheduleTime);
      if (row.trigger !== 'SCHEDULED' || at >= before.getTime()) continue;
      if (newest === null || at > newest) newest = at;
    }
    return newest === null ? null : new Date(newest);
  }
}
