/**
 * Cross-catalog copy rate: rows per second a FULL refresh moves from a PostgreSQL catalog into the default
 * SQLite catalog through a dynamic table `WITH ('source.catalog' = 'warehouse')`, timed around the refresh
 * call, with the forked gateway's peak resident memory. The yardstick, measured in the same run, is the same
 * copy written by hand in the benchmark process: a PostgreSQL cursor fetched in batches of the same size,
 * written to a SQLite file by better-sqlite3 in one transaction.
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import type { Database } from 'better-sqlite3';
import { connectPostgres, createPostgresDatabase, type PgClient } from './databases';
import { ForkedServer } from './forked-server';
import {
  fmtInt,
  fmtMs,
  fmtRate,
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

/** The bound the 5,000,000-row copy test holds the gateway to: memory must not grow with the table. */
const GOAL_PEAK_RSS_MB = 300;
const CATALOG = 'warehouse';
const COLUMNS = 'id, grp, amount, label';
/** Rows per fetch, as the gateway reads another catalog. */
const BATCH_ROWS = 5_000;
const RSS_SAMPLE_MS = 50;

/** `BENCH_COPY_ROWS`, else the refresh benchmarks' source size (1,000,000; 100,000 with `BENCH_QUICK=1`). */
function copyRows(settings: BenchSettings): number {
  const raw = process.env.BENCH_COPY_ROWS;
  if (raw === undefined || raw === '') return settings.rows;
  const value = Number(raw);
  if (!Number.isInteger(value) || value <= 0)
    throw new Error(`BENCH_COPY_ROWS must be a positive integer; got '${raw}'.`);
  return value;
}

async function seedSource(db: PgClient, rows: number): Promise<void> {
  await db.query(
    'CREATE TABLE events (id integer PRIMARY KEY, grp integer NOT NULL, amount double precision NOT NULL, label text NOT NULL)',
  );
  await db.query(
    `INSERT INTO events (${COLUMNS}) SELECT i, i % 1000, (i % 10007) / 100.0, 'event-' || i FROM generate_series(1, ${rows}) AS i`,
  );
  await db.query('VACUUM (ANALYZE) events');
}

function residentMb(pid: number): number {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match ? Number(match[1]) / 1024 : Number.NaN;
}

/** Samples a process's resident memory until stopped; `peak` is the highest sample. */
function watchMemory(pid: number): { readonly idleMb: number; peakMb(): number; stop(): void } {
  const idleMb = residentMb(pid);
  let peak = idleMb;
  const timer = setInterval(() => {
    peak = Math.max(peak, residentMb(pid));
  }, RSS_SAMPLE_MS);
  return {
    idleMb,
    peakMb: () => peak,
    stop: () => clearInterval(timer),
  };
}

async function freshetCopy(gatewayUrl: string, expectedRows: number): Promise<number> {
  const began = performance.now();
  const res = await postJson(`${gatewayUrl}/v3/dynamic-tables/refresh?wait=600`, { tables: ['events_copy'] }, 660_000);
  const ms = performance.now() - began;
  const table = res.body?.job?.tables?.[0];
  if (res.status !== 200 || table?.rowsWritten !== expectedRows) {
    throw new Error(
      `the copy did not write ${fmtInt(expectedRows)} rows (${res.status}): ${JSON.stringify(res.body).slice(0, 500)}`,
    );
  }
  return ms;
}

/** The hand-written copy: fetch from a cursor, insert into SQLite, one transaction on each side. */
async function handWrittenCopy(source: PgClient, target: Database): Promise<number> {
  const remove = target.prepare('DELETE FROM events_copy');
  const insert = target.prepare(`INSERT INTO events_copy (${COLUMNS}) VALUES (?, ?, ?, ?)`);
  const began = performance.now();
  await source.query('BEGIN READ ONLY');
  await source.query(`DECLARE copy_cursor NO SCROLL CURSOR FOR SELECT ${COLUMNS} FROM events`);
  // One SQLite transaction around the whole copy: readers see the old rows or the new ones, as with the gateway's swap.
  target.exec('BEGIN IMMEDIATE');
  try {
    remove.run();
    for (;;) {
      const { rows } = await source.query(`FETCH FORWARD ${BATCH_ROWS} FROM copy_cursor`);
      for (const row of rows) insert.run(row.id, row.grp, row.amount, row.label);
      if (rows.length < BATCH_ROWS) break;
    }
    target.exec('COMMIT');
  } catch (error) {
    target.exec('ROLLBACK');
    throw error;
  } finally {
    await source.query('ROLLBACK');
  }
  return performance.now() - began;
}

/** The copy's table in the gateway's SQLite file, recreated in the baseline's file with the same columns and types. */
function createBaselineTable(gatewayFile: string, target: Database): void {
  const warehouse = new BetterSqlite3(gatewayFile, { readonly: true });
  try {
    const { sql: ddl } = warehouse
      .prepare("SELECT sql FROM sqlite_schema WHERE type = 'table' AND name = 'events_copy'")
      .get() as { sql: string };
    target.exec(ddl);
  } finally {
    warehouse.close();
  }
}

export async function runCrossCatalogCopy(settings: BenchSettings): Promise<SummaryRow[]> {
  heading('Cross-catalog copy (PostgreSQL catalog → default SQLite catalog, FULL refresh)');
  const rows = copyRows(settings);
  const database = await createPostgresDatabase('copy');
  const folder = temporaryFolder('copy');
  let source: PgClient | null = null;
  let target: Database | null = null;
  let server: ForkedServer | null = null;
  try {
    source = await connectPostgres(database.url);
    const seedingFrom = performance.now();
    await seedSource(source, rows);
    line(
      'source rows',
      `${fmtInt(rows)} (id, grp, amount, label; seeded in ${fmtMs(performance.now() - seedingFrom)})`,
    );

    server = await ForkedServer.start(
      { kind: 'gateway', dataDir: folder.path, catalogs: { [CATALOG]: { url: database.url } } },
      settings.cpuProfileDir,
    );
    const gatewayUrl = server.url;
    await sql(
      gatewayUrl,
      `CREATE DYNAMIC TABLE events_copy WITH ('source.catalog' = '${CATALOG}', 'initialize' = 'on_schedule') ` +
        `FRESHNESS = INTERVAL '1' HOUR AS SELECT ${COLUMNS} FROM events`,
    );
    target = new BetterSqlite3(path.join(folder.path, 'baseline.db'));
    // The same pragmas as the engine's connections, so neither side gets a cheaper journal.
    target.pragma('journal_mode = WAL');
    target.pragma('synchronous = NORMAL');
    createBaselineTable(path.join(folder.path, 'warehouse.db'), target);

    const memory = watchMemory(server.pid);
    const runsFrom = performance.now();
    const freshetMs: number[] = [];
    const baselineMs: number[] = [];
    try {
      // The first refresh fills an empty table; the timed ones replace a full one, as every scheduled refresh does.
      const firstMs = await freshetCopy(gatewayUrl, rows);
      const warmBaseline = await handWrittenCopy(source, target);
      line(
        'first fill / baseline warm-up (not counted)',
        `${fmtMs(firstMs)} (${fmtRate((rows * 1000) / firstMs, 'rows/s')}) / ${fmtMs(warmBaseline)}`,
      );
      for (let i = 0; i < settings.repetitions; i++) {
        if (i % 2 === 0) baselineMs.push(await handWrittenCopy(source, target));
        freshetMs.push(await freshetCopy(gatewayUrl, rows));
        if (i % 2 === 1) baselineMs.push(await handWrittenCopy(source, target));
      }
    } finally {
      memory.stop();
    }
    const counted = await sql(gatewayUrl, 'SELECT count(*), max(id) FROM events_copy');
    const baselineCount = target.prepare('SELECT count(*) AS n, max(id) AS top FROM events_copy').get() as {
      n: number;
      top: number;
    };
    if (
      JSON.stringify(counted[0]?.rows) !== JSON.stringify([[rows, rows]]) ||
      baselineCount.n !== rows ||
      baselineCount.top !== rows
    ) {
      throw new Error(
        `the copies hold the wrong rows: gateway ${JSON.stringify(counted[0]?.rows)}, baseline ${JSON.stringify(baselineCount)}`,
      );
    }

    const freshetMedian = median(freshetMs);
    const baselineMedian = median(baselineMs);
    const rate = (rows * 1000) / freshetMedian;
    const baselineRate = (rows * 1000) / baselineMedian;
    const peakMb = memory.peakMb();
    line('repetitions per side (alternating, after 1 warm-up)', String(settings.repetitions));
    line('baseline runs', baselineMs.map(fmtMs).join(', '));
    line('Freshet runs (HTTP ?wait=600)', freshetMs.map(fmtMs).join(', '));
    line(
      'baseline median (cursor → better-sqlite3, one transaction)',
      `${fmtMs(baselineMedian)}  ${fmtRate(baselineRate, 'rows/s')}`,
    );
    line(
      'Freshet median, around the HTTP call',
      `${fmtMs(freshetMedian)}  ${fmtRate(rate, 'rows/s')}  ratio ${fmtRatio(rate / baselineRate)}`,
    );
    line(
      'gateway RSS idle / peak during the copies',
      `${memory.idleMb.toFixed(0)} MB / ${peakMb.toFixed(0)} MB (sampled every ${RSS_SAMPLE_MS} ms)`,
    );
    line('rows in both copies (count, max id)', `${fmtInt(rows)}, ${fmtInt(rows)}`);
    line('warm-up and timed runs took', fmtMs(performance.now() - runsFrom));
    const summary: SummaryRow[] = [
      {
        benchmark: `Cross-catalog copy, PostgreSQL → SQLite (${fmtInt(rows)} rows)`,
        measured: `${fmtRate(rate, 'rows/s')}, peak RSS ${peakMb.toFixed(0)} MB`,
        baseline: `${fmtRate(baselineRate, 'rows/s')} (hand-written copy)`,
        ratio: fmtRatio(rate / baselineRate),
        goal: `peak RSS < ${GOAL_PEAK_RSS_MB} MB`,
        verdict: verdict(peakMb < GOAL_PEAK_RSS_MB),
      },
    ];
    printVerdicts(summary);
    return summary;
  } finally {
    if (server) {
      const stopped = await server.stop();
      line(
        'gateway close',
        `${fmtMs(stopped.closeMs)}${stopped.exitedByItself ? '' : ' — process did NOT exit by itself and was killed'}`,
      );
    }
    target?.close();
    await source?.end();
    await database.drop();
    folder.dispose();
  }
}
