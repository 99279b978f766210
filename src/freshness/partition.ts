import { DateTime } from 'luxon';
import { validationError } from '../errors';
import type { Freshness } from '../model';
import { freshnessToSeconds } from './freshness';
import { requireTimeZone } from './schedule-time';

const OPTION_PATTERN = /^partition\.fields\.(.+)\.date-formatter$/;

/** The table option naming the date formatter of a partition column. */
export function dateFormatterOption(column: string): string {
  return `partition.fields.${column}.date-formatter`;
}

/**
 * Pattern letters a formatter may use, with the run lengths allowed. Java's DateTimeFormatter and luxon agree on
 * all of these, so a pattern means the same thing to a Flink user and to Freshet.
 */
const FIELD_TOKENS: ReadonlySet<string> = new Set([
  ...['yyyy', 'yy', 'y', 'MM', 'M', 'dd', 'd'],
  ...['HH', 'H', 'mm', 'm', 'ss', 's'],
]);

type FormatterToken =
  | { readonly kind: 'field'; readonly token: string }
  | { readonly kind: 'literal'; readonly text: string };

/** Splits a pattern into fields and literals, or returns what is wrong with it. */
function tokenize(pattern: string): FormatterToken[] | string {
  const tokens: FormatterToken[] = [];
  let i = 0;
  while (i < pattern.length) {
    const ch = pattern.charAt(i);
    if (ch === "'") {
      // Java quoting: 'text' is literal, '' is one quote.
      let text = '';
      let j = i + 1;
      for (;;) {
        if (j >= pattern.length) return `the quote at position ${i + 1} is not closed`;
        if (pattern.charAt(j) === "'") {
          if (pattern.charAt(j + 1) === "'") {
            text += "'";
            j += 2;
            continue;
          }
          break;
        }
        text += pattern.charAt(j);
        j += 1;
      }
      tokens.push({ kind: 'literal', text: j === i + 1 ? "'" : text });
      i = j + 1;
    } else if (/[A-Za-z]/.test(ch) && ch !== 'T') {
      let j = i;
      while (pattern.charAt(j) === ch) j += 1;
      const run = pattern.slice(i, j);
      if (!FIELD_TOKENS.has(run)) return `'${run}' is not a supported pattern`;
      tokens.push({ kind: 'field', token: run });
      i = j;
    } else {
      // Punctuation, digits, spaces and the ISO separator 'T' stand for themselves.
      tokens.push({ kind: 'literal', text: ch });
      i += 1;
    }
  }
  if (!tokens.some((t) => t.kind === 'field')) return 'it has no date or time field';
  return tokens;
}

/**
 * Validates a formatter pattern: the letters yyyy, MM, dd, HH, mm, ss (and their short forms y, yy, M, d, H, m,
 * s) plus literal text; otherwise a validation error naming the option.
 */
export function validateDateFormatter(option: string, pattern: string): void {
  compile(option, pattern);
}

function compile(option: string, pattern: string): FormatterToken[] {
  const tokens = typeof pattern === 'string' ? tokenize(pattern) : 'it is not a string';
  if (typeof tokens === 'string') {
    throw validationError(
      `Invalid date formatter '${String(pattern)}' in table option '${option}': ${tokens}. ` +
        "Use yyyy, MM, dd, HH, mm, ss and literal punctuation; quote other text, e.g. yyyy-MM-dd'T'HH.",
    );
  }
  return tokens;
}

/** Options `partition.fields.<col>.date-formatter` → `{col: pattern}`. */
export function partitionFormatters(options: Readonly<Record<string, string>>): Record<string, string> {
  const formatters: Record<string, string> = {};
  for (const [key, value] of Object.entries(options)) {
    const column = OPTION_PATTERN.exec(key)?.[1];
    if (column !== undefined) formatters[column] = value;
  }
  return formatters;
}

/**
 * The partition a periodic refresh rewrites: per formatter column, `format(scheduleTime − freshness)` in
 * `timeZone` — the window that just closed (Flink FLINK-35872). The freshness is subtracted as elapsed time, as
 * Flink does, so a 1-day freshness across a DST change moves 24 hours, not one calendar day.
 */
export function periodicPartition(
  scheduleTime: Date,
  freshness: Freshness,
  formatters: Readonly<Record<string, string>>,
  timeZone: string,
): Record<string, string> {
  requireTimeZone(timeZone);
  const windowStart = DateTime.fromMillis(scheduleTime.getTime() - freshnessToSeconds(freshness) * 1000, {
    zone: timeZone,
  });
  const partition: Record<string, string> = {};
  for (const [column, pattern] of Object.entries(formatters)) {
    const tokens = compile(dateFormatterOption(column), pattern);
    partition[column] = tokens.map((t) => (t.kind === 'field' ? windowStart.toFormat(t.token) : t.text)).join('');
  }
  return partition;
}

/** How each field token is read back from a partition value: its digits, and the luxon unit it sets. */
const FIELD_READS: Readonly<Record<string, { readonly digits: string; readonly unit: string }>> = {
  yyyy: { digits: '\\d{4}', unit: 'year' },
  yy: { digits: '\\d{2}', unit: 'year' },
  y: { digits: '\\d{1,6}', unit: 'year' },
  MM: { digits: '\\d{2}', unit: 'month' },
  M: { digits: '\\d{1,2}', unit: 'month' },
  dd: { digits: '\\d{2}', unit: 'day' },
  d: { digits: '\\d{1,2}', unit: 'day' },
  HH: { digits: '\\d{2}', unit: 'hour' },
  H: { digits: '\\d{1,2}', unit: 'hour' },
  mm: { digits: '\\d{2}', unit: 'minute' },
  m: { digits: '\\d{1,2}', unit: 'minute' },
  ss: { digits: '\\d{2}', unit: 'second' },
  s: { digits: '\\d{1,2}', unit: 'second' },
};

function formatTokens(tokens: readonly FormatterToken[], at: DateTime): string {
  return tokens.map((t) => (t.kind === 'field' ? at.toFormat(t.token) : t.text)).join('');
}

/** The instant a value names under the pattern's tokens, or null when no instant formats to exactly that value. */
function readValue(tokens: readonly FormatterToken[], value: string): DateTime | null {
  const source = tokens
    .map((t) =>
      t.kind === 'field' ? `(${FIELD_READS[t.token]?.digits})` : t.text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'),
    )
    .join('');
  const match = new RegExp(`^${source}$`).exec(value);
  if (!match) return null;
  // A leap year, so that a pattern without the year still accepts 02-29.
  const fields: Record<string, number> = { year: 2000, month: 1, day: 1, hour: 0, minute: 0, second: 0 };
  let group = 1;
  for (const token of tokens) {
    if (token.kind !== 'field') continue;
    const read = FIELD_READS[token.token];
    const n = Number(match[group++]);
    if (read) fields[read.unit] = token.token === 'yy' ? 2000 + n : n;
  }
  const at = DateTime.fromObject(fields, { zone: 'UTC' });
  // Round trip: 2024-02-30 is no date, and a value luxon would normalise differently is not one the formatter writes.
  return at.isValid && formatTokens(tokens, at) === value ? at : null;
}

/**
 * Checks that each value of a partition spec on a column with a date formatter is one the formatter can produce
 * (`2024-01-05` for `yyyy-MM-dd`, not `2024-1-5`, `2024-13-45` or `yesterday`): otherwise a validation error naming
 * the column, the value, the pattern and a valid example. Columns without a formatter are not checked.
 */
export function checkPartitionValues(
  spec: Readonly<Record<string, string>>,
  formatters: Readonly<Record<string, string>>,
): void {
  const byColumn = new Map(Object.entries(formatters).map(([column, pattern]) => [column.toLowerCase(), pattern]));
  for (const [column, value] of Object.entries(spec)) {
    const pattern = byColumn.get(column.toLowerCase());
    if (pattern === undefined) continue;
    const tokens = compile(dateFormatterOption(column), pattern);
    if (readValue(tokens, value) !== null) continue;
    const example = formatTokens(
      tokens,
      DateTime.fromObject({ year: 2024, month: 3, day: 5, hour: 7, minute: 8, second: 9 }),
    );
    throw validationError(
      `Partition value '${value}' for column ${column} is not one its date formatter '${pattern}' produces: ` +
        `give a date written exactly in that pattern, such as '${example}'.`,
    );
  }
}
