/**
 * Running the configured discoverers: `discover` on each one's schedule (on the leader only, one run of a
 * discoverer at a time) and on request, `handleQuery` when a search asks, bounded by its deadline. What they publish
 * is recorded (see {@link DatasetRecorder}); after a run that succeeded, the datasets it no longer published are
 * removed. A failure is recorded with the time, and the discoverer simply runs again at its next turn.
 */
import { FreshetError, messageOf, notFound } from '../errors';
import type { Logger } from '../logger';
import type { PluginStateStore } from '../model';
import type { DatasetBook } from './dataset-book';
import type { DatasetRecorder } from './dataset-recorder';
import type { CatalogAccess, Discoverer, DiscoveryQuery, Publish } from './discoverer';
import type { ResolvedDiscoverer } from './registry';

/** What one run of `discover` did. */
export interface RunSummary {
  readonly discoverer: string;
  readonly startedAt: string;
  readonly finishedAt: string;
  /** Datasets published (changed or not). */
  readonly published: number;
  /** Datasets removed because the run no longer published them. */
  readonly removed: number;
  /** Why the run failed; null when it succeeded. */
  readonly error: string | null;
}

export interface RunParts {
  readonly book: DatasetBook;
  readonly recorder: DatasetRecorder;
  readonly catalogs: CatalogAccess;
  readonly stateStore: (scope: string) => PluginStateStore;
  readonly logger: Logger;
  readonly baseDir: string;
  readonly now: () => Date;
  /** True while this gateway runs scheduled work (the only gateway, or the leader of several). */
  readonly isLeader: () => boolean;
}

interface Instance {
  readonly resolved: ResolvedDiscoverer;
  readonly discoverer: Discoverer;
}

/** Resolves when `signal` aborts: a discoverer that does not heed its signal still does not hold a search up. */
function aborted(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) resolve();
    else signal.addEventListener('abort', () => resolve(), { once: true });
  });
}

export class DiscovererRuns {
  private readonly instances = new Map<string, Instance>();
  private readonly running = new Map<string, Promise<RunSummary>>();
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly stop = new AbortController();

  constructor(
    private readonly parts: RunParts,
    discoverers: readonly ResolvedDiscoverer[],
  ) {
    for (const resolved of discoverers) {
      const discoverer = resolved.factory.create(resolved.options, {
        id: resolved.id,
        baseDir: parts.baseDir,
        stateStore: parts.stateStore(`discoverer:${resolved.id}`),
        logger: parts.logger,
        catalogs: parts.catalogs,
        now: parts.now,
      });
      this.instances.set(resolved.id, { resolved, discoverer });
    }
  }

  /** The configured discoverers: id, type and schedule. */
  list(): Array<{ id: string; type: string; scheduleSeconds: number | null; answersQueries: boolean }> {
    return [...this.instances.values()].map(({ resolved, discoverer }) => ({
      id: resolved.id,
      type: resolved.factory.identifier,
      scheduleSeconds: resolved.scheduleSeconds,
      answersQueries: discoverer.handleQuery !== undefined,
    }));
  }

  has(id: string): boolean {
    return this.instances.has(id);
  }

  /** Starts each scheduled discoverer's runs: the first after `firstRunMs`, then every `schedule`. */
  start(firstRunMs: number): void {
    for (const { resolved } of this.instances.values()) {
      const seconds = resolved.scheduleSeconds;
      if (seconds === null) continue;
      const tick = () => {
        if (this.stop.signal.aborted || !this.parts.isLeader() || this.running.has(resolved.id)) return;
        this.run(resolved.id).catch(() => undefined);
      };
      const first = setTimeout(() => {
        tick();
        const every = setInterval(tick, seconds * 1000);
        every.unref();
        this.timers.push(every);
      }, firstRunMs);
      first.unref();
      this.timers.push(first);
    }
  }

  /** Runs a discoverer now, after its run in progress if there is one; resolves with what the run did. */
  run(id: string): Promise<RunSummary> {
    const instance = this.instances.get(id);
    if (instance === undefined) {
      const ids = [...this.instances.keys()].join(', ');
      return Promise.reject(notFound(`There is no discoverer '${id}'; the discoverers are ${ids || 'none'}.`));
    }
    const before = this.running.get(id) ?? Promise.resolve(undefined);
    const next = before.catch(() => undefined).then(() => this.runOnce(instance));
    this.running.set(id, next);
    void next.finally(() => {
      if (this.running.get(id) === next) this.running.delete(id);
    });
    return next;
  }

  /**
   * Asks every discoverer that answers queries, and resolves once all have answered or `deadlineMs` passed; what
   * they published by then is recorded (and so found by the search that asked).
   */
  async query(query: DiscoveryQuery, deadlineMs: number): Promise<void> {
    const askers = [...this.instances.values()].filter((i) => i.discoverer.handleQuery !== undefined);
    if (askers.length === 0 || deadlineMs <= 0) return;
    const deadline = AbortSignal.any([AbortSignal.timeout(deadlineMs), this.stop.signal]);
    await Promise.all(
      askers.map(async ({ resolved, discoverer }) => {
        const publish: Publish = (materialize, metadata, localId) => {
          deadline.throwIfAborted();
          return this.parts.recorder.record(resolved.id, 'query', null, materialize, metadata, localId);
        };
        try {
          await Promise.race([discoverer.handleQuery?.(query, publish, deadline), aborted(deadline)]);
        } catch (error) {
          if (!deadline.aborted) await this.recordError(resolved.id, 'query', error);
        }
      }),
    );
  }

  async close(): Promise<void> {
    this.stop.abort(new Error('The gateway is stopping.'));
    for (const timer of this.timers) clearTimeout(timer);
    await Promise.allSettled([...this.running.values()]);
    for (const { discoverer } of this.instances.values()) await discoverer.close?.().catch(() => undefined);
  }

  private async runOnce({ resolved, discoverer }: Instance): Promise<RunSummary> {
    const id = resolved.id;
    const startedAt = this.parts.now().toISOString();
    const signal = this.stop.signal;
    const seen = new Set<string>();
    let published = 0;
    const publish: Publish = async (materialize, metadata, localId) => {
      signal.throwIfAborted();
      published++;
      return this.parts.recorder.record(id, 'discover', seen, materialize, metadata, localId);
    };
    const summary = (removed: number, error: string | null): RunSummary => ({
      discoverer: id,
      startedAt,
      finishedAt: this.parts.now().toISOString(),
      published,
      removed,
      error,
    });
    try {
      signal.throwIfAborted();
      await discoverer.discover(publish, signal);
    } catch (error) {
      if (!signal.aborted) {
        await this.recordError(id, 'discover', error);
        this.parts.logger.warn('discoverer failed', { discoverer: id, error: messageOf(error) });
      }
      return summary(0, messageOf(error));
    }
    const gone = this.parts.book
      .all()
      .filter((d) => d.discoverer === id && d.origin === 'discover' && !seen.has(d.id))
      .map((d) => d.id);
    await this.parts.book.remove(gone);
    await this.parts.book.store.clearError(id, null, 'discover');
    return summary(gone.length, null);
  }

  private async recordError(discoverer: string, stage: string, error: unknown): Promise<void> {
    const at = this.parts.now().toISOString();
    const code = error instanceof FreshetError ? error.code : null;
    await this.parts.book.store
      .recordError({ discoverer, datasetId: null, stage, message: messageOf(error), code }, at)
      .catch((failure: unknown) =>
        this.parts.logger.warn('could not record a discovery error', { discoverer, error: messageOf(failure) }),
      );
  }
}
