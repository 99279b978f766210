/**
 * Profiling in the background: at most `concurrency` profiles at a time, each dataset queued once (a dataset asked
 * for again while its profile runs is profiled once more after it, since its rows may have changed meanwhile).
 * Whoever asks never waits, unless it asks to (`POST /v3/datasets/{id}/profile`).
 */

export type ProfileWork = (signal: AbortSignal) => Promise<void>;

interface Pending {
  readonly key: string;
  readonly work: ProfileWork;
  readonly settled: Array<{ resolve: () => void; reject: (error: unknown) => void }>;
}

export class ProfileQueue {
  private readonly waiting: Pending[] = [];
  private readonly running = new Map<string, Promise<void>>();
  /** Keys asked for again while running, with the work to run then. */
  private readonly again = new Map<string, Pending>();
  private readonly stop = new AbortController();
  private idleWaiters: Array<() => void> = [];

  constructor(private readonly concurrency: number) {}

  /** Profiles running or waiting. */
  get pending(): number {
    return this.waiting.length + this.running.size + this.again.size;
  }

  /** Queues `work` under `key` (a dataset id), unless it is queued already; never rejects. */
  enqueue(key: string, work: ProfileWork): void {
    void this.submit(key, work).catch(() => undefined);
  }

  /** Queues `work` like {@link enqueue} and resolves when it (or the queued work it joined) has run. */
  submit(key: string, work: ProfileWork): Promise<void> {
    if (this.stop.signal.aborted) return Promise.reject(this.stop.signal.reason);
    return new Promise((resolve, reject) => {
      const waiter = { resolve, reject };
      const queued = this.waiting.find((p) => p.key === key) ?? this.again.get(key);
      if (queued !== undefined) {
        queued.settled.push(waiter);
        return;
      }
      const pending: Pending = { key, work, settled: [waiter] };
      if (this.running.has(key)) this.again.set(key, pending);
      else this.waiting.push(pending);
      this.pump();
    });
  }

  /** Resolves once nothing runs or waits. */
  idle(): Promise<void> {
    if (this.pending === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Aborts what runs, drops what waits, and resolves when what ran has stopped. */
  async close(): Promise<void> {
    this.stop.abort(new Error('The gateway is stopping.'));
    const dropped = [...this.waiting.splice(0), ...this.again.values()];
    this.again.clear();
    for (const pending of dropped) for (const w of pending.settled) w.reject(this.stop.signal.reason);
    await Promise.allSettled([...this.running.values()]);
  }

  private pump(): void {
    while (this.running.size < this.concurrency) {
      const index = this.waiting.findIndex((p) => !this.running.has(p.key));
      if (index < 0) break;
      const [next] = this.waiting.splice(index, 1);
      if (next !== undefined) this.start(next);
    }
    if (this.pending === 0) {
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const resolve of waiters) resolve();
    }
  }

  private start(pending: Pending): void {
    const run = (async () => {
      try {
        await pending.work(this.stop.signal);
        for (const w of pending.settled) w.resolve();
      } catch (error) {
        for (const w of pending.settled) w.reject(error);
      }
    })();
    this.running.set(pending.key, run);
    void run.finally(() => {
      this.running.delete(pending.key);
      const again = this.again.get(pending.key);
      if (again !== undefined) {
        this.again.delete(pending.key);
        if (!this.stop.signal.aborted) this.waiting.push(again);
      }
      this.pump();
    });
  }
}
