/**
 * `ALTER DYNAMIC TABLE t BACKFILL FROM '<ts>' TO '<ts>'` (DESIGN.md §10): one job per window of the table's schedule
 * that lies within the range, oldest first, each rewriting that window's partition. Jobs are deduplicated per
 * window like a scheduler's callback, so repeating a backfill while its jobs run (or after they succeeded) answers
 * with the same jobs; a window whose job failed gets a new attempt.
 */
import type { DynamicTableRecord } from '../catalog/records';
import type { SourcePosition, TimeText } from '../sql/statements';
import { FreshetError, invalidState, validationError } from '../errors';
import {
  describeFreshness,
  formatScheduleTime,
  freshnessToSeconds,
  nextFireTime,
  parseScheduleTime,
  partitionFormatters,
  windowTicks,
} from '../freshness';
import type { ManagerParts } from './manager-parts';
import type { DdlOutcome, WindowJob } from './manager-types';
import { formatPartition } from './messages';

/** Most windows one BACKFILL makes jobs for. */
export const MAX_BACKFILL_WINDOWS = 1000;

/** The range of a backfill as written: in a statement (with positions) or in a REST body (without). */
export interface BackfillRange {
  readonly from: TimeText | string;
  readonly to: TimeText | string;
}

export async function backfill(
  parts: ManagerParts,
  table: DynamicTableRecord,
  range: BackfillRange,
  at?: SourcePosition,
): Promise<DdlOutcome> {
  const { timeZone } = parts.settings;
  const cron = scheduleOf(table, at);
  const from = timeOf(range.from, 'FROM', timeZone);
  const to = timeOf(range.to, 'TO', timeZone);
  if (from.getTime() >= to.getTime()) {
    throw placed(
      `BACKFILL FROM '${textOf(range.from)}' is not before TO '${textOf(range.to)}': give FROM first.`,
      range.to,
    );
  }
  if (table.refreshStatus === 'INITIALIZING') {
    throw invalidState(`Dynamic table ${table.identifier} is still being created; backfill it once it is.`);
  }
  if (table.refreshStatus === 'SUSPENDED') {
    throw invalidState(`Dynamic table ${table.identifier} is suspended; resume it before backfilling it.`);
  }
  const ticks = windowTicks(cron, table.freshness, { from, to }, timeZone, MAX_BACKFILL_WINDOWS);
  const span = `[${formatScheduleTime(from, timeZone)}, ${formatScheduleTime(to, timeZone)})`;
  const length = describeFreshness(table.freshness);
  if (ticks.length === 0) {
    const firstEnd = nextFireTime(
      cron,
      new Date(from.getTime() + freshnessToSeconds(table.freshness) * 1000 - 1),
      timeZone,
    );
    throw placed(
      `No window of ${table.identifier} lies within ${span}: its windows are ${length} long, and the first one ` +
        `starting at or after FROM ends at ${formatScheduleTime(firstEnd, timeZone)}, after TO. Widen the range.`,
      range.to,
    );
  }
  if (ticks.length > MAX_BACKFILL_WINDOWS) {
    const last = ticks[MAX_BACKFILL_WINDOWS - 1] as Date;
    throw placed(
      `The range ${span} holds more than ${MAX_BACKFILL_WINDOWS} windows of ${table.identifier} (one every ` +
        `${length}); one BACKFILL makes at most ${MAX_BACKFILL_WINDOWS} jobs. Split the range, e.g. FROM ` +
        `'${formatScheduleTime(from, timeZone)}' TO '${formatScheduleTime(last, timeZone)}' first.`,
      range.to,
    );
  }
  const windows: WindowJob[] = [];
  for (const tick of ticks) {
    const job = await parts.requests.submitWindow(table, tick, 'backfill');
    const partition = job.staticPartitions;
    windows.push({ jobId: job.jobId, scheduleTime: formatScheduleTime(tick, timeZone), partition });
  }
  const first = windows[0] as WindowJob;
  const last = windows[windows.length - 1] as WindowJob;
  const partitions = first.partition && last.partition ? ` partitions ${formatPartition(first.partition)}` : '';
  const through =
    first === last ? '' : ` through ${last.partition ? formatPartition(last.partition) : last.scheduleTime}`;
  return {
    message:
      `Backfill of ${table.identifier}: ${windows.length} job${windows.length === 1 ? '' : 's'}, one per window, ` +
      `for${partitions}${through}.`,
    identifier: table.identifier,
    windows,
  };
}

/** The table's schedule, or why it has no windows to backfill. */
function scheduleOf(table: DynamicTableRecord, at?: SourcePosition): string {
  const formatted = Object.keys(partitionFormatters(table.options)).length > 0;
  const why = !formatted
    ? "it has no 'partition.fields.<column>.date-formatter' option, so its refreshes rewrite the whole table " +
      'rather than one partition per window'
    : table.cron === null
      ? `it refreshes in ${table.refreshMode} mode, without a schedule and so without windows`
      : null;
  if (why === null) return table.cron as string;
  throw validationError(
    `Dynamic table ${table.identifier} cannot be backfilled: ${why}. Use ALTER DYNAMIC TABLE ${table.identifier} ` +
      'REFRESH to refresh it now.',
    at ? { line: at.line, column: at.column } : undefined,
  );
}

function textOf(time: TimeText | string): string {
  return typeof time === 'string' ? time : time.text;
}

/** A validation error at the timestamp it is about, when that was written in a statement. */
function placed(message: string, time: TimeText | string): FreshetError {
  if (typeof time === 'string') return validationError(message);
  return validationError(message, { line: time.position.line, column: time.position.column });
}

function timeOf(time: TimeText | string, keyword: 'FROM' | 'TO', timeZone: string): Date {
  try {
    return parseScheduleTime(textOf(time), timeZone);
  } catch (error) {
    if (!(error instanceof FreshetError)) throw error;
    throw placed(`BACKFILL ${keyword}: ${error.message}`, time);
  }
}
