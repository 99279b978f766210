/**
 * The freshness monitor's transitions: one row each time a dynamic table's freshness state changes. A table's newest
 * row says what state it is in and since when; the rows together are the history `GET /v3/freshness/events` shows.
 */
import type { Knex } from 'knex';
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
