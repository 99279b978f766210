/**
 * Callback throughput with the gateway's own catalog (jobs, history, leases) on PostgreSQL instead of SQLite:
 * the measurement of `callback-throughput.ts`, same load and goals, against the bare route of the same run.
 */
import { measureCallbackThroughput, type JobLedger } from './callback-throughput';
import { connectPostgres, createPostgresDatabase } from './databases';
import { line, type BenchSettings, type SummaryRow } from './support';

async function postgresLedger(url: string): Promise<JobLedger> {
  const client = await connectPostgres(url);
  return {
    counts: async () => {
      const { rows } = await client.query<{ status: string; n: string }>(
        'SELECT status, count(*) AS n FROM refresh_jobs GROUP BY status',
      );
      return new Map(rows.map((r) => [r.status, Number(r.n)]));
    },
    statuses: async () => {
      const { rows } = await client.query<{ id: string; status: string }>(
        'SELECT job_id AS id, status FROM refresh_jobs',
      );
      return new Map(rows.map((r) => [r.id, r.status]));
    },
    close: () => client.end(),
  };
}

export async function runPostgresCallback(settings: BenchSettings): Promise<SummaryRow[]> {
  const database = await createPostgresDatabase('callback');
  try {
    return await measureCallbackThroughput(settings, {
      title: 'Callback throughput, catalog on PostgreSQL (POST /v3/dynamic-tables/refresh vs. a bare express route)',
      rowPrefix: 'Callback, PostgreSQL catalog',
      catalogs: { catalogUrl: database.url },
      openLedger: () => postgresLedger(database.url),
    });
  } finally {
    await database.drop();
    line('throwaway catalog database', 'dropped');
  }
}
