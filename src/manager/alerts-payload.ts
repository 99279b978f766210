/**
 * What an alert is and how it travels: the event the manager hands to {@link Alerts.notify}, the bodies a channel
 * receives (Alertmanager's v4 alert list, or plain JSON) and the body's HMAC-SHA256 signature.
 */
import { createHmac } from 'node:crypto';

export type AlertSeverity = 'warning' | 'critical';

/**
 * One thing worth telling an operator. `id` names the event (a freshness transition, a suspension): a channel
 * receives each id once, however often its delivery is retried.
 */
export interface AlertEvent {
  readonly id: string;
  /** `DynamicTableFreshness`, `DynamicTableSuspended`, `DynamicTablePublishBlocked`, `DynamicTableSchemaChange`. */
  readonly alertname: string;
  /** The table's identifier. */
  readonly table: string;
  readonly severity: AlertSeverity;
  readonly status: 'firing' | 'resolved';
  readonly summary: string;
  readonly description: string;
  readonly lagSeconds?: number | null;
  /** The cause's kind and message, when there is one. */
  readonly cause?: string | null;
  /** ISO-8601 UTC: when the condition began. */
  readonly startsAt: string;
  /** ISO-8601 UTC: when it ended (resolved alerts). */
  readonly endsAt?: string;
}

/** A channel: where alerts go, in which format, signed with which secret, from which severity up. */
export interface AlertChannel {
  readonly name: string;
  readonly url: string;
  readonly format: 'alertmanager' | 'json';
  readonly secret?: string;
  readonly minSeverity: AlertSeverity;
  /** A firing alert is sent again this often while it fires; 0: once. */
  readonly repeatIntervalSeconds: number;
}

export const SIGNATURE_HEADER = 'X-Freshet-Signature';
export const DELIVERY_HEADER = 'X-Freshet-Delivery';

const RANK: Record<AlertSeverity, number> = { warning: 1, critical: 2 };

/** Whether a channel takes alerts of this severity. */
export function channelTakes(channel: AlertChannel, severity: AlertSeverity): boolean {
  return RANK[severity] >= RANK[channel.minSeverity];
}

/** The body a channel receives for one alert; `generatorURL` points at the table's freshness. */
export function alertBody(channel: AlertChannel, event: AlertEvent, generatorURL: string): string {
  const lag = event.lagSeconds === undefined || event.lagSeconds === null ? '' : `${event.lagSeconds}s`;
  if (channel.format === 'json') {
    return JSON.stringify({
      id: event.id,
      status: event.status,
      alertname: event.alertname,
      table: event.table,
      severity: event.severity,
      summary: event.summary,
      description: event.description,
      lagSeconds: event.lagSeconds ?? null,
      cause: event.cause ?? null,
      startsAt: event.startsAt,
      endsAt: event.endsAt ?? null,
      generatorURL,
    });
  }
  return JSON.stringify([
    {
      labels: { alertname: event.alertname, table: event.table, severity: event.severity },
      annotations: {
        summary: event.summary,
        description: event.description,
        lag,
        cause: event.cause ?? '',
        eventId: event.id,
      },
      startsAt: event.startsAt,
      ...(event.endsAt !== undefined ? { endsAt: event.endsAt } : {}),
      generatorURL,
    },
  ]);
}

/** `sha256=<hex>` of the body, keyed with the channel's secret. */
export function signature(secret: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}
