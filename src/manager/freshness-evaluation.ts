/**
 * What the freshness monitor decides (DESIGN.md §12), as pure functions of what the catalog holds: each dynamic
 * table's state by its lag (now − valid-through) against its thresholds, and, when it is not fresh, the cause
 * Freshet can name. The monitor gathers the inputs in a few queries for all tables at once.
 */
import type { DynamicTableRecord, HistoryRecord } from '../catalog/records';
import { describeSeconds } from '../freshness';
import { type FreshnessThresholds, tableThresholds } from './freshness-sla';
import type { DriftReport } from './scheduler-drift';

export type FreshnessState = 'FRESH' | 'WARN' | 'STALE' | 'UNKNOWN' | 'PAUSED';

/** Worst first: the order `GET /v3/freshness` and SHOW FRESHNESS list tables in. */
export const STATE_ORDER: readonly FreshnessState[] = ['STALE', 'WARN', 'UNKNOWN', 'PAUSED', 'FRESH'];

/**
 * Why a table is not fresh. `kind` is one of `refreshFailed`, `upstreamFailed`, `upstreamStale`,
 * `waitingForReadiness`, `blockedByGuard`, `workflowMissing`, `workflowPaused`, `refreshSlow`, `suspended`,
 * `neverRefreshed` or `notRefreshed`; the other fields depend on it.
 */
export interface FreshnessCause {
  readonly kind: string;
  readonly message: string;
  readonly [detail: string]: unknown;
}

export interface TableFreshness {
  readonly table: string;
  readonly key: string;
  readonly state: FreshnessState;
  readonly lagSeconds: number | null;
  readonly targetLagSeconds: number;
  readonly warnAfterSeconds: number;
  readonly errorAfterSeconds: number;
  readonly validThrough: string | null;
  /** When the table entered this state, as the monitor recorded it; null before it has. */
  readonly since: string | null;
  readonly cause: FreshnessCause | null;
}

/** What one evaluation reads: everything comes from a few catalog queries covering all tables. */
export interface FreshnessInputs {
  readonly tables: readonly DynamicTableRecord[];
  /** Valid-through by table key. */
  readonly validThrough: ReadonlyMap<string, string>;
  /** Each table's newest refresh that is not pending or running. */
  readonly settled: ReadonlyMap<string, HistoryRecord>;
  /** The last scheduler drift check, if one ran. */
  readonly drift: DriftReport | null;
  readonly now: Date;
}

interface Base {
  readonly table: DynamicTableRecord;
  readonly state: FreshnessState;
  readonly lagSeconds: number | null;
  readonly validThrough: string | null;
  readonly thresholds: FreshnessThresholds;
}

/** Lag and state of each table, without causes. */
export function baseStates(inputs: FreshnessInputs): Map<string, Base> {
  const states = new Map<string, Base>();
  for (const table of inputs.tables) {
    const thresholds = tableThresholds(table);
    const validThrough = inputs.validThrough.get(table.key) ?? null;
    const lagSeconds =
      validThrough === null ? null : Math.max(0, Math.floor((inputs.now.getTime() - Date.parse(validThrough)) / 1000));
    states.set(table.key, {
      table,
      state: stateOf(table, lagSeconds, thresholds),
      lagSeconds,
      validThrough,
      thresholds,
    });
  }
  return states;
}

function stateOf(table: DynamicTableRecord, lag: number | null, t: FreshnessThresholds): FreshnessState {
  if (table.refreshStatus === 'SUSPENDED') return 'PAUSED';
  if (lag === null) return 'UNKNOWN';
  if (lag <= t.warnSeconds) return 'FRESH';
  return lag > t.errorSeconds ? 'STALE' : 'WARN';
}

/**
 * Keys of the tables whose cause may be slow refreshes: late, with no other cause to name, and whose last refresh
 * took more than half their freshness (only then are their recent durations worth reading).
 */
export function needsDurations(inputs: FreshnessInputs, states: ReadonlyMap<string, Base>): string[] {
  return [...states.values()]
    .filter((b) => (b.state === 'WARN' || b.state === 'STALE') && causeBeforeDurations(b, inputs, states) === null)
    .filter((b) => {
      const last = inputs.settled.get(b.table.key);
      return last !== undefined && durationSeconds(last) * 2 > b.thresholds.targetSeconds;
    })
    .map((b) => b.table.key);
}

function durationSeconds(h: HistoryRecord): number {
  if (h.startedAt === null || h.finishedAt === null) return 0;
  return (Date.parse(h.finishedAt) - Date.parse(h.startedAt)) / 1000;
}

/**
 * Every table's freshness with its cause. `recent` holds the newest successful refreshes of the tables
 * {@link needsDurations} named; `since` each table's newest recorded transition.
 */
export function evaluate(
  inputs: FreshnessInputs,
  states: ReadonlyMap<string, Base>,
  recent: ReadonlyMap<string, readonly HistoryRecord[]>,
  since: ReadonlyMap<string, { readonly state: string; readonly at: string }>,
): TableFreshness[] {
  const out: TableFreshness[] = [];
  for (const base of states.values()) {
    const { table, state, thresholds } = base;
    const recorded = since.get(table.key);
    out.push({
      table: table.identifier,
      key: table.key,
      state,
      lagSeconds: base.lagSeconds,
      targetLagSeconds: thresholds.targetSeconds,
      warnAfterSeconds: thresholds.warnSeconds,
      errorAfterSeconds: thresholds.errorSeconds,
      validThrough: base.validThrough,
      since: recorded?.state === state ? recorded.at : null,
      cause: causeOf(base, inputs, states, recent.get(table.key) ?? []),
    });
  }
  return out.sort(worstFirst);
}

export function worstFirst(a: TableFreshness, b: TableFreshness): number {
  const byState = STATE_ORDER.indexOf(a.state) - STATE_ORDER.indexOf(b.state);
  if (byState !== 0) return byState;
  const byLag = (b.lagSeconds ?? -1) - (a.lagSeconds ?? -1);
  if (byLag !== 0) return byLag;
  return a.table < b.table ? -1 : a.table > b.table ? 1 : 0;
}

function causeOf(
  base: Base,
  inputs: FreshnessInputs,
  states: ReadonlyMap<string, Base>,
  recent: readonly HistoryRecord[],
): FreshnessCause | null {
  if (base.state === 'FRESH') return null;
  if (base.state === 'PAUSED') return suspendedCause(base.table, states);
  const cause = causeBeforeDurations(base, inputs, states);
  if (cause !== null) return cause;
  if (base.state === 'UNKNOWN') return { kind: 'neverRefreshed', message: 'No refresh has succeeded yet.' };
  return slowCause(base, recent) ?? notRefreshedCause(base, inputs);
}

/** The causes Freshet can name from the refresh history, the graph and the scheduler, in order of precedence. */
function causeBeforeDurations(
  base: Base,
  inputs: FreshnessInputs,
  states: ReadonlyMap<string, Base>,
): FreshnessCause | null {
  return (
    historyCause(inputs.settled.get(base.table.key)) ??
    upstreamCause(base.table, states) ??
    schedulerCause(base.table, inputs.drift)
  );
}

function historyCause(last: HistoryRecord | undefined): FreshnessCause | null {
  if (last === undefined) return null;
  const at = last.finishedAt ?? last.startedAt ?? last.scheduleTime;
  switch (last.state as string) {
    case 'FAILED':
      return {
        kind: 'refreshFailed',
        message: `The last refresh failed: ${last.error ?? 'no error recorded'}`,
        error: last.error,
        errorCode: last.errorCode,
        at,
        jobId: last.jobId,
      };
    case 'UPSTREAM_FAILED': {
      const upstream = /upstream table (\S+) failed/.exec(last.error ?? '')?.[1] ?? null;
      return {
        kind: 'upstreamFailed',
        message: last.error ?? 'The refresh of an upstream table failed.',
        upstream,
        at,
        jobId: last.jobId,
      };
    }
    case 'WAITING':
      return {
        kind: 'waitingForReadiness',
        message: `A refresh is waiting for its sources to be ready: ${waitingText(last)}.`,
        waitingOn: last.waitingOn,
        since: last.scheduleTime,
        jobId: last.jobId,
      };
    case 'BLOCKED':
      return {
        kind: 'blockedByGuard',
        message: `The last refresh was blocked by a publish guard: ${last.error ?? ''}`.trim(),
        error: last.error,
        at,
        jobId: last.jobId,
      };
    default:
      return null;
  }
}

function waitingText(h: HistoryRecord): string {
  const names = (h.waitingOn?.sources ?? []).map((s) => s.source);
  return names.length > 0 ? names.join(', ') : 'its sources';
}

/** The worst upstream dynamic table that is not fresh itself. */
function upstreamCause(table: DynamicTableRecord, states: ReadonlyMap<string, Base>): FreshnessCause | null {
  const late = table.sourceTables
    .map((key) => states.get(key))
    .filter((b): b is Base => b !== undefined && b.state !== 'FRESH')
    .sort((a, b) => STATE_ORDER.indexOf(a.state) - STATE_ORDER.indexOf(b.state));
  const worst = late[0];
  if (worst === undefined) return null;
  const lag = worst.lagSeconds === null ? 'never refreshed' : `lag ${describeSeconds(worst.lagSeconds)}`;
  return {
    kind: 'upstreamStale',
    message: `Its upstream table ${worst.table.identifier} is ${worst.state} (${lag}).`,
    upstream: worst.table.identifier,
    upstreamState: worst.state,
  };
}

function schedulerCause(table: DynamicTableRecord, drift: DriftReport | null): FreshnessCause | null {
  if (drift === null) return null;
  if (drift.missing.some((m) => m.table === table.identifier)) {
    return {
      kind: 'workflowMissing',
      message: `The scheduler has no workflow for the table (drift check at ${drift.checkedAt}); POST /v3/scheduler/drift/repair re-creates it.`,
      checkedAt: drift.checkedAt,
    };
  }
  if (drift.wronglyPaused.some((p) => p.table === table.identifier && p.actualPaused)) {
    return {
      kind: 'workflowPaused',
      message: `The table's workflow is paused in the scheduler (drift check at ${drift.checkedAt}); POST /v3/scheduler/drift/repair resumes it.`,
      checkedAt: drift.checkedAt,
    };
  }
  return null;
}

function slowCause(base: Base, recent: readonly HistoryRecord[]): FreshnessCause | null {
  const durations = recent.filter((h) => h.startedAt !== null && h.finishedAt !== null).map(durationSeconds);
  if (durations.length === 0) return null;
  const average = durations.reduce((sum, d) => sum + d, 0) / durations.length;
  if (average <= base.thresholds.targetSeconds) return null;
  return {
    kind: 'refreshSlow',
    message: `Refreshes take ${Math.round(average)} s on average, longer than the freshness (${base.thresholds.targetSeconds} s).`,
    averageDurationSeconds: Math.round(average * 1000) / 1000,
    recentDurationsSeconds: durations.map((d) => Math.round(d * 1000) / 1000),
  };
}

function notRefreshedCause(base: Base, inputs: FreshnessInputs): FreshnessCause {
  const last = inputs.settled.get(base.table.key);
  const lastText =
    last === undefined ? '' : `; the last refresh was ${last.state} (scheduled for ${last.scheduleTime})`;
  return {
    kind: 'notRefreshed',
    message: `No refresh has brought its data past ${base.validThrough}${lastText}.`,
    lastRefreshState: last?.state ?? null,
  };
}

function suspendedCause(table: DynamicTableRecord, states: ReadonlyMap<string, Base>): FreshnessCause {
  const reason = table.suspendedReason ?? 'MANUAL';
  if (reason === 'UPSTREAM_SUSPENDED') {
    const upstream = table.sourceTables.map((k) => states.get(k)).find((b) => b?.table.refreshStatus === 'SUSPENDED');
    const name = upstream?.table.identifier ?? null;
    return {
      kind: 'suspended',
      reason,
      upstream: name,
      message: `Suspended with its upstream table${name ? ` ${name}` : ''}.`,
    };
  }
  const why: Record<string, string> = {
    MANUAL: 'Suspended by ALTER DYNAMIC TABLE … SUSPEND.',
    SUSPENDED_DUE_TO_ERRORS:
      'Suspended after failed refreshes in a row (SUSPENDED_DUE_TO_ERRORS); RESUME starts it again.',
    SCHEMA_DRIFT: 'Suspended because a source changed in a way its query cannot follow (SCHEMA_DRIFT).',
  };
  return { kind: 'suspended', reason, message: why[reason] ?? `Suspended (${reason}).` };
}
