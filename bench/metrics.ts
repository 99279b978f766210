/**
 * Scrape cost: `GET /metrics` of a gateway with 1,000 dynamic tables (each refreshed a few times, so the history
 * has rows to group), one scrape after another, against `GET /health` on the same gateway in the same run (the
 * cheapest route that still reads the catalog); then the same scrapes while refresh jobs run back to back, so
 * that each scrape has tables refreshed since the last. Once with the catalog on SQLite, once on PostgreSQL.
 * Scrapes ask for gzip as Prometheus does and are timed to the last byte of the answer (decompressing it is the
 * scraper's work, not the gateway's); one series asks for plain text, as a scraper without gzip would.
 */
import { request } from 'node:http';
import { createPostgresDatabase } from './databases';
import { ForkedServer } from './forked-server';
import type { GatewayCatalogs } from './server-messages';
import {
  fmtInt,
  fmtMs,
  fmtRatio,
  heading,
  line,
  postJson,
  printVerdicts,
  quantile,
  sql,
  temporaryFolder,
  verdict,
  type BenchSettings,
  type SummaryRow,
} from './support';

const GOAL_P99_MS = 50;
const WARM_UP = 20;
/** CREATE statements per request, and tables per refresh job. */
const BATCH = 100;
/** Refreshes of every table before the scrapes. */
const ROUNDS = 2;

interface Timing {
  readonly latencies: readonly number[];
  /** Bytes of the last answer, as sent. */
  readonly bytes: number;
}

/** One GET with exactly these headers; resolves with the status and the body's size once its last byte is in. */
function get(url: string, headers: Record<string, string>): Promise<{ status: number; bytes: number }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers }, (res) => {
      let bytes = 0;
      res.on('data', (chunk: Buffer) => {
        bytes += chunk.length;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, bytes }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

/** Prometheus' request: it accepts gzip. */
const GZIP = { 'accept-encoding': 'gzip' };
const PLAIN = { 'accept-encoding': 'identity' };

async function timed(url: string, count: number, headers: Record<string, string> = GZIP): Promise<Timing> {
  let bytes = 0;
  const once = async () => {
    const res = await get(url, headers);
    if (res.status !== 200) throw new Error(`GET ${url}: ${res.status}`);
    bytes = res.bytes;
  };
  for (let i = 0; i < WARM_UP; i++) await once();
  const latencies: number[] = [];
  for (let i = 0; i < count; i++) {
    const start = performance.now();
    await once();
    latencies.push(performance.now() - start);
  }
  return { latencies, bytes };
}

/** `count` tables that wait for their first scheduled refresh, then `ROUNDS` refreshes of each. */
async function populate(url: string, count: number): Promise<number> {
  const began = performance.now();
  await sql(url, `CREATE TABLE src (k INTEGER NOT NULL, v INTEGER NOT NULL); INSERT INTO src VALUES (1, 2), (3, 4)`);
  const names = tableNames(count);
  for (let i = 0; i < count; i += BATCH) {
    const script = names
      .slice(i, i + BATCH)
      .map(
        (name) =>
          `CREATE DYNAMIC TABLE ${name} WITH ('initialize' = 'on_schedule') FRESHNESS = INTERVAL '1' HOUR ` +
          'AS SELECT k, SUM(v) AS total FROM src GROUP BY k',
      )
      .join(';\n');
    await sql(url, script);
  }
  for (let round = 0; round < ROUNDS; round++) await refreshAll(url, count);
  return performance.now() - began;
}

const tableNames = (count: number) => Array.from({ length: count }, (_, i) => `dt_${i}`);

/** One refresh of every table, `BATCH` tables a job, counting them in `tally`; stops early once `until` says so. */
async function refreshAll(
  url: string,
  count: number,
  until: () => boolean = () => false,
  tally = { refreshed: 0 },
): Promise<void> {
  const names = tableNames(count);
  for (let i = 0; i < count && !until(); i += BATCH) {
    const tables = names.slice(i, i + BATCH);
    const res = await postJson(`${url}/v3/dynamic-tables/refresh?wait=600`, { tables });
    if (res.status !== 200) throw new Error(`refresh failed (${res.status}): ${JSON.stringify(res.body)}`);
    tally.refreshed += tables.length;
  }
}

/** Scrapes while refresh jobs run back to back: each scrape formats the tables refreshed since the one before. */
async function timedUnderRefreshes(
  url: string,
  count: number,
  scrapes: number,
): Promise<Timing & { refreshed: number }> {
  let done = false;
  const tally = { refreshed: 0 };
  const load = (async () => {
    while (!done) await refreshAll(url, count, () => done, tally);
  })();
  try {
    const timing = await timed(`${url}/metrics`, scrapes);
    return { ...timing, refreshed: tally.refreshed };
  } finally {
    done = true;
    await load;
  }
}

const p = (t: Timing, q: number) => quantile(t.latencies, q);
const p50p99 = (t: Timing) => `p50 ${fmtMs(p(t, 0.5))}, p99 ${fmtMs(p(t, 0.99))}`;

async function measure(settings: BenchSettings, label: string, catalogs: GatewayCatalogs): Promise<SummaryRow[]> {
  const folder = temporaryFolder('metrics');
  const server = await ForkedServer.start(
    { kind: 'gateway', dataDir: folder.path, ...catalogs },
    settings.cpuProfileDir,
  );
  try {
    const tables = settings.metricsTables;
    const scrapes = settings.metricsScrapes;
    line(
      `${label} catalog: ${fmtInt(tables)} tables, ${ROUNDS} refreshes each`,
      fmtMs(await populate(server.url, tables)),
    );
    const baseline = await timed(`${server.url}/health`, scrapes);
    const idle = await timed(`${server.url}/metrics`, scrapes);
    const plain = await timed(`${server.url}/metrics`, scrapes, PLAIN);
    const busy = await timedUnderRefreshes(server.url, tables, scrapes);
    const kib = (t: Timing) => `${fmtInt(Math.round(t.bytes / 1024))} KiB`;
    line('  baseline: GET /health', p50p99(baseline));
    line(`  GET /metrics, gzip, ${fmtInt(scrapes)} scrapes`, `${p50p99(idle)}, ${kib(idle)}`);
    line(`  GET /metrics, plain text, ${fmtInt(scrapes)} scrapes`, `${p50p99(plain)}, ${kib(plain)}`);
    line(`  gzip while refreshes run (${fmtInt(busy.refreshed)} refreshed)`, p50p99(busy));
    const row = (what: string, t: Timing): SummaryRow => ({
      benchmark: `Metrics: GET /metrics, ${fmtInt(tables)} tables, ${label} catalog${what}`,
      measured: p50p99(t),
      baseline: `GET /health ${p50p99(baseline)}`,
      ratio: fmtRatio(p(t, 0.99) / p(baseline, 0.99)),
      goal: `p99 < ${GOAL_P99_MS} ms`,
      verdict: verdict(p(t, 0.99) < GOAL_P99_MS),
    });
    return [row('', idle), row(', plain text', plain), row(', refreshes running', busy)];
  } finally {
    await server.stop();
    folder.dispose();
  }
}

export async function runMetrics(settings: BenchSettings): Promise<SummaryRow[]> {
  heading('Metrics scrape (GET /metrics vs. GET /health, sequential, one gateway)');
  const rows = await measure(settings, 'SQLite', {});
  const database = await createPostgresDatabase('metrics');
  try {
    rows.push(...(await measure(settings, 'PostgreSQL', { catalogUrl: database.url })));
  } finally {
    await database.drop();
  }
  printVerdicts(rows);
  return rows;
}
