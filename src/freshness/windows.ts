/**
 * The ticks of a table's schedule between two instants, for catching up missed windows and for backfills. A tick T
 * closes the window `[T − freshness, T)` (DESIGN.md §10).
 */
import type { Freshness } from '../model';
import { nextFireTime, previousFireTime } from './cron';
import { freshnessToSeconds } from './freshness';

/**
 * The ticks T of `cron` whose window lies within `[from, to)`: `T − freshness ≥ from` and `T ≤ to`, oldest first.
 * Stops after `limit + 1` ticks, so that a caller can tell that there were more than `limit`.
 */
export function windowTicks(
  cron: string,
  freshness: Freshness,
  range: { readonly from: Date; readonly to: Date },
  timeZone: string,
  limit: number,
): Date[] {
  const firstEnd = range.from.getTime() + freshnessToSeconds(freshness) * 1000;
  const ticks: Date[] = [];
  // nextFireTime is strictly after its start; fire times are whole seconds, so 1 ms earlier lets firstEnd count.
  let tick = nextFireTime(cron, new Date(firstEnd - 1), timeZone);
  while (tick.getTime() <= range.to.getTime() && ticks.length <= limit) {
    ticks.push(tick);
    tick = nextFireTime(cron, tick, timeZone);
  }
  return ticks;
}

/** The newest `limit` ticks of `cron` strictly between `after` and `before`, oldest first. */
export function ticksBetween(cron: string, after: Date, before: Date, timeZone: string, limit: number): Date[] {
  const ticks: Date[] = [];
  let tick = previousFireTime(cron, new Date(before.getTime() - 1), timeZone);
  while (tick !== null && tick.getTime() > after.getTime() && ticks.length < limit) {
    ticks.push(tick);
    tick = previousFireTime(cron, new Date(tick.getTime() - 1), timeZone);
  }
  return ticks.reverse();
}

/**
 * How many ticks of `cron` lie strictly between `after` and `before`, counted up to `cap`; beyond it, an estimate
 * from the table's freshness (`exact` false).
 */
export function countTicks(
  cron: string,
  freshness: Freshness,
  span: { readonly after: Date; readonly before: Date },
  timeZone: string,
  cap = 10_000,
): { readonly count: number; readonly exact: boolean } {
  let count = 0;
  let tick = nextFireTime(cron, span.after, timeZone);
  while (tick.getTime() < span.before.getTime()) {
    count += 1;
    if (count > cap) {
      const periodMs = freshnessToSeconds(freshness) * 1000;
      const estimate = Math.floor((span.before.getTime() - span.after.getTime() - 1) / periodMs);
      return { count: Math.max(estimate, cap), exact: false };
    }
    tick = nextFireTime(cron, tick, timeZone);
  }
  return { count, exact: true };
}
