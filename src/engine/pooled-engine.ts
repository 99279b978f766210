/**
 * The part of a server engine (PostgreSQL, MySQL) that does not depend on the dialect: two connection pools — one
 * for Freshet's own work, one for pass-through statements, so a client's session settings never reach a refresh —
 * and the Engine members, each handed to the dialect's module with the pool and the default database.
 */
import type { FreshetError } from '../errors';
import { engineError } from '../errors';
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
  StatementResult,
  TableDefinition,
  TableDescription,
  TableRef,
  TypeTranslation,
} from './engine';

/** What a dialect supplies: its operations, each on a pool, with the database names without one default to. */
export interface PooledDialect<Pool> {
  /** The server's name in messages (`PostgreSQL`). */
  readonly label: string;
  ping(pool: Pool): Promise<unknown>;
  listTables(pool: Pool, database: string): Promise<TableRef[]>;
  describeTable(pool: Pool, table: TableRef, database: string): Promise<TableDescription | null>;
  describeQuery(pool: Pool, query: string): Promise<ColumnInfo[]>;
  createTable(pool: Pool, definition: TableDefinition, database: string): Promise<void>;
  dropTable(pool: Pool, table: TableRef, database: string): Promise<void>;
  rebuildTable(pool: Pool, definition: TableDefinition, spec: RefreshSpec, database: string): Promise<RefreshOutcome>;
  refreshTable(pool: Pool, spec: RefreshSpec, database: string): Promise<RefreshOutcome>;
  readBatches(pool: Pool, spec: ReadSpec): AsyncIterable<RowBatch>;
  replaceFromBatches(pool: Pool, load: LoadSpec, batches: AsyncIterable<RowBatch>, database: string): Promise<RefreshOutcome>;
  executeStatement(pool: Pool, sql: string, rowLimit: number): Promise<StatementResult>;
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

  protected constructor(private readonly sql: PooledDialect<Pool>) {}

  /** The database (schema) of tables whose reference names none. */
  abstract readonly defaultDatabase: string;
  abstract capabilities(): EngineCapabilities;
  /** Creates the pools, checks the server answers, and sets {@link pools}. */
  abstract open(): Promise<void>;

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
    return this.translate(() => this.sql.executeStatement(this.pool('statements'), sql, rowLimit));
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
