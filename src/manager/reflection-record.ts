/**
 * Records one reading of a reflected table's columns: a new schema version when they differ from the latest one
 * (with its diff, and what it does to each dynamic table that reads the table), the `missing` flag when the table
 * is gone, and the schema drift of each reader the version affects. What the drift then does to a reader (its
 * `on_schema_change`) is decided by {@link applyPolicies}.
 */
import { schemaChangeAlert } from './freshness-alerts';
import type {
  ColumnProblem,
  DependentImpact,
  DriftEntry,
  ImpactKind,
  ReflectedKind,
  SchemaDiff,
  SchemaVersionRecord,
} from '../catalog/schema-version-store';
import type { DynamicTableRecord } from '../catalog/records';
import { messageOf } from '../errors';
import type { ColumnInfo, SqlDialect, TableRef } from '../model';
import { suspendWithDownstream } from './cascades';
import { DependencyGraph } from './dependencies';
import { readsOf } from './impact';
import type { ManagerParts } from './manager-parts';
import { diffColumns, diffSummary, EMPTY_DIFF, fingerprintOf, isEmptyDiff, nextVersion } from './reflection-diff';

/** Why Freshet suspended a table whose source changed in a way that breaks it. */
export const SCHEMA_DRIFT = 'SCHEMA_DRIFT';

/** The table option saying what a breaking change of a source does to a dynamic table. */
export const ON_SCHEMA_CHANGE_OPTION = 'on_schema_change';
export const SCHEMA_CHANGE_POLICIES = ['suspend', 'fail', 'ignore'] as const;

/** A table reflection reads: where it lives and what it is. */
export interface ReflectionTarget {
  readonly key: string;
  readonly identifier: string;
  readonly kind: ReflectedKind;
  readonly catalogName: string;
  readonly ref: TableRef;
  readonly dialect: SqlDialect;
}

/** What one reading recorded. */
export interface Recorded {
  /** The new version, when one was made. */
  readonly version: SchemaVersionRecord | null;
  /** True when the table is missing (newly or still). */
  readonly missing: boolean;
}

const policyOf = (table: DynamicTableRecord) => table.options[ON_SCHEMA_CHANGE_OPTION] ?? 'suspend';
export const versionText = (v: { readonly major: number; readonly minor: number }) => `${v.major}.${v.minor}`;

/** The columns of a reading, without Freshet's own bookkeeping columns. */
export function visibleColumns(columns: readonly ColumnInfo[]): ColumnInfo[] {
  return columns.filter((c) => !c.name.toLowerCase().startsWith('__freshet'));
}

/** Records `columns` (null: the table is gone) as the current reading of `target`. */
export async function recordReading(
  parts: ManagerParts,
  target: ReflectionTarget,
  columns: readonly ColumnInfo[] | null,
  now: Date,
): Promise<Recorded> {
  const store = parts.catalog.schemaVersions;
  const at = now.toISOString();
  const state = await store.state(target.key);
  const base = { tableKey: target.key, identifier: target.identifier, kind: target.kind, checkedAt: at };
  const drift = state?.drift ?? [];
  if (columns === null) {
    const missingSince = state?.missingSince ?? at;
    await store.putState({ ...base, fingerprint: state?.fingerprint ?? null, missingSince, drift });
    if (state?.missingSince == null) {
      parts.logger.warn('reflected table is missing', { table: target.identifier, kind: target.kind });
    }
    return { version: null, missing: true };
  }
  const fingerprint = fingerprintOf(columns);
  const latest = await store.latest(target.key);
  const diff = latest === null ? null : diffColumns(latest.columns, columns, target.dialect);
  await store.putState({ ...base, fingerprint, missingSince: null, drift });
  if (state?.missingSince != null) {
    parts.logger.info('reflected table is back', { table: target.identifier, kind: target.kind });
  }
  if (latest !== null && (latest.fingerprint === fingerprint || (diff !== null && isEmptyDiff(diff)))) {
    return { version: null, missing: false };
  }
  const number = nextVersion(latest, diff ?? EMPTY_DIFF);
  const impacts = latest === null || diff === null ? [] : await impactsOf(parts, target, latest.columns, diff);
  const version: Omit<SchemaVersionRecord, 'id'> = {
    tableKey: target.key,
    identifier: target.identifier,
    kind: target.kind,
    ...number,
    columns,
    diff,
    fingerprint,
    impacts,
    createdAt: at,
  };
  await store.insert(version);
  parts.logger.info('schema version', {
    table: target.identifier,
    kind: target.kind,
    version: versionText(number),
    change: diffSummary(diff),
    ...(impacts.some((i) => i.impact !== 'UNAFFECTED')
      ? { impacts: impacts.filter((i) => i.impact !== 'UNAFFECTED').map((i) => `${i.table} ${i.impact}`) }
      : {}),
  });
  await recordDrift(parts, target, versionText(number), impacts, at);
  return { version: { ...version, id: 0 }, missing: false };
}

/** What the change of `target` from `before` by `diff` does to each dynamic table that reads it directly. */
async function impactsOf(
  parts: ManagerParts,
  target: ReflectionTarget,
  before: readonly ColumnInfo[],
  diff: SchemaDiff,
): Promise<DependentImpact[]> {
  const graph = await DependencyGraph.load(parts.catalog);
  const impacts: DependentImpact[] = [];
  for (const key of graph.downstreamOf(target.key)) {
    const reader = graph.table(key);
    if (reader === undefined) continue;
    const reads = await readsOf(parts, reader, { key: target.key, columns: before });
    const { impact, columns } = classify(reads, diff);
    const policy = policyOf(reader);
    impacts.push({
      table: reader.identifier,
      key: reader.key,
      impact,
      policy,
      action: actionOf(impact, policy, reader),
      columns,
    });
  }
  return impacts;
}

/** UNAFFECTED, ADDITIVE or BREAKING for a reader reading `reads`, with the columns that make it so. */
export function classify(
  reads: { readonly columns: readonly string[]; readonly everything: boolean },
  diff: SchemaDiff,
): { impact: ImpactKind; columns: ColumnProblem[] } {
  const read = new Set(reads.columns.map((c) => c.toLowerCase()));
  const isRead = (name: string) => read.has(name.toLowerCase());
  const breaking: ColumnProblem[] = [
    ...diff.dropped.filter((c) => isRead(c.name)).map((c) => ({ column: c.name, change: 'dropped' })),
    ...diff.renamed.filter((r) => isRead(r.from)).map((r) => ({ column: r.from, change: `renamed to ${r.to}` })),
    ...diff.changed
      .filter((c) => c.change !== 'widened' && isRead(c.column))
      .map((c) => ({
        column: c.column,
        change: `${c.change} from ${c.from || '(no type)'} to ${c.to || '(no type)'}`,
      })),
  ];
  if (breaking.length > 0) return { impact: 'BREAKING', columns: breaking };
  const additive: ColumnProblem[] = [
    ...diff.changed
      .filter((c) => c.change === 'widened' && isRead(c.column))
      .map((c) => ({ column: c.column, change: `widened from ${c.from} to ${c.to}` })),
    ...(reads.everything ? diff.added.map((c) => ({ column: c.name, change: 'added' })) : []),
  ];
  return additive.length > 0 ? { impact: 'ADDITIVE', columns: additive } : { impact: 'UNAFFECTED', columns: [] };
}

function actionOf(impact: ImpactKind, policy: string, reader: DynamicTableRecord): string {
  if (impact !== 'BREAKING') return 'none';
  if (policy === 'ignore') return 'ignored';
  if (policy === 'fail') return 'refreshes fail';
  return reader.refreshStatus === 'ACTIVATED' ? 'suspended' : 'none (already suspended)';
}

/** Adds each affected reader's drift to its state; an ADDITIVE drift replaces the reader's earlier one of the source. */
async function recordDrift(
  parts: ManagerParts,
  target: ReflectionTarget,
  version: string,
  impacts: readonly DependentImpact[],
  at: string,
): Promise<void> {
  const store = parts.catalog.schemaVersions;
  for (const impact of impacts) {
    if (impact.impact === 'UNAFFECTED') continue;
    const state = await store.state(impact.key);
    const entry: DriftEntry = {
      source: target.identifier,
      sourceKey: target.key,
      version,
      impact: impact.impact,
      policy: impact.policy,
      columns: impact.columns,
      detectedAt: at,
    };
    const kept = (state?.drift ?? []).filter((d) => !(d.sourceKey === target.key && d.impact === 'ADDITIVE'));
    await store.putState({
      tableKey: impact.key,
      identifier: impact.table,
      kind: 'dynamic',
      fingerprint: state?.fingerprint ?? null,
      missingSince: state?.missingSince ?? null,
      checkedAt: state?.checkedAt ?? at,
      drift: [...kept, entry],
    });
  }
}

/**
 * Suspends (with SCHEMA_DRIFT, and their downstream with UPSTREAM_SUSPENDED) the active readers a new version
 * breaks whose `on_schema_change` is `suspend`; returns the identifiers suspended. `fail` readers stay active
 * (their refreshes fail, see reflection-check.ts), `ignore` readers are left alone.
 */
export async function applyPolicies(parts: ManagerParts, version: SchemaVersionRecord): Promise<string[]> {
  const suspended: string[] = [];
  for (const impact of version.impacts) {
    if (impact.impact !== 'BREAKING') continue;
    const change = impact.columns.map((c) => `${c.column} ${c.change}`).join(', ');
    parts.alerts.notify(
      schemaChangeAlert(
        impact.table,
        `${version.identifier} changed (schema version ${versionText(version)}): ${change}; on_schema_change = ` +
          `${impact.policy}`,
        version.createdAt,
      ),
    );
    if (impact.policy !== 'suspend') continue;
    const table = await parts.catalog.getTable(impact.key);
    if (table === null || table.refreshStatus !== 'ACTIVATED') continue;
    try {
      const downstream = await suspendWithDownstream(parts, table, SCHEMA_DRIFT);
      suspended.push(table.identifier, ...downstream.map((t) => t.identifier));
      parts.logger.warn('dynamic table suspended: a table it reads changed', {
        table: table.identifier,
        source: version.identifier,
        version: versionText(version),
        reason: SCHEMA_DRIFT,
        columns: impact.columns.map((c) => `${c.column} ${c.change}`),
        ...(downstream.length > 0 ? { upstreamSuspended: downstream.map((t) => t.identifier) } : {}),
      });
    } catch (error) {
      parts.logger.warn('suspending a dynamic table for schema drift failed', {
        table: table.identifier,
        error: messageOf(error),
      });
    }
  }
  return suspended;
}
