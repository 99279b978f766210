import type { GatewayErrorJson, RowsResultJson, StatementResultJson } from './gateway-client';

/** How results are printed: `--format`, and `\x` in the interactive client. */
export type OutputFormat = 'table' | 'csv' | 'json' | 'expanded';

export const OUTPUT_FORMATS: readonly OutputFormat[] = ['table', 'csv', 'json', 'expanded'];

export interface RenderOptions {
  readonly format: OutputFormat;
  /**
   * The terminal's width in characters: table and expanded output wrap long cells to fit it. Undefined when the
   * output is not a terminal; then every value is printed whole on its line, however long.
   */
  readonly width?: number;
}

/** What one result prints: data for stdout, and notes that belong on stderr (so CSV and JSON stay clean). */
export interface RenderedResult {
  readonly out: readonly string[];
  readonly notes: readonly string[];
}

// A column is never wrapped narrower than this, so that a wrapped table stays readable on a narrow terminal.
const MIN_WRAPPED_WIDTH = 8;

/**
 * The lines printed for one statement result: a table, CSV, JSON or expanded records for `rows`, the message
 * for `ok` (on stderr in CSV and JSON, which carry data only).
 */
export function renderResult(
  result: StatementResultJson,
  options: RenderOptions = { format: 'table' },
): RenderedResult {
  const machine = options.format === 'csv' || options.format === 'json';
  if (result.kind === 'ok') {
    const message = result.message === '' ? 'OK' : result.message;
    // A refresh job id is what the user needs to follow the job; show it even when the message omits it.
    const job = result.jobId !== undefined && !message.includes(result.jobId) ? ` (job ${result.jobId})` : '';
    return machine ? { out: [], notes: [message + job] } : { out: [message + job], notes: [] };
  }
  const footer = footerOf(result);
  switch (options.format) {
    case 'csv':
      return { out: renderCsv(result.columns, result.rows), notes: footer.slice(1) };
    case 'json':
      return { out: renderJson(result.columns, result.rows), notes: footer.slice(1) };
    case 'expanded':
      return { out: [...renderExpanded(result.columns, result.rows, options.width), ...footer], notes: [] };
    case 'table': {
      const table = result.columns.length === 0 ? [] : renderTable(result.columns, result.rows, options.width);
      return { out: [...table, ...footer], notes: [] };
    }
  }
}

/** The row count, then the truncation note and the gateway's message where there are any. */
function footerOf(result: RowsResultJson): string[] {
  const count = result.rows.length;
  const lines = [`${count} ${count === 1 ? 'row' : 'rows'}`];
  if (result.truncated === true) lines.push(`(truncated at ${count} rows)`);
  if (result.message !== undefined && result.message !== '') lines.push(result.message);
  return lines;
}

/**
 * An aligned table: header, separator, one line per row. Columns holding only numbers (and NULLs) are
 * right-aligned, header included; trailing spaces are trimmed. Values are never cut: when `width` is given
 * and the table is wider, the widest columns are narrowed and their cells wrap onto further lines.
 */
export function renderTable(
  columns: readonly string[],
  rows: readonly (readonly unknown[])[],
  width?: number,
): string[] {
  const header = columns.map((name) => formatText(name));
  const body = rows.map((row) => columns.map((_, i) => formatCell(row[i])));
  const numericColumn = columns.map(
    (_, i) => rows.some((row) => isNumber(row[i])) && rows.every((row) => isNumber(row[i]) || row[i] === null),
  );
  const natural = columns.map((_, i) =>
    Math.max(widthOf(header[i] ?? ''), ...body.map((cells) => widthOf(cells[i] ?? ''))),
  );
  const widths = width === undefined ? natural : fitWidths(natural, header, width);

  const lines = (cells: readonly string[]): string[] => {
    const pieces = cells.map((cell, i) => wrap(cell, widths[i] ?? 0));
    const height = Math.max(1, ...pieces.map((p) => p.length));
    return Array.from({ length: height }, (_, k) =>
      pieces
        .map((p, i) => pad(p[k] ?? '', widths[i] ?? 0, numericColumn[i] === true))
        .join(' | ')
        .trimEnd(),
    );
  };

  return [...lines(header), widths.map((w) => '-'.repeat(w)).join('-+-'), ...body.flatMap(lines)];
}

/** Narrows the widest columns, one character at a time, until the table fits `width` or cannot shrink more. */
function fitWidths(natural: readonly number[], header: readonly string[], width: number): number[] {
  const widths = [...natural];
  const floor = natural.map((w, i) => Math.min(w, Math.max(MIN_WRAPPED_WIDTH, widthOf(header[i] ?? ''))));
  const total = () => widths.reduce((sum, w) => sum + w, 0) + 3 * Math.max(0, widths.length - 1);
  while (total() > width) {
    let widest = -1;
    for (const [i, w] of widths.entries()) {
      if (w > (floor[i] ?? 0) && (widest === -1 || w > (widths[widest] ?? 0))) widest = i;
    }
    if (widest === -1) break;
    widths[widest] = (widths[widest] ?? 1) - 1;
  }
  return widths;
}

/** Cuts `text` into pieces of at most `width` characters (code points). */
function wrap(text: string, width: number): string[] {
  const chars = Array.from(text);
  if (chars.length <= width || width <= 0) return [text];
  const pieces: string[] = [];
  for (let i = 0; i < chars.length; i += width) pieces.push(chars.slice(i, i + width).join(''));
  return pieces;
}

/** psql's expanded display: one block per row, a `name | value` line per column. */
export function renderExpanded(
  columns: readonly string[],
  rows: readonly (readonly unknown[])[],
  width?: number,
): string[] {
  const names = columns.map((name) => formatText(name));
  const nameWidth = Math.max(0, ...names.map(widthOf));
  const valueWidth = width === undefined ? undefined : Math.max(MIN_WRAPPED_WIDTH, width - nameWidth - 3);
  const records = rows.map((row) => columns.map((_, i) => formatCell(row[i])));
  const widest = Math.max(0, ...records.flatMap((values) => values.map(widthOf)));
  const lines: string[] = [];
  for (const [index, values] of records.entries()) {
    const label = `-[ RECORD ${index + 1} ]`;
    const ruleWidth = Math.max(widthOf(label), nameWidth + 3 + Math.min(widest, valueWidth ?? widest));
    lines.push(label + '-'.repeat(ruleWidth - widthOf(label)));
    for (const [i, value] of values.entries()) {
      const pieces = valueWidth === undefined ? [value] : wrap(value, valueWidth);
      for (const [k, piece] of pieces.entries()) {
        lines.push(`${pad(k === 0 ? (names[i] ?? '') : '', nameWidth, false)} | ${piece}`.trimEnd());
      }
    }
  }
  return lines;
}

/** RFC 4180 CSV with a header line; NULL is an empty field, objects are JSON. */
export function renderCsv(columns: readonly string[], rows: readonly (readonly unknown[])[]): string[] {
  const line = (cells: readonly string[]) => cells.map(csvField).join(',');
  return [line(columns), ...rows.map((row) => line(columns.map((_, i) => csvText(row[i]))))];
}

function csvText(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value) ?? String(value);
}

function csvField(text: string): string {
  return /[",\r\n]/.test(text) || text !== text.trim() ? `"${text.replace(/"/g, '""')}"` : text;
}

/**
 * A JSON array with one object per row, keyed by column name (a repeated name gets `_2`, `_3`, … so no value
 * is lost); one row a line, so the output is both valid JSON and easy to read.
 */
export function renderJson(columns: readonly string[], rows: readonly (readonly unknown[])[]): string[] {
  const keys = uniqueKeys(columns);
  if (rows.length === 0) return ['[]'];
  const objects = rows.map((row) => JSON.stringify(Object.fromEntries(keys.map((key, i) => [key, row[i] ?? null]))));
  return objects.map((object, i) => `${i === 0 ? '[' : ' '}${object}${i === objects.length - 1 ? ']' : ','}`);
}

function uniqueKeys(columns: readonly string[]): string[] {
  const seen = new Set<string>();
  return columns.map((name) => {
    let key = name;
    for (let n = 2; seen.has(key); n++) key = `${name}_${n}`;
    seen.add(key);
    return key;
  });
}

/** How one value looks in a table cell: NULL, compact JSON for objects, escaped newlines and tabs; never cut. */
export function formatCell(value: unknown): string {
  if (value === null || value === undefined) return 'NULL';
  if (typeof value === 'string') return formatText(value);
  if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean') return String(value);
  return formatText(JSON.stringify(value) ?? String(value));
}

function formatText(text: string): string {
  return text.replace(/\r/g, '\\r').replace(/\n/g, '\\n').replace(/\t/g, '\\t');
}

/**
 * `ERROR [CODE] (line L, column C): message`, the position part only where it is known; `where` (the file and
 * statement number of a script) comes first in the parentheses.
 */
export function renderError(error: GatewayErrorJson, where: readonly string[] = []): string {
  const position = [
    ...where,
    error.line === undefined ? undefined : `line ${error.line}`,
    error.column === undefined ? undefined : `column ${error.column}`,
  ].filter((part) => part !== undefined);
  const at = position.length === 0 ? '' : ` (${position.join(', ')})`;
  return `ERROR [${error.code}]${at}: ${error.message}`;
}

function isNumber(value: unknown): boolean {
  return typeof value === 'number' || typeof value === 'bigint';
}

// Counts code points rather than UTF-16 units so that emoji and other astral characters line up.
function widthOf(text: string): number {
  return Array.from(text).length;
}

function pad(text: string, width: number, right: boolean): string {
  const fill = ' '.repeat(Math.max(0, width - widthOf(text)));
  return right ? fill + text : text + fill;
}
