/** Profiling a table of a catalog: its columns read from the engine, then {@link profileTable}. */
import type { Engine, PortableTypeFamily } from '../engine/engine';
import { notFound, validationError } from '../errors';
import type { DatasetProfile } from './profile-model';
import { type ProfileColumn, profileTable } from './profiler';
import { dialectOf, tableReference } from './sql-dialect';

export interface ProfileSettings {
  readonly sampleRows: number;
  readonly seed: number;
  readonly partition?: Readonly<Record<string, string>> | null;
  readonly signal?: AbortSignal;
}

/** The family a column is profiled as: MySQL's booleans are `tinyint(1)`, which would read as integers. */
export function profileFamily(engine: Engine, type: string): PortableTypeFamily {
  if (engine.dialect === 'mysql' && /^tinyint\(1\)/i.test(type.trim())) return 'boolean';
  return engine.types.toPortable(type).family;
}

/** True when the profiler can run SQL on the engine. */
export function canProfile(engine: Engine): boolean {
  return dialectOf(engine) !== null;
}

export async function profileEngineTable(
  engine: Engine,
  database: string,
  table: string,
  settings: ProfileSettings,
): Promise<DatasetProfile> {
  const dialect = dialectOf(engine);
  if (dialect === null) throw new Error(`Tables of the ${engine.name} engine cannot be profiled.`);
  const description = await engine.describeTable({ database, name: table });
  if (description === null) throw notFound(`Table ${database}.${table} does not exist any more.`);
  const columns: ProfileColumn[] = description.columns.map((c) => ({
    name: c.name,
    declaredType: c.type,
    family: profileFamily(engine, c.type),
  }));
  const partition = settings.partition ?? null;
  for (const column of Object.keys(partition ?? {})) {
    if (!columns.some((c) => c.name === column)) {
      throw validationError(
        `The partition names column '${column}', which ${database}.${table} does not have; its columns are ${columns.map((c) => c.name).join(', ')}.`,
      );
    }
  }
  return profileTable({
    engine,
    dialect,
    table: tableReference(dialect, database, table),
    columns,
    partition,
    sampleRows: settings.sampleRows,
    seed: settings.seed,
    ...(settings.signal ? { signal: settings.signal } : {}),
  });
}
