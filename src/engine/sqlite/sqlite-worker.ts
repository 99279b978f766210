/**
 * Entry point of a SQLite worker thread: owns one better-sqlite3 connection and answers requests one at a
 * time (see `sqlite-protocol.ts`). Started by `SqliteWorkerClient`; never imported by the main thread.
 */
import { parentPort, workerData } from 'node:worker_threads';
import BetterSqlite3 from 'better-sqlite3';
import type { Database } from 'better-sqlite3';
import { errorPayload } from './sqlite-errors';
import { alterSourceTable, executeStatement } from './sqlite-execute';
import { inspectStatement } from './sqlite-inspect';
import type {
  OperationArgs,
  OperationName,
  OperationResult,
  SqliteWorkerConfig,
  WorkerMessage,
  WorkerRequest,
} from './sqlite-protocol';
import { discardStaged, publishStaged } from './sqlite-guards';
import { createTable, dropTable, rebuildTable, refreshTable } from './sqlite-refresh';
import { refreshIncremental, releaseIncremental } from './sqlite-incremental';
import { closeCursor, createStage, dropStage, insertStage, nextBatch, openCursor, swapStage } from './sqlite-stream';

type Handlers = { [K in OperationName]: (db: Database, args: OperationArgs<K>) => OperationResult<K> };

const handlers: Handlers = {
  ping: (db) => {
    db.prepare('SELECT 1').get();
    return null;
  },
  close: (db) => {
    db.close();
    return null;
  },
  createTable: (db, { definition }) => {
    createTable(db, definition);
    return null;
  },
  dropTable: (db, { table }) => {
    dropTable(db, table);
    return null;
  },
  refresh: (db, { spec }) => refreshTable(db, spec),
  refreshIncremental: (db, { spec }) => refreshIncremental(db, spec),
  releaseIncremental: (db, { table }) => releaseIncremental(db, table),
  rebuildTable: (db, { definition, spec }) => rebuildTable(db, definition, spec),
  publishStaged: (db, { spec, staged }) => publishStaged(db, spec, staged),
  discardStaged: (db, { table, staged }) => discardStaged(db, table, staged),
  openCursor: (db, { spec }) => openCursor(db, spec),
  nextBatch: (db, { size }) => nextBatch(db, size),
  closeCursor: (db) => closeCursor(db),
  createStage: (db, { definition }) => createStage(db, definition),
  insertStage: (db, { table, columns, rows }) => insertStage(db, table, columns, rows),
  swapStage: (db, { definition, partition, refreshId, guards }) =>
    swapStage(db, definition, partition, refreshId, guards),
  dropStage: (db, { table }) => dropStage(db, table),
  execute: (db, { sql, rowLimit, readOnly }) => executeStatement(db, sql, rowLimit, readOnly),
  alterSource: (db, { table, sql }) => alterSourceTable(db, table, sql),
  inspect: (db, { sql }) => inspectStatement(db, sql),
};

function open(config: SqliteWorkerConfig): Database {
  const db = new BetterSqlite3(config.path, { timeout: config.busyTimeoutMs });
  try {
    if (config.role === 'writer') {
      // WAL is a property of the file; the writer sets it before the reader connects.
      const mode = db.pragma('journal_mode = WAL', { simple: true });
      if (String(mode).toLowerCase() !== 'wal')
        throw new Error(`could not switch ${config.path} to WAL (journal mode is ${String(mode)})`);
    }
    db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = ON');
    // Rows that INSERT OR REPLACE deletes then fire delete triggers, so change capture logs them.
    db.pragma('recursive_triggers = ON');
    return db;
  } catch (error) {
    db.close();
    throw error;
  }
}

/** The two ends a worker can have: a thread's port, or a child process's IPC channel. */
interface Port {
  postMessage(message: WorkerMessage): void;
  on(event: 'message', listener: (request: WorkerRequest) => void): void;
}

function start(port: Port, config: SqliteWorkerConfig): void {
  const post = (message: WorkerMessage) => port.postMessage(message);
  let db: Database;
  try {
    db = open(config);
  } catch (error) {
    post({ kind: 'startFailed', error: errorPayload(error) });
    return;
  }
  port.on('message', (request: WorkerRequest) => {
    try {
      const handler = handlers[request.op] as (db: Database, args: unknown) => unknown;
      post({ kind: 'result', id: request.id, value: handler(db, request.args) });
    } catch (error) {
      post({ kind: 'error', id: request.id, error: errorPayload(error) });
    }
  });
  post({ kind: 'ready' });
}

if (parentPort !== null) {
  start(parentPort, workerData as SqliteWorkerConfig);
} else if (process.send !== undefined) {
  const send = process.send.bind(process);
  // The gateway that started this process is gone: nobody is left to answer.
  process.on('disconnect', () => process.exit(0));
  start(
    { postMessage: (message) => send(message), on: (_event, listener) => process.on('message', listener) },
    JSON.parse(String(process.argv[2])) as SqliteWorkerConfig,
  );
}
