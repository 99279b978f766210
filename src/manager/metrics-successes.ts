/**
 * Each table's newest successful refresh, for the per-table gauges, kept between scrapes: the first scrape reads
 * the whole history, the next ones only the successes that finished since the one before. Grouping the whole
 * history at every scrape cost about as much as the history is long (a week of hourly refreshes of a thousand
 * tables took longer than the scrape's goal on its own).
 */
import type { TableFreshness } from '../catalog/table-store';
import type { LastSuccess } from './metrics-tables';

/** What reads the successes: all of them, or those that finished at or after `finishedSince`. */
export type SuccessReader = (finishedSince?: string) => Promise<ReadonlyMap<string, LastSuccess>>;

/**
 * Successes that finished this long before the last read are read again: another gateway's clock may be a little
 * behind this one's, and a refresh that finished just before a read may be written just after it.
 */
export const REREAD_MS = 2 * 60_000;

interface Kept extends LastSuccess {
  /** The table's `createdAt`: a table dropped and created again under the same name starts afresh. */
  readonly createdAt: string;
}

const later = (a: string | null, b: string | null): string | null => (a === null ? b : b === null || a >= b ? a : b);

export class LastSuccesses {
  readonly #kept = new Map<string, Kept>();
  /** When the last read began (ms); null before the first, or after a table was created again. */
  #readAt: number | null = null;

  constructor(private readonly read: SuccessReader) {}

  /** Each listed table's newest success, by table key, as of now. */
  async of(tables: readonly TableFreshness[], now = Date.now()): Promise<ReadonlyMap<string, LastSuccess>> {
    if (tables.some((t) => (this.#kept.get(t.key)?.createdAt ?? t.createdAt) !== t.createdAt)) this.#readAt = null;
    const since = this.#readAt === null ? undefined : new Date(this.#readAt - REREAD_MS).toISOString();
    if (since === undefined) this.#kept.clear();
    const found = await this.read(since);
    this.#readAt = now;
    const listed = new Map(tables.map((t) => [t.key, t]));
    for (const [key, success] of found) {
      const table = listed.get(key);
      if (table === undefined) continue;
      const kept = this.#kept.get(key);
      this.#kept.set(key, {
        createdAt: table.createdAt,
        validThrough: later(kept?.validThrough ?? null, success.validThrough),
        finishedAt: later(kept?.finishedAt ?? null, success.finishedAt),
      });
    }
    for (const key of this.#kept.keys()) if (!listed.has(key)) this.#kept.delete(key);
    return this.#kept;
  }
}
