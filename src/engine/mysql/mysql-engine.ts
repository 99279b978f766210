/**
 * The MySQL/MariaDB engine (mysql2, InnoDB tables). Two pools: one for the engine's own work (refreshes, DDL,
 * schema questions) and one for pass-through statements, so that session state a client sets (`USE`, `SET`,
 * temporary tables) never leaks into a refresh. Session state is not kept between pass-through statements
 * either: each runs on whichever pooled connection is free.
 */
import type { Pool } from 'mysql2/promise';
import { validationError } from '../../errors';
import type { EngineCapabilities, RefreshLedger, SqlDialect } from '../engine';
import { PooledEngine, type PooledDialect, type PooledEngineOptions } from '../pooled-engine';
import { toFreshetError } from './mysql-errors';
import { executeStatement } from './mysql-execute';
import { inspectStatement } from './mysql-inspect';
import { describeQuery, describeTable, listTables } from './mysql-introspection';
import { committedRefresh } from './mysql-ledger';
import { createPool, run } from './mysql-pool';
import { createTable, dropTable, rebuildTable, refreshTable } from './mysql-refresh';
import { discardStaged, publishStaged } from './mysql-staging';
import { readBatches, replaceFromBatches } from './mysql-stream';
import { MYSQL_TYPES } from './mysql-type-names';

/** `url`: `mysql://user:password@host:port/database` (or `mariadb://`); the database is required. */
export type MysqlEngineOptions = PooledEngineOptions;

interface ParsedUrl {
  /** The URL mysql2 is given (`mariadb:` becomes `mysql:`: same protocol). */
  readonly url: string;
  readonly database: string;
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
    throw validationError(
      'The MySQL engine URL must name one database: mysql://user:password@host:3306/<database> ' +
        `(got ${parsed.pathname || 'none'}).`,
    );
  }
  return { url: parsed.toString(), database };
}

/** MySQL's half of a pooled engine. */
const MYSQL_DIALECT: PooledDialect<Pool> = {
  label: 'MySQL',
  createPool: ({ url, size, connectTimeoutMs }) => createPool({ url, size, connectTimeoutMs }),
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
  inspectStatement,
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
  private readonly target: ParsedUrl;

  /** Throws VALIDATION_ERROR when the URL names no database. */
  constructor(options: MysqlEngineOptions) {
    super(MYSQL_DIALECT, options);
    this.target = parseUrl(options.url);
    this.defaultDatabase = this.target.database;
  }

  capabilities(): EngineCapabilities {
    return { transactionalDdl: false, partitionedRefresh: true, otherDatabases: true };
  }

  /** Refreshes swapped in by RENAME TABLE are recorded just after the swap (see `mysql-ledger.ts`). */
  readonly ledger: RefreshLedger = {
    committed: (table, refreshId) =>
      this.translate(() => committedRefresh(this.pool('engine'), table, refreshId, this.defaultDatabase)),
  };

  protected override connectionUrl(): string {
    return this.target.url;
  }

  /** Fails when the server cannot be reached or the database does not exist. */
  protected async connected(pool: Pool): Promise<void> {
    await run(pool, { sql: 'SELECT 1', client: null });
  }
}
