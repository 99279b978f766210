/**
 * The main-thread end of one SQLite worker thread: starts it, sends requests, matches answers by id.
 */
import path from 'node:path';
import { engineError, messageOf } from '../../errors';
import { SqliteWorkerFailure } from './sqlite-errors';
import { startWorker, type WorkerHandle, type WorkerScript } from './sqlite-worker-handle';
import type {
  OperationArgs,
  OperationName,
  OperationResult,
  SqliteWorkerConfig,
  WorkerMessage,
  WorkerRequest,
} from './sqlite-protocol';

interface Pending {
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: unknown) => void;
}

/**
 * The worker script sits next to this file with the same extension: `.js` when running compiled code from
 * `dist/`, `.ts` under tsx, where the worker needs tsx's require hook to load TypeScript itself.
 */
function workerScript(): WorkerScript {
  const extension = path.extname(__filename);
  const file = path.join(__dirname, `sqlite-worker${extension}`);
  return { file, execArgv: extension === '.ts' ? ['--require', require.resolve('tsx/cjs')] : [] };
}

const ignore = () => undefined;

/** A started worker, and how to remove the listeners that report its loss (before stopping it on purpose). */
interface Running {
  readonly worker: WorkerHandle;
  readonly detach: () => void;
}

export class SqliteWorkerClient {
  private readonly config: SqliteWorkerConfig;
  private opened = false;
  private current: Promise<Running> | null = null;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;

  constructor(config: SqliteWorkerConfig) {
    this.config = Object.freeze({ ...config });
  }

  /** Starts the worker and waits until its connection is open. */
  async start(): Promise<void> {
    this.opened = true;
    await this.running();
  }

  /**
   * Sends one request; rejects with {@link SqliteWorkerFailure} when the worker's operation throws. A worker
   * that died is replaced on the next call.
   */
  async call<K extends OperationName>(op: K, args: OperationArgs<K>): Promise<OperationResult<K>> {
    const { worker } = await this.running();
    return this.send(worker, op, args);
  }

  /** Closes the worker's connection (after the work already queued) and ends the thread. */
  async stop(): Promise<void> {
    this.opened = false;
    const current = this.current;
    this.current = null;
    const running = await current?.catch(() => null);
    if (running === null || running === undefined) return;
    try {
      await this.send(running.worker, 'close', null);
    } finally {
      running.detach();
      await running.worker.terminate();
    }
  }

  /**
   * Ends the worker without waiting for what it runs (better-sqlite3 cannot interrupt a statement): an
   * isolated worker's process is killed at once. What was in flight rejects with `reason`; the client is closed.
   */
  async kill(reason: unknown): Promise<void> {
    this.opened = false;
    const current = this.current;
    this.current = null;
    const waiting = [...this.pending.values()];
    this.pending.clear();
    for (const pending of waiting) pending.reject(reason);
    const running = await current?.catch(() => null);
    if (running === null || running === undefined) return;
    running.detach();
    running.worker.unref();
    void running.worker.terminate().catch(ignore);
  }

  private running(): Promise<Running> {
    if (!this.opened) return Promise.reject(engineError('The SQLite engine is not open; call open() first.'));
    if (this.current === null) {
      const spawning = this.spawn();
      this.current = spawning;
      spawning.catch(() => {
        if (this.current === spawning) this.current = null;
      });
    }
    return this.current;
  }

  private async spawn(): Promise<Running> {
    const script = workerScript();
    const worker = startWorker(script, this.config);
    const role = this.config.role;
    await new Promise<void>((resolve, reject) => {
      const finish = (error?: unknown) => {
        // Only our own listeners: Worker keeps internal ones that forward messages from the thread.
        worker.off('message', onMessage).off('error', finish).off('exit', onExit);
        if (error === undefined) return resolve();
        worker.on('error', ignore);
        void worker.terminate();
        reject(error);
      };
      const onMessage = (message: WorkerMessage) => {
        if (message.kind === 'ready') finish();
        else if (message.kind === 'startFailed') finish(new SqliteWorkerFailure(message.error));
        else finish(engineError(`SQLite ${role} worker sent ${message.kind} before it was ready.`));
      };
      const onExit = (code: number) =>
        finish(engineError(`SQLite ${role} worker exited with code ${code} while starting.`));
      worker.on('message', onMessage).on('error', finish).on('exit', onExit);
    });
    const onMessage = (message: WorkerMessage) => this.settle(worker, message);
    const onError = (error: Error) => gone(engineError(`SQLite ${role} worker failed: ${error.message}`, error));
    const onExit = (code: number) => gone(engineError(`SQLite ${role} worker exited unexpectedly (code ${code}).`));
    const detach = () => worker.off('message', onMessage).off('error', onError).off('exit', onExit).on('error', ignore);
    const gone = (error: Error) => {
      detach();
      this.lost(error);
    };
    worker.on('message', onMessage).on('error', onError).on('exit', onExit);
    // An idle worker must not keep the process alive; one with work in flight must.
    worker.unref();
    return { worker, detach };
  }

  private send<K extends OperationName>(
    worker: WorkerHandle,
    op: K,
    args: OperationArgs<K>,
  ): Promise<OperationResult<K>> {
    const id = this.nextId++;
    return new Promise<OperationResult<K>>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
      if (this.pending.size === 1) worker.ref();
      const request: WorkerRequest<K> = { id, op, args };
      try {
        worker.postMessage(request);
      } catch (error) {
        this.pending.delete(id);
        if (this.pending.size === 0) worker.unref();
        reject(
          engineError(`Could not send ${op} to the SQLite ${this.config.role} worker: ${messageOf(error)}`, error),
        );
      }
    });
  }

  private settle(worker: WorkerHandle, message: WorkerMessage): void {
    if (message.kind !== 'result' && message.kind !== 'error') return;
    const pending = this.pending.get(message.id);
    if (pending === undefined) return;
    this.pending.delete(message.id);
    if (this.pending.size === 0) worker.unref();
    if (message.kind === 'result') pending.resolve(message.value);
    else pending.reject(new SqliteWorkerFailure(message.error));
  }

  /** The thread is gone: fail what was in flight; the next call starts a new one. */
  private lost(error: Error): void {
    this.current = null;
    const waiting = [...this.pending.values()];
    this.pending.clear();
    for (const pending of waiting) pending.reject(error);
  }
}
