/**
 * The PostgreSQL engine (node-postgres). Two pools: one for the engine's own work (refreshes, DDL, schema
 * questions) and one for pass-through statements, so that session state a client sets (`SET search_path`,
 * temporary tables) never leaks into a refresh. Session state is not kept between pass-through statements
 * either: each runs on whichever pooled connection is free.
 */
import { engineError, messageOf } from '../../errors';
import type { EngineCapabilities, IncrementalMaintenance, SqlDialect } from '../engine';
import type { PgPool } from './postgres-driver';
import { toFreshetError } from './postgres-errors';
import { executeStatement } from './postgres-execute';
import { describeQuery, describeTable, listTables } from './postgres-introspection';
import { refreshIncremental, releaseIncremental } from './postgres-incremental';
import { createPool, run } from './postgres-pool';
import { createTable, dropTable, rebuildTable, refreshTable } from './postgres-refresh';
import { PooledEngine, type PooledDialect } from '../pooled-engine';
import { readBatches, replaceFromBatches } from './postgres-stream';
import { POSTGRES_TYPES } from './postgres-type-names';

export interface PostgresEngineOptions {
  /** `postgres://user:password@host:port/database` (or `postgresql://`), with libpq-style query parameters. */
  readonly url: string;
  /** Connections for refreshes, DDL and schema questions. Default 5. */
  readonly poolSize?: number;
  /** Connections for pass-through statements. Default 5. */
  readonly statementPoolSize?: number;
  /** How long to wait for a new connection before failing with ENGINE_ERROR. Default 10 s. */
  readonly connectTimeoutMs?: number;
}

const DEFAULT_SCHEMA = 'public';

/** The URL without its password, for messages. */
function displayUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== '') parsed.password = '***';
    return parsed.toString();
  } catch {
    return 'the configured PostgreSQL URL';
  }
}

/** PostgreSQL's half of a pooled engine. */
const POSTGRES_DIALECT: PooledDialect<PgPool> = {
  label: 'PostgreSQL',
  ping: (pool) => run(pool, { sql: 'SELECT 1', client: null }),
  listTables,
  describeTable,
  describeQuery,
  createTable,
  dropTable,
  rebuildTable,
  refreshTable,
  readBatches,
  replaceFromBatches,
  executeStatement,
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
  private readonly options: Readonly<Required<PostgresEngineOptions>>;
  private schema = DEFAULT_SCHEMA;

  constructor(options: PostgresEngineOptions) {
    super(POSTGRES_DIALECT);
    this.options = Object.freeze({
      url: options.url,
      poolSize: options.poolSize ?? 5,
      statementPoolSize: options.statementPoolSize ?? 5,
      connectTimeoutMs: options.connectTimeoutMs ?? 10_000,
    });
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
  };

  /** Connects (failing with ENGINE_ERROR when the server cannot be reached) and reads the current schema. */
  async open(): Promise<void> {
    if (this.pools !== null) return;
    const { url, poolSize, statementPoolSize, connectTimeoutMs } = this.options;
    const engine = createPool({ url, size: poolSize, connectTimeoutMs, role: 'engine' });
    const statements = createPool({ url, size: statementPoolSize, connectTimeoutMs, role: 'statements' });
    try {
      const current = await run<{ schema: string | null }>(engine, { sql: 'SELECT current_schema() AS schema', client: null });
      this.schema = current.rows[0]?.schema ?? DEFAULT_SCHEMA;
    } catch (error) {
      await Promise.allSettled([engine.end(), statements.end()]);
      throw engineError(`Cannot connect to PostgreSQL at ${displayUrl(url)}: ${messageOf(error).replace(/^PostgreSQL: /, '')}`, error);
    }
    this.pools = { engine, statements };
  }
}
