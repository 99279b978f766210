/**
 * The part of a server engine (PostgreSQL, MySQL) that does not depend on the dialect: two connection pools — one
 * for Freshet's own work, one for pass-through statements, so a client's session settings never reach a refresh —
 * and the Engine members, each handed to the dialect's module with the pool and the default database.
 */
import type { FreshetError } from '../errors';
import { engineError, messageOf } from '../errors';
import type {
  ColumnInfo,
  Engine,
  EngineCapabilities,
  ExecuteOptions,
  LoadSpec,
  ReadSpec,
  RefreshOutcome,
  RefreshSpec,
  RowBatch,
  RowStreaming,
  SqlDialect,
  StagedResults,
  StatementEffects,
  StatementResult,
  TableDefinition,
  TableDescription,
  TableRef,
  TypeTranslation,
} from './engine';
import { displayUrl } from './engine-url';

/** The options of a server engine. */
export interface PooledEngineOptions {
  /** The server's connection URL (`postgres://user:password@host:port/database`). */
  readonly url: string;
  /** Connections for refreshes, DDL and schema questions. Default 5. */
  readonly poolSize?: number;
  /** Connections for pass-through statements. Default 5. */
  readonly statementPoolSize?: number;
  /** How long to wait for a new connection before failing with ENGINE_ERROR. Default 10 s. */
  readonly connectTimeoutMs?: number;
}

/** What a pool is made from. */
export interface PoolSettings {
  readonly url: string;
  readonly size: number;
  readonly connectTimeoutMs: number;
  /** What the pool's connections are for, for the server's view of its clients. */
  readonly role: 'engine' | 'statements';
}

/** A value as JSON can carry it without losing anything. */
export function toJsonValue(value: unknown): unknown {
  if (typeof value === 'bigint') return Number.isSafeInteger(Number(value)) ? Number(value) : value.toString();
  if (Buffer.isBuffer(value)) return value.toString('hex').toUpperCase();
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? String(value) : value.toISOString();
  if (Array.isArray(value)) return value.map(toJsonValue);
  return value;
}

/** What a dialect supplies: its operations, each on a pool, with the database names without one default to. */
export interface PooledDialect<Pool> {
  /** The server's name in messages (`PostgreSQL`). */
  readonly label: string;
  createPool(settings: PoolSettings): Pool;
  ping(pool: Pool): Promise<unknown>;
  listTables(pool: Pool, database: string): Promise<TableRef[]>;
  describeTable(pool: Pool, table: TableRef, database: string): Promise<TableDescription | null>;
  describeQuery(pool: Pool, query: string): Promise<ColumnInfo[]>;
  createTable(pool: Pool, definition: TableDefinition, database: string): Promise<void>;
  dropTable(pool: Pool, table: TableRef, database: string): Promise<void>;
  rebuildTable(pool: Pool, definition: TableDefinition, spec: RefreshSpec, database: string): Promise<RefreshOutcome>;
  refreshTable(pool: Pool, spec: RefreshSpec, database: string): Promise<RefreshOutcome>;
  readBatches(pool: Pool, spec: ReadSpec): AsyncIterable<RowBatch>;
  replaceFromBatches(
    pool: Pool,
    load: LoadSpec,
    batches: AsyncIterable<RowBatch>,
    database: string,
  ): Promise<RefreshOutcome>;
  /** Puts a result a publish guard blocked in place (see {@link StagedResults.publish}). */
  publishStaged(pool: Pool, spec: RefreshSpec, staged: string, database: string): Promise<RefreshOutcome>;
  /** Forgets a blocked result (see {@link StagedResults.discard}). */
  discardStaged(pool: Pool, table: TableRef, staged: string, database: string): Promise<void>;
  /** Stops the statement on the server when `signal` aborts, and then rejects with the signal's reason. */
  executeStatement(pool: Pool, sql: string, rowLimit: number, signal?: AbortSignal): Promise<StatementResult>;
  /** What a pass-through statement would write or reach, asked on the statement pool (see `Engine`). */
  inspectStatement(pool: Pool, sql: string, database: string): Promise<StatementEffects>;
  toFreshetError(error: unknown): FreshetError;
}

export interface EnginePools<Pool> {
  readonly engine: Pool;
  readonly statements: Pool;
}

export abstract class PooledEngine<Pool extends { end(): Promise<void> }> implements Engine {
  abstract readonly name: string;
  abstract readonly dialect: SqlDialect;
  abstract readonly types: TypeTranslation;
  protected pools: EnginePools<Pool> | null = null;
  protected readonly options: Readonly<Required<PooledEngineOptions>>;

  protected constructor(
    private readonly sql: PooledDialect<Pool>,
    options: PooledEngineOptions,
  ) {
    this.options = Object.freeze({
      url: options.url,
      poolSize: options.poolSize ?? 5,
      statementPoolSize: options.statementPoolSize ?? 5,
      connectTimeoutMs: options.connectTimeoutMs ?? 10_000,
    });
  }

  /** The database (schema) of tables whose reference names none. */
  abstract readonly defaultDatabase: string;
  abstract capabilities(): EngineCapabilities;

  /** The URL the pools connect with (the configured one unless the dialect rewrites it). */
  protected connectionUrl(): string {
    return this.options.url;
  }

  /** The first statement on a new engine pool: proves the server answers, and reads what the engine needs. */
  protected abstract connected(pool: Pool): Promise<void>;

  /** Creates the pools and checks the server answers, failing with ENGINE_ERROR when it cannot be reached. */
  async open(): Promise<void> {
    if (this.pools !== null) return;
    const { poolSize, statementPoolSize, connectTimeoutMs } = this.options;
    const url = this.connectionUrl();
    const engine = this.sql.createPool({ url, size: poolSize, connectTimeoutMs, role: 'engine' });
    const statements = this.sql.createPool({ url, size: statementPoolSize, connectTimeoutMs, role: 'statements' });
    try {
      await this.connected(engine);
    } catch (error) {
      await Promise.allSettled([engine.end(), statements.end()]);
      const { label } = this.sql;
      const message = messageOf(error);
      const reason = message.startsWith(`${label}: `) ? message.slice(label.length + 2) : message;
      const where = displayUrl(url, `the configured ${label} URL`);
      throw engineError(`Cannot connect to ${label} at ${where}: ${reason}`, error);
    }
    this.pools = { engine, statements };
  }

  /** Waits for the statements in flight and closes every connection. */
  async close(): Promise<void> {
    const pools = this.pools;
    this.pools = null;
    if (pools !== null) await Promise.allSettled([pools.engine.end(), pools.statements.end()]);
  }

  async ping(): Promise<void> {
    await this.sql.ping(this.pool('engine'));
  }

  listTables(): Promise<readonly TableRef[]> {
    return this.translate(() => this.sql.listTables(this.pool('engine'), this.defaultDatabase));
  }

  describeTable(table: TableRef): Promise<TableDescription | null> {
    return this.translate(() => this.sql.describeTable(this.pool('engine'), table, this.defaultDatabase));
  }

  /** The query is planned or prepared, never run. */
  describeQuery(query: string): Promise<readonly ColumnInfo[]> {
    return this.translate(() => this.sql.describeQuery(this.pool('engine'), query));
  }

  createTable(definition: TableDefinition): Promise<void> {
    return this.translate(() => this.sql.createTable(this.pool('engine'), definition, this.defaultDatabase));
  }

  dropTable(table: TableRef): Promise<void> {
    return this.translate(() => this.sql.dropTable(this.pool('engine'), table, this.defaultDatabase));
  }

  rebuildTable(definition: TableDefinition, refresh: RefreshSpec): Promise<RefreshOutcome> {
    return this.translate(() => this.sql.rebuildTable(this.pool('engine'), definition, refresh, this.defaultDatabase));
  }

  refresh(spec: RefreshSpec): Promise<RefreshOutcome> {
    return this.translate(() => this.sql.refreshTable(this.pool('engine'), spec, this.defaultDatabase));
  }

  readonly staging: StagedResults = {
    publish: (spec, staged) =>
      this.translate(() => this.sql.publishStaged(this.pool('engine'), spec, staged, this.defaultDatabase)),
    discard: (table, staged) =>
      this.translate(() => this.sql.discardStaged(this.pool('engine'), table, staged, this.defaultDatabase)),
  };

  readonly streaming: RowStreaming = {
    readBatches: (spec) => this.readBatches(spec),
    replaceFromBatches: (load, batches) => this.replaceFromBatches(load, batches),
  };

  /** One engine connection is held until the read is done (or abandoned). */
  private async *readBatches(spec: ReadSpec): AsyncIterable<RowBatch> {
    yield* this.sql.readBatches(this.pool('engine'), spec);
  }

  /** Staged batch by batch, then swapped in. An error of `batches` (the source engine's) comes out as it went in. */
  private async replaceFromBatches(load: LoadSpec, batches: AsyncIterable<RowBatch>): Promise<RefreshOutcome> {
    return this.sql.replaceFromBatches(this.pool('engine'), load, batches, this.defaultDatabase);
  }

  execute(sql: string, options: ExecuteOptions): Promise<StatementResult> {
    const rowLimit = Math.max(0, Math.floor(options.rowLimit));
    const pool = this.pool('statements');
    return this.translate(() => this.sql.executeStatement(pool, sql, rowLimit, options.signal));
  }

  /** Asked on the statements pool, whose connections resolve names exactly as a pass-through statement does. */
  inspectStatement(sql: string): Promise<StatementEffects> {
    return this.translate(() => this.sql.inspectStatement(this.pool('statements'), sql, this.defaultDatabase));
  }

  protected pool(role: keyof EnginePools<Pool>): Pool {
    if (this.pools === null) throw engineError(`The ${this.sql.label} engine is not open; call open() first.`);
    return this.pools[role];
  }

  /** Errors the dialect's work did not translate itself become FreshetErrors here. */
  protected async translate<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      throw this.sql.toFreshetError(error);
    }
  }
}
