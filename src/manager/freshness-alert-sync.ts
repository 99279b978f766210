/**
 * What this gateway remembers of firing freshness and suspension alerts, made to agree with the freshness
 * transitions the catalog records. The memory is lost when a gateway restarts (or another one leads); the
 * catalog is not. Before each monitor pass, a table whose newest transition went into WARN or STALE has that
 * alert firing (restored as it was first sent, never sent again), one recorded PAUSED because Freshet suspended it
 * after failed refreshes has its suspension alert, and an alert the catalog says was resolved, or whose table is
 * gone, is forgotten. The pass then resolves what recovers with the alert that fired, restart or not.
 */
import type { FreshnessEventRecord } from '../catalog/freshness-event-store';
import type { AlertEvent, Alerts } from './alerts';
import {
  FRESHNESS_ALERT,
  firingAlertOf,
  SUSPENDED_ALERT,
  SUSPENDED_DUE_TO_ERRORS,
  suspendedAlert,
} from './freshness-alerts';

export function syncFiringAlerts(
  alerts: Pick<Alerts, 'firingAlerts' | 'restore' | 'forget'>,
  latest: ReadonlyMap<string, FreshnessEventRecord>,
  tables: ReadonlyArray<{ readonly key: string; readonly identifier: string }>,
): void {
  const remembered = new Map<string, AlertEvent[]>();
  for (const alert of alerts.firingAlerts()) {
    if (alert.alertname !== FRESHNESS_ALERT && alert.alertname !== SUSPENDED_ALERT) continue;
    remembered.set(alert.table, [...(remembered.get(alert.table) ?? []), alert]);
  }
  for (const table of tables) {
    const event = latest.get(table.key);
    const held = remembered.get(table.identifier) ?? [];
    remembered.delete(table.identifier);
    if (event === undefined) continue;
    const wanted = firingAlertOf(event);
    for (const alert of held) {
      const resolved =
        alert.alertname === FRESHNESS_ALERT
          ? alert.severity !== wanted?.severity
          : event.state !== 'PAUSED' && event.at > alert.startsAt;
      if (resolved) alerts.forget(alert);
    }
    if (wanted !== null) alerts.restore(wanted);
    if (event.state === 'PAUSED' && event.cause?.reason === SUSPENDED_DUE_TO_ERRORS) {
      alerts.restore(suspendedAlert(event.identifier, SUSPENDED_DUE_TO_ERRORS, null, event.at));
    }
  }
  // Tables that are gone: nothing will resolve their alerts.
  for (const held of remembered.values()) for (const alert of held) alerts.forget(alert);
}
