import { CronExpressionParser } from 'cron-parser';
import { messageOf, validationError } from '../errors';
import type { Freshness, FreshnessUnit } from '../model';
import { validateFreshness } from './freshness';
import { requireTimeZone } from './schedule-time';

/** The exclusive upper bound of a FULL-mode interval per unit; the interval must also divide it. */
const CRON_UPPER_BOUND: Readonly<Record<Exclude<FreshnessUnit, 'DAY'>, number>> = {
  SECOND: 60,
  MINUTE: 60,
  HOUR: 24,
};

/** How a statement chose FULL mode, for the advice after a refused freshness. */
export interface FullModeHint {
  /** True when FULL was deduced from the freshness (no REFRESH_MODE written), false when it was asked for. */
  readonly deduced: boolean;
}

/** The FULL-mode intervals of a unit: the divisors of its bound below it (1 alone for DAY). */
export function allowedFullFreshness(unit: FreshnessUnit): number[] {
  if (unit === 'DAY') return [1];
  const bound = CRON_UPPER_BOUND[unit];
  return Array.from({ length: bound - 1 }, (_, i) => i + 1).filter((n) => bound % n === 0);
}

/**
 * DESIGN §4 table. FULL mode fires on a fixed wall-clock grid, so only intervals that tile a minute, hour or day
 * evenly are allowed; the first sentence of each message is Flink's, so users of both recognise it. With a
 * `hint` (a statement's own freshness) the allowed values follow, and CONTINUOUS mode is suggested when FULL was
 * only deduced.
 */
export function freshnessToQuartzCron(f: Freshness, hint?: FullModeHint): string {
  validateFreshness(f);
  const { interval, unit } = f;
  const refuse = (flink: string) => validationError(hint ? `${flink}${fullModeAdvice(unit, hint)}` : flink);
  if (unit === 'DAY') {
    if (interval !== 1) throw refuse('In full refresh mode, freshness must be 1 when the time unit is DAY.');
    return '0 0 0 * * ? *';
  }
  const bound = CRON_UPPER_BOUND[unit];
  if (interval >= bound) {
    throw refuse(`In full refresh mode, freshness must be less than ${bound} when the time unit is ${unit}.`);
  }
  if (bound % interval !== 0) {
    throw refuse(
      `In full refresh mode, only freshness that are factors of ${bound} ` +
        `are currently supported when the time unit is ${unit}.`,
    );
  }
  switch (unit) {
    case 'SECOND':
      return `0/${interval} * * * * ? *`;
    case 'MINUTE':
      return `0 0/${interval} * * * ? *`;
    case 'HOUR':
      return `0 0 0/${interval} * * ? *`;
  }
}

function fullModeAdvice(unit: FreshnessUnit, hint: FullModeHint): string {
  const allowed = ` Allowed values in FULL mode: ${allowedFullFreshness(unit).join(', ')} ${unit}.`;
  if (!hint.deduced) return allowed;
  return (
    `${allowed} FULL mode was deduced from the freshness; write REFRESH_MODE = CONTINUOUS to keep this ` +
    `freshness with continuous refreshes instead.`
  );
}

/** The six Quartz fields before the year, with a year of `*` or none at all; null for any other shape. */
function quartzFieldsWithoutYear(quartz: string): string[] | null {
  const fields = quartz.trim().split(/\s+/);
  if (fields.length === 7 && fields[6] === '*') fields.pop();
  return fields.length === 6 ? fields : null;
}

/** The step `n` of a Quartz `0/n` field when 1 ≤ n < bound, else null. */
function stepOf(field: string | undefined, bound: number): number | null {
  const match = /^0\/(\d{1,2})$/.exec(field ?? '');
  if (!match?.[1]) return null;
  const step = Number(match[1]);
  return step >= 1 && step < bound ? step : null;
}

/**
 * 5-field Unix cron for the same schedule (`*\/5 * * * *`, `0 *\/2 * * *`, `0 0 * * *`), or null when the Quartz
 * schedule fires on seconds (SECOND unit), which Unix cron cannot express. Works on the crons
 * {@link freshnessToQuartzCron} produces; anything else is a validation error.
 */
export function quartzToUnixCron(quartz: string): string | null {
  const fields = quartzFieldsWithoutYear(quartz);
  if (fields) {
    const [second, minute, hour, dayOfMonth, month, dayOfWeek] = fields;
    const everyDay = dayOfMonth === '*' && month === '*' && dayOfWeek === '?';
    if (everyDay) {
      if (minute === '*' && hour === '*' && stepOf(second, 60) !== null) return null;
      if (second === '0' && hour === '*') {
        const step = stepOf(minute, 60);
        if (step !== null) return step === 1 ? '* * * * *' : `*/${step} * * * *`;
      }
      if (second === '0' && minute === '0') {
        const step = stepOf(hour, 24);
        if (step !== null) return step === 1 ? '0 * * * *' : `0 */${step} * * *`;
        if (hour === '0') return '0 0 * * *';
      }
    }
  }
  throw validationError(
    `Cannot translate the Quartz cron '${quartz}' to Unix cron: only the schedules derived from a freshness ` +
      `('0/n * * * * ? *', '0 0/n * * * ? *', '0 0 0/n * * ? *', '0 0 0 * * ? *') are supported.`,
  );
}

/**
 * The 6-field form cron-parser accepts: Quartz's year field is dropped when it is `*` or absent (`?` is kept,
 * cron-parser reads it as "any"). A specific year cannot be expressed and is a validation error.
 */
export function quartzToCronParser(quartz: string): string {
  const fields = quartzFieldsWithoutYear(quartz);
  if (!fields) {
    throw validationError(
      `Invalid Quartz cron '${quartz}': expected 6 or 7 fields ` +
        `(second minute hour day-of-month month day-of-week [year]) with the year '*' or absent.`,
    );
  }
  const expression = fields.join(' ');
  try {
    CronExpressionParser.parse(expression);
  } catch (error) {
    throw validationError(`Invalid Quartz cron '${quartz}': ${messageOf(error)}`, { cause: error });
  }
  return expression;
}

function iterate(quartz: string, currentDate: Date, timeZone: string) {
  requireTimeZone(timeZone);
  return CronExpressionParser.parse(quartzToCronParser(quartz), { currentDate, tz: timeZone });
}

/** Next fire time strictly after `after`, with the cron's wall-clock fields read in `timeZone`. */
export function nextFireTime(quartz: string, after: Date, timeZone: string): Date {
  return iterate(quartz, after, timeZone).next().toDate();
}

/**
 * Latest fire time at or before `atOrBefore`, with the cron's wall-clock fields read in `timeZone`; null when
 * there is none.
 */
export function previousFireTime(quartz: string, atOrBefore: Date, timeZone: string): Date | null {
  // cron-parser's prev() is strictly before its start, and fire times are whole seconds, so starting 1 ms later
  // makes a fire time exactly at `atOrBefore` count.
  const expression = iterate(quartz, new Date(atOrBefore.getTime() + 1), timeZone);
  try {
    return expression.prev().toDate();
  } catch {
    return null;
  }
}
