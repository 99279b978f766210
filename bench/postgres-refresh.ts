/**
 * Refresh overhead on PostgreSQL: a FULL refresh through Freshet of an aggregating dynamic table that lives in a
 * PostgreSQL catalog, against (a) the same DELETE + INSERT … SELECT written by hand and run in one transaction
 * on a plain table with the same columns, and (b) PostgreSQL's own REFRESH MATERIALIZED VIEW of the same
 * query. The three sides take turns in a rotating order so drift in the machine hits all of them.
 */
import { connectPostgres, createPostgresDatabase, type PgClient } from './databases';
import { ForkedServer } from './forked-server';
import {
  fmtInt,
  fmtMs,
  fmtRatio,
  heading,
  line,
  median,
  postJson,
  printVerdicts,
  temporaryFolder,
  verdict,
  type BenchSettings,
  type SummaryRow,
} from './support';

const GOAL_RATIO = 1.15;
const CATALOG = 'warehouse';
const QUERY = 'SELECT g, count(*) AS n, sum(x) AS sx, avg(y) AS ay FROM src GROUP BY g';
/** The dynamic table as the refresh callback names it: the gateway's default catalog is the SQLite one. */
const TABLE_ID = `${CATALOG}.public.agg`;

interface FreshetTiming {
  /** Around the HTTP call (`?wait=`), as a scheduler sees it. */
  readonly httpMs: number;
  /** The job's own startedAt → finishedAt. */
  readonly jobMs: number;
  /** The table's history row startedAt → finishedAt: the engine's refresh plus its bookkeeping. */
  readonly tableMs: number;
}

/** Fills `src` with the same deterministic rows as the SQLite benchmark: `groups` values of g, spread evenly. */
async function seedSource(db: PgClient, rows: number, groups: number): Promise<void> {
  await db.query(
    'CREATE TABLE src (id integer PRIMARY KEY, g integer NOT NULL, x integer NOT NULL, y double precision NOT NULL)',
  );
  await db.query(
    `INSERT INTO src (id, g, x, y)
     SELECT i, i % ${groups}, (i::bigint * 7919) % 1000, (i % 997) / 10.0 FROM generate_series(1, ${rows}) AS i`,
  );
  // Hint bits and statistics set now, so no timed run pays for the first visit to fresh rows.
  await db.query('VACUUM (ANALYZE) src');
}

async function inWarehouse(gatewayUrl: string, statement: string): Promise<void> {
  const res = await postJson(`${gatewayUrl}/v3/statements`, { statement, catalog: CATALOG });
  if (res.status !== 200)
    throw new Error(`SQL in ${CATALOG} failed (${res.status}): ${JSON.stringify(res.body)}\n${statement}`);
}

async function freshetRefresh(gatewayUrl: string): Promise<FreshetTiming> {
  const began = performance.now();
  const res = await postJson(`${gatewayUrl}/v3/dynamic-tables/refresh?wait=600`, { tables: [TABLE_ID] }, 660_000);
  const httpMs = performance.now() - began;
  const job = res.body?.job;
  if (res.status !== 200 || job?.status !== 'SUCCEEDED')
    throw new Error(`the refresh did not succeed (${res.status}): ${JSON.stringify(res.body)}`);
  const span = (from: unknown, to: unknown) => Date.parse(String(to)) - Date.parse(String(from));
  const table = job.tables?.[0] ?? {};
  return { httpMs, jobMs: span(job.startedAt, job.finishedAt), tableMs: span(table.startedAt, table.finishedAt) };
}

async function contentsDigest(db: PgClient, relation: string): Promise<string> {
  const { rows } = await db.query(
    `SELECT count(*) AS rows, sum(n) AS n, sum(sx) AS sx, round(sum(ay)::numeric, 6) AS ay FROM ${relation}`,
  );
  return JSON.stringify(rows[0]);
}

/** How many parallel workers the plan of `statement` asks for: PostgreSQL plans INSERT … SELECT serially. */
async function plannedWorkers(db: PgClient, statement: string): Promise<number> {
  const { rows } = await db.query<{ 'QUERY PLAN': unknown }>(`EXPLAIN (FORMAT JSON) ${statement}`);
  const plan = JSON.stringify(rows[0]?.['QUERY PLAN'] ?? []);
  return [...plan.matchAll(/"Workers Planned":\s*(\d+)/g)].reduce((sum, match) => sum + Number(match[1]), 0);
}

export async function runPostgresRefresh(settings: BenchSettings): Promise<SummaryRow[]> {
  heading(
    'Refresh overhead on PostgreSQL (FULL refresh through Freshet vs. INSERT … SELECT and REFRESH MATERIALIZED VIEW)',
  );
  const database = await createPostgresDatabase('refresh');
  const folder = temporaryFolder('pg-refresh');
  let db: PgClient | null = null;
  let server: ForkedServer | null = null;
  try {
    db = await connectPostgres(database.url);
    const direct = db;
    const seedingFrom = performance.now();
    await seedSource(direct, settings.rows, settings.groups);
    line(
      'source rows / groups',
      `${fmtInt(settings.rows)} / ${fmtInt(settings.groups)} (seeded in ${fmtMs(performance.now() - seedingFrom)})`,
    );
    line('query', QUERY);

    server = await ForkedServer.start(
      { kind: 'gateway', dataDir: folder.path, catalogs: { [CATALOG]: { url: database.url } } },
      settings.cpuProfileDir,
    );
    const gatewayUrl = server.url;
    await inWarehouse(
      gatewayUrl,
      `CREATE DYNAMIC TABLE agg WITH ('initialize' = 'on_schedule') FRESHNESS = INTERVAL '1' HOUR AS ${QUERY}`,
    );
    // Columns, types, constraints and indexes of the dynamic table, as a hand-written refresh would target.
    await direct.query('CREATE TABLE agg_baseline (LIKE agg INCLUDING ALL)');
    await direct.query(`CREATE MATERIALIZED VIEW agg_mv AS ${QUERY} WITH NO DATA`);
    const { rows: columnRows } = await direct.query<{ name: string }>(
      "SELECT attname AS name FROM pg_attribute WHERE attrelid = 'agg'::regclass AND attnum > 0 AND NOT attisdropped ORDER BY attnum",
    );
    const columns = columnRows.map((c) => `"${c.name}"`).join(', ');
    const insert = `INSERT INTO agg_baseline (${columns}) ${QUERY}`;
    line(
      'parallel workers planned: query alone / INSERT … SELECT',
      `${await plannedWorkers(direct, QUERY)} / ${await plannedWorkers(direct, insert)}`,
    );

    // Each side starts without the dead rows the earlier runs left, as the SQLite benchmark starts each from an empty WAL.
    const timed = async (target: string, work: () => Promise<void>): Promise<number> => {
      await direct.query(`VACUUM ${target}`);
      const start = performance.now();
      await work();
      return performance.now() - start;
    };
    const baseline = () =>
      timed('agg_baseline', async () => {
        await direct.query('BEGIN');
        await direct.query('DELETE FROM agg_baseline');
        await direct.query(insert);
        await direct.query('COMMIT');
      });
    const materializedView = () =>
      timed('agg_mv', async () => {
        await direct.query('REFRESH MATERIALIZED VIEW agg_mv');
      });
    const freshet = async (): Promise<FreshetTiming> => {
      await direct.query('VACUUM agg');
      return freshetRefresh(gatewayUrl);
    };

    const runsFrom = performance.now();
    const warmBaseline = await baseline();
    const warmView = await materializedView();
    const warmFreshet = await freshet();
    line(
      'warm-up (not counted)',
      `baseline ${fmtMs(warmBaseline)}, materialized view ${fmtMs(warmView)}, Freshet ${fmtMs(warmFreshet.httpMs)}`,
    );
    const baselineMs: number[] = [];
    const viewMs: number[] = [];
    const freshetRuns: FreshetTiming[] = [];
    const sides: ReadonlyArray<() => Promise<void>> = [
      async () => {
        baselineMs.push(await baseline());
      },
      async () => {
        viewMs.push(await materializedView());
      },
      async () => {
        freshetRuns.push(await freshet());
      },
    ];
    // The order rotates, so no side always runs right after the same other side's writes.
    for (let i = 0; i < settings.repetitions; i++) {
      for (let k = 0; k < sides.length; k++) await sides[(i + k) % sides.length]!();
    }
    const digests = [
      await contentsDigest(direct, 'agg'),
      await contentsDigest(direct, 'agg_baseline'),
      await contentsDigest(direct, 'agg_mv'),
    ];
    if (new Set(digests).size !== 1)
      throw new Error(`Freshet's table, the baseline and the materialized view differ: ${digests.join(' vs ')}`);

    const baseMedian = median(baselineMs);
    const viewMedian = median(viewMs);
    const httpMedian = median(freshetRuns.map((r) => r.httpMs));
    const jobMedian = median(freshetRuns.map((r) => r.jobMs));
    const tableMedian = median(freshetRuns.map((r) => r.tableMs));
    const ratio = httpMedian / baseMedian;
    const viewRatio = httpMedian / viewMedian;
    line('repetitions per side (rotating order, after 1 warm-up)', String(settings.repetitions));
    line('baseline runs', baselineMs.map(fmtMs).join(', '));
    line('materialized view runs', viewMs.map(fmtMs).join(', '));
    line('Freshet runs (HTTP ?wait=600)', freshetRuns.map((r) => fmtMs(r.httpMs)).join(', '));
    line('baseline median (BEGIN; DELETE; INSERT…SELECT; COMMIT)', fmtMs(baseMedian));
    line('REFRESH MATERIALIZED VIEW median', fmtMs(viewMedian));
    line(
      'Freshet median, around the HTTP call',
      `${fmtMs(httpMedian)}  ratio ${fmtRatio(ratio)} (÷ view ${fmtRatio(viewRatio)})`,
    );
    line('Freshet median, job startedAt→finishedAt', `${fmtMs(jobMedian)}  ratio ${fmtRatio(jobMedian / baseMedian)}`);
    line(
      'Freshet median, table refresh startedAt→finishedAt',
      `${fmtMs(tableMedian)}  ratio ${fmtRatio(tableMedian / baseMedian)}`,
    );
    line('contents identical in all three', `yes: ${digests[0]}`);
    line('warm-up and timed runs took', fmtMs(performance.now() - runsFrom));
    const rows: SummaryRow[] = [
      {
        benchmark: `PostgreSQL refresh overhead (${fmtInt(settings.rows)} rows → ${fmtInt(settings.groups)} groups, FULL)`,
        measured: `${fmtMs(httpMedian)} (job ${fmtMs(jobMedian)})`,
        baseline: `${fmtMs(baseMedian)} INSERT…SELECT; ${fmtMs(viewMedian)} REFRESH MATERIALIZED VIEW`,
        ratio: `${fmtRatio(ratio)}; ${fmtRatio(viewRatio)}`,
        goal: `≤ ${GOAL_RATIO.toFixed(2)}× INSERT…SELECT`,
        verdict: verdict(ratio <= GOAL_RATIO),
      },
    ];
    printVerdicts(rows);
    return rows;
  } finally {
    if (server) {
      const stopped = await server.stop();
      line(
        'gateway close',
        `${fmtMs(stopped.closeMs)}${stopped.exitedByItself ? '' : ' — process did NOT exit by itself and was killed'}`,
      );
    }
    await db?.end();
    await database.drop();
    folder.dispose();
  }
}
