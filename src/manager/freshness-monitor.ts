/**
 * The freshness monitor (DESIGN.md §12): every `monitor.intervalSeconds` it gives each dynamic table a state
 * (`FRESH`, `WARN`, `STALE`, `UNKNOWN`, `PAUSED`) with its cause, records the tables whose state changed, and
 * tells the alert channels. A pass reads the catalog in a handful of queries, whatever the number of tables. On a
 * shared catalog only the leader records; every gateway answers `GET /v3/freshness` from the catalog.
 */
import type { Catalog } from '../catalog/catalog';
import type { FreshnessEventRecord, NewFreshnessEvent } from '../catalog/freshness-event-store';
import type { DynamicTableRecord } from '../catalog/records';
import { messageOf } from '../errors';
import type { Logger } from '../logger';
import type { Alerts } from './alerts';
import { syncFiringAlerts } from './freshness-alert-sync';
import { freshnessAlerts } from './freshness-alerts';
import {
  baseStates,
  evaluate,
  type FreshnessInputs,
  needsDurations,
  type TableFreshness,
} from './freshness-evaluation';
import type { DriftReport } from './scheduler-drift';

/** The `monitor` settings. */
export interface MonitorSettings {
  /** 0: no background passes (one still runs when asked). */
  readonly intervalSeconds: number;
}

export const DEFAULT_MONITOR: MonitorSettings = { intervalSeconds: 30 };

/** Successful refreshes whose durations say whether refreshes are slower than the freshness. */
const RECENT_REFRESHES = 5;

/** Which transitions to list. */
export interface FreshnessEventQuery {
  readonly tableKey?: string;
  readonly since?: Date;
  readonly limit: number;
}

export class FreshnessMonitor {
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<NewFreshnessEvent[]> | null = null;

  constructor(
    private readonly catalog: Pick<Catalog, 'listTables' | 'jobs' | 'freshnessEvents'>,
    private readonly settings: MonitorSettings,
    private readonly isLeader: () => boolean,
    private readonly lastDrift: () => DriftReport | null,
    private readonly alerts: Alerts,
    private readonly logger: Logger,
  ) {}

  start(): void {
    if (this.settings.intervalSeconds <= 0) return;
    this.#timer = setInterval(() => {
      if (!this.isLeader()) return;
      this.pass().catch((error: unknown) =>
        this.logger.warn('freshness monitor pass failed', { error: messageOf(error) }),
      );
    }, this.settings.intervalSeconds * 1000);
    this.#timer.unref();
  }

  async close(): Promise<void> {
    clearInterval(this.#timer);
    await this.#running?.catch(() => undefined);
  }

  /** Every table's freshness as of `now`, worst first (records nothing). */
  async current(now = new Date()): Promise<TableFreshness[]> {
    const since = await this.catalog.freshnessEvents.latestPerTable();
    return (await this.evaluateAll(now, since)).evaluated;
  }

  /**
   * One pass as of `now` (passes never overlap): records each table whose state differs from its last recorded
   * one, queues the alerts, and returns the transitions recorded.
   */
  pass(now = new Date()): Promise<NewFreshnessEvent[]> {
    this.#running ??= this.#pass(now).finally(() => {
      this.#running = null;
    });
    return this.#running;
  }

  /** Recorded transitions, newest first. */
  events(query: FreshnessEventQuery): Promise<FreshnessEventRecord[]> {
    return this.catalog.freshnessEvents.list({
      ...(query.tableKey !== undefined ? { tableKey: query.tableKey } : {}),
      ...(query.since !== undefined ? { since: query.since.toISOString() } : {}),
      limit: query.limit,
    });
  }

  async #pass(now: Date): Promise<NewFreshnessEvent[]> {
    const latest = await this.catalog.freshnessEvents.latestPerTable();
    const { records, evaluated: tables } = await this.evaluateAll(now, latest);
    // What fired before a restart, or while another gateway led, resolves as it fired and repeats; never twice.
    syncFiringAlerts(this.alerts, latest, records);
    const at = now.toISOString();
    const changed: NewFreshnessEvent[] = tables
      .filter((t) => latest.get(t.key)?.state !== t.state)
      .map((t) => ({
        tableKey: t.key,
        identifier: t.table,
        state: t.state,
        previousState: latest.get(t.key)?.state ?? null,
        lagSeconds: t.lagSeconds,
        targetLagSeconds: t.targetLagSeconds,
        validThrough: t.validThrough,
        cause: t.cause,
        at,
      }));
    await this.catalog.freshnessEvents.insert(changed);
    for (const event of changed) {
      for (const alert of freshnessAlerts(event, this.alerts)) this.alerts.notify(alert);
      if (event.state !== 'FRESH') {
        this.logger.info('dynamic table freshness changed', {
          table: event.identifier,
          state: event.state,
          previousState: event.previousState,
          lagSeconds: event.lagSeconds,
          cause: event.cause?.kind ?? null,
        });
      }
    }
    return changed;
  }

  private async evaluateAll(
    now: Date,
    since: ReadonlyMap<string, { readonly state: string; readonly at: string }>,
  ): Promise<{ records: DynamicTableRecord[]; evaluated: TableFreshness[] }> {
    const [tables, validThrough, settled] = await Promise.all([
      this.catalog.listTables(),
      this.catalog.jobs.newestDataTimestamps(),
      this.catalog.jobs.newestSettledPerTable(),
    ]);
    const inputs: FreshnessInputs = { tables, validThrough, settled, drift: this.lastDrift(), now };
    const states = baseStates(inputs);
    const slowCandidates = needsDurations(inputs, states);
    const recent =
      slowCandidates.length === 0
        ? new Map()
        : await this.catalog.jobs.recentSuccesses(slowCandidates, RECENT_REFRESHES);
    return { records: tables, evaluated: evaluate(inputs, states, recent, since) };
  }
}
