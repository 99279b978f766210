/**
 * Materialising a file: its rows loaded into a table of a catalog, streamed in batches (memory holds one batch),
 * staged by the engine and swapped in at the end, so the table is the old one or the whole new one, never a part.
 * A malformed row fails the load with its line number, and nothing is changed.
 */
import type { Engine } from '../engine/engine';
import { isFreshetError, validationError } from '../errors';
import type { FileMaterialize } from './file-rows';
import { fileLayout } from './file-rows';
import { engineTypeOf, scanFile, typedBatches } from './file-profile';
import type { ValueType } from './file-values';

export interface FileLoad {
  readonly engine: Engine;
  readonly database: string;
  readonly table: string;
  /** The file's column types when known (from a profile of the file as it is now); read from the file otherwise. */
  readonly types: readonly ValueType[] | null;
  readonly signal?: AbortSignal;
}

export interface FileLoaded {
  readonly rows: number;
  readonly columns: ReadonlyArray<{ readonly name: string; readonly type: string }>;
}

/**
 * The batches of `source`, each read while the one before it is being written: the file is parsed in this thread
 * while the engine writes (on a thread, process or server of its own). Memory holds two batches.
 */
export async function* readAhead<T>(source: AsyncIterator<T> & AsyncIterable<T>): AsyncGenerator<T> {
  let next = source.next();
  try {
    for (;;) {
      const current = await next;
      if (current.done) return;
      next = source.next();
      // The read ahead may fail while this batch is written; its failure is handled when it is awaited.
      next.catch(() => undefined);
      yield current.value;
    }
  } finally {
    await source.return?.(undefined);
  }
}

export async function loadFile(file: FileMaterialize, load: FileLoad): Promise<FileLoaded> {
  const { engine } = load;
  const streaming = engine.streaming;
  if (streaming === undefined) {
    throw validationError(`Catalogs on the ${engine.name} engine cannot take rows loaded from a file.`);
  }
  const { layout, types } =
    load.types === null ? await scanFile(file, load.signal) : { layout: await fileLayout(file), types: load.types };
  if (types.length !== layout.columns.length) {
    throw validationError(`${file.path} changed while it was read; try again.`);
  }
  const columns = layout.columns.map((name, i) => ({
    name,
    type: engineTypeOf(engine, types[i] ?? 'text'),
    nullable: true,
  }));
  try {
    const outcome = await streaming.replaceFromBatches(
      {
        definition: { table: { database: load.database, name: load.table }, columns, primaryKey: null },
        partition: null,
      },
      readAhead(typedBatches(file, layout, types, () => true, load.signal)),
    );
    return { rows: outcome.rowsWritten, columns: columns.map(({ name, type }) => ({ name, type })) };
  } catch (error) {
    if (isFreshetError(error) && error.line !== undefined) {
      throw validationError(`${error.message}; nothing was loaded.`, { line: error.line, details: error.details });
    }
    throw error;
  }
}
