/**
 * Reader processes for pass-through statements, one per statement running at a time: a long SELECT never queues
 * another behind it, and cancelling one kills its process (better-sqlite3 has no way to interrupt a statement,
 * and a thread cannot be ended while SQLite runs) without touching the threads that refreshes, schema questions
 * and `/health` use.
 */
import { engineError } from '../../errors';
import type { SqliteWorkerConfig } from './sqlite-protocol';
import { SqliteWorkerClient } from './sqlite-worker-client';

/** Idle threads kept for the next statements; more are started while statements run side by side. */
const KEPT_IDLE = 2;

export class StatementReaders {
  private readonly config: SqliteWorkerConfig;
  private readonly idle: SqliteWorkerClient[] = [];
  private readonly busy = new Set<SqliteWorkerClient>();
  private opened = false;

  constructor(config: Omit<SqliteWorkerConfig, 'role'>) {
    this.config = Object.freeze({ ...config, role: 'reader', isolated: true });
  }

  /** Starts one thread, so that the first statement does not wait for a thread to start. */
  async open(): Promise<void> {
    this.opened = true;
    this.release(await this.acquire(), false);
  }

  /** An idle reader, or a new one when all are busy. */
  async acquire(): Promise<SqliteWorkerClient> {
    const client = this.idle.pop() ?? new SqliteWorkerClient(this.config);
    this.busy.add(client);
    try {
      await client.start();
    } catch (error) {
      this.busy.delete(client);
      throw error;
    }
    return client;
  }

  /** `killed`: the statement was cancelled and its thread ended; it is not kept. */
  release(client: SqliteWorkerClient, killed: boolean): void {
    this.busy.delete(client);
    if (killed) return;
    if (this.opened && this.idle.length < KEPT_IDLE) this.idle.push(client);
    else void client.stop().catch(() => undefined);
  }

  /** Stops the idle readers and kills the busy ones: closing does not wait for anyone's statement. */
  async close(): Promise<void> {
    this.opened = false;
    const busy = [...this.busy];
    this.busy.clear();
    const closing = engineError('The SQLite engine was closed while the statement ran.');
    await Promise.allSettled([
      ...this.idle.splice(0).map((client) => client.stop()),
      ...busy.map((client) => client.kill(closing)),
    ]);
  }
}
