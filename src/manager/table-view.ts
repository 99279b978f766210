/** The shapes in which dynamic tables, jobs and refreshes are shown to users (REST and SQL alike). */
import type { DynamicTableRecord, HistoryRecord, JobRecord } from '../catalog/records';
import type { RefreshAction } from '../engine/engine';
import type { GuardReport, GuardResolution, WaitingOn } from '../model';
import { expectationSql, type GuardsView, guardsView } from './guard-view';
import type { NodeKind } from './dependencies';
import { formatFreshness } from '../freshness';
import { nextFireTime } from '../freshness/cron';
import type { IncrementalPlanResult } from '../sql/incremental-plan';

export interface RefreshView {
  readonly jobId: string;
  readonly table: string;
  readonly trigger: string;
  readonly scheduleTime: string;
  readonly partition: Readonly<Record<string, string>> | null;
  readonly state: string;
  /** Rows inserted; -1 when the engine cannot tell (a remote batch job). */
  readonly rowsWritten: number | null;
  readonly rowsDeleted: number | null;
  /** What the refresh did; null while it has not succeeded, and for refreshes recorded before Freshet kept it. */
  readonly action: RefreshAction | null;
  /** Why a table maintained incrementally was refreshed fully this time. */
  readonly actionDetail: string | null;
  /** All source data up to it is in the table (a successful refresh that vouches for the whole table). */
  readonly dataTimestamp: string | null;
  /** What a gated refresh waits (or waited) for: the sources not ready for its window. */
  readonly waitingOn: WaitingOn | null;
  /**
   * `NOT_READY` for a window skipped or failed because its sources were not ready; `PUBLISH_BLOCKED` for a result a
   * publish guard kept from replacing the table.
   */
  readonly errorCode: string | null;
  /** Each publish guard's verdict, with what it observed and expected; null when none were judged. */
  readonly guards: GuardReport | null;
  /** What an operator did with a blocked result (PUBLISHED, DISCARDED), by whom and when; null while undecided. */
  readonly resolution: GuardResolution | null;
  readonly resolvedBy: string | null;
  readonly resolvedAt: string | null;
  readonly startedAt: string | null;
  readonly finishedAt: string | null;
  readonly error: string | null;
}

export function refreshView(h: HistoryRecord): RefreshView {
  return {
    jobId: h.jobId,
    table: h.identifier,
    trigger: h.trigger,
    scheduleTime: h.scheduleTime,
    partition: h.partition,
    state: h.state,
    rowsWritten: h.rowsWritten,
    rowsDeleted: h.rowsDeleted,
    action: h.action,
    actionDetail: h.actionDetail,
    dataTimestamp: h.dataTimestamp,
    waitingOn: h.waitingOn,
    errorCode: h.errorCode,
    guards: h.guardReport,
    resolution: h.resolution,
    resolvedBy: h.resolvedBy,
    resolvedAt: h.resolvedAt,
    startedAt: h.startedAt,
    finishedAt: h.finishedAt,
    error: h.error,
  };
}

/** The newest refresh of a table in brief: where a failure shows in lists, SHOW and DESCRIBE. */
export interface LastRefreshBrief {
  readonly state: string;
  /** When it finished (or started, while it runs; or was scheduled for, while it waits). */
  readonly at: string;
  readonly error: string | null;
}

export function lastRefreshBrief(h: HistoryRecord | null): LastRefreshBrief | null {
  if (!h) return null;
  return { state: h.state, at: h.finishedAt ?? h.startedAt ?? h.scheduleTime, error: h.error };
}

/** How long the error column of SHOW DYNAMIC TABLES may be; the whole text is in GET and DESCRIBE. */
export const SHORT_ERROR_LENGTH = 80;

export function shortError(error: string | null): string | null {
  if (error === null) return null;
  const flat = error.replace(/\s+/g, ' ').trim();
  return flat.length <= SHORT_ERROR_LENGTH ? flat : `${flat.slice(0, SHORT_ERROR_LENGTH - 1)}…`;
}

export interface TableSummary {
  readonly identifier: string;
  readonly name: string;
  /** The engine of the table's catalog (`sqlite`, `postgres`, …). */
  readonly engine: string;
  readonly refreshMode: string;
  readonly refreshStatus: string;
  readonly freshness: string;
  /** The data timestamp of the newest successful refresh: all source data up to it is in the table. */
  readonly validThrough: string | null;
  /** The same instant, under Snowflake's name for it. */
  readonly dataTimestamp: string | null;
  readonly lagSeconds: number | null;
  /** Why Freshet suspended the table itself (`SUSPENDED_DUE_TO_ERRORS`, `UPSTREAM_SUSPENDED`); null otherwise. */
  readonly suspendedReason: string | null;
  readonly lastRefresh: LastRefreshBrief | null;
  /** When the table's schedule next fires (FULL, activated tables with a schedule); null otherwise. */
  readonly nextRun: string | null;
}

/** Where a dynamic table's rows live. */
export interface TableLocation {
  readonly catalog: string;
  readonly database: string;
  readonly table: string;
  readonly engine: string;
}

/** Whether a table's query could be maintained incrementally, and what actually runs. */
export interface IncrementalView {
  readonly eligible: boolean;
  /** The query's shape when eligible (`projectFilter`, `innerJoin`, `aggregate`, `distinct`, `unionAll`). */
  readonly shape?: string;
  /** Why not, when not eligible (`OUTER_JOIN_NOT_SUPPORTED`, `WINDOW_FUNCTION`, …). */
  readonly reason?: string;
  readonly detail: string;
  /**
   * What refreshes do: INCREMENTAL applies the sources' captured changes (the first refresh, and any that
   * cannot trust the changes, recompute fully and say why in the history); FULL recomputes the whole table.
   */
  readonly applied: 'INCREMENTAL' | 'FULL';
  /** Why refreshes are full although the query could be maintained incrementally. */
  readonly appliedReason?: string;
}

/** A table next to another in the dependency graph: dynamic tables by identifier, sources by key. */
export interface NeighbourView {
  readonly id: string;
  readonly kind: NodeKind;
}

/** A table's direct neighbours: what it reads, and the dynamic tables that read it. */
export interface Neighbours {
  readonly upstream: readonly NeighbourView[];
  readonly downstream: readonly NeighbourView[];
}

export interface TableDetail {
  readonly identifier: string;
  readonly location: TableLocation;
  readonly incremental: IncrementalView;
  readonly definitionQuery: string;
  readonly freshness: { readonly interval: number; readonly unit: string; readonly text: string };
  readonly logicalRefreshMode: string;
  readonly refreshMode: string;
  readonly refreshStatus: string;
  readonly partitionKeys: readonly string[];
  readonly options: Readonly<Record<string, string>>;
  readonly schema: ReadonlyArray<{ readonly name: string; readonly type: string; readonly nullable: boolean }>;
  readonly primaryKey: readonly string[] | null;
  /** What refuses a refresh's result before it replaces the table: `guard.*` options and row expectations. */
  readonly guards: GuardsView;
  readonly comment: string | null;
  readonly sourceTables: readonly string[];
  readonly upstream: readonly NeighbourView[];
  readonly downstream: readonly NeighbourView[];
  readonly scheduler: {
    readonly type: string | null;
    readonly cron: string | null;
    readonly handler: unknown;
    /** When the schedule next fires, in the gateway's time zone's reading of the cron; null when it does not. */
    readonly nextRun: string | null;
  };
  readonly validThrough?: string;
  readonly dataTimestamp?: string;
  readonly lagSeconds?: number;
  /** The newest refresh, with `at`: when it finished (or started, or was scheduled for). */
  readonly lastRefresh?: RefreshView & { readonly at: string };
  /** Why Freshet suspended the table itself (`SUSPENDED_DUE_TO_ERRORS`, `UPSTREAM_SUSPENDED`); null otherwise. */
  readonly suspendedReason: string | null;
  readonly createdAt: string;
  readonly updatedAt: string;
}

/**
 * Valid-through is the data timestamp of the newest successful refresh (DESIGN.md §9): never later than the data
 * of an upstream dynamic table it read. Lag is how far behind now it is.
 */
export function freshnessState(
  lastSuccess: HistoryRecord | null,
  now: Date,
): { validThrough?: string; dataTimestamp?: string; lagSeconds?: number } {
  const stamp = lastSuccess?.dataTimestamp ?? null;
  if (stamp === null) return {};
  const lag = Math.max(0, Math.floor((now.getTime() - Date.parse(stamp)) / 1000));
  return { validThrough: stamp, dataTimestamp: stamp, lagSeconds: lag };
}

/**
 * When a table's scheduled refresh next fires: its cron read in the gateway's time zone, as the embedded scheduler
 * reads it (an external scheduler given the same cron fires at the same instants). Null for a suspended or
 * continuous table, and for one without a schedule.
 */
export function nextRunOf(t: DynamicTableRecord, now: Date, timeZone: string): string | null {
  if (t.refreshStatus !== 'ACTIVATED' || t.refreshMode !== 'FULL' || t.cron === null) return null;
  try {
    return nextFireTime(t.cron, now, timeZone).toISOString();
  } catch {
    return null;
  }
}

export function tableDetail(
  t: DynamicTableRecord,
  engine: string,
  incremental: IncrementalView,
  lastSuccess: HistoryRecord | null,
  last: HistoryRecord | null,
  now: Date,
  neighbours: Neighbours,
  timeZone: string,
): TableDetail {
  return {
    identifier: t.identifier,
    location: { catalog: t.catalogName, database: t.databaseName, table: t.tableName, engine },
    incremental,
    definitionQuery: t.definitionQuery,
    freshness: { interval: t.freshness.interval, unit: t.freshness.unit, text: formatFreshness(t.freshness) },
    logicalRefreshMode: t.logicalRefreshMode,
    refreshMode: t.refreshMode,
    refreshStatus: t.refreshStatus,
    partitionKeys: t.partitionKeys,
    options: t.options,
    schema: t.schema.map((c) => ({ name: c.name, type: c.type, nullable: c.nullable })),
    primaryKey: t.primaryKey ? t.primaryKey.columns : null,
    guards: guardsView(t),
    comment: t.comment,
    sourceTables: t.sourceTables,
    upstream: neighbours.upstream,
    downstream: neighbours.downstream,
    // A streaming engine's job is shown where the workflow of a scheduled table is.
    scheduler: {
      type: t.schedulerType,
      cron: t.cron,
      handler: t.continuousJob ? { continuousJob: t.continuousJob } : t.refreshHandler,
      nextRun: nextRunOf(t, now, timeZone),
    },
    ...freshnessState(lastSuccess, now),
    ...(last ? { lastRefresh: { ...refreshView(last), at: lastRefreshBrief(last)?.at ?? last.scheduleTime } } : {}),
    suspendedReason: t.suspendedReason ?? null,
    createdAt: t.createdAt,
    updatedAt: t.updatedAt,
  };
}

export interface JobTableView {
  readonly table: string;
  readonly status: string;
  readonly partition?: Readonly<Record<string, string>>;
  /** Rows inserted; -1 when the engine cannot tell. */
  readonly rowsWritten?: number;
  readonly rowsDeleted?: number;
  /** What the refresh did, once it has succeeded. */
  readonly action?: RefreshAction;
  readonly actionDetail?: string;
  readonly dataTimestamp?: string;
  readonly waitingOn?: WaitingOn;
  readonly errorCode?: string;
  /** Each publish guard's verdict, once the result was judged. */
  readonly guards?: GuardReport;
  readonly resolution?: GuardResolution;
  readonly resolvedBy?: string;
  readonly resolvedAt?: string;
  readonly startedAt?: string;
  readonly finishedAt?: string;
  readonly error?: string;
}

export interface JobDetail {
  readonly jobId: string;
  readonly status: string;
  readonly trigger: string;
  readonly attempt: number;
  readonly scheduleTime: string;
  readonly isPeriodic: boolean;
  readonly tables: readonly JobTableView[];
  readonly clusterInfo: Readonly<Record<string, string>>;
  readonly createdAt: string;
  readonly startedAt?: string;
  readonly finishedAt?: string;
  readonly error?: string;
}

export function jobDetail(job: JobRecord, history: readonly HistoryRecord[]): JobDetail {
  const tables = history.map((h) => {
    const view: Record<string, unknown> = { table: h.identifier, status: h.state };
    if (h.partition) view.partition = h.partition;
    if (h.rowsWritten !== null) view.rowsWritten = h.rowsWritten;
    if (h.rowsDeleted !== null) view.rowsDeleted = h.rowsDeleted;
    if (h.action !== null) view.action = h.action;
    if (h.actionDetail !== null) view.actionDetail = h.actionDetail;
    if (h.dataTimestamp !== null) view.dataTimestamp = h.dataTimestamp;
    if (h.waitingOn !== null) view.waitingOn = h.waitingOn;
    if (h.errorCode !== null) view.errorCode = h.errorCode;
    if (h.guardReport !== null) view.guards = h.guardReport;
    if (h.resolution !== null) view.resolution = h.resolution;
    if (h.resolvedBy !== null) view.resolvedBy = h.resolvedBy;
    if (h.resolvedAt !== null) view.resolvedAt = h.resolvedAt;
    if (h.startedAt) view.startedAt = h.startedAt;
    if (h.finishedAt) view.finishedAt = h.finishedAt;
    if (h.error) view.error = h.error;
    return view as unknown as JobTableView;
  });
  return {
    jobId: job.jobId,
    status: job.status,
    trigger: job.trigger,
    attempt: job.attempt,
    scheduleTime: job.scheduleTime,
    isPeriodic: job.isPeriodic,
    tables,
    clusterInfo: job.clusterInfo,
    createdAt: job.createdAt,
    ...(job.startedAt ? { startedAt: job.startedAt } : {}),
    ...(job.finishedAt ? { finishedAt: job.finishedAt } : {}),
    ...(job.error ? { error: job.error } : {}),
  };
}

const quoteIdent = (name: string) => (/^[A-Za-z_][A-Za-z0-9_$]*$/.test(name) ? name : `"${name.replace(/"/g, '""')}"`);
const quoteString = (text: string) => `'${text.replace(/'/g, "''")}'`;

/** The CREATE statement that makes this table again, with the deduced freshness and refresh mode spelled out. */
export function showCreate(t: DynamicTableRecord): string {
  const lines = [`CREATE DYNAMIC TABLE ${[t.catalogName, t.databaseName, t.tableName].map(quoteIdent).join('.')}`];
  const explicitColumns = t.columnMapping.some((m) => m.source !== m.target);
  const expectations = t.expectations ?? [];
  if (explicitColumns || t.primaryKey || expectations.length > 0) {
    const parts = explicitColumns ? t.columnMapping.map((m) => `  ${quoteIdent(m.target)}`) : [];
    if (t.primaryKey) {
      const name = t.primaryKey.constraintName ? `CONSTRAINT ${quoteIdent(t.primaryKey.constraintName)} ` : '';
      parts.push(
        `  ${name}PRIMARY KEY ` +
          `(${t.primaryKey.columns.map(quoteIdent).join(', ')})${t.primaryKey.enforced ? '' : ' NOT ENFORCED'}`,
      );
    }
    for (const expectation of expectations) parts.push(`  ${expectationSql(expectation, quoteIdent)}`);
    lines.push(`(\n${parts.join(',\n')}\n)`);
  }
  if (t.comment !== null) lines.push(`COMMENT ${quoteString(t.comment)}`);
  if (t.partitionKeys.length > 0) lines.push(`PARTITIONED BY (${t.partitionKeys.map(quoteIdent).join(', ')})`);
  const options = Object.entries(t.options);
  if (options.length > 0)
    lines.push(`WITH (\n${options.map(([k, v]) => `  ${quoteString(k)} = ${quoteString(v)}`).join(',\n')}\n)`);
  lines.push(`FRESHNESS = ${formatFreshness(t.freshness)}`);
  lines.push(`REFRESH_MODE = ${t.refreshMode}`);
  lines.push(`AS ${t.definitionQuery}`);
  return lines.join('\n');
}

/** The view of a query's incremental plan; `fullBecause` says why an eligible query is still refreshed fully. */
export function incrementalView(planned: IncrementalPlanResult, fullBecause: string | null): IncrementalView {
  if (!planned.incremental) {
    return {
      eligible: false,
      reason: planned.reason,
      detail: `${planned.detail}; every refresh recomputes the whole table.`,
      applied: 'FULL',
    };
  }
  const shape = planned.plan.shape.kind;
  if (fullBecause !== null) {
    return {
      eligible: true,
      shape,
      detail:
        `The query has a shape Freshet can maintain incrementally (${shape}), but every refresh recomputes ` +
        `the whole table: ${fullBecause}.`,
      applied: 'FULL',
      appliedReason: fullBecause,
    };
  }
  return {
    eligible: true,
    shape,
    detail:
      `The query is maintained incrementally (${shape}): each refresh applies the changes captured on its ` +
      `sources.`,
    applied: 'INCREMENTAL',
  };
}
