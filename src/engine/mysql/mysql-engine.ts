/**
 * The MySQL/MariaDB engine (mysql2, InnoDB tables). Two pools: one for the engine's own work (refreshes, DDL,
 * schema questions) and one for pass-through statements, so that session state a client sets (`USE`, `SET`,
 * temporary tables) never leaks into a refresh. Session state is not kept between pass-through statements
 * either: each runs on whichever pooled connection is free.
 */
import type { Pool } from 'mysql2/promise';
import { engineError, messageOf, validationError } from '../../errors';
import type { EngineCapabilities, SqlDialect } from '../engine';
import { toFreshetError } from './mysql-errors';
import { executeStatement } from './mysql-execute';
import { describeQuery, describeTable, listTables } from './mysql-introspection';
import { createPool, run } from './mysql-pool';
import { createTable, dropTable, rebuildTable, refreshTable } from './mysql-refresh';
import { PooledEngine, type PooledDialect } from '../pooled-engine';
import { readBatches, replaceFromBatches } from './mysql-stream';
import { MYSQL_TYPES } from './mysql-type-names';

export interface MysqlEngineOptions {
  /** `mysql://user:password@host:port/database` (or `mariadb://`); the database is required. */
  readonly url: string;
  /** Connections for refreshes, DDL and schema questions. Default 5. */
  readonly poolSize?: number;
  /** Connections for pass-through statements. Default 5. */
  readonly statementPoolSize?: number;
  /** How long to wait for a new connection before failing with ENGINE_ERROR. Default 10 s. */
  readonly connectTimeoutMs?: number;
}

interface ParsedUrl {
  /** The URL mysql2 is given (`mariadb:` becomes `mysql:`: same protocol). */
  readonly url: string;
  readonly database: string;
  /** The URL without its password, for messages. */
  readonly display: string;
}

function parseUrl(url: string): ParsedUrl {
  let parsed: URL;
  try {
    parsed = new URL(url.replace(/^mariadb:/i, 'mysql:'));
  } catch {
    throw validationError('The MySQL engine URL is not a URL; write mysql://user:password@host:3306/database.');
  }
  const database = decodeURIComponent(parsed.pathname.replace(/^\//, ''));
  if (database === '' || database.includes('/')) {
    throw validationError(`The MySQL engine URL must name one database: mysql://user:password@host:3306/<database> (got ${parsed.pathname || 'none'}).`);
  }
  const connectUrl = parsed.toString();
  if (parsed.password !== '') parsed.password = '***';
  return { url: connectUrl, database, display: parsed.toString() };
}

/** MySQL's half of a pooled engine. */
const MYSQL_DIALECT: PooledDialect<Pool> = {
  label: 'MySQL',
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
 * {@link Engine} on a MySQL or MariaDB database. Tables without a database live in the database the URL
 * names. DDL commits implicitly on MySQL, so `transactionalDdl` is false and a rebuild swaps tables with one
 * atomic RENAME TABLE instead.
 *
 * Types of query columns are derived from the server's column metadata (see `mysql-types.ts`); table
 * columns carry information_schema's COLUMN_TYPE. Pass-through values are converted as described in
 * `mysql-pool.ts` and `mysql-execute.ts`. A refresh's `configuration` is not applied: nothing in it names
 * MySQL settings.
 */
export class MysqlEngine extends PooledEngine<Pool> {
  readonly name = 'mysql';
  readonly dialect: SqlDialect = 'mysql';
  readonly types = MYSQL_TYPES;
  readonly defaultDatabase: string;
  private readonly options: Readonly<Required<MysqlEngineOptions>>;
  private readonly target: ParsedUrl;

  /** Throws VALIDATION_ERROR when the URL names no database. */
  constructor(options: MysqlEngineOptions) {
    super(MYSQL_DIALECT);
    this.options = Object.freeze({
      url: options.url,
      poolSize: options.poolSize ?? 5,
      statementPoolSize: options.statementPoolSize ?? 5,
      connectTimeoutMs: options.connectTimeoutMs ?? 10_000,
    });
    this.target = parseUrl(options.url);
    this.defaultDatabase = this.target.database;
  }

  capabilities(): EngineCapabilities {
    return { transactionalDdl: false, partitionedRefresh: true, otherDatabases: true };
  }

  /** Connects, failing with ENGINE_ERROR when the server cannot be reached or the database does not exist. */
  async open(): Promise<void> {
    if (this.pools !== null) return;
    const { poolSize, statementPoolSize, connectTimeoutMs } = this.options;
    const engine = createPool({ url: this.target.url, size: poolSize, connectTimeoutMs });
    const statements = createPool({ url: this.target.url, size: statementPoolSize, connectTimeoutMs });
    try {
      await run(engine, { sql: 'SELECT 1', client: null });
    } catch (error) {
      await Promise.allSettled([engine.end(), statements.end()]);
      throw engineError(`Cannot connect to MySQL at ${this.target.display}: ${messageOf(error).replace(/^MySQL: /, '')}`, error);
    }
    this.pools = { engine, statements };
  }
}
