/**
 * Rows of CSV and NDJSON files: the layout of a file (CSV delimiter and header, sniffed from its first lines when
 * not given; column names) and its records streamed in batches with their line numbers, so that memory stays
 * bounded whatever the file's size and a malformed row is reported where it is. CSV is parsed by csv-parse.
 */
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import * as readline from 'node:readline';
import { type Options as CsvOptions, parse } from 'csv-parse';
import { validationError } from '../errors';
import type { FileFormat, Materialize } from './discoverer';
import { type FileValue, typeOfValue } from './file-values';

export type FileMaterialize = Extract<Materialize, { kind: 'file' }>;

export interface FileLayout {
  readonly format: FileFormat;
  /** CSV only. */
  readonly delimiter: string;
  /** CSV only: the first line names the columns. */
  readonly header: boolean;
  readonly columns: readonly string[];
}

/** Records read from a file: their values, and where the first one is. */
export interface FileBatch {
  /** 0-based number of the batch's first record in the file ({@link lineOfRecord} finds its line). */
  readonly first: number;
  readonly rows: ReadonlyArray<readonly FileValue[]>;
}

const DELIMITERS = [',', ';', '\t', '|'] as const;
/** How much of a file's start is read to sniff its layout. */
const HEAD_BYTES = 256 * 1024;
const HEAD_LINES = 200;

/** The first whole lines of a file (up to {@link HEAD_LINES}), without a byte order mark. */
async function headLines(path: string): Promise<string[]> {
  const handle = await open(path, 'r');
  try {
    const buffer = Buffer.alloc(HEAD_BYTES);
    const { bytesRead } = await handle.read(buffer, 0, HEAD_BYTES, 0);
    let text = buffer
      .subarray(0, bytesRead)
      .toString('utf8')
      .replace(/^\uFEFF/, '');
    // A line cut by the end of what was read is left out, unless it is the file's last.
    if (bytesRead === HEAD_BYTES) text = text.slice(0, Math.max(0, text.lastIndexOf('\n')));
    return text
      .split(/\r?\n/)
      .filter((line) => line.trim() !== '')
      .slice(0, HEAD_LINES);
  } finally {
    await handle.close();
  }
}

/** How often `delimiter` occurs in a line outside double quotes. */
function occurrences(line: string, delimiter: string): number {
  let count = 0;
  let quoted = false;
  for (const char of line) {
    if (char === '"') quoted = !quoted;
    else if (char === delimiter && !quoted) count++;
  }
  return count;
}

/** The delimiter that splits the first lines into the same number of fields, the most fields winning. */
export function sniffDelimiter(lines: readonly string[]): string {
  const sample = lines.slice(0, 50);
  let best: { delimiter: string; score: number } = { delimiter: ',', score: -1 };
  for (const delimiter of DELIMITERS) {
    const counts = sample.map((line) => occurrences(line, delimiter));
    const first = counts[0] ?? 0;
    if (first === 0) continue;
    const consistent = counts.filter((c) => c === first).length / counts.length;
    const score = consistent * 1000 + first;
    if (score > best.score) best = { delimiter, score };
  }
  return best.delimiter;
}

/**
 * Whether the first row names the columns: its cells are all filled, all different, and none is a number, date or
 * boolean (a first row of data in a file with any such column would have one).
 */
export function detectHeader(rows: readonly (readonly string[])[]): boolean {
  const first = rows[0];
  if (first === undefined || first.length === 0) return false;
  if (first.some((cell) => cell.trim() === '')) return false;
  if (new Set(first.map((cell) => cell.trim().toLowerCase())).size !== first.length) return false;
  return first.every((cell) => typeOfValue(cell.trim()) === 'text');
}

/** Column names for a CSV file: the header's (made unique), or `column_1`, `column_2`, … */
function columnNames(header: readonly string[] | null, count: number): string[] {
  if (header === null) return Array.from({ length: count }, (_, i) => `column_${i + 1}`);
  const seen = new Set<string>();
  return header.map((raw, i) => {
    let name = raw.trim() === '' ? `column_${i + 1}` : raw.trim();
    for (let n = 2; seen.has(name.toLowerCase()); n++) name = `${raw.trim()}_${n}`;
    seen.add(name.toLowerCase());
    return name;
  });
}

/** A file's layout: what its materialize entry says, the rest sniffed from its first lines. */
export async function fileLayout(file: FileMaterialize): Promise<FileLayout> {
  const lines = await headLines(file.path);
  if (file.format === 'ndjson') {
    const keys: string[] = [];
    const seen = new Set<string>();
    for (const [index, line] of lines.entries()) {
      const object = parseObjectLine(line, index + 1, file.path);
      for (const key of Object.keys(object)) {
        if (!seen.has(key)) keys.push(key);
        seen.add(key);
      }
    }
    return { format: 'ndjson', delimiter: ',', header: false, columns: keys };
  }
  const delimiter = file.delimiter ?? sniffDelimiter(lines);
  const rows = await parseHead(lines, delimiter);
  const header = file.header ?? detectHeader(rows);
  const width = Math.max(0, ...rows.map((r) => r.length));
  return { format: 'csv', delimiter, header, columns: columnNames(header ? (rows[0] ?? []) : null, width) };
}

/** The head's rows; split naively when csv-parse cannot read them (the full read reports what is wrong). */
function parseHead(lines: readonly string[], delimiter: string): Promise<string[][]> {
  return new Promise((resolve) => {
    parse(lines.join('\n'), { delimiter, relax_column_count: true, relax_quotes: true }, (error, rows) => {
      resolve(error === undefined ? (rows as string[][]) : lines.map((line) => line.split(delimiter)));
    });
  });
}

function malformed(path: string, line: number, what: string) {
  return validationError(`${path}, line ${line}: ${what}`, { line, details: { path, line } });
}

function parseObjectLine(text: string, line: number, path: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw malformed(path, line, `not valid JSON (${(error as Error).message})`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw malformed(path, line, 'expected a JSON object on each line');
  }
  return value as Record<string, unknown>;
}

function jsonValue(value: unknown): FileValue {
  if (value === undefined || value === null) return null;
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return value;
  return JSON.stringify(value);
}

/** NDJSON lines, in batches: a line's number is known as it is read. */
async function* ndjsonBatches(path: string, layout: FileLayout, size: number): AsyncGenerator<FileBatch> {
  const lines = readline.createInterface({
    input: createReadStream(path, { encoding: 'utf8', highWaterMark: 1 << 20 }),
    crlfDelay: Number.POSITIVE_INFINITY,
  });
  let line = 0;
  let first = 0;
  let rows: FileValue[][] = [];
  for await (const raw of lines) {
    line++;
    const text = line === 1 ? raw.replace(/^\uFEFF/, '') : raw;
    if (text.trim() === '') continue;
    const object = parseObjectLine(text, line, path);
    rows.push(layout.columns.map((column) => jsonValue(object[column])));
    if (rows.length >= size) {
      yield { first, rows };
      first += rows.length;
      rows = [];
    }
  }
  if (rows.length > 0) yield { first, rows };
}

function csvParser(path: string, layout: FileLayout, numbered: boolean) {
  return createReadStream(path, { highWaterMark: 1 << 20 }).pipe(
    parse({
      delimiter: layout.delimiter,
      bom: true,
      skip_empty_lines: true,
      relax_column_count: true,
      from_line: layout.header ? 2 : 1,
      ...(numbered ? { on_record: (record: string[], context: { lines: number }) => [context.lines, record] } : {}),
      // csv-parse's types have on_record return a record of the input's shape; it may return anything.
    } as unknown as CsvOptions),
  );
}

/** The error of a malformed CSV file csv-parse found, with the line it gives. */
function csvFailure(path: string, error: unknown): unknown {
  const lines = (error as { lines?: unknown }).lines;
  const code = (error as { code?: unknown }).code;
  return typeof lines === 'number' && typeof code === 'string'
    ? malformed(path, lines, (error as Error).message)
    : error;
}

/**
 * The line a CSV record ends on. Records are read without their lines (asking csv-parse for each record's line
 * slows the read by half), so a record found wrong is looked up again here, reading the file up to it.
 */
export async function lineOfRecord(path: string, layout: FileLayout, index: number): Promise<number> {
  if (layout.format === 'ndjson') return index + 1;
  const parser = csvParser(path, layout, true);
  let at = 0;
  try {
    for await (const [line] of parser as AsyncIterable<[number, string[]]>) {
      if (at++ === index) return line;
    }
  } catch {
    // A malformed part past the record does not matter here.
  } finally {
    parser.destroy();
  }
  return index + (layout.header ? 2 : 1);
}

/** A malformed record's error, at the line it is on. */
export async function malformedRecord(path: string, layout: FileLayout, index: number, what: string) {
  return malformed(path, await lineOfRecord(path, layout, index), what);
}

async function* csvBatches(path: string, layout: FileLayout, size: number): AsyncGenerator<FileBatch> {
  const parser = csvParser(path, layout, false);
  const width = layout.columns.length;
  let first = 0;
  let rows: FileValue[][] = [];
  try {
    for await (const record of parser as AsyncIterable<string[]>) {
      if (record.length !== width) {
        const index = first + rows.length;
        throw await malformedRecord(path, layout, index, `expected ${width} fields, found ${record.length}`);
      }
      for (let i = 0; i < width; i++) if (record[i] === '') (record as FileValue[])[i] = null;
      rows.push(record as FileValue[]);
      if (rows.length >= size) {
        yield { first, rows };
        first += rows.length;
        rows = [];
      }
    }
  } catch (error) {
    throw csvFailure(path, error);
  } finally {
    parser.destroy();
  }
  if (rows.length > 0) yield { first, rows };
}

/** A file's records in batches of at most `size`; memory holds one batch (and the parser's buffer). */
export async function* fileBatches(
  path: string,
  layout: FileLayout,
  size: number,
  signal?: AbortSignal,
): AsyncGenerator<FileBatch> {
  const batches = layout.format === 'ndjson' ? ndjsonBatches(path, layout, size) : csvBatches(path, layout, size);
  for await (const batch of batches) {
    signal?.throwIfAborted();
    yield batch;
  }
}
