/**
 * The alerts a freshness transition raises: a table turning WARN fires a warning, STALE a critical alert (and
 * the other severity, if it fired, resolves); recovering from WARN or STALE resolves what fired. A table leaving
 * PAUSED resolves its suspension alert. Each alert's id is the transition's, so it is delivered once.
 */
import type { NewFreshnessEvent } from '../catalog/freshness-event-store';
import type { AlertEvent, AlertSeverity, Alerts } from './alerts';

export const FRESHNESS_ALERT = 'DynamicTableFreshness';
export const SUSPENDED_ALERT = 'DynamicTableSuspended';
export const PUBLISH_BLOCKED_ALERT = 'DynamicTablePublishBlocked';

/** The reason Freshet records when it suspends a table after failed refreshes in a row (failure-guard.ts). */
export const SUSPENDED_DUE_TO_ERRORS = 'SUSPENDED_DUE_TO_ERRORS';

const SEVERITY: Readonly<Record<string, AlertSeverity>> = { WARN: 'warning', STALE: 'critical' };

export function freshnessAlerts(event: NewFreshnessEvent, alerts: Pick<Alerts, 'firingOf'>): AlertEvent[] {
  const id = `${event.tableKey}@${event.at}`;
  const now = SEVERITY[event.state];
  const before = event.previousState === null ? undefined : SEVERITY[event.previousState];
  const out: AlertEvent[] = [];
  const cause = event.cause === null ? null : `${event.cause.kind}: ${event.cause.message}`;
  const lag = event.lagSeconds === null ? 'never refreshed' : `lag ${event.lagSeconds} s`;
  const common = { alertname: FRESHNESS_ALERT, table: event.identifier, lagSeconds: event.lagSeconds, cause };
  if (before !== undefined && before !== now) {
    const fired = alerts.firingOf(FRESHNESS_ALERT, event.identifier).find((a) => a.severity === before);
    out.push({
      ...common,
      id: `${id}:resolved:${before}`,
      severity: before,
      status: 'resolved',
      summary: `${event.identifier} is ${event.state} again (was ${event.previousState})`,
      description: `${event.identifier}: ${lag}, target ${event.targetLagSeconds} s.`,
      startsAt: fired?.startsAt ?? event.at,
      endsAt: event.at,
    });
  }
  const firing = firingAlertOf(event);
  if (firing !== null && firing.severity !== before) out.push(firing);
  if (event.previousState === 'PAUSED') {
    for (const fired of alerts.firingOf(SUSPENDED_ALERT, event.identifier)) {
      out.push({
        ...fired,
        id: `${id}:resolved:suspended`,
        status: 'resolved',
        summary: `${event.identifier} is no longer suspended`,
        endsAt: event.at,
      });
    }
  }
  return out;
}

/** The alert a transition into WARN or STALE fires (null for the other states): the same whenever it is built. */
export function firingAlertOf(event: NewFreshnessEvent): AlertEvent | null {
  const severity = SEVERITY[event.state];
  if (severity === undefined) return null;
  const lag = event.lagSeconds === null ? 'never refreshed' : `lag ${event.lagSeconds} s`;
  return {
    id: `${event.tableKey}@${event.at}:firing:${severity}`,
    alertname: FRESHNESS_ALERT,
    table: event.identifier,
    lagSeconds: event.lagSeconds,
    cause: event.cause === null ? null : `${event.cause.kind}: ${event.cause.message}`,
    severity,
    status: 'firing',
    summary: `${event.identifier} is ${event.state}: ${lag} (target ${event.targetLagSeconds} s)`,
    description:
      `${event.identifier} has not been refreshed within its freshness. ${event.cause?.message ?? ''}`.trim(),
    startsAt: event.at,
  };
}

/** The alert of a table Freshet suspended after failed refreshes in a row. */
export function suspendedAlert(table: string, reason: string, lastError: string | null, at: string): AlertEvent {
  return {
    id: `${table.toLowerCase()}@${at}:suspended`,
    alertname: SUSPENDED_ALERT,
    table,
    severity: 'critical',
    status: 'firing',
    summary: `${table} was suspended (${reason})`,
    description: `Freshet suspended ${table} after failed refreshes in a row; RESUME starts it again.${lastError ? ` Last error: ${lastError}` : ''}`,
    cause: lastError === null ? reason : `${reason}: ${lastError}`,
    startsAt: at,
  };
}

/** A refresh whose result a publish guard kept from replacing the table. */
export function publishBlockedAlert(table: string, message: string, at: string, jobId?: string): AlertEvent {
  return {
    id: `${table.toLowerCase()}@${at}:blocked${jobId ? `:${jobId}` : ''}`,
    alertname: PUBLISH_BLOCKED_ALERT,
    table,
    severity: 'warning',
    status: 'firing',
    summary: `A refresh of ${table} was blocked before publishing`,
    description: message,
    cause: message,
    startsAt: at,
  };
}

/** A table's publish-blocked alert, resolved: the result was published or discarded, or a later refresh replaced it. */
export function publishBlockedResolved(fired: AlertEvent, at: string, why: string): AlertEvent {
  return {
    ...fired,
    id: `${fired.id}:resolved`,
    status: 'resolved',
    summary: `The blocked refresh of ${fired.table} is settled: ${why}`,
    endsAt: at,
  };
}

/** A hook for schema checks: a source change that breaks the table's query. */
export function schemaChangeAlert(table: string, message: string, at: string): AlertEvent {
  return {
    id: `${table.toLowerCase()}@${at}:schema`,
    alertname: 'DynamicTableSchemaChange',
    table,
    severity: 'critical',
    status: 'firing',
    summary: `A breaking schema change reached ${table}`,
    description: message,
    cause: message,
    startsAt: at,
  };
}
