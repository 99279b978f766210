/**
 * Throwaway databases on the PostgreSQL and MariaDB servers of the development and CI machines (127.0.0.1;
 * postgres with trust auth, MariaDB root without a password). Each test gets a fresh database and drops it.
 */
import { randomBytes } from 'node:crypto';
import knexFactory from 'knex';

export type CatalogKind = 'sqlite' | 'postgres' | 'mysql';

export const SERVER_URLS = {
  postgres: process.env.FRESHET_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test',
  mysql: process.env.FRESHET_TEST_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306/test',
} as const;

export interface ThrowawayDatabase {
  readonly url: string;
  drop(): Promise<void>;
}

function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

/** A new empty database on the server of `kind`, and how to drop it again. */
export async function createDatabase(kind: Exclude<CatalogKind, 'sqlite'>): Promise<ThrowawayDatabase> {
  const name = `freshet_t_${randomBytes(6).toString('hex')}`;
  const admin = knexFactory(
    kind === 'postgres'
      ? { client: 'pg', connection: SERVER_URLS.postgres }
      : { client: 'mysql2', connection: SERVER_URLS.mysql },
  );
  try {
    await admin.raw(
      kind === 'postgres' ? `CREATE DATABASE "${name}"` : `CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4`,
    );
  } catch (error) {
    await admin.destroy();
    throw new Error(
      `Cannot create a test database on ${kind} (${kind === 'postgres' ? SERVER_URLS.postgres : SERVER_URLS.mysql}): ${(error as Error).message}. Is the server running? .ci/run starts it.`,
    );
  }
  return {
    url: withDatabase(kind === 'postgres' ? SERVER_URLS.postgres : SERVER_URLS.mysql, name),
    drop: async () => {
      try {
        await admin.raw(
          kind === 'postgres'
            ? `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`
            : `DROP DATABASE IF EXISTS \`${name}\``,
        );
      } finally {
        await admin.destroy();
      }
    },
  };
}
