import { Duration } from 'luxon';

const UNIT_SECONDS: ReadonlyArray<readonly [RegExp, number]> = [
  [/^(s|sec|secs|second|seconds)$/, 1],
  [/^(m|min|mins|minute|minutes)$/, 60],
  [/^(h|hr|hrs|hour|hours)$/, 3600],
  [/^(d|day|days)$/, 86400],
];

const ACCEPTED =
  'a positive whole number of seconds (90), a number with a unit (90s, 30m, 1h, 2d, "30 minutes", "2 days") ' +
  'or an ISO-8601 duration (PT30M, P1D)';

/**
 * Configuration durations → seconds (a positive integer): `"30 minutes"`, `"30 minute"`, `"30m"`, `"1h"`,
 * `"90s"`, `"2 days"`, `"PT30M"`, or a number of seconds. Throws a plain Error listing the accepted forms, for the
 * configuration loader to report with the key it came from.
 */
export function parseDurationSeconds(value: string | number): number {
  const seconds = typeof value === 'number' ? value : secondsOfText(String(value).trim());
  if (seconds === null || !Number.isSafeInteger(seconds) || seconds <= 0) {
    throw new Error(`Invalid duration ${JSON.stringify(value)}: expected ${ACCEPTED}.`);
  }
  return seconds;
}

function secondsOfText(text: string): number | null {
  if (/^\d+$/.test(text)) return Number(text);
  if (/^P/i.test(text)) return secondsOfIso(text.toUpperCase());
  const match = /^(\d+)\s*([a-zA-Z]+)$/.exec(text);
  if (!match?.[1] || !match[2]) return null;
  const unit = match[2].toLowerCase();
  const size = UNIT_SECONDS.find(([pattern]) => pattern.test(unit))?.[1];
  return size === undefined ? null : Number(match[1]) * size;
}

function secondsOfIso(text: string): number | null {
  const duration = Duration.fromISO(text);
  // Months and years have no fixed length; luxon would quietly assume 30 and 365 days.
  if (!duration.isValid || duration.years !== 0 || duration.months !== 0 || duration.quarters !== 0) return null;
  return duration.as('seconds');
}

/** Seconds as people read a lag: `45 s`, `12 min`, `3 h 20 min`, `919 d 13 h`. */
export function describeSeconds(seconds: number): string {
  const whole = Math.max(0, Math.round(seconds));
  if (whole < 60) return `${whole} s`;
  if (whole < 3600) return `${Math.floor(whole / 60)} min`;
  const days = Math.floor(whole / 86400);
  const hours = Math.floor((whole % 86400) / 3600);
  const minutes = Math.floor((whole % 3600) / 60);
  if (days > 0) return hours > 0 ? `${days} d ${hours} h` : `${days} d`;
  return minutes > 0 ? `${hours} h ${minutes} min` : `${hours} h`;
}
