/**
 * The gateway's metrics in Prometheus' form (DESIGN.md §12). Each gateway has metrics of its own, so that two
 * gateways in one process never share a series. Counters of refreshes are fed as refreshes end; the per-table
 * gauges are read from the catalog at each scrape: the tables in one query, and the successful refreshes that
 * finished since the scrape before (metrics-successes.ts); the drift gauges hold what the last drift check found.
 * The families with a series per table are written by metrics-text.ts and metrics-tables.ts, the rest by
 * prom-client; each family's text, bytes and compressed form are kept until its values change (see
 * metrics-segments.ts).
 */
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import type { Catalog } from '../catalog/catalog';
import type { RefreshEnded } from '../refresh/refresh-runner';
import { type Segment, segmentOf } from './metrics-segments';
import { LastSuccesses } from './metrics-successes';
import { TableGauges } from './metrics-tables';
import { CounterFamily, HistogramFamily } from './metrics-text';
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

/** Refresh durations from 100 ms to an hour; few buckets, since every table has its own. */
const REFRESH_BUCKETS = [0.1, 0.5, 1, 5, 10, 30, 60, 300, 900, 3600];

/** States of a refresh that did not run (nothing to time). */
const NOT_RUN: ReadonlySet<string> = new Set(['UPSTREAM_FAILED', 'SKIPPED']);

/** A scrape's answer: the exposition in segments, each family's bytes and compressed form kept while unchanged. */
export interface MetricsExposition {
  readonly contentType: string;
  readonly segments: readonly Segment[];
}

export class GatewayMetrics {
  /** This gateway's prom-client metrics; the REST layer adds its request durations to it. */
  readonly registry = new Registry();
  readonly #tables = new TableGauges();
  readonly #successes: LastSuccesses;
  readonly #durations = new HistogramFamily(
    'freshet_refresh_duration_seconds',
    'How long table refreshes took, by action (FULL, INCREMENTAL, NO_DATA; FAILED for a refresh that failed, ' +
      'BLOCKED for one a publish guard blocked).',
    ['table', 'action'],
    REFRESH_BUCKETS,
  );
  readonly #refreshes = new CounterFamily(
    'freshet_refresh_total',
    'Table refreshes that ended, by status (the history state: SUCCEEDED, FAILED, UPSTREAM_FAILED, SKIPPED, BLOCKED, …) ' +
      'and trigger.',
    ['table', 'status', 'trigger'],
  );
  readonly #rows = new CounterFamily(
    'freshet_refresh_rows_total',
    'Rows successful refreshes wrote (op="inserted") and deleted (op="deleted").',
    ['table', 'op'],
  );
  readonly #guardBlocks: Counter<'table' | 'guard'>;
  readonly #drift: Gauge<'kind'>;
  /** Formatted text of the prom-client metrics this class feeds, until they change; the others each time. */
  readonly #texts = new Map<string, Segment | null>();

  constructor(private readonly catalog: MetricsCatalog) {
    this.#successes = new LastSuccesses((since) => catalog.jobs.lastSuccesses(since));
    const registers = [this.registry];
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

  /**
   * Counts a table refresh that ended, whatever its state (the runner calls it for each, the windows it skipped
   * or failed as not ready included); times those that ran.
   */
  observeRefresh(end: RefreshEnded): void {
    this.#refreshes.inc({ table: end.table, status: end.state, trigger: end.trigger });
    if (NOT_RUN.has(end.state) || end.errorCode === 'NOT_READY') return;
    const action = end.action ?? (end.state === 'SUCCEEDED' ? 'FULL' : end.state);
    this.#durations.observe({ table: end.table, action }, Math.max(0, end.durationMs) / 1000);
    if (end.state === 'BLOCKED') {
      for (const guard of end.blockedBy ?? []) this.#guardBlocks.inc({ table: end.table, guard });
      this.#changed('freshet_publish_guard_blocks_total');
      return;
    }
    if (end.state !== 'SUCCEEDED') return;
    // An engine that cannot count rows (Flink) reports -1: nothing is counted then.
    if (end.rowsWritten >= 0) this.#rows.inc({ table: end.table, op: 'inserted' }, end.rowsWritten);
    if (end.rowsDeleted >= 0) this.#rows.inc({ table: end.table, op: 'deleted' }, end.rowsDeleted);
  }

  /** Keeps what a drift check found, for the drift gauges. */
  observeDrift(report: DriftReport): void {
    for (const kind of DRIFT_KINDS) this.#drift.set({ kind }, report[kind].length);
    this.#changed('freshet_scheduler_drift');
  }

  /** This gateway's metrics and the process's, with the per-table gauges as of `now`. */
  async exposition(now = new Date()): Promise<MetricsExposition> {
    const tables = await this.catalog.tables.listFreshness();
    const successes = await this.#successes.of(tables);
    const segments = this.#tables.segments(tables, successes, now);
    segments.push(...this.#refreshes.segments(), ...this.#rows.segments(), ...this.#durations.segments());
    for (const { name } of this.registry.getMetricsAsArray()) {
      let kept = this.#texts.get(name);
      if (kept === null || kept === undefined) {
        const text = segmentOf(`${await this.registry.getSingleMetricAsString(name)}\n`);
        if (kept === null) this.#texts.set(name, text);
        kept = text;
      }
      segments.push(kept);
    }
    segments.push(segmentOf(await processMetrics().metrics()));
    return { contentType: this.registry.contentType, segments };
  }

  /** Forgets the text of the prom-client metric `name`, whose values changed. */
  #changed(name: string): void {
    this.#texts.set(name, null);
  }
}
