/**
 * The gauges with a series per dynamic table, set at each scrape from the catalog and kept cheap with a thousand
 * tables: a table's target, last-success and state lines are formatted again only when its figures changed, and
 * only the blocks of lines holding a changed table are encoded again (metrics-segments.ts); lag moves with the
 * clock and is written at every scrape from each table's label text, escaped once.
 */
import type { TableFreshness } from '../catalog/table-store';
import { tableThresholds } from './freshness-sla';
import { FRESHNESS_STATES, type FreshnessState, freshnessStateOf } from './freshness-state';
import { BlockedLines, type Segment, segmentOf } from './metrics-segments';
import { escapeLabel, familyHeader, formatValue } from './metrics-text';

const LAG = 'freshet_dynamic_table_lag_seconds';
const TARGET = 'freshet_dynamic_table_target_lag_seconds';
const LAST_SUCCESS = 'freshet_dynamic_table_last_success_timestamp_seconds';
const STATE = 'freshet_dynamic_table_freshness_state';

const HEADERS = {
  lag: familyHeader(
    LAG,
    "Seconds from the table's valid-through (the data timestamp of its newest successful refresh) to now.",
    'gauge',
  ),
  target: familyHeader(TARGET, "The table's freshness (its target lag) in seconds.", 'gauge'),
  lastSuccess: familyHeader(LAST_SUCCESS, "When the table's last successful refresh finished (Unix time).", 'gauge'),
  state: familyHeader(
    STATE,
    "The table's freshness state: 1 for the current one (FRESH, WARN, STALE, UNKNOWN, PAUSED), 0 for the others.",
    'gauge',
  ),
};

/** A table's newest successful refresh, as the catalog tells it for every table at once. */
export interface LastSuccess {
  readonly validThrough: string | null;
  readonly finishedAt: string | null;
}

/** One table's slow-moving figures and their formatted lines. */
interface TableLines {
  readonly label: string;
  readonly target: number;
  readonly lastSuccess: number | null;
  readonly state: FreshnessState;
  readonly targetLine: string;
  readonly lastSuccessLine: string;
  readonly stateLines: string;
}

function linesOf(label: string, target: number, lastSuccess: number | null, state: FreshnessState): TableLines {
  let stateLines = '';
  for (const s of FRESHNESS_STATES) stateLines += `${STATE}{${label},state="${s}"} ${s === state ? 1 : 0}\n`;
  return {
    label,
    target,
    lastSuccess,
    state,
    targetLine: `${TARGET}{${label}} ${formatValue(target)}\n`,
    lastSuccessLine: lastSuccess === null ? '' : `${LAST_SUCCESS}{${label}} ${formatValue(lastSuccess)}\n`,
    stateLines,
  };
}

const HEADER_SEGMENTS = {
  target: segmentOf(HEADERS.target),
  lastSuccess: segmentOf(HEADERS.lastSuccess),
  state: segmentOf(HEADERS.state),
};

/** Lag, target lag, last success and freshness state of every table, as segments of the exposition. */
export class TableGauges {
  /** By identifier; each table's position in the catalog's order is its entry in the blocks below. */
  #tables = new Map<string, TableLines>();
  readonly #target = new BlockedLines();
  readonly #lastSuccess = new BlockedLines();
  readonly #state = new BlockedLines();

  /** The four families as of `now`, for the tables listed (dropped ones are gone, new ones appear). */
  segments(tables: readonly TableFreshness[], successes: ReadonlyMap<string, LastSuccess>, now: Date): Segment[] {
    const next = new Map<string, TableLines>();
    let lag = HEADERS.lag;
    tables.forEach((t, i) => {
      const success = successes.get(t.key);
      const { targetSeconds: target, warnSeconds, errorSeconds } = tableThresholds(t);
      const validThrough = success?.validThrough ?? null;
      const lagSeconds = validThrough === null ? null : Math.max(0, (now.getTime() - Date.parse(validThrough)) / 1000);
      const state = freshnessStateOf({
        suspended: t.refreshStatus === 'SUSPENDED',
        lagSeconds,
        warnSeconds,
        errorSeconds,
      });
      const lastSuccess = success?.finishedAt ? Date.parse(success.finishedAt) / 1000 : null;
      let lines = this.#tables.get(t.identifier);
      if (
        lines === undefined ||
        lines.target !== target ||
        lines.lastSuccess !== lastSuccess ||
        lines.state !== state
      ) {
        lines = linesOf(lines?.label ?? `table="${escapeLabel(t.identifier)}"`, target, lastSuccess, state);
      }
      next.set(t.identifier, lines);
      // Unchanged entries cost a comparison of the same string: their blocks stay as they were.
      this.#target.set(i, lines.targetLine);
      this.#lastSuccess.set(i, lines.lastSuccessLine);
      this.#state.set(i, lines.stateLines);
      if (lagSeconds !== null) lag += `${LAG}{${lines.label}} ${formatValue(lagSeconds)}\n`;
    });
    this.#tables = next;
    for (const lines of [this.#target, this.#lastSuccess, this.#state]) lines.truncate(tables.length);
    return [
      segmentOf(lag),
      HEADER_SEGMENTS.target,
      ...this.#target.segments(),
      HEADER_SEGMENTS.lastSuccess,
      ...this.#lastSuccess.segments(),
      HEADER_SEGMENTS.state,
      ...this.#state.segments(),
    ];
  }
}
