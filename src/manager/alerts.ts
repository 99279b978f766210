/**
 * Alert channels (DESIGN.md §12): webhooks that receive freshness transitions, suspensions and, later, blocked
 * publishes and breaking schema changes. {@link Alerts.notify} only queues: a slow or failing receiver never holds
 * up a refresh or a monitor pass. Each channel has a bounded queue (the oldest alert goes, with a log line, when it
 * is full), delivers in order, retries with exponential backoff, never sends the same delivery twice, and sends a
 * firing alert again every `repeatIntervalSeconds` until it is resolved.
 */
import { messageOf } from '../errors';
import type { Logger } from '../logger';
import {
  type AlertChannel,
  type AlertEvent,
  alertBody,
  channelTakes,
  DELIVERY_HEADER,
  SIGNATURE_HEADER,
  signature,
} from './alerts-payload';

export type { AlertChannel, AlertEvent, AlertSeverity } from './alerts-payload';

/** The `alerts` settings. */
export interface AlertSettings {
  readonly channels: readonly AlertChannel[];
  /** Most deliveries waiting per channel. */
  readonly queueSize: number;
  /** Tries per delivery, the first included. */
  readonly maxAttempts: number;
  /** The wait before the first retry; each retry waits twice as long, up to `retryMaxSeconds`. */
  readonly retryInitialSeconds: number;
  readonly retryMaxSeconds: number;
  /** How long one POST may take. */
  readonly timeoutSeconds: number;
}

export const DEFAULT_ALERTS: AlertSettings = {
  channels: [],
  queueSize: 1000,
  maxAttempts: 5,
  retryInitialSeconds: 1,
  retryMaxSeconds: 60,
  timeoutSeconds: 10,
};

interface Delivery {
  readonly deliveryId: string;
  readonly event: AlertEvent;
}

interface Firing {
  readonly event: AlertEvent;
  /** When each channel last received it, by channel name, and how many times. */
  readonly sent: Map<string, { at: number; count: number }>;
}

/** Remembered delivery ids per channel; older ones are forgotten beyond this. */
const REMEMBERED = 10_000;

class ChannelQueue {
  readonly queue: Delivery[] = [];
  readonly delivered = new Set<string>();
  busy: Promise<void> | null = null;

  constructor(readonly channel: AlertChannel) {}
}

export class Alerts {
  private readonly queues: ChannelQueue[];
  private readonly firing = new Map<string, Firing>();
  private readonly stop = new AbortController();
  #timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly settings: AlertSettings,
    /** Where an alert's `generatorURL` points: the table's freshness on this gateway. */
    private readonly linkOf: (table: string) => string,
    private readonly logger: Logger,
  ) {
    this.queues = settings.channels.map((c) => new ChannelQueue(c));
  }

  /** True when at least one channel is configured. */
  get enabled(): boolean {
    return this.queues.length > 0;
  }

  /** Starts re-sending firing alerts every channel's `repeatIntervalSeconds`. */
  start(): void {
    if (!this.queues.some((q) => q.channel.repeatIntervalSeconds > 0)) return;
    this.#timer = setInterval(() => this.resendDue(new Date()), 1000);
    this.#timer.unref();
  }

  /** Stops re-sending and retrying; deliveries still queued are dropped. */
  async close(): Promise<void> {
    clearInterval(this.#timer);
    this.stop.abort();
    await Promise.all(this.queues.map((q) => q.busy?.catch(() => undefined)));
  }

  /** Queues an alert for every channel that takes its severity; returns at once. */
  notify(event: AlertEvent): void {
    const key = alertKey(event);
    if (event.status === 'firing') this.firing.set(key, { event, sent: new Map() });
    else this.firing.delete(key);
    for (const q of this.queues) {
      if (!channelTakes(q.channel, event.severity)) continue;
      if (event.status === 'firing') this.firing.get(key)?.sent.set(q.channel.name, { at: Date.now(), count: 0 });
      this.enqueue(q, { deliveryId: event.id, event });
    }
  }

  /** Whether an alert of this name is firing for the table (as far as this gateway has seen). */
  firingOf(alertname: string, table: string): AlertEvent[] {
    return [...this.firing.values()].map((f) => f.event).filter((e) => e.alertname === alertname && e.table === table);
  }

  /** Every alert firing as far as this gateway knows. */
  firingAlerts(): AlertEvent[] {
    return [...this.firing.values()].map((f) => f.event);
  }

  /**
   * Takes a firing alert as sent without sending it: one that fired before this gateway started, or while another
   * gateway led, as the catalog records it. Channels repeat it from now on, and its resolution finds it.
   */
  restore(event: AlertEvent, now = Date.now()): void {
    const key = alertKey(event);
    if (event.status !== 'firing' || this.firing.has(key)) return;
    const sent = new Map<string, { at: number; count: number }>();
    for (const q of this.queues)
      if (channelTakes(q.channel, event.severity)) sent.set(q.channel.name, { at: now, count: 0 });
    this.firing.set(key, { event, sent });
  }

  /** Stops repeating a firing alert without sending anything: it was resolved elsewhere, or its table is gone. */
  forget(event: AlertEvent): void {
    this.firing.delete(alertKey(event));
  }

  /** Queues again the firing alerts each channel last received `repeatIntervalSeconds` or more before `now`. */
  resendDue(now: Date): void {
    for (const firing of this.firing.values()) {
      for (const q of this.queues) {
        const repeat = q.channel.repeatIntervalSeconds;
        const sent = firing.sent.get(q.channel.name);
        if (repeat <= 0 || sent === undefined || now.getTime() - sent.at < repeat * 1000) continue;
        sent.at = now.getTime();
        sent.count += 1;
        this.enqueue(q, { deliveryId: `${firing.event.id}#${sent.count}`, event: firing.event });
      }
    }
  }

  /** Resolves once every queue is empty and nothing is being sent (for tests and orderly stops). */
  async idle(): Promise<void> {
    while (this.queues.some((q) => q.busy !== null)) {
      await Promise.all(this.queues.map((q) => q.busy?.catch(() => undefined)));
    }
  }

  private enqueue(q: ChannelQueue, delivery: Delivery): void {
    if (q.delivered.has(delivery.deliveryId) || q.queue.some((d) => d.deliveryId === delivery.deliveryId)) return;
    if (q.queue.length >= this.settings.queueSize) {
      const dropped = q.queue.shift();
      this.logger.warn('alert queue full; the oldest alert was dropped', {
        channel: q.channel.name,
        dropped: dropped?.deliveryId,
        queueSize: this.settings.queueSize,
      });
    }
    q.queue.push(delivery);
    q.busy ??= this.drain(q).finally(() => {
      q.busy = null;
    });
  }

  private async drain(q: ChannelQueue): Promise<void> {
    for (let next = q.queue.shift(); next !== undefined; next = q.queue.shift()) {
      if (this.stop.signal.aborted) return;
      if (await this.deliver(q.channel, next)) {
        q.delivered.add(next.deliveryId);
        if (q.delivered.size > REMEMBERED) q.delivered.delete(q.delivered.values().next().value as string);
      }
    }
  }

  /** Sends one delivery, retrying with backoff; false when every try failed (logged). */
  private async deliver(channel: AlertChannel, delivery: Delivery): Promise<boolean> {
    const body = alertBody(channel, delivery.event, this.linkOf(delivery.event.table));
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      [DELIVERY_HEADER]: delivery.deliveryId,
    };
    if (channel.secret !== undefined) headers[SIGNATURE_HEADER] = signature(channel.secret, body);
    const { maxAttempts, retryInitialSeconds, retryMaxSeconds, timeoutSeconds } = this.settings;
    let problem = '';
    for (let attempt = 1; attempt <= maxAttempts && !this.stop.signal.aborted; attempt++) {
      try {
        const signal = AbortSignal.any([this.stop.signal, AbortSignal.timeout(timeoutSeconds * 1000)]);
        const res = await fetch(channel.url, { method: 'POST', headers, body, signal });
        await res.arrayBuffer().catch(() => undefined);
        if (res.ok) return true;
        problem = `HTTP ${res.status}`;
        // A receiver that refuses the request itself will refuse it again; one that is busy or broken may not.
        if (res.status >= 400 && res.status < 500 && res.status !== 408 && res.status !== 429) break;
      } catch (error) {
        problem = messageOf(error);
      }
      if (attempt < maxAttempts) {
        await sleep(Math.min(retryInitialSeconds * 2 ** (attempt - 1), retryMaxSeconds) * 1000, this.stop.signal);
      }
    }
    this.logger.warn('alert not delivered', { channel: channel.name, delivery: delivery.deliveryId, error: problem });
    return false;
  }
}

function alertKey(event: AlertEvent): string {
  return `${event.alertname}|${event.table}|${event.severity}`;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
