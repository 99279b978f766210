/**
 * When a table's next scheduled refresh is due. The REST API does not say it; it follows from the schedule Freshet
 * derives: a FULL table fires on the wall-clock grid of its freshness (every 5 minutes at :00, :05, …) in the
 * gateway's time zone. Stepping on from its last scheduled refresh is right whatever that zone is; without one the
 * grid is counted in UTC, the gateway's default zone.
 */
import { freshnessSeconds } from './format.js';

/**
 * `{text}` for a table with no next time (suspended, continuous), else `{at}` (ISO). `freshness` is the text
 * (`INTERVAL '5' MINUTE`); `lastScheduled` the schedule time of its newest SCHEDULED refresh, if known.
 */
export function nextRun({ refreshMode, refreshStatus, freshness }, lastScheduled, now = Date.now()) {
  if (refreshStatus === 'SUSPENDED') return { text: 'suspended' };
  if (refreshMode === 'CONTINUOUS') return { text: 'continuous' };
  const seconds = freshnessSeconds(freshness);
  if (!seconds) return { text: '—' };
  const step = seconds * 1000;
  const last = lastScheduled ? Date.parse(lastScheduled) : Number.NaN;
  const at = Number.isNaN(last)
    ? (Math.floor(now / step) + 1) * step
    : last + (Math.floor((now - last) / step) + 1) * step;
  return { at: new Date(at).toISOString() };
}

/** The newest SCHEDULED schedule time of each table in a page of jobs (GET /v3/jobs?trigger=SCHEDULED). */
export function lastScheduledByTable(jobs) {
  const last = new Map();
  for (const job of jobs) {
    if (job.trigger !== 'SCHEDULED') continue;
    for (const { table } of job.tables) {
      const seen = last.get(table);
      if (seen === undefined || Date.parse(job.scheduleTime) > Date.parse(seen)) last.set(table, job.scheduleTime);
    }
  }
  return last;
}
