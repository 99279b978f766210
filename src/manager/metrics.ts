/**
 * The gateway's metrics in Prometheus' form (DESIGN.md §12). Each gateway has a registry of its own, so that two
 * gateways in one process never share a series. Counters and histograms of refreshes are fed as refreshes end;
 * the per-table gauges are read from the catalog at each scrape, in one query for every table; the drift gauges
 * hold what the last drift check found.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Catalog } from '../catalog/catalog';
import { freshnessToSeconds } from '../freshness/freshness';
import type { RefreshEnded } from '../refresh/refresh-runner';
import { FRESHNESS_STATES, freshnessStateOf } from './freshness-state';
import type { DriftReport } from './scheduler-drift';

/** Refresh durations from 50 ms to an hour. */
const REFRESH_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600];

/** The kinds of drift a drift check reports, as `freshet_scheduler_drift{kind}` names them. */
export const DRIFT_KINDS = ['missing', 'wronglyPaused', 'wrongSchedule', 'extra'] as const;

/** Node's process metrics describe the process, not a gateway: one set, shared by every gateway in it. */
let processRegistry: Registry | null = null;

function processMetrics(): Registry {
  if (processRegistry === null) {
    processRegistry = new Registry();
    collectDefaultMetrics({ register: processRegistry });
  }
  return processRegistry;
}

/** What the per-table gauges are computed from. */
export type MetricsCatalog = Pick<Catalog, 'listTables'> & {
  readonly jobs: Pick<Catalog['jobs'], 'lastSuccesses'>;
};

export class GatewayMetrics {
  /** This gateway's metrics; the REST layer adds its request durations to it. */
  readonly registry = new Registry();
  readonly #refreshDuration: Histogram<'table' | 'action'>;
  readonly #refreshes: Counter<'table' | 'status' | 'trigger'>;
  readonly #rows: Counter<'table' | 'op'>;
  readonly #drift: Gauge<'kind'>;
  readonly #lag: Gauge<'table'>;
  readonly #target: Gauge<'table'>;
  readonly #lastSuccess: Gauge<'table'>;
  readonly #state: Gauge<'table' | 'state'>;

  constructor(private readonly catalog: MetricsCatalog) {
    const registers = [this.registry];
    const gauge = <L extends string>(name: string, help: string, labelNames: readonly L[]) =>
      new Gauge<L>({ name, help, labelNames, registers });
    this.#lag = gauge('freshet_dynamic_table_lag_seconds', 'Seconds from the table’s valid-through to now.', ['table']);
    this.#target = gauge('freshet_dynamic_table_target_lag_seconds', 'The table’s freshness (target lag).', ['table']);
    this.#lastSuccess = gauge(
      'freshet_dynamic_table_last_success_timestamp_seconds',
      'When the table’s last successful refresh finished (Unix time).',
      ['table'],
    );
    this.#state = gauge(
      'freshet_dynamic_table_freshness_state',
      'The table’s freshness state: 1 for the current one (FRESH, WARN, STALE, UNKNOWN, PAUSED), 0 for the others.',
      ['table', 'state'],
    );
    this.#refreshDuration = new Histogram({
      name: 'freshet_refresh_duration_seconds',
      help: 'How long table refreshes took, by action (FAILED for a refresh that failed).',
      labelNames: ['table', 'action'],
      buckets: REFRESH_BUCKETS,
      registers,
    });
    this.#refreshes = new Counter({
      name: 'freshet_refresh_total',
      help: 'Table refreshes that ended, by status (SUCCEEDED, FAILED, UPSTREAM_FAILED) and trigger.',
      labelNames: ['table', 'status', 'trigger'],
      registers,
    });
    this.#rows = new Counter({
      name: 'freshet_refresh_rows_total',
      help: 'Rows successful refreshes wrote (op="inserted") and deleted (op="deleted").',
      labelNames: ['table', 'op'],
      registers,
    });
    // Declared ahead of publish guards (DESIGN.md §12): it stays at zero until they exist.
    new Counter({
      name: 'freshet_publish_guard_blocks_total',
      help: 'Refresh results a publish guard kept from replacing the table.',
      labelNames: ['table', 'guard'],
      registers,
    });
    this.#drift = gauge('freshet_scheduler_drift', 'Workflows the last scheduler drift check found drifted, by kind.', [
      'kind',
    ]);
  }

  /** Counts a table refresh that ended; the runner calls it for each. */
  observeRefresh(end: RefreshEnded): void {
    this.#refreshes.inc({ table: end.table, status: end.state, trigger: end.trigger });
    if (end.state === 'UPSTREAM_FAILED') return;
    this.#refreshDuration.observe({ table: end.table, action: end.action ?? 'FAILED' }, end.durationMs / 1000);
    if (end.state !== 'SUCCEEDED') return;
    this.#rows.inc({ table: end.table, op: 'inserted' }, end.rowsWritten);
    this.#rows.inc({ table: end.table, op: 'deleted' }, end.rowsDeleted);
  }

  /** Keeps what a drift check found, for the drift gauges. */
  observeDrift(report: DriftReport): void {
    for (const kind of DRIFT_KINDS) this.#drift.set({ kind }, report[kind].length);
  }

  /** The text exposition of this gateway's metrics and the process's, with the per-table gauges as of `now`. */
  async exposition(now = new Date()): Promise<{ contentType: string; text: string }> {
    await this.readTables(now);
    const [own, process] = await Promise.all([this.registry.metrics(), processMetrics().metrics()]);
    return { contentType: this.registry.contentType, text: `${own}\n${process}` };
  }

  private async readTables(now: Date): Promise<void> {
    const [tables, successes] = await Promise.all([this.catalog.listTables(), this.catalog.jobs.lastSuccesses()]);
    for (const gauge of [this.#lag, this.#target, this.#lastSuccess, this.#state]) gauge.reset();
    for (const t of tables) {
      const table = t.identifier;
      const success = successes.get(t.key);
      const targetSeconds = freshnessToSeconds(t.freshness);
      const validThrough = success?.validThrough ?? null;
      const lagSeconds = validThrough === null ? null : Math.max(0, (now.getTime() - Date.parse(validThrough)) / 1000);
      this.#target.set({ table }, targetSeconds);
      if (lagSeconds !== null) this.#lag.set({ table }, lagSeconds);
      if (success?.finishedAt) this.#lastSuccess.set({ table }, Date.parse(success.finishedAt) / 1000);
      const current = freshnessStateOf({ suspended: t.refreshStatus === 'SUSPENDED', lagSeconds, targetSeconds });
      for (const state of FRESHNESS_STATES) this.#state.set({ table, state }, state === current ? 1 : 0);
    }
  }
}
