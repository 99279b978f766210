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
