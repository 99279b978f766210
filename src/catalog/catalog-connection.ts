/**
 * The catalog's database connection, and the one place that knows which database it is: the SQL that differs
 * between them (the migration lock) and what follows from it (whether several gateways may share the catalog).
 */
import { mkdirSync } from 'node:fs';
import * as path from 'node:path';
import knexFactory, { type Knex } from 'knex';
import { CATALOG_MIGRATIONS } from '../../catalog';

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
 * knex connection settings for a catalog URL: `sqlite:<path>` (relative to `baseDir`),
 * `postgres://user@host:port/db` (or `postgresql://`), `mysql://user:password@host:port/db` (or `mariadb://`).
 */
export function catalogConnection(url: string, baseDir: string): Knex.Config {
  if (url.startsWith('sqlite:')) {
    const file = url.slice('sqlite:'.length);
    const resolved = file === ':memory:' ? file : path.resolve(baseDir, file);
    if (resolved !== ':memory:') mkdirSync(path.dirname(resolved), { recursive: true });
    return {
      client: 'better-sqlite3',
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
    return { client: 'pg', connection: url, pool: { min: 0, max: 10 } };
  }
  if (/^(mysql|mariadb):\/\//.test(url)) {
    // mysql2 knows only the mysql: scheme; MariaDB speaks the same protocol.
    return { client: 'mysql2', connection: url.replace(/^mariadb:/, 'mysql:'), pool: { min: 0, max: 10 } };
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

  constructor(
    readonly url: string,
    baseDir: string,
  ) {
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

  async ping(): Promise<void> {
    await this.db.raw('select 1');
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
