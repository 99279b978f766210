/**
 * The embedded SQLite engine. Statements run on worker threads so a long refresh never blocks the gateway's
 * event loop: a writer thread for refreshes and DDL (SQLite allows one writer at a time), a reader thread for
 * inspecting statements, and a reader process per running pass-through read (WAL lets them read while the writer
 * writes), killed to cancel it. Schema questions (what columns a query
 * returns, which tables exist) only prepare statements and read the schema, which WAL never blocks: they are
 * answered on a read-only connection in the calling thread, sparing a thread hop on every CREATE.
 */
import BetterSqlite3, { type Database } from 'better-sqlite3';
import fs from 'node:fs';
import path from 'node:path';
import { FreshetError, engineError, validationError } from '../../errors';
import type {
  ColumnInfo,
  Engine,
  EngineCapabilities,
  ExecuteOptions,
  IncrementalMaintenance,
  LoadSpec,
  ReadSpec,
  RowBatch,
  RefreshLedger,
  RefreshOutcome,
  RefreshSpec,
  RowStreaming,
  SqlDialect,
  StagedResults,
  StatementEffects,
  StatementResult,
  TableDefinition,
  TableDescription,
  TableRef,
} from '../engine';
import { describeQuery as describeQueryOn } from './sqlite-describe-query';
import { openFailure, toFreshetError } from './sqlite-errors';
import { describeTable as describeTableOn, listTables as listTablesOn } from './sqlite-introspection';
import { committedRefresh } from './sqlite-ledger';
import type { OperationArgs, OperationName, OperationResult } from './sqlite-protocol';
import { SQLITE_TYPES } from './sqlite-type-names';
import { StatementReaders } from './sqlite-statement-readers';
import { SqliteWorkerClient } from './sqlite-worker-client';

export interface SqliteEngineOptions {
  /** The database file; its directory is created when missing. In-memory databases are not supported. */
  readonly path: string;
  /** How long a statement waits for a lock held by another connection. Default 30 s. */
  readonly busyTimeoutMs?: number;
}

const DEFAULT_BUSY_TIMEOUT_MS = 30_000;

/**
 * {@link Engine} on a SQLite file (better-sqlite3, WAL, `synchronous = NORMAL`, foreign keys on).
 *
 * Pass-through results: integers beyond ±(2^53 − 1) come back as decimal strings, BLOBs as upper-case hex.
 * Types of expression columns in {@link describeQuery} are inferred as described in `sqlite-types.ts`.
 */
export class SqliteEngine implements Engine {
  readonly name = 'sqlite';
  readonly dialect: SqlDialect = 'sqlite';
  readonly defaultDatabase = 'main';
  readonly types = SQLITE_TYPES;
  private readonly options: Readonly<Required<SqliteEngineOptions>>;
  private readonly writer: SqliteWorkerClient;
  private readonly reader: SqliteWorkerClient;
  private readonly statementReaders: StatementReaders;
  private schema: Database | null = null;

  constructor(options: SqliteEngineOptions) {
    this.options = Object.freeze({
      path: options.path,
      busyTimeoutMs: options.busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS,
    });
    const { path: file, busyTimeoutMs } = this.options;
    this.writer = new SqliteWorkerClient({ path: file, busyTimeoutMs, role: 'writer' });
    this.reader = new SqliteWorkerClient({ path: file, busyTimeoutMs, role: 'reader' });
    this.statementReaders = new StatementReaders({ path: file, busyTimeoutMs });
  }

  capabilities(): EngineCapabilities {
    return { transactionalDdl: true, partitionedRefresh: true, otherDatabases: false };
  }

  /** Runs on the writer thread, like every refresh. */
  readonly incremental: IncrementalMaintenance = {
    refresh: (spec) => this.run(this.writer, 'refreshIncremental', { spec }, spec.query),
    release: async (table) => {
      await this.run(this.writer, 'releaseIncremental', { table });
    },
    alterSource: (table, sql, options) => {
      // Like any write: the signal only keeps it from starting.
      options.signal?.throwIfAborted();
      return this.run(this.writer, 'alterSource', { table, sql }, sql);
    },
  };

  readonly streaming: RowStreaming = {
    readBatches: (spec) => this.readBatches(spec),
    replaceFromBatches: (load, batches) => this.replaceFromBatches(load, batches),
  };

  /** Results a publish guard blocked, kept in staged tables beside the table; on the writer, like refreshes. */
  readonly staging: StagedResults = {
    publish: (spec, staged) => this.run(this.writer, 'publishStaged', { spec, staged }),
    discard: async (table, staged) => {
      await this.run(this.writer, 'discardStaged', { table, staged });
    },
  };

  /** Read on the schema connection: WAL shows it every committed refresh, and it never waits for the writer. */
  readonly ledger: RefreshLedger = {
    committed: async (table, refreshId) => this.onSchema((db) => committedRefresh(db, table, refreshId)),
  };

  async open(): Promise<void> {
    const file = this.options.path;
    if (file === '' || file === ':memory:' || file.startsWith('file::memory:')) {
      throw validationError(
        'The SQLite engine needs a database file path; in-memory databases cannot be shared between its threads.',
      );
    }
    try {
      fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
    } catch (error) {
      throw openFailure(error, file);
    }
    try {
      // The writer first: it switches the file to WAL before anyone else connects.
      await this.writer.start();
      await this.reader.start();
      await this.statementReaders.open();
      // Short timeout: this connection runs in the gateway's thread and must never hold it long.
      this.schema = new BetterSqlite3(file, { readonly: true, timeout: 1000 });
    } catch (error) {
      await this.close();
      throw openFailure(error, file);
    }
  }

  /** Waits for queued work, closes both connections and ends the threads. */
  async close(): Promise<void> {
    this.schema?.close();
    this.schema = null;
    await Promise.allSettled([this.statementReaders.close(), this.reader.stop(), this.writer.stop()]);
  }

  /** On the schema connection: `/health` must answer at once, not queue behind anyone's statement. */
  async ping(): Promise<void> {
    this.onSchema((db) => db.prepare('SELECT 1').get());
  }

  async listTables(): Promise<readonly TableRef[]> {
    return this.onSchema((db) => listTablesOn(db));
  }

  async describeTable(table: TableRef): Promise<TableDescription | null> {
    return this.onSchema((db) => describeTableOn(db, table));
  }

  async describeQuery(query: string): Promise<readonly ColumnInfo[]> {
    return this.onSchema((db) => describeQueryOn(db, query), query);
  }

  private onSchema<T>(read: (db: Database) => T, statementText?: string): T {
    if (this.schema === null) throw engineError('The SQLite engine is not open; call open() first.');
    try {
      return read(this.schema);
    } catch (error) {
      throw toFreshetError(error, statementText);
    }
  }

  async createTable(definition: TableDefinition): Promise<void> {
    await this.run(this.writer, 'createTable', { definition });
  }

  async dropTable(table: TableRef): Promise<void> {
    await this.run(this.writer, 'dropTable', { table });
  }

  rebuildTable(definition: TableDefinition, refresh: RefreshSpec): Promise<RefreshOutcome> {
    return this.run(this.writer, 'rebuildTable', { definition, spec: refresh }, refresh.query);
  }

  refresh(spec: RefreshSpec): Promise<RefreshOutcome> {
    return this.run(this.writer, 'refresh', { spec }, spec.query);
  }

  /** A cursor holds its connection until it is done, so each read gets a reader thread of its own. */
  private async *readBatches(spec: ReadSpec): AsyncIterable<RowBatch> {
    const { path: file, busyTimeoutMs } = this.options;
    const client = new SqliteWorkerClient({ path: file, busyTimeoutMs, role: 'reader' });
    try {
      await client.start();
      await this.run(
        client,
        'openCursor',
        { spec: { query: spec.query, columns: spec.columns, filter: spec.filter } },
        spec.query,
      );
      for (;;) {
        const { rows, done } = await this.run(client, 'nextBatch', { size: spec.batchRows });
        if (rows.length > 0) yield rows;
        if (done) return;
      }
    } finally {
      // A reader that stops early leaves its cursor open; close it so the connection can close.
      await this.run(client, 'closeCursor', null).catch(() => undefined);
      await client.stop();
    }
  }

  /** Stages the rows on the writer thread, one transaction per batch, then swaps them in with one more. */
  private async replaceFromBatches(load: LoadSpec, batches: AsyncIterable<RowBatch>): Promise<RefreshOutcome> {
    const table = load.definition.table;
    const columns = load.definition.columns.map((c) => c.name);
    await this.run(this.writer, 'createStage', { definition: load.definition });
    try {
      for await (const rows of batches) {
        if (rows.length > 0) await this.run(this.writer, 'insertStage', { table, columns, rows });
      }
      const { definition, partition, refreshId, guards } = load;
      return await this.run(this.writer, 'swapStage', { definition, partition, refreshId, guards });
    } catch (error) {
      await this.run(this.writer, 'dropStage', { table }).catch(() => undefined);
      throw error;
    }
  }

  /**
   * Read-only statements run on a statement reader of their own, killed when {@link ExecuteOptions.signal}
   * aborts. Statements that write go to the writer, behind any refresh; one that has started runs to its end
   * (ending the writer's thread would not stop SQLite either), so the signal only keeps it from starting.
   */
  async execute(sql: string, options: ExecuteOptions): Promise<StatementResult> {
    const { signal } = options;
    signal?.throwIfAborted();
    const args = { sql, rowLimit: Math.max(0, Math.floor(options.rowLimit)) };
    const read = await this.readStatement(args, signal);
    if (read.kind !== 'needsWriter') return read;
    signal?.throwIfAborted();
    const written = await this.run(this.writer, 'execute', { ...args, readOnly: false }, sql);
    if (written.kind === 'needsWriter') throw new FreshetError('INTERNAL', 'The SQLite writer declined a write.'); // unreachable: readOnly is false
    return written;
  }

  private async readStatement(args: { sql: string; rowLimit: number }, signal: AbortSignal | undefined) {
    const client = await this.statementReaders.acquire().catch((error: unknown) => {
      throw toFreshetError(error, args.sql);
    });
    let killed = false;
    const kill = () => {
      killed = true;
      void client.kill(signal?.reason);
    };
    signal?.addEventListener('abort', kill, { once: true });
    try {
      signal?.throwIfAborted(); // aborted while the reader was being had: the listener never fires
      return await this.run(client, 'execute', { ...args, readOnly: true }, args.sql);
    } catch (error) {
      throw signal?.aborted ? signal.reason : error;
    } finally {
      signal?.removeEventListener('abort', kill);
      this.statementReaders.release(client, killed);
    }
  }

  /**
   * Asked of the reader, the connection that runs read-only statements and sees the same schema as the writer:
   * compiling a statement can take a while, and the gateway's thread must stay free meanwhile.
   */
  inspectStatement(sql: string): Promise<StatementEffects> {
    return this.run(this.reader, 'inspect', { sql }, sql);
  }

  private async run<K extends OperationName>(
    client: SqliteWorkerClient,
    op: K,
    args: OperationArgs<K>,
    statementText?: string,
  ): Promise<OperationResult<K>> {
    try {
      return await client.call(op, args);
    } catch (error) {
      throw toFreshetError(error, statementText);
    }
  }
}
