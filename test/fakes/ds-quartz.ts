/**
 * Quartz CRON validation as DolphinScheduler does it (cron-utils with the QUARTZ definition): seconds, minutes,
 * hours, day of month, month, day of week and an optional year; exactly one of the two day fields is `?`.
 */
interface FieldRule {
  readonly name: string;
  readonly min: number;
  readonly max: number;
  readonly names?: readonly string[];
  /** Extra forms this field accepts beyond numbers, ranges, steps and `*`. */
  readonly special?: RegExp;
  readonly question?: boolean;
}

const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
const DAYS = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];

const FIELDS: readonly FieldRule[] = [
  { name: 'second', min: 0, max: 59 },
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day of month', min: 1, max: 31, special: /^(L(-\d{1,2})?|LW|\d{1,2}W)$/, question: true },
  { name: 'month', min: 1, max: 12, names: MONTHS },
  {
    name: 'day of week',
    min: 1,
    max: 7,
    names: DAYS,
    special: /^([1-7]|SUN|MON|TUE|WED|THU|FRI|SAT)?L$|^([1-7]|SUN|MON|TUE|WED|THU|FRI|SAT)#[1-5]$/i,
    question: true,
  },
  { name: 'year', min: 1970, max: 2099 },
];

/** Null when DolphinScheduler accepts `cron`, else why not. */
export function quartzProblem(cron: unknown): string | null {
  if (typeof cron !== 'string' || cron.trim() === '') return 'empty expression';
  const parts = cron.trim().split(/\s+/);
  if (parts.length !== 6 && parts.length !== 7) return `expected 6 or 7 fields, got ${parts.length}`;
  for (const [i, part] of parts.entries()) {
    const rule = FIELDS[i];
    if (rule === undefined) return 'too many fields';
    const problem = fieldProblem(part, rule);
    if (problem !== null) return `${rule.name}: ${problem}`;
  }
  const dayOfMonthUnset = parts[3] === '?';
  const dayOfWeekUnset = parts[5] === '?';
  if (dayOfMonthUnset === dayOfWeekUnset) return 'Both, a day-of-week AND a day-of-month parameter, are not supported.';
  return null;
}

function fieldProblem(field: string, rule: FieldRule): string | null {
  if (field === '?') return rule.question ? null : "'?' is only allowed in the day fields";
  for (const item of field.split(',')) {
    if (item === '') return 'empty list item';
    if (rule.special?.test(item)) continue;
    const [range, step, ...rest] = item.split('/');
    if (rest.length > 0 || range === undefined) return `bad item '${item}'`;
    if (step !== undefined && !/^\d+$/.test(step)) return `bad step in '${item}'`;
    if (step !== undefined && Number(step) === 0) return `zero step in '${item}'`;
    if (range === '*') continue;
    const bounds = range.split('-');
    if (bounds.length > 2) return `bad range '${range}'`;
    for (const bound of bounds) {
      const value = fieldValue(bound, rule);
      if (value === null) return `'${bound}' is not a value between ${rule.min} and ${rule.max}`;
    }
  }
  return null;
}

function fieldValue(text: string, rule: FieldRule): number | null {
  const named = rule.names?.indexOf(text.toUpperCase()) ?? -1;
  if (named >= 0) return rule.min + named;
  if (!/^\d+$/.test(text)) return null;
  const value = Number(text);
  return value >= rule.min && value <= rule.max ? value : null;
}
