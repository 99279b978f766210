import { DateTime, FixedOffsetZone, IANAZone } from 'luxon';
import { validationError } from '../errors';

/** The accepted schedule-time forms, as listed in error messages. */
export const SCHEDULE_TIME_FORMATS: readonly string[] = Object.freeze([
  "yyyy-MM-dd HH:mm:ss (Flink's format, read in the configured time zone)",
  'yyyy-MM-ddTHH:mm:ss[.SSS] (read in the configured time zone)',
  'yyyy-MM-ddTHH:mm:ss[.SSS]Z or with an offset such as +08:00 (ISO-8601; the time zone is then ignored)',
]);

/** The format Flink's schedulers send and Freshet prints. */
const FLINK_FORMAT = 'yyyy-MM-dd HH:mm:ss';

const SCHEDULE_TIME =
  /^(\d{4})-(\d{2})-(\d{2})[ Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|z|[+-]\d{2}(?::?\d{2})?)?$/;

/**
 * True for IANA zone names (`UTC`, `Asia/Shanghai`, `Etc/GMT-8`) and for the fixed offsets luxon understands
 * (`UTC+8`, `UTC-05:30`).
 */
export function isValidTimeZone(zone: string): boolean {
  if (typeof zone !== 'string' || zone.length === 0) return false;
  const known = zoneValidity.get(zone);
  if (known !== undefined) return known;
  // @types/luxon declares a non-null result, but luxon returns null for anything other than `UTC±h[:mm]`.
  const iana = IANAZone.isValidZone(zone);
  const fixed = iana ? null : (FixedOffsetZone.parseSpecifier(zone) as FixedOffsetZone | null);
  const valid = iana || fixed?.isValid === true;
  // Checking a zone builds an Intl.DateTimeFormat, which is costly on a callback's hot path; the answer never changes.
  if (zoneValidity.size >= 1000) zoneValidity.clear();
  zoneValidity.set(zone, valid);
  return valid;
}

const zoneValidity = new Map<string, boolean>();

/** Throws a validation error naming `timeZone` unless {@link isValidTimeZone} accepts it. */
export function requireTimeZone(timeZone: string): void {
  if (!isValidTimeZone(timeZone)) {
    throw validationError(
      `Unknown time zone '${timeZone}': use an IANA zone name such as 'UTC', 'Europe/Berlin' or 'Asia/Shanghai'.`,
    );
  }
}

function rejectScheduleTime(text: string, reason?: string): never {
  const why = reason ? ` (${reason})` : '';
  throw validationError(
    `Invalid schedule time '${text}'${why}. Accepted formats: ${SCHEDULE_TIME_FORMATS.join('; ')}.`,
  );
}

/**
 * Accepts `yyyy-MM-dd HH:mm:ss` (Flink's format; read in `timeZone`), also with a `T` and optional fractional
 * seconds, and ISO-8601 with `Z` or an offset (then `timeZone` is ignored). A local time that falls in a DST gap
 * moves forward by the gap, as luxon does; an ambiguous one picks one of its two instants.
 */
export function parseScheduleTime(text: string, timeZone: string): Date {
  requireTimeZone(timeZone);
  const trimmed = typeof text === 'string' ? text.trim() : '';
  const match = SCHEDULE_TIME.exec(trimmed);
  if (!match) rejectScheduleTime(String(text));
  const [, year, month, day, hour, minute, second, fraction, offset] = match;
  const fields = {
    year: Number(year),
    month: Number(month),
    day: Number(day),
    hour: Number(hour),
    minute: Number(minute),
    second: Number(second),
    millisecond: fraction ? Number(fraction.padEnd(3, '0').slice(0, 3)) : 0,
  };
  // luxon would roll 24:00:00 over to the next day; a scheduler sending that is more likely wrong than clever.
  if (fields.hour > 23 || fields.minute > 59 || fields.second > 59) {
    rejectScheduleTime(text, 'hour, minute or second out of range');
  }
  const zone = offset ? offsetZone(offset) : timeZone;
  const parsed = DateTime.fromObject(fields, { zone });
  if (!parsed.isValid) rejectScheduleTime(text, parsed.invalidExplanation ?? parsed.invalidReason ?? undefined);
  return parsed.toJSDate();
}

/** A luxon zone specifier for an ISO-8601 offset: `Z`, `+08`, `+0800`, `+08:00`. */
function offsetZone(offset: string): string {
  if (offset === 'Z' || offset === 'z') return 'UTC';
  const digits = offset.slice(1).replace(':', '');
  const hours = digits.slice(0, 2);
  const minutes = digits.slice(2) || '00';
  return `UTC${offset[0]}${hours}:${minutes}`;
}

/** `yyyy-MM-dd HH:mm:ss` in `timeZone`, the form Flink's schedulers send. */
export function formatScheduleTime(at: Date, timeZone: string): string {
  requireTimeZone(timeZone);
  return DateTime.fromJSDate(at, { zone: timeZone }).toFormat(FLINK_FORMAT);
}
