/**
 * The metrics with a series per dynamic table, kept cheap to scrape with a thousand tables: formatting a series
 * costs about as much as reading it from the catalog, so a family is formatted again only when its values
 * changed (lag moves with the clock and is formatted at every scrape), and the refresh-duration histogram is
 * formatted table by table, only for the tables that refreshed since the last scrape.
 */
import { tableThresholds } from './freshness-sla';
import { Gauge, Histogram, Registry } from 'prom-client';
import type { TableFreshness } from '../catalog/table-store';
import { FRESHNESS_STATES, type FreshnessState, freshnessStateOf } from './freshness-state';

/** Refresh durations from 100 ms to an hour; few buckets, since every table has its own. */
const REFRESH_BUCKETS = [0.1, 0.5, 1, 5, 10, 30, 60, 300, 900, 3600];

const LAG = 'freshet_dynamic_table_lag_seconds';
const TARGET = 'freshet_dynamic_table_target_lag_seconds';
const LAST_SUCCESS = 'freshet_dynamic_table_last_success_timestamp_seconds';
const STATE = 'freshet_dynamic_table_freshness_state';

/** A table's newest successful refresh, as the catalog tells it for every table at once. */
export interface LastSuccess {
  readonly validThrough: string | null;
  readonly finishedAt: string | null;
}

/** What the slow-moving gauges of one table show. */
interface TableFigures {
  readonly target: number;
  readonly lastSuccess: number | null;
  readonly state: FreshnessState;
}

function sameFigures(a: ReadonlyMap<string, TableFigures>, b: ReadonlyMap<string, TableFigures>): boolean {
  if (a.size !== b.size) return false;
  for (const [table, x] of a) {
    const y = b.get(table);
    if (y === undefined || y.target !== x.target || y.lastSuccess !== x.lastSuccess || y.state !== x.state) {
      return false;
    }
  }
  return true;
}

/** The text of one metric without its `# HELP` and `# TYPE` lines. */
function body(text: string): string {
  return text.split('\n').slice(2).join('\n');
}

/**
 * Lag, target lag, last success and freshness state of every table, set at each scrape from the catalog.
 * `changed` is told which gauges were set anew, so their formatted text is thrown away.
 */
export class TableGauges {
  readonly #lag: Gauge<'table'>;
  readonly #target: Gauge<'table'>;
  readonly #lastSuccess: Gauge<'table'>;
  readonly #state: Gauge<'table' | 'state'>;
  #figures: ReadonlyMap<string, TableFigures> = new Map();

  constructor(registry: Registry) {
    const registers = [registry];
    this.#lag = new Gauge({
      name: LAG,
      help: "Seconds from the table's valid-through (the data timestamp of its newest successful refresh) to now.",
      labelNames: ['table'],
      registers,
    });
    this.#target = new Gauge({
      name: TARGET,
      help: "The table's freshness (its target lag) in seconds.",
      labelNames: ['table'],
      registers,
    });
    this.#lastSuccess = new Gauge({
      name: LAST_SUCCESS,
      help: "When the table's last successful refresh finished (Unix time).",
      labelNames: ['table'],
      registers,
    });
    this.#state = new Gauge({
      name: STATE,
      help: "The table's freshness state: 1 for the current one (FRESH, WARN, STALE, UNKNOWN, PAUSED), 0 for the others.",
      labelNames: ['table', 'state'],
      registers,
    });
  }

  /** Sets the gauges as of `now`; returns the names of those whose series changed. */
  update(tables: readonly TableFreshness[], successes: ReadonlyMap<string, LastSuccess>, now: Date): readonly string[] {
    const figures = new Map<string, TableFigures>();
    this.#lag.reset();
    for (const t of tables) {
      const success = successes.get(t.key);
      const { targetSeconds: target, warnSeconds, errorSeconds } = tableThresholds(t);
      const validThrough = success?.validThrough ?? null;
      const lag = validThrough === null ? null : Math.max(0, (now.getTime() - Date.parse(validThrough)) / 1000);
      if (lag !== null) this.#lag.set({ table: t.identifier }, lag);
      const state = freshnessStateOf({
        suspended: t.refreshStatus === 'SUSPENDED',
        lagSeconds: lag,
        warnSeconds,
        errorSeconds,
      });
      const lastSuccess = success?.finishedAt ? Date.parse(success.finishedAt) / 1000 : null;
      figures.set(t.identifier, { target, lastSuccess, state });
    }
    if (sameFigures(figures, this.#figures)) return [LAG];
    this.#figures = figures;
    for (const gauge of [this.#target, this.#lastSuccess, this.#state]) gauge.reset();
    for (const [table, f] of figures) {
      this.#target.set({ table }, f.target);
      if (f.lastSuccess !== null) this.#lastSuccess.set({ table }, f.lastSuccess);
      for (const state of FRESHNESS_STATES) this.#state.set({ table, state }, state === f.state ? 1 : 0);
    }
    return [LAG, TARGET, LAST_SUCCESS, STATE];
  }
}

/**
 * `freshet_refresh_duration_seconds{table,action}`: one prom-client histogram per table, each in a registry of
 * its own (outside the gateway's), formatted again only after it observed a refresh.
 */
export class RefreshDurations {
  static readonly NAME = 'freshet_refresh_duration_seconds';
  static readonly HELP =
    'How long table refreshes took, by action (FULL, INCREMENTAL, NO_DATA; FAILED for a refresh that failed, ' +
    'BLOCKED for one a publish guard blocked).';
  readonly #tables = new Map<
    string,
    { histogram: Histogram<'table' | 'action'>; registry: Registry; text: string | null }
  >();

  observe(table: string, action: string, seconds: number): void {
    let entry = this.#tables.get(table);
    if (entry === undefined) {
      const registry = new Registry();
      const histogram = new Histogram<'table' | 'action'>({
        name: RefreshDurations.NAME,
        help: RefreshDurations.HELP,
        labelNames: ['table', 'action'],
        buckets: REFRESH_BUCKETS,
        registers: [registry],
      });
      entry = { histogram, registry, text: null };
      this.#tables.set(table, entry);
    }
    entry.histogram.observe({ table, action }, seconds);
    entry.text = null;
  }

  /** The family's exposition, formatting again only the tables that changed. */
  async text(): Promise<string> {
    const lines = [
      `# HELP ${RefreshDurations.NAME} ${RefreshDurations.HELP}`,
      `# TYPE ${RefreshDurations.NAME} histogram`,
    ];
    for (const entry of this.#tables.values()) {
      entry.text ??= body(await entry.registry.getSingleMetricAsString(RefreshDurations.NAME));
      lines.push(entry.text);
    }
    return lines.join('\n');
  }
}
