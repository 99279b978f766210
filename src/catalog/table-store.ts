/** The dynamic tables of the catalog, with a cache in front of them. */
import type { Knex } from 'knex';
import type { Freshness } from '../model';
import type { DynamicTableRecord, RefreshStatus } from './records';

/** The fields of a table its freshness is judged by, and when it was created (a table dropped and created again is new). */
export type TableFreshness = Pick<
  DynamicTableRecord,
  'key' | 'identifier' | 'freshness' | 'refreshStatus' | 'options' | 'createdAt'
>;
import { fromTable, parseJson, toTable, type Row } from './row-mapping';

/** How long a gateway trusts a table record it read from a catalog shared with other gateways. */
export const SHARED_TABLE_CACHE_MS = 1_000;

/** Entries the cache holds at most; it starts over when full. */
const CACHE_LIMIT = 10_000;

/** Reads and writes `dynamic_tables`, answering repeated reads from a cache. */
export class DynamicTableStore {
  /**
   * Dynamic tables by key, so that refresh callbacks do not read the catalog for every table. A SQLite catalog
   * belongs to one gateway process and every write goes through this object, so its entries never expire. A
   * server catalog may be shared by several gateways: its entries are trusted for {@link SHARED_TABLE_CACHE_MS},
   * so a change made by another gateway is seen within that time (this gateway's own changes at once).
   */
  private readonly cache = new Map<string, { readonly record: DynamicTableRecord | null; readonly until: number }>();
  private readonly cacheMs: number;
  /** {@link listFreshness} of a catalog no other gateway writes, until this store writes a table. */
  #freshness: TableFreshness[] | null = null;
  /** Counts this store's writes: a list read while one was written is not kept. */
  #writes = 0;

  constructor(
    private readonly db: Knex,
    /** Whether other gateways may write the same catalog. */
    shared: boolean,
  ) {
    this.cacheMs = shared ? SHARED_TABLE_CACHE_MS : Infinity;
  }

  async get(key: string): Promise<DynamicTableRecord | null> {
    const cached = this.cache.get(key);
    if (cached !== undefined && cached.until > Date.now()) return cached.record;
    const row = (await this.db('dynamic_tables').where({ table_key: key }).first()) as Row | undefined;
    const record = row ? toTable(row) : null;
    this.remember(key, record);
    return record;
  }

  async list(): Promise<DynamicTableRecord[]> {
    const rows = (await this.db('dynamic_tables').orderBy('table_key')) as Row[];
    return rows.map(toTable);
  }

  /** What a table's freshness is measured by, for every table in one light query (metrics read it per scrape). */
  async listFreshness(): Promise<TableFreshness[]> {
    if (this.#freshness !== null) return this.#freshness;
    const writes = this.#writes;
    const rows = (await this.db('dynamic_tables')
      .select(
        'table_key',
        'identifier',
        'freshness_interval',
        'freshness_unit',
        'refresh_status',
        'options',
        'created_at',
      )
      .orderBy('table_key')) as Row[];
    const list = rows.map((row) => ({
      key: String(row.table_key),
      identifier: String(row.identifier),
      freshness: { interval: Number(row.freshness_interval), unit: String(row.freshness_unit) as Freshness['unit'] },
      refreshStatus: String(row.refresh_status) as RefreshStatus,
      options: parseJson(row.options, {}),
      createdAt: String(row.created_at),
    }));
    if (this.cacheMs === Infinity && writes === this.#writes) this.#freshness = list;
    return list;
  }

  /** Inserts a new table; false when one with the same key exists already. */
  async insert(record: DynamicTableRecord): Promise<boolean> {
    try {
      await this.db('dynamic_tables').insert(fromTable(record));
      this.#wrote();
      this.remember(record.key, record);
      return true;
    } catch (error) {
      if (/unique|duplicate|primary/i.test(String((error as Error).message))) return false;
      throw error;
    }
  }

  async update(record: DynamicTableRecord): Promise<void> {
    this.cache.delete(record.key);
    await this.db('dynamic_tables').where({ table_key: record.key }).update(fromTable(record));
    this.#wrote();
    this.remember(record.key, record);
  }

  async delete(key: string): Promise<void> {
    this.cache.delete(key);
    await this.db('dynamic_tables').where({ table_key: key }).delete();
    this.#wrote();
    this.remember(key, null);
  }

  /** After a write of a table: the list of tables read before it is out of date. */
  #wrote(): void {
    this.#writes += 1;
    this.#freshness = null;
  }

  private remember(key: string, record: DynamicTableRecord | null): void {
    if (this.cache.size >= CACHE_LIMIT) this.cache.clear();
    this.cache.set(key, { record, until: Date.now() + this.cacheMs });
  }
}
