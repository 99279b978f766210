/**
 * The freshness monitor's transitions: one row each time a dynamic table's freshness state changes. A table's newest
 * row says what state it is in and since when; the rows together are the history `GET /v3/freshness/events` shows.
 * They are pruned with the refresh history's retention, but never a table's newest.
 */
import type { Knex } from 'knex';
import { CHUNK as IDS_PER_STATEMENT, type PruneLimits } from './history-pruning';
import { json, parseJson, str, strOrNull, type Row } from './row-mapping';

/** Why a table is not fresh, as the monitor named it: `kind` and `message`, and whatever else the kind tells. */
export interface FreshnessCauseRecord {
  readonly kind: string;
  readonly message: string;
  readonly [detail: string]: unknown;
}

export interface FreshnessEventRecord {
  readonly id: number;
  readonly tableKey: string;
  readonly identifier: string;
  /** `FRESH`, `WARN`, `STALE`, `UNKNOWN` or `PAUSED`. */
  readonly state: string;
  /** Null for the first state the monitor saw. */
  readonly previousState: string | null;
  readonly lagSeconds: number | null;
  readonly targetLagSeconds: number;
  readonly validThrough: string | null;
  readonly cause: FreshnessCauseRecord | null;
  /** ISO-8601 UTC: when the monitor saw the change. */
  readonly at: string;
}

export type NewFreshnessEvent = Omit<FreshnessEventRecord, 'id'>;

/** Which transitions to list, newest first. */
export interface FreshnessEventFilter {
  readonly tableKey?: string;
  /** ISO-8601 UTC: transitions at or after it. */
  readonly since?: string;
  readonly limit: number;
}

/** Rows in one INSERT at most: MySQL and SQLite bound the parameters of one statement. */
const CHUNK = 50;

/** Reads and writes `freshness_events`. */
export class FreshnessEventStore {
  constructor(private readonly db: Knex) {}

  /** Records transitions, in one transaction. */
  async insert(events: readonly NewFreshnessEvent[]): Promise<void> {
    if (events.length === 0) return;
    await this.db.transaction(async (trx) => {
      for (let i = 0; i < events.length; i += CHUNK) {
        await trx('freshness_events').insert(events.slice(i, i + CHUNK).map(fromEvent));
      }
    });
  }

  /** Each table's newest transition, by table key: one query whatever the number of tables. */
  async latestPerTable(): Promise<Map<string, FreshnessEventRecord>> {
    const newest = this.db('freshness_events').max({ id: 'id' }).groupBy('table_key');
    const rows = (await this.db('freshness_events').whereIn('id', newest)) as Row[];
    return new Map(rows.map((row) => [str(row.table_key), toEvent(row)]));
  }

  /**
   * Removes, in one bounded pass, transitions older than the cutoff and those beyond a table's newest
   * `maxRowsPerTable`, but never the newest transition of a table that exists: its state's `since` comes from it.
   * A dropped table's transitions age out with the rest. Returns how many went.
   */
  async prune(limits: PruneLimits): Promise<number> {
    const ids = new Set<number>();
    for (const id of await this.#agedIds(limits.cutoff, limits.batchSize)) ids.add(id);
    if (ids.size < limits.batchSize) {
      for (const id of await this.#excessIds(limits.maxRowsPerTable, limits.batchSize - ids.size)) ids.add(id);
    }
    const doomed = [...ids].slice(0, limits.batchSize);
    let removed = 0;
    for (let i = 0; i < doomed.length; i += IDS_PER_STATEMENT) {
      removed += Number(
        await this.db('freshness_events')
          .whereIn('id', doomed.slice(i, i + IDS_PER_STATEMENT))
          .delete(),
      );
    }
    return removed;
  }

  /** The newest transition of each table that exists. */
  #kept(): Knex.QueryBuilder {
    return this.db('freshness_events')
      .max({ id: 'id' })
      .whereIn('table_key', this.db('dynamic_tables').select('table_key'))
      .groupBy('table_key');
  }

  async #agedIds(cutoff: string, limit: number): Promise<number[]> {
    const rows = (await this.db('freshness_events')
      .select('id')
      .where('at', '<', cutoff)
      .whereNotIn('id', this.#kept())
      .orderBy('id')
      .limit(limit)) as Row[];
    return rows.map((row) => Number(row.id));
  }

  /** Transitions beyond each table's newest `max` (at least one stays), oldest first. */
  async #excessIds(max: number, limit: number): Promise<number[]> {
    const keep = Math.max(1, max);
    const crowded = (await this.db('freshness_events')
      .select('table_key')
      .groupBy('table_key')
      .havingRaw('count(*) > ?', [keep])) as Row[];
    const found: number[] = [];
    for (const { table_key } of crowded) {
      if (found.length >= limit) break;
      const newest = (await this.db('freshness_events')
        .select('id')
        .where({ table_key })
        .orderBy('id', 'desc')
        .offset(keep - 1)
        .limit(1)) as Row[];
      const oldestKept = Number(newest[0]?.id ?? 0);
      const rows = (await this.db('freshness_events')
        .select('id')
        .where({ table_key })
        .andWhere('id', '<', oldestKept)
        .orderBy('id')
        .limit(limit - found.length)) as Row[];
      found.push(...rows.map((row) => Number(row.id)));
    }
    return found;
  }

  /** Transitions newest first. */
  async list(filter: FreshnessEventFilter): Promise<FreshnessEventRecord[]> {
    const query = this.db('freshness_events');
    if (filter.tableKey !== undefined) query.where({ table_key: filter.tableKey });
    if (filter.since !== undefined) query.where('at', '>=', filter.since);
    const rows = (await query.orderBy('id', 'desc').limit(filter.limit)) as Row[];
    return rows.map(toEvent);
  }
}

function fromEvent(e: NewFreshnessEvent): Row {
  return {
    table_key: e.tableKey,
    identifier: e.identifier,
    state: e.state,
    previous_state: e.previousState,
    lag_seconds: e.lagSeconds,
    target_lag_seconds: e.targetLagSeconds,
    valid_through: e.validThrough,
    cause_kind: e.cause?.kind ?? null,
    cause: e.cause === null ? null : json(e.cause),
    at: e.at,
  };
}

function toEvent(row: Row): FreshnessEventRecord {
  return {
    id: Number(row.id),
    tableKey: str(row.table_key),
    identifier: str(row.identifier),
    state: str(row.state),
    previousState: strOrNull(row.previous_state),
    lagSeconds: row.lag_seconds === null || row.lag_seconds === undefined ? null : Number(row.lag_seconds),
    targetLagSeconds: Number(row.target_lag_seconds),
    validThrough: strOrNull(row.valid_through),
    cause: parseJson<FreshnessCauseRecord | null>(row.cause, null),
    at: str(row.at),
  };
}
