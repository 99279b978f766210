/**
 * What users read of reflection: a table's schema versions (`GET /v3/tables/{id}/schema-versions`, `SHOW SCHEMA
 * HISTORY OF t`), and what `GET /v3/dynamic-tables/{id}` adds to a dynamic table: its availability and its
 * schema drift.
 */
import type { DynamicTableRecord } from '../catalog/records';
import type { DependentImpact, DriftEntry, SchemaDiff } from '../catalog/schema-version-store';
import { notFound } from '../errors';
import type { ColumnInfo, SqlDialect } from '../model';
import { type NameDefaults, resolveName, splitIdentifierText } from './identifiers';
import type { ManagerParts } from './manager-parts';
import { diffSummary } from './reflection-diff';
import type { ReflectionSummary } from './reflection';
import { versionText } from './reflection-record';

export interface SchemaVersionView {
  readonly version: string;
  readonly createdAt: string;
  /** `added region text; dropped amount`, or `first version`. */
  readonly change: string;
  readonly columns: readonly ColumnInfo[];
  readonly diff: SchemaDiff | null;
  readonly fingerprint: string;
  /** What the version did to each dynamic table reading the table. */
  readonly impacts: readonly DependentImpact[];
}

export interface SchemaHistoryView {
  readonly table: string;
  readonly kind: string;
  readonly missing: boolean;
  readonly missingSince: string | null;
  readonly checkedAt: string | null;
  /** Newest first. */
  readonly versions: readonly SchemaVersionView[];
}

/**
 * How complete a dynamic table's data is. `readyThrough` (from the source registry) is to join these fields;
 * every field is null when unknown.
 */
export interface AvailabilityView {
  /** All source data up to it is in the table (the newest successful refresh's data timestamp). */
  readonly validThrough: string | null;
  /** The end of the gapless run of windows it published as ready (the source registry), or null. */
  readonly readyThrough: string | null;
  /** The smallest and largest value of the table's temporal partition column, for a partitioned table. */
  readonly minTemporalPartition: string | null;
  readonly maxTemporalPartition: string | null;
  /** How many partitions the table holds (distinct values of that column). */
  readonly partitions: number | null;
}

/** What reflection adds to a dynamic table's detail. */
export interface ReflectionDetail {
  readonly availability: AvailabilityView;
  /** Changes of the tables it reads that affect it (ADDITIVE or BREAKING), oldest first; absent when none. */
  readonly schemaDrift?: readonly DriftEntry[];
}

export async function schemaHistory(
  parts: ManagerParts,
  text: string,
  ns: NameDefaults = parts.namespaces.defaults,
): Promise<SchemaHistoryView> {
  const name = resolveName(splitIdentifierText(text), ns);
  const store = parts.catalog.schemaVersions;
  const [state, versions] = [await store.state(name.key), await store.versions(name.key)];
  if (versions.length === 0) {
    throw notFound(
      `Table ${name.identifier} has no schema versions: Freshet reflects dynamic tables and the tables they read ` +
        '(POST /v3/reflection/run or ALTER DYNAMIC TABLE … REFLECT reflects them now).',
    );
  }
  return {
    table: versions[0]?.identifier ?? name.identifier,
    kind: versions[0]?.kind ?? 'source',
    missing: state?.missingSince != null,
    missingSince: state?.missingSince ?? null,
    checkedAt: state?.checkedAt ?? null,
    versions: versions.map((v) => ({
      version: versionText(v),
      createdAt: v.createdAt,
      change: diffSummary(v.diff),
      columns: v.columns,
      diff: v.diff,
      fingerprint: v.fingerprint,
      impacts: v.impacts,
    })),
  };
}

/** The rows of `SHOW SCHEMA HISTORY OF t`, newest first. */
export const SCHEMA_HISTORY_COLUMNS = ['version', 'created_at', 'change', 'columns', 'impacts', 'missing'];

export function schemaHistoryRows(view: SchemaHistoryView): unknown[][] {
  return view.versions.map((v, i) => [
    v.version,
    v.createdAt,
    v.change,
    v.columns.map((c) => `${c.name} ${c.type || '(no type)'}`).join(', '),
    v.impacts
      .filter((impact) => impact.impact !== 'UNAFFECTED')
      .map((impact) => `${impact.table} ${impact.impact} (${impact.action})`)
      .join('; ') || null,
    i === 0 && view.missing ? `missing since ${view.missingSince}` : null,
  ]);
}

const PARTITION_OPTION = /^partition\.fields\.(.+)\.date-formatter$/;

function quoteName(name: string, dialect: SqlDialect): string {
  return dialect === 'mysql' ? `\`${name.replace(/`/g, '``')}\`` : `"${name.replace(/"/g, '""')}"`;
}

function textOf(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  return value instanceof Date ? value.toISOString() : String(value);
}

/** The table's availability; its partitions in one query on its engine (nulls when that fails). */
export async function availabilityOf(
  parts: ManagerParts,
  table: DynamicTableRecord,
  validThrough: string | null,
): Promise<AvailabilityView> {
  const source = await parts.catalog.registry.getSource(table.key);
  const readyThrough = source === null ? null : await parts.registry.readyThrough(table.key).catch(() => null);
  const none = { validThrough, readyThrough, minTemporalPartition: null, maxTemporalPartition: null, partitions: null };
  const column = Object.keys(table.options)
    .map((key) => PARTITION_OPTION.exec(key)?.[1])
    .find((c): c is string => c !== undefined);
  if (column === undefined) return none;
  const engine = parts.namespaces.engineOf(table.catalogName);
  const q = (name: string) => quoteName(name, engine.dialect);
  const sql =
    `SELECT MIN(${q(column)}), MAX(${q(column)}), COUNT(DISTINCT ${q(column)}) ` +
    `FROM ${q(table.databaseName)}.${q(table.tableName)}`;
  try {
    const result = await engine.execute(sql, { rowLimit: 1 });
    const row = result.kind === 'rows' ? result.rows[0] : undefined;
    if (row === undefined) return none;
    return {
      validThrough,
      readyThrough,
      minTemporalPartition: textOf(row[0]),
      maxTemporalPartition: textOf(row[1]),
      partitions: Number(row[2] ?? 0),
    };
  } catch {
    return none;
  }
}

export async function reflectionDetail(
  parts: ManagerParts,
  table: DynamicTableRecord,
  validThrough: string | null,
): Promise<ReflectionDetail> {
  const availability = await availabilityOf(parts, table, validThrough);
  const drift = (await parts.catalog.schemaVersions.state(table.key))?.drift ?? [];
  return { availability, ...(drift.length > 0 ? { schemaDrift: drift } : {}) };
}

/** What `ALTER DYNAMIC TABLE t REFLECT` answers: what was read, the new versions, what is missing, what broke. */
export function reflectionMessage(identifier: string, summary: ReflectionSummary): string {
  const versions =
    summary.versionsCreated.length === 0
      ? 'no schema changed'
      : summary.versionsCreated.map((v) => `${v.table} is now version ${v.version} (${v.change})`).join('; ');
  const affected = summary.impacts
    .filter((i) => i.impact !== 'UNAFFECTED')
    .map((i) => `${i.table} ${i.impact} (${i.columns.join(', ')}; ${i.action})`);
  return (
    `Reflected ${summary.tablesReflected} table${summary.tablesReflected === 1 ? '' : 's'} for ${identifier}: ` +
    `${versions}.` +
    (summary.missing.length > 0 ? ` Missing: ${summary.missing.join(', ')}.` : '') +
    (affected.length > 0 ? ` Dependents: ${affected.join('; ')}.` : '') +
    (summary.errors.length > 0 ? ` Not read: ${summary.errors.map((e) => `${e.table} (${e.error})`).join('; ')}.` : '')
  );
}
