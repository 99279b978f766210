/**
 * The gateway's metrics in Prometheus' form (DESIGN.md §12). Each gateway has a registry of its own, so that two
 * gateways in one process never share a series. Counters of refreshes are fed as refreshes end; the per-table
 * gauges are read from the catalog at each scrape, in one query for every table; the drift gauges hold what the
 * last drift check found. A metric's formatted text is kept until its values change (see metrics-tables.ts).
 */
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import type { Catalog } from '../catalog/catalog';
import type { RefreshEnded } from '../refresh/refresh-runner';
import { RefreshDurations, TableGauges } from './metrics-tables';
import type { DriftReport } from './scheduler-drift';

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
export interface MetricsCatalog {
  readonly tables: Pick<Catalog['tables'], 'listFreshness'>;
  readonly jobs: Pick<Catalog['jobs'], 'lastSuccesses'>;
}

export class GatewayMetrics {
  /** This gateway's metrics; the REST layer adds its request durations to it. */
  readonly registry = new Registry();
  readonly #durations = new RefreshDurations();
  readonly #tables: TableGauges;
  readonly #refreshes: Counter<'table' | 'status' | 'trigger'>;
  readonly #rows: Counter<'table' | 'op'>;
  readonly #guardBlocks: Counter<'table' | 'guard'>;
  readonly #drift: Gauge<'kind'>;
  /** Formatted text of the metrics this class feeds, until they change; any other metric is formatted each time. */
  readonly #texts = new Map<string, string | null>();

  constructor(private readonly catalog: MetricsCatalog) {
    const registers = [this.registry];
    this.#tables = new TableGauges(this.registry);
    this.#refreshes = new Counter({
      name: 'freshet_refresh_total',
      help: 'Table refreshes that ended, by status (SUCCEEDED, FAILED, UPSTREAM_FAILED, BLOCKED) and trigger.',
      labelNames: ['table', 'status', 'trigger'],
      registers,
    });
    this.#rows = new Counter({
      name: 'freshet_refresh_rows_total',
      help: 'Rows successful refreshes wrote (op="inserted") and deleted (op="deleted").',
      labelNames: ['table', 'op'],
      registers,
    });
    this.#guardBlocks = new Counter({
      name: 'freshet_publish_guard_blocks_total',
      help: 'Refresh results a publish guard kept from replacing the table, by table and blocking guard.',
      labelNames: ['table', 'guard'],
      registers,
    });
    this.#drift = new Gauge({
      name: 'freshet_scheduler_drift',
      help: 'Workflows the last scheduler drift check found drifted, by kind.',
      labelNames: ['kind'],
      registers,
    });
    for (const { name } of this.registry.getMetricsAsArray()) this.#texts.set(name, null);
  }

  /** Counts a table refresh that ended; the runner calls it for each. */
  observeRefresh(end: RefreshEnded): void {
    this.#refreshes.inc({ table: end.table, status: end.state, trigger: end.trigger });
    this.#changed('freshet_refresh_total');
    if (end.state === 'UPSTREAM_FAILED') return;
    const action = end.state === 'BLOCKED' ? 'BLOCKED' : (end.action ?? 'FAILED');
    this.#durations.observe(end.table, action, Math.max(0, end.durationMs) / 1000);
    if (end.state === 'BLOCKED') {
      for (const guard of end.blockedBy) this.#guardBlocks.inc({ table: end.table, guard });
      this.#changed('freshet_publish_guard_blocks_total');
      return;
    }
    if (end.state !== 'SUCCEEDED') return;
    // An engine that cannot count rows (Flink) reports -1: nothing is counted then.
    if (end.rowsWritten >= 0) this.#rows.inc({ table: end.table, op: 'inserted' }, end.rowsWritten);
    if (end.rowsDeleted >= 0) this.#rows.inc({ table: end.table, op: 'deleted' }, end.rowsDeleted);
    this.#changed('freshet_refresh_rows_total');
  }

  /** Keeps what a drift check found, for the drift gauges. */
  observeDrift(report: DriftReport): void {
    for (const kind of DRIFT_KINDS) this.#drift.set({ kind }, report[kind].length);
    this.#changed('freshet_scheduler_drift');
  }

  /** The text exposition of this gateway's metrics and the process's, with the per-table gauges as of `now`. */
  async exposition(now = new Date()): Promise<{ contentType: string; text: string }> {
    const [tables, successes] = await Promise.all([
      this.catalog.tables.listFreshness(),
      this.catalog.jobs.lastSuccesses(),
    ]);
    for (const name of this.#tables.update(tables, successes, now)) this.#changed(name);
    const parts: string[] = [];
    for (const { name } of this.registry.getMetricsAsArray()) {
      const kept = this.#texts.get(name);
      if (typeof kept === 'string') parts.push(kept);
      else {
        const text = await this.registry.getSingleMetricAsString(name);
        if (kept === null) this.#texts.set(name, text);
        parts.push(text);
      }
    }
    parts.push(await this.#durations.text(), await processMetrics().metrics());
    return { contentType: this.registry.contentType, text: `${parts.join('\n\n')}\n` };
  }

  /** Forgets the text of the metric `name`, whose values changed. */
  #changed(name: string): void {
    this.#texts.set(name, null);
  }
}
