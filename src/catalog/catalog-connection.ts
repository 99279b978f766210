/**
 * The catalog's database connection, and the one place that knows which database it is: the SQL that differs
 * between them (the migration lock) and what follows from it (whether several gateways may share the catalog).
 */
import { mkdirSync, statfsSync } from 'node:fs';
import * as path from 'node:path';
import knexFactory, { type Knex } from 'knex';
import { CATALOG_MIGRATIONS } from '../../catalog';
import { messageOf, storageFull, storageOpenError, storageProblemOf } from '../errors';

/** The databases a catalog can live in. */
export type CatalogDialect = 'sqlite' | 'postgres' | 'mysql';

/**
 * How gateways take turns migrating a shared catalog: a PostgreSQL advisory lock under a key of Freshet's own
 * ("FRSHMIGR" in ASCII), a MySQL named lock per database (waiting up to 5 minutes).
 */
const MIGRATION_LOCK = {
  postgres: ['SELECT pg_advisory_lock(5067204100744628050)', 'SELECT pg_advisory_unlock(5067204100744628050)'],
  mysql: [
    "SELECT GET_LOCK(LEFT(CONCAT('freshet_migrations:', DATABASE()), 64), 300)",
    "SELECT RELEASE_LOCK(LEFT(CONCAT('freshet_migrations:', DATABASE()), 64))",
  ],
} as const;

/**
 * knex's log, without its "Acquire connection error" warning: it prints the stack of an error that reaches the
 * caller anyway (and start-up reports it in one line).
 */
const QUIET_KNEX = {
  warn: (message: unknown) => {
    if (!String(message).startsWith('Acquire connection error')) console.warn(message);
  },
  error: (message: unknown) => console.error(message),
  deprecate: (method: unknown, alternative: unknown) => console.warn(`${method} is deprecated, use ${alternative}`),
  debug: (message: unknown) => console.debug(message),
};

/** Whether the file system holding `folder` has (almost) no room left. */
export function isDiskFull(folder: string): boolean {
  try {
    const stats = statfsSync(folder);
    // A file system that reports no size at all (some network and FUSE ones) is not taken for a full one.
    return stats.blocks > 0 && stats.bavail * stats.bsize < 64 * 1024;
  } catch {
    return false;
  }
}

function diskFull(error: unknown): Error {
  return Object.assign(new Error(messageOf(error), { cause: error }), { code: 'ENOSPC' });
}

function makeFolder(folder: string): void {
  try {
    mkdirSync(folder, { recursive: true });
  } catch (error) {
    throw storageOpenError(`The catalog's folder ${folder}`, error) ?? error;
  }
}

/**
 * knex connection settings for a catalog URL: `sqlite:<path>` (relative to `baseDir`),
 * `postgres://user@host:port/db` (or `postgresql://`), `mysql://user:password@host:port/db` (or `mariadb://`).
 */
export function catalogConnection(url: string, baseDir: string): Knex.Config {
  if (url.startsWith('sqlite:')) {
    const file = url.slice('sqlite:'.length);
    const resolved = file === ':memory:' ? file : path.resolve(baseDir, file);
    if (resolved !== ':memory:') makeFolder(path.dirname(resolved));
    return {
      client: 'better-sqlite3',
      log: QUIET_KNEX,
      connection: { filename: resolved },
      useNullAsDefault: true,
      pool: {
        afterCreate: (conn: { pragma(sql: string): unknown }, done: (err: Error | null, conn: unknown) => void) => {
          conn.pragma('journal_mode = WAL');
          conn.pragma('synchronous = NORMAL');
          conn.pragma('busy_timeout = 30000');
          done(null, conn);
        },
      },
    };
  }
  if (/^postgres(ql)?:\/\//.test(url)) {
    return { client: 'pg', connection: url, pool: { min: 0, max: 10 }, log: QUIET_KNEX };
  }
  if (/^(mysql|mariadb):\/\//.test(url)) {
    // mysql2 knows only the mysql: scheme; MariaDB speaks the same protocol.
    return {
      client: 'mysql2',
      connection: url.replace(/^mariadb:/, 'mysql:'),
      pool: { min: 0, max: 10 },
      log: QUIET_KNEX,
    };
  }
  throw new Error(`catalog.url "${url}" is not supported: use sqlite:<path>, postgres://… or mysql://…`);
}

/** The catalog's database, from its URL. */
export function catalogKind(url: string): CatalogDialect {
  return url.startsWith('sqlite:') ? 'sqlite' : /^postgres/.test(url) ? 'postgres' : 'mysql';
}

/** The knex connection to a catalog, its migrations, and what its database can do. */
export class CatalogConnection {
  readonly db: Knex;
  readonly dialect: CatalogDialect;
  /**
   * True for a PostgreSQL or MySQL catalog, which several gateways may share; a SQLite catalog belongs to one
   * gateway process.
   */
  readonly shared: boolean;
  /**
   * True when the database can lock the rows a query picks and skip rows others have locked
   * (`FOR UPDATE SKIP LOCKED`); SQLite cannot.
   */
  readonly skipsLockedRows: boolean;

  /** The SQLite catalog's file; null for an in-memory or server catalog. */
  private readonly file: string | null;

  constructor(
    readonly url: string,
    baseDir: string,
  ) {
    const sqliteFile = url.startsWith('sqlite:') ? url.slice('sqlite:'.length) : ':memory:';
    this.file = sqliteFile === ':memory:' ? null : path.resolve(baseDir, sqliteFile);
    this.db = knexFactory(catalogConnection(url, baseDir));
    this.dialect = catalogKind(url);
    this.shared = this.dialect !== 'sqlite';
    this.skipsLockedRows = this.dialect !== 'sqlite';
  }

  /**
   * Applies pending migrations. Gateways starting together on a shared catalog migrate one at a time, under a
   * database lock held on one connection: knex's own migration lock cannot guard the very first start, when each
   * gateway creates knex's migration tables and lock row at once (on MySQL this can leave two lock rows, and
   * then every later start fails as "already locked").
   */
  async open(): Promise<void> {
    try {
      await this.openAndMigrate();
    } catch (error) {
      const file = this.file;
      if (file === null) throw error;
      // A disk too full for SQLite's shared-memory file shows as a plain I/O error.
      const cause = storageProblemOf(error) === undefined && isDiskFull(path.dirname(file)) ? diskFull(error) : error;
      throw storageOpenError(`The catalog ${file}`, cause) ?? error;
    }
  }

  private async openAndMigrate(): Promise<void> {
    if (this.dialect === 'sqlite') return this.migrate();
    const [lock, unlock] = MIGRATION_LOCK[this.dialect];
    const connection: unknown = await this.db.client.acquireConnection();
    try {
      await this.db.raw(lock).connection(connection);
      try {
        await this.migrate();
      } finally {
        await this.db.raw(unlock).connection(connection);
      }
    } finally {
      await this.db.client.releaseConnection(connection);
    }
  }

  async close(): Promise<void> {
    await this.db.destroy();
  }

  /** Fails when the catalog cannot be reached, or (SQLite) has no room left to write: STORAGE_FULL. */
  async ping(): Promise<void> {
    await this.db.raw('select 1');
    if (this.dialect === 'sqlite') await this.checkRoom();
  }

  private async checkRoom(): Promise<void> {
    const file = this.file ?? ':memory:';
    if (this.file !== null && isDiskFull(path.dirname(this.file)))
      throw storageFull(`The catalog ${file}`, new Error('less than 64 KiB free on its disk'));
    const pragma = async (name: string) => Number(Object.values((await this.db.raw(`PRAGMA ${name}`))[0] ?? {})[0]);
    const pages = await pragma('page_count');
    if (pages >= (await pragma('max_page_count')) && (await pragma('freelist_count')) === 0)
      throw storageFull(`The catalog ${file}`, new Error(`its size limit of ${pages} pages is reached`));
  }

  private async migrate(): Promise<void> {
    await this.db.migrate.latest({
      tableName: 'catalog_migrations',
      migrationSource: {
        getMigrations: async () => [...CATALOG_MIGRATIONS],
        getMigrationName: (migration: { name: string }) => migration.name,
        getMigration: async (migration: Knex.Migration) => migration,
      },
    });
  }
}
