/**
 * Profiling a file: one pass reads every row to count them and find each column's type; a second loads every row,
 * or a seeded sample of about `sampleRows` of them, typed, into a scratch SQLite table; the profiler's SQL then runs
 * on that table as on any other, and the table is dropped.
 */
import { randomBytes } from 'node:crypto';
import type { Engine, PortableTypeFamily, RowBatch } from '../engine/engine';
import { type FileLayout, type FileMaterialize, fileBatches, fileLayout, malformedRecord } from './file-rows';
import {
  ColumnTypes,
  converterOf,
  type FileValue,
  familyOf,
  MISFIT,
  seededRandom,
  type ValueType,
} from './file-values';
import type { DatasetProfile } from './profile-model';
import { profileTable } from './profiler';
import { quote } from './sql-dialect';

/** Rows read and written at a time. */
export const FILE_BATCH_ROWS = 2000;

/**
 * SQLite's names for file column types. SQLite keeps any type name; these read back as the types they are, so
 * that a profile (and a reader) of the table sees dates, times and booleans, not text and integers.
 */
const SQLITE_NAMES: Readonly<Record<ValueType, string>> = {
  integer: 'INTEGER',
  float: 'REAL',
  boolean: 'BOOLEAN',
  date: 'DATE',
  timestamp: 'TIMESTAMP',
  text: 'TEXT',
};

/** The column type `engine` declares for a file column of `type`. */
export function engineTypeOf(engine: Engine, type: ValueType): string {
  if (engine.dialect === 'sqlite') return SQLITE_NAMES[type];
  const family: PortableTypeFamily = familyOf(type);
  return engine.types.fromPortable({ family, precision: null, scale: null });
}

/** Counts a file's rows and finds each column's type, reading it whole. */
export async function scanFile(
  file: FileMaterialize,
  signal?: AbortSignal,
): Promise<{ layout: FileLayout; rows: number; types: ValueType[] }> {
  const layout = await fileLayout(file);
  const types = new ColumnTypes(layout.columns.length);
  let rows = 0;
  for await (const batch of fileBatches(file.path, layout, FILE_BATCH_ROWS, signal)) {
    for (const values of batch.rows) types.observe(values);
    rows += batch.rows.length;
  }
  return { layout, rows, types: types.result() };
}

/** Batches of typed rows; a value that does not fit its column's type is reported with its line. */
export async function* typedBatches(
  file: FileMaterialize,
  layout: FileLayout,
  types: readonly ValueType[],
  keep: () => boolean,
  signal?: AbortSignal,
): AsyncGenerator<RowBatch> {
  const converters = layout.columns.map((_, i) => converterOf(types[i] ?? 'text'));
  for await (const batch of fileBatches(file.path, layout, FILE_BATCH_ROWS, signal)) {
    const rows: unknown[][] = [];
    for (const [r, values] of batch.rows.entries()) {
      if (!keep()) continue;
      const row = new Array<unknown>(converters.length);
      for (let i = 0; i < converters.length; i++) {
        const value = (converters[i] as (value: FileValue) => FileValue | typeof MISFIT)(values[i] ?? null);
        if (value === MISFIT) {
          const what = `column ${layout.columns[i]}: '${String(values[i])}' is not a value of type ${types[i]}`;
          throw await malformedRecord(file.path, layout, batch.first + r, what);
        }
        row[i] = value;
      }
      rows.push(row);
    }
    if (rows.length > 0) yield rows;
  }
}

export interface FileProfileSettings {
  readonly sampleRows: number;
  readonly seed: number;
  readonly signal?: AbortSignal;
}

/** Profiles a file on `scratch`, a SQLite engine of the gateway's own. */
export async function profileFile(
  file: FileMaterialize,
  scratch: Engine,
  settings: FileProfileSettings,
): Promise<{ profile: DatasetProfile; types: ValueType[] }> {
  const { layout, rows, types } = await scanFile(file, settings.signal);
  const streaming = scratch.streaming;
  if (streaming === undefined) throw new Error('The scratch engine cannot load rows.');
  const fraction = rows > settings.sampleRows ? settings.sampleRows / rows : 1;
  const random = seededRandom(settings.seed);
  const keep = fraction < 1 ? () => random() < fraction : () => true;
  const name = `file_${randomBytes(6).toString('hex')}`;
  const table = { database: scratch.defaultDatabase, name };
  const columns = layout.columns.map((column, i) => ({
    name: column,
    type: engineTypeOf(scratch, types[i] ?? 'text'),
    nullable: true,
  }));
  try {
    await streaming.replaceFromBatches(
      { definition: { table, columns, primaryKey: null }, partition: null },
      typedBatches(file, layout, types, keep, settings.signal),
    );
    const profile = await profileTable({
      engine: scratch,
      dialect: 'sqlite',
      table: quote('sqlite', name),
      columns: layout.columns.map((column, i) => ({
        name: column,
        declaredType: types[i] ?? 'text',
        family: familyOf(types[i] ?? 'text'),
      })),
      partition: null,
      sampleRows: Number.MAX_SAFE_INTEGER,
      seed: settings.seed,
      presampled: { rowCount: rows, sampled: fraction < 1 },
      ...(settings.signal ? { signal: settings.signal } : {}),
    });
    return { profile, types };
  } finally {
    await scratch.dropTable(table).catch(() => undefined);
  }
}
