/**
 * Dynamic tables in the source registry (DESIGN.md §10), as the refresh runner's hooks:
 *
 * - **Every dynamic table is a source too**, registered under its key (kind `dynamic`, provider `freshet`). A
 *   periodic refresh LOCKs its window `[T − freshness, T)` when it starts and UNLOCKs it once it has committed data
 *   through the window's end; a whole-table refresh also marks everything up to its data timestamp ready. A refresh
 *   that failed, was killed, or read upstream data older than its window leaves the window locked until a later
 *   refresh covers it.
 * - **Gated refresh.** A periodic refresh of a table with `readiness.sources` runs only once each of those sources
 *   is ready for its window; meanwhile it waits (`wait`), or its window is skipped (`skip`) or failed (`fail`). A
 *   change to a waited-for source in this process wakes the wait at once; changes made through other gateways
 *   sharing the catalog are seen by reading the sources' change counters, which is one cheap read per source.
 */
import type { DynamicTableRecord, JobRecord } from '../../catalog/records';
import type { RegistryStore } from '../../catalog/registry-store';
import type { DynamicTableStore } from '../../catalog/table-store';
import { messageOf } from '../../errors';
import { freshnessToSeconds, partitionFormatters, periodicPartition } from '../../freshness';
import type { Logger } from '../../logger';
import type { WaitingOn } from '../../model';
import type { ReadinessOutcome, RefreshHooks } from '../../refresh/refresh-hooks';
import type { TableRefresh } from '../../refresh/table-refresher';
import { type ReadinessPolicy, readinessPolicyOf } from './readiness-options';
import type { SourceRegistry } from './source-registry';

/** The provider a dynamic table publishes its windows as. */
export const OWN_PROVIDER = 'freshet';
/** Where "everything up to the data timestamp" starts. */
const ORIGIN = '1970-01-01T00:00:00.000Z';
/** How often a waiting refresh reads its sources' change counters (changes made through other gateways). */
const POLL_MS = 500;

export class TableWindows implements RefreshHooks {
  private readonly wakers = new Set<() => void>();
  /** Tables (key and creation time) whose source and provider are known to be registered. */
  private readonly published = new Set<string>();
  private closed = false;

  constructor(
    private readonly registry: SourceRegistry,
    private readonly store: RegistryStore,
    private readonly tables: Pick<DynamicTableStore, 'get'>,
    private readonly logger: Logger,
    /** The zone partition names are formatted in. */
    private readonly timeZone: string,
  ) {
    registry.onChange(() => {
      for (const wake of [...this.wakers]) wake();
    });
  }

  async awaitReadiness(
    job: JobRecord,
    table: DynamicTableRecord,
    waiting: (on: WaitingOn) => Promise<void>,
  ): Promise<ReadinessOutcome> {
    const policy = periodic(job) ? readinessPolicyOf(table.options) : null;
    if (policy === null) return { kind: 'ready' };
    const window = windowOf(job, table);
    const until = Date.now() + (policy.onNotReady === 'wait' ? policy.timeoutSeconds * 1000 : 0);
    const sources = await this.sourcesOf(table, policy);
    let shown = '';
    for (;;) {
      const counters = await Promise.all(sources.map((s) => this.store.changeCount(s)));
      const on = await this.missing(sources, window, until);
      if (on.sources.length === 0) return { kind: 'ready' };
      if (policy.onNotReady !== 'wait' || this.closed || Date.now() >= until) {
        return {
          kind: policy.onNotReady === 'skip' ? 'skip' : 'fail',
          reason: notReadyReason(on, policy),
          waitingOn: on,
        };
      }
      const text = JSON.stringify(on.sources);
      if (text !== shown) await waiting(on);
      shown = text;
      await this.nextChange(sources, counters, until);
    }
  }

  async started(job: JobRecord, refresh: TableRefresh): Promise<void> {
    if (!periodic(job) && !this.rewritesWindow(job, refresh)) return;
    await this.publish(refresh.table, async (source) => {
      const [start, end] = windowOf(job, refresh.table);
      await this.registry.registerPartition(source, { provider: OWN_PROVIDER, start, end }, 'locked');
    });
  }

  async succeeded(job: JobRecord, refresh: TableRefresh, dataTimestamp: string | null): Promise<void> {
    if (dataTimestamp === null) {
      // A backfill of a window's partition vouches for that window, not for the whole table.
      if (!this.rewritesWindow(job, refresh)) return;
      const [start, end] = windowOf(job, refresh.table);
      await this.publish(refresh.table, async (source) => {
        await this.registry.registerPartition(source, { provider: OWN_PROVIDER, start, end }, 'ready');
      });
      return;
    }
    await this.publish(refresh.table, async (source) => {
      const through = Date.parse(dataTimestamp);
      // Locked windows whose data is now in the table: this refresh's own, and those earlier refreshes left locked.
      for (const locked of await this.store.partitionsInState(source, OWN_PROVIDER, 'LOCKED')) {
        if (Date.parse(locked.end) > through) continue;
        const key = { provider: OWN_PROVIDER, start: locked.start, end: locked.end };
        if (refresh.partition !== null && !sameWindow(locked, job, refresh.table)) continue;
        await this.registry.mark(source, key, 'UNLOCK');
      }
      if (refresh.partition !== null) return;
      // A whole-table refresh holds everything up to its data timestamp: one partition says so, replacing the
      // previous one and the ready windows it covers.
      const whole = { provider: OWN_PROVIDER, start: ORIGIN, end: dataTimestamp };
      if (through <= Date.parse(ORIGIN)) return;
      const { partition } = await this.registry.registerPartition(source, whole, 'ready');
      await this.store.prunePartitions(source, OWN_PROVIDER, {
        endAtOrBefore: dataTimestamp,
        states: ['READY'],
        keep: partition.id,
      });
    });
  }

  /**
   * A one-off refresh of the partition a periodic refresh for the job's tick would write (ALTER … BACKFILL): it
   * rewrites that window as a scheduled refresh would.
   */
  private rewritesWindow(job: JobRecord, refresh: TableRefresh): boolean {
    if (periodic(job) || job.dedupeKey === null || refresh.partition === null) return false;
    const formatters = partitionFormatters(refresh.table.options);
    if (Object.keys(formatters).length === 0) return false;
    const expected = periodicPartition(new Date(job.scheduleTime), refresh.table.freshness, formatters, this.timeZone);
    const given = refresh.partition;
    const keys = Object.keys(expected);
    return (
      keys.length === Object.keys(given).length &&
      keys.every((k) =>
        Object.entries(given).some(([g, v]) => g.toLowerCase() === k.toLowerCase() && v === expected[k]),
      )
    );
  }

  close(): void {
    this.closed = true;
    for (const wake of [...this.wakers]) wake();
  }

  /** Runs `work` on the table's own source, registering it first; a failure is logged, never thrown. */
  private async publish(table: DynamicTableRecord, work: (source: string) => Promise<void>): Promise<void> {
    try {
      await this.ensureOwnSource(table);
      await work(table.key);
    } catch (error) {
      // Registered again at the next refresh, in case the source was deleted behind this gateway's back.
      this.published.delete(`${table.key}@${table.createdAt}`);
      this.logger.warn('could not publish the window of a refresh to the source registry', {
        table: table.identifier,
        error: messageOf(error),
      });
    }
  }

  /**
   * Registers the table as a source with its provider, once per table (a table dropped and created again under
   * the same name is another table: it counts with its creation time).
   */
  private async ensureOwnSource(table: DynamicTableRecord): Promise<void> {
    const published = `${table.key}@${table.createdAt}`;
    if (this.published.has(published)) return;
    if ((await this.store.getSource(table.key)) === null) {
      await this.registry
        .registerSource(
          {
            name: table.key,
            owner: OWN_PROVIDER,
            catalog: table.catalogName,
            table: `${table.databaseName}.${table.tableName}`,
          },
          'dynamic',
        )
        .catch(async (error: unknown) => {
          // Registered meanwhile by another refresh or gateway: that is all this wanted.
          if ((await this.store.getSource(table.key)) === null) throw error;
        });
    }
    if ((await this.store.getProvider(table.key, OWN_PROVIDER)) === null) {
      await this.store.insertProvider(table.key, OWN_PROVIDER, new Date().toISOString());
    }
    this.published.add(published);
  }

  /** The sources a gated table waits for: the names it gives, or every registered source its query reads. */
  private async sourcesOf(table: DynamicTableRecord, policy: ReadinessPolicy): Promise<string[]> {
    if (policy.sources !== 'all') return [...policy.sources];
    const registered = await this.store.listSources();
    const names: string[] = [];
    for (const key of table.sourceTables) {
      if ((await this.tables.get(key)) !== null) {
        names.push(key);
        continue;
      }
      const match = registered.find((s) => sourceKeyOf(s) === key);
      if (match !== undefined) names.push(match.name);
    }
    return names;
  }

  /** The sources not ready for `[start, end)`, with their gaps and locks. */
  private async missing(sources: readonly string[], [start, end]: Window, until: number): Promise<WaitingOn> {
    const missing: Array<WaitingOn['sources'][number]> = [];
    for (const name of sources) {
      if ((await this.store.getSource(name)) === null) {
        missing.push({ source: name, gaps: [[start, end]], locked: [], problem: `source ${name} is not registered` });
        continue;
      }
      const answer = await this.registry.readiness(name, start, end);
      if (answer.ready) continue;
      const locked = answer.locked.map((l) => ({ start: l.start, end: l.end, provider: l.provider }));
      missing.push({ source: name, gaps: answer.gaps, locked });
    }
    return { start, end, until: new Date(until).toISOString(), sources: missing };
  }

  /** Resolves when a waited-for source changes (here or on another gateway), or at `until`. */
  private nextChange(sources: readonly string[], counters: readonly (number | null)[], until: number): Promise<void> {
    return new Promise((resolve) => {
      let poll: NodeJS.Timeout | undefined;
      const done = () => {
        clearTimeout(deadline);
        clearTimeout(poll);
        this.wakers.delete(done);
        resolve();
      };
      const deadline = setTimeout(done, Math.max(0, until - Date.now()));
      this.wakers.add(done);
      const check = async () => {
        const now = await Promise.all(sources.map((s) => this.store.changeCount(s))).catch(() => counters);
        if (now.some((count, i) => count !== counters[i])) done();
        else if (this.wakers.has(done)) poll = setTimeout(() => void check(), POLL_MS);
      };
      poll = setTimeout(() => void check(), POLL_MS);
    });
  }
}

type Window = readonly [string, string];

/** A scheduled refresh for a tick (a callback's, the embedded scheduler's, a continuous tick). */
function periodic(job: JobRecord): boolean {
  return job.isPeriodic && job.dedupeKey !== null;
}

/** `[T − freshness, T)` of the job's tick T. */
function windowOf(job: JobRecord, table: DynamicTableRecord): Window {
  const end = Date.parse(job.scheduleTime);
  const start = end - freshnessToSeconds(table.freshness) * 1000;
  return [new Date(start).toISOString(), new Date(end).toISOString()];
}

function sameWindow(partition: { start: string; end: string }, job: JobRecord, table: DynamicTableRecord): boolean {
  const [start, end] = windowOf(job, table);
  return partition.start === start && partition.end === end;
}

/** The key a registered source would have as a table a query reads: `catalog.database.table`, lower-cased. */
function sourceKeyOf(source: { catalogName: string | null; tableName: string | null }): string | null {
  if (source.catalogName === null || source.tableName === null) return null;
  return `${source.catalogName}.${source.tableName}`.toLowerCase();
}

function notReadyReason(on: WaitingOn, policy: ReadinessPolicy): string {
  const what = on.sources
    .map((s) => {
      if (s.problem !== undefined) return s.problem;
      const gaps = s.gaps.map(([a, b]) => `[${a}, ${b})`).join(', ');
      const locks = s.locked.map((l) => `[${l.start}, ${l.end}) locked by ${l.provider}`).join(', ');
      return `${s.source}: ${[gaps && `missing ${gaps}`, locks].filter(Boolean).join('; ')}`;
    })
    .join('; ');
  const waited = policy.onNotReady === 'wait' ? ` within readiness.timeout (${policy.timeoutSeconds} s)` : '';
  return `NOT_READY: the sources were not ready for the window [${on.start}, ${on.end})${waited}: ${what}`;
}
