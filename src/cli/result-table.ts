import type { GatewayErrorJson, RowsResultJson, StatementResultJson } from './gateway-client';

/** Cells longer than this many characters are cut, so that one wide value does not wreck the whole table. */
export const MAX_CELL_WIDTH = 60;

/**
 * The lines printed for one statement result: an aligned table plus a row count for `rows`, the message for
 * `ok`.
 */
export function renderResult(result: StatementResultJson): string[] {
  if (result.kind === 'ok') {
    const message = result.message === '' ? 'OK' : result.message;
    // A refresh job id is what the user needs to follow the job; show it even when the message omits it.
    const job = result.jobId !== undefined && !message.includes(result.jobId) ? ` (job ${result.jobId})` : '';
    return [message + job];
  }
  return renderRows(result);
}

function renderRows(result: RowsResultJson): string[] {
  const count = result.rows.length;
  const lines = result.columns.length === 0 ? [] : renderTable(result.columns, result.rows);
  lines.push(`${count} ${count === 1 ? 'row' : 'rows'}`);
  if (result.truncated === true) lines.push(`(truncated at ${count} rows)`);
  if (result.message !== undefined && result.message !== '') lines.push(result.message);
  return lines;
}

/**
 * An aligned table: header, separator, one line per row. Columns holding only numbers (and NULLs) are
 * right-aligned, header included; trailing spaces are trimmed.
 */
export function renderTable(columns: readonly string[], rows: readonly (readonly unknown[])[]): string[] {
  const header = columns.map((name) => formatText(name));
  const body = rows.map((row) => columns.map((_, i) => formatCell(row[i])));
  const numericColumn = columns.map(
    (_, i) => rows.some((row) => isNumber(row[i])) && rows.every((row) => isNumber(row[i]) || row[i] === null),
  );
  const widths = columns.map((_, i) =>
    Math.max(widthOf(header[i] ?? ''), ...body.map((cells) => widthOf(cells[i] ?? ''))),
  );

  const line = (cells: readonly string[], rightAligned: (i: number) => boolean): string =>
    cells
      .map((cell, i) => pad(cell, widths[i] ?? 0, rightAligned(i)))
      .join(' | ')
      .trimEnd();

  return [
    line(header, (i) => numericColumn[i] === true),
    widths.map((width) => '-'.repeat(width)).join('-+-'),
    ...body.map((cells) => line(cells, (i) => numericColumn[i] === true)),
  ];
}

/** How one value looks in a table cell: NULL, compact JSON for objects, escaped newlines, cut at 60 chars. */
export function formatCell(value: unknown): string {
  if (value === null || value === undefined) return 'NULL';
  if (typeof value === 'string') return formatText(value);
  if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean') return String(value);
  return formatText(JSON.stringify(value) ?? String(value));
}

function formatText(text: string): string {
  const escaped = text.replace(/\r/g, '\\r').replace(/\n/g, '\\n').replace(/\t/g, '\\t');
  const chars = Array.from(escaped);
  return chars.length > MAX_CELL_WIDTH ? `${chars.slice(0, MAX_CELL_WIDTH - 1).join('')}…` : escaped;
}

/** `ERROR [CODE] (line L, column C): message`, the position part only where the gateway knows it. */
export function renderError(error: GatewayErrorJson): string {
  const position = [
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
