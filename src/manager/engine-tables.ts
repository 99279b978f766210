/**
 * `SHOW TABLES` and `DESCRIBE name` answered by the gateway from the engine's own listing, so that every engine
 * answers alike and Freshet's internal tables (which the engines leave out of `listTables`) never show.
 */
import type { DynamicTableRecord } from '../catalog/records';
import type { ColumnInfo } from '../model';
import { notFound } from '../errors';
import type { ObjectName } from '../sql/statements';
import { type NameDefaults, resolveObjectName } from './identifiers';
import type { ManagerParts } from './manager-parts';

/** One table as `SHOW TABLES` lists it. */
export interface EngineTableRow {
  readonly database: string;
  readonly name: string;
  /** True when Freshet maintains it as a dynamic table. */
  readonly dynamic: boolean;
}

/** Every table of the namespace's catalog, sorted by database and name. */
export async function listEngineTables(parts: ManagerParts, ns: NameDefaults): Promise<EngineTableRow[]> {
  const engine = parts.namespaces.engineOf(ns.catalogName);
  const dynamicKeys = new Set((await parts.catalog.listTables()).map((t) => t.key));
  const rows = (await engine.listTables()).map((ref) => {
    const database = ref.database ?? engine.defaultDatabase;
    const key = `${ns.catalogName}.${database}.${ref.name}`.toLowerCase();
    return { database, name: ref.name, dynamic: dynamicKeys.has(key) };
  });
  return rows.sort((a, b) => a.database.localeCompare(b.database) || a.name.localeCompare(b.name));
}

/** What `DESCRIBE name` answers: the dynamic table's record when it is one, else the engine's description. */
export type DescribedTable =
  | { readonly kind: 'dynamic'; readonly table: DynamicTableRecord }
  | {
      readonly kind: 'plain';
      readonly identifier: string;
      readonly columns: readonly ColumnInfo[];
      readonly primaryKey: readonly string[];
    };

export async function describeEngineTable(
  parts: ManagerParts,
  name: ObjectName,
  ns: NameDefaults,
): Promise<DescribedTable> {
  const resolved = resolveObjectName(name, ns);
  const dynamic = await parts.catalog.getTable(resolved.key);
  if (dynamic) return { kind: 'dynamic', table: dynamic };
  const engine = parts.namespaces.engineOf(resolved.catalogName);
  const description = await engine.describeTable({ database: resolved.databaseName, name: resolved.tableName });
  // An internal table is described as missing, as SHOW TABLES leaves it out.
  if (!description || resolved.tableName.toLowerCase().startsWith('__freshet')) {
    throw notFound(`Table ${resolved.identifier} does not exist; SHOW TABLES lists the tables.`);
  }
  return { kind: 'plain', identifier: resolved.identifier, ...description };
}
