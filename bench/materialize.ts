/**
 * Materialising a file: `POST /v3/datasets/{id}/materialize` of a 1,000,000-row CSV file found by the `files`
 * discoverer, into the default SQLite catalog and into a PostgreSQL catalog, timed around the HTTP call, with the
 * forked gateway's peak resident memory. The yardsticks, measured in the same run on the same file: the engine's own
 * bulk load, `.import` through the `sqlite3` command line and `\copy` (COPY) through `psql`, each into a table
 * declared with the same types. The file's column types come from its profile, made before the timed loads.
 */
import { execFile } from 'node:child_process';
import { createWriteStream, rmSync } from 'node:fs';
import { once } from 'node:events';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { connectPostgres, createPostgresDatabase } from './databases';
import { ForkedServer } from './forked-server';
import {
  fmtInt,
  fmtMs,
  fmtRatio,
  getJson,
  heading,
  line,
  median,
  postJson,
  printVerdicts,
  sleep,
  temporaryFolder,
  verdict,
  type BenchSettings,
  type SummaryRow,
} from './support';
import { readFileSync } from 'node:fs';

const run = promisify(execFile);
const GOAL_RATIO = 2;
const GOAL_PEAK_RSS_MB = 300;
const DATASET = 'files:events.csv';
const SQLITE_COLUMNS =
  'id INTEGER, grp INTEGER, amount REAL, label TEXT, created_at TIMESTAMP, flag BOOLEAN, day DATE, score INTEGER';
const POSTGRES_COLUMNS =
  'id bigint, grp bigint, amount double precision, label text, created_at timestamp, flag boolean, day date, ' +
  'score bigint';

/** A CSV file of `rows` rows of eight columns, with a header, written in chunks. */
async function writeCsv(file: string, rows: number): Promise<void> {
  const out = createWriteStream(file);
  out.write('id,grp,amount,label,created_at,flag,day,score\n');
  const base = Date.UTC(2024, 0, 1);
  let chunk = '';
  for (let i = 1; i <= rows; i++) {
    const at = new Date(base + i * 60_000).toISOString().slice(0, 19).replace('T', ' ');
    const day = new Date(base + (i % 365) * 86_400_000).toISOString().slice(0, 10);
    chunk += `${i},${i % 1000},${((i % 10007) / 100).toFixed(2)},event-${i},${at},${i % 3 === 0},${day},${i % 97}\n`;
    if (chunk.length > 1 << 20) {
      if (!out.write(chunk)) await once(out, 'drain');
      chunk = '';
    }
  }
  out.end(chunk);
  await once(out, 'finish');
}

function residentMb(pid: number): number {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match ? Number(match[1]) / 1024 : Number.NaN;
}

async function profiled(url: string): Promise<void> {
  await postJson(`${url}/v3/discoverers/files/run`, {});
  for (let i = 0; i < 600; i++) {
    const res = await getJson(`${url}/v3/datasets/${encodeURIComponent(DATASET)}`);
    if (res.body?.status === 'profiled') return;
    if (res.body?.status === 'error') throw new Error(`the file's profile failed: ${JSON.stringify(res.body.errors)}`);
    await sleep(500);
  }
  throw new Error('the file was not profiled within 5 minutes');
}

/** One materialisation, timed around the HTTP call, with the gateway's peak memory meanwhile. */
async function materialize(server: ForkedServer, catalog: string, rows: number) {
  let peak = residentMb(server.pid);
  const timer = setInterval(() => {
    peak = Math.max(peak, residentMb(server.pid));
  }, 50);
  const began = performance.now();
  try {
    const res = await postJson(
      `${server.url}/v3/datasets/${encodeURIComponent(DATASET)}/materialize`,
      { catalog, table: 'events_m', replace: true },
      900_000,
    );
    if (res.status !== 200 || res.body.rows !== rows) {
      throw new Error(`materialize failed (${res.status}): ${JSON.stringify(res.body).slice(0, 500)}`);
    }
  } finally {
    clearInterval(timer);
  }
  return { ms: performance.now() - began, peakMb: peak };
}

async function sqliteImport(folder: string, file: string): Promise<number> {
  const db = path.join(folder, 'baseline.db');
  rmSync(db, { force: true });
  await run('sqlite3', [db, `CREATE TABLE events_m (${SQLITE_COLUMNS})`]);
  const began = performance.now();
  await run('sqlite3', [db, '-cmd', '.mode csv', `.import --skip 1 ${file} events_m`]);
  return performance.now() - began;
}

async function postgresCopy(url: string, file: string): Promise<number> {
  const db = await connectPostgres(url);
  try {
    await db.query('DROP TABLE IF EXISTS events_copy');
    await db.query(`CREATE TABLE events_copy (${POSTGRES_COLUMNS})`);
  } finally {
    await db.end();
  }
  const began = performance.now();
  await run('psql', [url, '-q', '-c', `\\copy events_copy FROM '${file}' WITH (FORMAT csv, HEADER true)`]);
  return performance.now() - began;
}

function summary(target: string, rows: number, ms: number[], baseline: number[], peakMb: number, tool: string) {
  const ratio = median(ms) / median(baseline);
  return {
    benchmark: `Materialise a ${fmtInt(rows)}-row CSV into ${target}`,
    measured: `${fmtMs(median(ms))}, peak RSS ${peakMb.toFixed(0)} MB`,
    baseline: `${fmtMs(median(baseline))} (${tool})`,
    ratio: fmtRatio(ratio),
    goal: `≤ ${GOAL_RATIO}, RSS < ${GOAL_PEAK_RSS_MB} MB`,
    verdict: verdict(ratio <= GOAL_RATIO && peakMb < GOAL_PEAK_RSS_MB),
  } satisfies SummaryRow;
}

export async function runMaterialize(settings: BenchSettings): Promise<SummaryRow[]> {
  heading('Materialise a CSV file ÷ the engine’s own bulk load');
  const rows = settings.rows;
  const folder = temporaryFolder('materialize');
  const files = path.join(folder.path, 'files');
  const file = path.join(files, 'events.csv');
  const database = await createPostgresDatabase('materialize');
  let server: ForkedServer | null = null;
  try {
    await run('mkdir', ['-p', files]);
    const writing = performance.now();
    await writeCsv(file, rows);
    line('CSV written', `${fmtInt(rows)} rows in ${fmtMs(performance.now() - writing)}`);
    server = await ForkedServer.start(
      {
        kind: 'gateway',
        dataDir: folder.path,
        catalogs: { pg: { url: database.url } },
        discovery: {
          discoverers: [
            { type: 'catalogs', enabled: false },
            { type: 'files', options: { folders: [files] }, schedule: 'manual' },
          ],
        },
      },
      settings.cpuProfileDir,
    );
    const profiling = performance.now();
    await profiled(server.url);
    line('file discovered and profiled (not counted)', fmtMs(performance.now() - profiling));
    const idleMb = residentMb(server.pid);
    const results: SummaryRow[] = [];
    for (const [catalog, target, load, tool] of [
      ['default', 'SQLite', () => sqliteImport(folder.path, file), 'sqlite3 .import'],
      ['pg', 'PostgreSQL', () => postgresCopy(database.url, file), 'psql \\copy'],
    ] as const) {
      const ms: number[] = [];
      const baseline: number[] = [];
      let peakMb = 0;
      for (let i = 0; i < settings.repetitions; i++) {
        const once = await materialize(server, catalog, rows);
        ms.push(once.ms);
        peakMb = Math.max(peakMb, once.peakMb);
        baseline.push(await load());
      }
      line(`${target}: materialize runs`, ms.map(fmtMs).join(', '));
      line(`${target}: ${tool} runs`, baseline.map(fmtMs).join(', '));
      line(`${target}: gateway RSS idle / peak`, `${idleMb.toFixed(0)} MB / ${peakMb.toFixed(0)} MB`);
      results.push(summary(target, rows, ms, baseline, peakMb, tool));
    }
    printVerdicts(results);
    return results;
  } finally {
    if (server) await server.stop();
    await database.drop();
    folder.dispose();
  }
}
