/**
 * Where the source registry meets the engines (DESIGN.md §10): the tables of registered sources are reflected with
 * the rest, and a source declared with `availability.time_column` is available through `max(<column>)` of its table.
 */
import type { SourceRecord } from '../../model';
import { resolveName, type ResolvedName } from '../identifiers';
import type { ManagerParts } from '../manager-parts';

/** The table a registered source names (`catalog`, `table` as `db.name` or `name`), or null when it names none. */
export function tableOfSource(parts: ManagerParts, source: SourceRecord): ResolvedName | null {
  if (source.tableName === null || source.kind !== 'registered') return null;
  const catalog = source.catalogName ?? parts.namespaces.defaults.catalogName;
  try {
    return resolveName([catalog, ...source.tableName.split('.')], parts.namespaces.defaults);
  } catch {
    return null;
  }
}

/** The keys of the tables registered sources name, for every reflection pass. */
export async function registeredSourceTables(parts: ManagerParts): Promise<string[]> {
  const keys: string[] = [];
  for (const source of await parts.catalog.registry.listSources()) {
    const table = tableOfSource(parts, source);
    if (table !== null) keys.push(table.key);
  }
  return keys;
}

/** `max(column)` of the source's table as ISO-8601 UTC (or as the engine wrote it); null when it cannot be read. */
export async function maxOfTimeColumn(
  parts: ManagerParts,
  source: SourceRecord,
  column: string,
): Promise<string | null> {
  const table = tableOfSource(parts, source);
  if (table === null) return null;
  const engine = parts.namespaces.engineOf(table.catalogName);
  const quote = (name: string) =>
    engine.dialect === 'mysql' ? `\`${name.replace(/`/g, '``')}\`` : `"${name.replace(/"/g, '""')}"`;
  const sql = `SELECT MAX(${quote(column)}) FROM ${quote(table.databaseName)}.${quote(table.tableName)}`;
  try {
    const result = await engine.execute(sql, { rowLimit: 1 });
    const value = result.kind === 'rows' ? result.rows[0]?.[0] : undefined;
    if (value === null || value === undefined) return null;
    if (value instanceof Date) return value.toISOString();
    const parsed = Date.parse(String(value));
    return Number.isNaN(parsed) ? String(value) : new Date(parsed).toISOString();
  } catch {
    return null;
  }
}
