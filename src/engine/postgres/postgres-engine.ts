/**
 * The PostgreSQL engine (node-postgres). Two pools: one for the engine's own work (refreshes, DDL, schema
 * questions) and one for pass-through statements, so that session state a client sets (`SET search_path`,
 * temporary tables) never leaks into a refresh. Session state is not kept between pass-through statements
 * either: each runs on whichever pooled connection is free.
 */
import type { EngineCapabilities, IncrementalMaintenance, RefreshLedger, SqlDialect } from '../engine';
import { PooledEngine, type PooledDialect, type PooledEngineOptions } from '../pooled-engine';
import type { PgPool } from './postgres-driver';
import { toFreshetError } from './postgres-errors';
import { alterSourceTable, executeStatement } from './postgres-execute';
import { refreshIncremental, releaseIncremental } from './postgres-incremental';
import { inspectStatement } from './postgres-inspect';
import { describeQuery, describeTable, listTables } from './postgres-introspection';
import { committedRefresh } from './postgres-ledger';
import { createPool, run } from './postgres-pool';
import { createTable, dropTable, rebuildTable, refreshTable } from './postgres-refresh';
import { discardStaged, publishStaged } from './postgres-staging';
import { readBatches, replaceFromBatches } from './postgres-stream';
import { POSTGRES_TYPES } from './postgres-type-names';

/** `url`: `postgres://user:password@host:port/database` (or `postgresql://`), with libpq-style query parameters. */
export type PostgresEngineOptions = PooledEngineOptions;

const DEFAULT_SCHEMA = 'public';

/** PostgreSQL's half of a pooled engine. */
const POSTGRES_DIALECT: PooledDialect<PgPool> = {
  label: 'PostgreSQL',
  createPool,
  ping: (pool) => run(pool, { sql: 'SELECT 1', client: null }),
  listTables,
  describeTable,
  describeQuery,
  createTable,
  dropTable,
  rebuildTable,
  refreshTable,
  publishStaged,
  discardStaged,
  readBatches,
  replaceFromBatches,
  executeStatement,
  inspectStatement: (pool, sql) => inspectStatement(pool, sql),
  toFreshetError: (error) => toFreshetError(error),
};

/**
 * {@link Engine} on a PostgreSQL database. Tables without a database live in the connection's current schema
 * (`public` unless the URL's `options` set a `search_path`), read once at {@link open}.
 *
 * Types are PostgreSQL's own names (`integer`, `numeric(10,2)`, `character varying(40)`); pass-through
 * values are converted as described in `postgres-execute.ts`. A refresh's `configuration` is not applied:
 * nothing in it names PostgreSQL settings.
 */
export class PostgresEngine extends PooledEngine<PgPool> {
  readonly name = 'postgres';
  readonly dialect: SqlDialect = 'postgresql';
  readonly types = POSTGRES_TYPES;
  private schema = DEFAULT_SCHEMA;

  constructor(options: PostgresEngineOptions) {
    super(POSTGRES_DIALECT, options);
  }

  /** The schema of tables whose reference names no database. */
  get defaultDatabase(): string {
    return this.schema;
  }

  capabilities(): EngineCapabilities {
    return { transactionalDdl: true, partitionedRefresh: true, otherDatabases: true };
  }

  readonly incremental: IncrementalMaintenance = {
    refresh: (spec) => this.translate(() => refreshIncremental(this.pool('engine'), spec, this.defaultDatabase)),
    release: (table) => this.translate(() => releaseIncremental(this.pool('engine'), table, this.defaultDatabase)),
    alterSource: (table, sql, options) =>
      this.translate(() => alterSourceTable(this.pool('statements'), table, this.defaultDatabase, sql, options.signal)),
  };

  readonly ledger: RefreshLedger = {
    committed: (table, refreshId) =>
      this.translate(() => committedRefresh(this.pool('engine'), table, refreshId, this.defaultDatabase)),
  };

  /** Reads the current schema. */
  protected async connected(pool: PgPool): Promise<void> {
    const statement = { sql: 'SELECT current_schema() AS schema', client: null };
    const current = await run<{ schema: string | null }>(pool, statement);
    this.schema = current.rows[0]?.schema ?? DEFAULT_SCHEMA;
  }
}
