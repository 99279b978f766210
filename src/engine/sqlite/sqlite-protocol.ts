/**
 * The messages between the SQLite engine (main thread) and its worker threads. Types only: both sides import
 * this file, and everything in it must survive structured cloning.
 */
import type { ErrorCode } from '../../errors';
import type {
  IncrementalRefreshSpec,
  ReadSpec,
  RowBatch,
  RefreshOutcome,
  RefreshSpec,
  StatementEffects,
  StatementResult,
  TableDefinition,
  TableRef,
} from '../engine';
import type { PublishGuards } from '../publish-guards';

/**
 * `writer` runs refreshes and DDL (SQLite has one writer at a time); `reader` runs introspection and
 * read-only pass-through statements, so a long refresh never queues a user's SELECT behind it.
 */
export type SqliteWorkerRole = 'writer' | 'reader';

/** What a worker is started with (`workerData`). */
export interface SqliteWorkerConfig {
  readonly path: string;
  readonly busyTimeoutMs: number;
  readonly role: SqliteWorkerRole;
  /** Run in a child process rather than a thread, so that killing it stops its statement at once. */
  readonly isolated?: boolean;
}

/** Answer of the reader to a statement that writes: send it to the writer instead. */
export interface NeedsWriter {
  readonly kind: 'needsWriter';
}

/** Every operation a worker performs: its arguments and its result. */
export interface SqliteOperations {
  ping: { args: null; result: null };
  close: { args: null; result: null };
  createTable: { args: { definition: TableDefinition }; result: null };
  dropTable: { args: { table: TableRef }; result: null };
  refresh: { args: { spec: RefreshSpec }; result: RefreshOutcome };
  rebuildTable: { args: { definition: TableDefinition; spec: RefreshSpec }; result: RefreshOutcome };
  /** Puts a result a publish guard blocked in place (see `StagedResults`). */
  publishStaged: { args: { spec: RefreshSpec; staged: string }; result: RefreshOutcome };
  discardStaged: { args: { table: TableRef; staged: string }; result: null };
  refreshIncremental: { args: { spec: IncrementalRefreshSpec }; result: RefreshOutcome };
  releaseIncremental: { args: { table: TableRef }; result: null };
  openCursor: { args: { spec: Omit<ReadSpec, 'batchRows'> }; result: null };
  nextBatch: { args: { size: number }; result: { rows: RowBatch; done: boolean } };
  closeCursor: { args: null; result: null };
  createStage: { args: { definition: TableDefinition }; result: null };
  insertStage: { args: { table: TableRef; columns: readonly string[]; rows: RowBatch }; result: number };
  swapStage: {
    args: {
      definition: TableDefinition;
      partition: Readonly<Record<string, string>> | null;
      refreshId?: string;
      guards?: PublishGuards;
    };
    result: RefreshOutcome;
  };
  dropStage: { args: { table: TableRef }; result: null };
  /** `readOnly`: answer {@link NeedsWriter} instead of running a statement that writes. */
  execute: { args: { sql: string; rowLimit: number; readOnly: boolean }; result: StatementResult | NeedsWriter };
  /** A pass-through ALTER TABLE of a table that dynamic tables read (see `IncrementalMaintenance.alterSource`). */
  alterSource: { args: { table: TableRef; sql: string }; result: StatementResult };
  /** What `sql` would write or reach outside the database, from its compiled program; runs nothing. */
  inspect: { args: { sql: string }; result: StatementEffects };
}

export type OperationName = keyof SqliteOperations;
export type OperationArgs<K extends OperationName> = SqliteOperations[K]['args'];
export type OperationResult<K extends OperationName> = SqliteOperations[K]['result'];

export interface WorkerRequest<K extends OperationName = OperationName> {
  readonly id: number;
  readonly op: K;
  readonly args: OperationArgs<K>;
}

/** An error thrown in a worker, flattened for the trip back. */
export interface WorkerErrorPayload {
  /** The error's class name (`SqliteError`, `RangeError`, `FreshetError`, …). */
  readonly name: string;
  readonly message: string;
  /** SQLite's extended result code name (`SQLITE_CONSTRAINT_UNIQUE`) when SQLite raised it. */
  readonly sqliteCode: string | null;
  /** Set when the worker threw a FreshetError itself. */
  readonly freshetCode: ErrorCode | null;
}

export type WorkerMessage =
  | { readonly kind: 'ready' }
  | { readonly kind: 'startFailed'; readonly error: WorkerErrorPayload }
  | { readonly kind: 'result'; readonly id: number; readonly value: unknown }
  | { readonly kind: 'error'; readonly id: number; readonly error: WorkerErrorPayload };
