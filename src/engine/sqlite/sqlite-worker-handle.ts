/**
 * Where a SQLite worker runs: a thread, or a child process for statements that may have to be stopped.
 * better-sqlite3 cannot interrupt a statement, and ending a thread waits for SQLite to return; killing a
 * process stops it at once, and SQLite's locks die with it (a reader leaves nothing to roll back).
 */
import { type ChildProcess, fork } from 'node:child_process';
import { EventEmitter, once } from 'node:events';
import { Worker } from 'node:worker_threads';
import type { SqliteWorkerConfig } from './sqlite-protocol';

/** What the client needs of a worker, whichever way it runs; a thread's `Worker` is one as it is. */
export interface WorkerHandle {
  postMessage(message: unknown): void;
  /** Ends the worker; resolves once it is gone. */
  terminate(): Promise<unknown>;
  ref(): void;
  unref(): void;
  on(event: 'message' | 'error' | 'exit', listener: (value: never) => void): this;
  off(event: 'message' | 'error' | 'exit', listener: (value: never) => void): this;
}

/** The worker script and the Node options it needs (see `SqliteWorkerClient`). */
export interface WorkerScript {
  readonly file: string;
  readonly execArgv: string[];
}

/** A child process behind the same face as a thread: messages by IPC, `terminate` as SIGKILL. */
class ProcessHandle extends EventEmitter {
  constructor(private readonly child: ChildProcess) {
    super();
    child.on('message', (message) => this.emit('message', message));
    child.on('error', (error) => this.emit('error', error));
    child.on('exit', (code, signal) => this.emit('exit', code ?? (signal === null ? 0 : 1)));
  }

  postMessage(message: unknown): void {
    if (!this.child.connected) throw new Error('the worker process has exited');
    this.child.send(message as object);
  }

  terminate(): Promise<unknown> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return Promise.resolve();
    const exited = once(this.child, 'exit');
    this.child.kill('SIGKILL');
    return exited;
  }

  ref(): void {
    this.child.ref();
    this.child.channel?.ref();
  }

  unref(): void {
    this.child.unref();
    this.child.channel?.unref();
  }
}

export function startWorker(script: WorkerScript, config: SqliteWorkerConfig): WorkerHandle {
  if (config.isolated !== true) {
    return new Worker(script.file, { workerData: config, execArgv: script.execArgv }) as unknown as WorkerHandle;
  }
  const child = fork(script.file, [JSON.stringify(config)], {
    execArgv: script.execArgv,
    serialization: 'advanced',
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  return new ProcessHandle(child) as unknown as WorkerHandle;
}
