/**
 * Throwaway PostgreSQL databases for the production-backend benchmarks, on the server the tests use
 * (127.0.0.1, trust auth), and the small slice of node-postgres the benchmarks drive directly.
 */
import { randomBytes } from 'node:crypto';

/** The server that throwaway databases are created on; its database is only used to create and drop them. */
export const POSTGRES_SERVER_URL =
  process.env.BENCH_POSTGRES_URL ??
  process.env.FRESHET_TEST_POSTGRES_URL ??
  'postgres://postgres@127.0.0.1:5432/postgres';

export interface PgResult<Row> {
  readonly rows: Row[];
  readonly rowCount: number | null;
}

/** One connection; queries on it run one after another, so BEGIN … COMMIT on it is one transaction. */
export interface PgClient {
  query<Row = Record<string, unknown>>(text: string, values?: readonly unknown[]): Promise<PgResult<Row>>;
  end(): Promise<void>;
}

interface PgModule {
  readonly Client: new (config: {
    connectionString: string;
    application_name: string;
  }) => PgClient & {
    connect(): Promise<void>;
    on(event: 'error', listener: (error: Error) => void): void;
  };
}

// A plain require: `import` would need the type declarations pg does not ship.
const pg = require('pg') as PgModule;

export async function connectPostgres(url: string): Promise<PgClient> {
  const client = new pg.Client({ connectionString: url, application_name: 'freshet-bench' });
  // A connection lost while idle (an interrupted run dropping its database) must not crash the run; a lost
  // connection still fails the next query.
  client.on('error', () => undefined);
  await client.connect();
  return client;
}

export interface ThrowawayDatabase {
  readonly url: string;
  drop(): Promise<void>;
}

const liveDatabases = new Map<string, ThrowawayDatabase>();

function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

async function onServer(statement: string): Promise<void> {
  const admin = await connectPostgres(POSTGRES_SERVER_URL);
  try {
    await admin.query(statement);
  } finally {
    await admin.end();
  }
}

/** A new empty database (`freshet_bench_<purpose>_<random>`); `drop` removes it, closing whatever is still connected. */
export async function createPostgresDatabase(purpose: string): Promise<ThrowawayDatabase> {
  const name = `freshet_bench_${purpose}_${randomBytes(4).toString('hex')}`;
  try {
    await onServer(`CREATE DATABASE "${name}"`);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(
      `Cannot create a PostgreSQL database on ${POSTGRES_SERVER_URL} (${reason}). Is the server running? .ci/run starts it; BENCH_POSTGRES_URL points elsewhere.`,
    );
  }
  const database: ThrowawayDatabase = {
    url: withDatabase(POSTGRES_SERVER_URL, name),
    drop: async () => {
      liveDatabases.delete(name);
      await onServer(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    },
  };
  liveDatabases.set(name, database);
  return database;
}

/** Drops the databases of benchmarks that were interrupted before they could clean up. */
export async function disposeAllDatabases(): Promise<void> {
  await Promise.allSettled([...liveDatabases.values()].map((database) => database.drop()));
}
