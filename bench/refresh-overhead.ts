/**
 * Refresh overhead: a FULL refresh of an aggregating dynamic table through Freshet, against the same
 * DELETE + INSERT … SELECT written by hand and run on the same SQLite file in one BEGIN IMMEDIATE transaction
 * (what a hand-written refresh would do). The two sides alternate so drift in the machine hits both.
 */
import * as path from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import type { Database } from 'better-sqlite3';
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
  sql,
  temporaryFolder,
  verdict,
  type BenchSettings,
  type SummaryRow,
} from './support';

const GOAL_RATIO = 1.15;
const QUERY = 'SELECT g, COUNT(*) AS n, SUM(x) AS sx, AVG(y) AS ay FROM src GROUP BY g';

interface FreshetTiming {
  /** Around the HTTP call (`?wait=`), as a scheduler sees it. */
  readonly httpMs: number;
  /** The job's own startedAt → finishedAt. */
  readonly jobMs: number;
  /** The table's history row startedAt → finishedAt: the engine's refresh plus its bookkeeping. */
  readonly tableMs: number;
}

/** Fills `src` with deterministic rows: `groups` values of g, spread evenly. */
function seedSource(db: Database, rows: number, groups: number): void {
  db.exec(`
    CREATE TABLE src (id INTEGER PRIMARY KEY, g INTEGER NOT NULL, x INTEGER NOT NULL, y REAL NOT NULL);
    WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < ${rows})
    INSERT INTO src (id, g, x, y) SELECT i, i % ${groups}, (i * 7919) % 1000, (i % 997) / 10.0 FROM c;
  `);
}

/** A plain table with the dynamic table's columns (names, declared types, NOT NULL), as a hand-written refresh would target. */
function createBaselineTable(db: Database): string[] {
  const columns = db.prepare('SELECT name, type, "notnull" AS required FROM pragma_table_info(?)').all('agg') as Array<{
    name: string;
    type: string;
    required: number;
  }>;
  if (columns.length === 0) throw new Error('the dynamic table agg has no columns in the warehouse file');
  const defs = columns.map((c) => `"${c.name}" ${c.type}${c.required ? ' NOT NULL' : ''}`);
  db.exec(`CREATE TABLE agg_baseline (${defs.join(', ')})`);
  return columns.map((c) => c.name);
}

async function freshetRefresh(gatewayUrl: string): Promise<FreshetTiming> {
  const began = performance.now();
  const res = await postJson(`${gatewayUrl}/v3/dynamic-tables/refresh?wait=600`, { tables: ['agg'] }, 660_000);
  const httpMs = performance.now() - began;
  const job = res.body?.job;
  if (res.status !== 200 || job?.status !== 'SUCCEEDED')
    throw new Error(`the refresh did not succeed (${res.status}): ${JSON.stringify(res.body)}`);
  const span = (from: unknown, to: unknown) => Date.parse(String(to)) - Date.parse(String(from));
  const table = job.tables?.[0] ?? {};
  return { httpMs, jobMs: span(job.startedAt, job.finishedAt), tableMs: span(table.startedAt, table.finishedAt) };
}

/** Each side starts from an empty write-ahead log, so neither pays (timed) for a checkpoint the other's writes made due. */
function checkpoint(db: Database): void {
  db.pragma('wal_checkpoint(TRUNCATE)');
}

function contentsDigest(db: Database, table: string): string {
  const row = db
    .prepare(`SELECT COUNT(*) AS rows, SUM(n) AS n, SUM(sx) AS sx, ROUND(SUM(ay), 6) AS ay FROM "${table}"`)
    .get();
  return JSON.stringify(row);
}

export async function runRefreshOverhead(settings: BenchSettings): Promise<SummaryRow[]> {
  heading('Refresh overhead (FULL refresh through Freshet vs. hand-written INSERT … SELECT)');
  const folder = temporaryFolder('refresh');
  const db = new BetterSqlite3(path.join(folder.path, 'warehouse.db'));
  let server: ForkedServer | null = null;
  try {
    // The same pragmas as the engine's connections, so neither side gets a cheaper journal.
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    const seedingFrom = performance.now();
    seedSource(db, settings.rows, settings.groups);
    line(
      'source rows / groups',
      `${fmtInt(settings.rows)} / ${fmtInt(settings.groups)} (seeded in ${fmtMs(performance.now() - seedingFrom)})`,
    );
    line('query', QUERY);

    server = await ForkedServer.start({ kind: 'gateway', dataDir: folder.path }, settings.cpuProfileDir);
    const gatewayUrl = server.url;
    await sql(
      gatewayUrl,
      `CREATE DYNAMIC TABLE agg WITH ('initialize' = 'on_schedule') FRESHNESS = INTERVAL '1' HOUR AS ${QUERY}`,
    );
    const columns = createBaselineTable(db);
    const quoted = columns.map((c) => `"${c}"`).join(', ');
    const remove = db.prepare('DELETE FROM agg_baseline');
    const insert = db.prepare(`INSERT INTO agg_baseline (${quoted}) ${QUERY}`);
    const baselineRefresh = db.transaction(() => {
      remove.run();
      insert.run();
    });
    const baseline = (): number => {
      checkpoint(db);
      const start = performance.now();
      baselineRefresh.immediate();
      return performance.now() - start;
    };
    const freshet = async (): Promise<FreshetTiming> => {
      checkpoint(db);
      return freshetRefresh(gatewayUrl);
    };

    const runsFrom = performance.now();
    const warmBaseline = baseline();
    const warmFreshet = await freshet();
    line('warm-up (not counted)', `baseline ${fmtMs(warmBaseline)}, Freshet ${fmtMs(warmFreshet.httpMs)}`);
    const baselineMs: number[] = [];
    const freshetRuns: FreshetTiming[] = [];
    // Which side goes first alternates too, so neither always runs right after the other's writes.
    for (let i = 0; i < settings.repetitions; i++) {
      if (i % 2 === 0) baselineMs.push(baseline());
      freshetRuns.push(await freshet());
      if (i % 2 === 1) baselineMs.push(baseline());
    }
    const digests = [contentsDigest(db, 'agg'), contentsDigest(db, 'agg_baseline')];
    if (digests[0] !== digests[1]) throw new Error(`Freshet's table and the baseline differ: ${digests.join(' vs ')}`);

    const baseMedian = median(baselineMs);
    const httpMedian = median(freshetRuns.map((r) => r.httpMs));
    const jobMedian = median(freshetRuns.map((r) => r.jobMs));
    const tableMedian = median(freshetRuns.map((r) => r.tableMs));
    const ratio = httpMedian / baseMedian;
    line('repetitions per side (alternating, after 1 warm-up)', String(settings.repetitions));
    line('baseline runs', baselineMs.map(fmtMs).join(', '));
    line('Freshet runs (HTTP ?wait=600)', freshetRuns.map((r) => fmtMs(r.httpMs)).join(', '));
    line('baseline median (BEGIN IMMEDIATE; DELETE; INSERT…SELECT)', fmtMs(baseMedian));
    line('Freshet median, around the HTTP call', `${fmtMs(httpMedian)}  ratio ${fmtRatio(ratio)}`);
    line('Freshet median, job startedAt→finishedAt', `${fmtMs(jobMedian)}  ratio ${fmtRatio(jobMedian / baseMedian)}`);
    line(
      'Freshet median, table refresh startedAt→finishedAt',
      `${fmtMs(tableMedian)}  ratio ${fmtRatio(tableMedian / baseMedian)}`,
    );
    line('contents identical to the baseline', `yes: ${digests[0]}`);
    line('warm-up and timed runs took', fmtMs(performance.now() - runsFrom));
    const rows: SummaryRow[] = [
      {
        benchmark: `Refresh overhead (${fmtInt(settings.rows)} rows → ${fmtInt(settings.groups)} groups, FULL)`,
        measured: `${fmtMs(httpMedian)} (job ${fmtMs(jobMedian)})`,
        baseline: fmtMs(baseMedian),
        ratio: fmtRatio(ratio),
        goal: `≤ ${GOAL_RATIO.toFixed(2)}×`,
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
    db.close();
    folder.dispose();
  }
}
