/**
 * Profiling cost: a dataset profile of a 1,000,000-row, 10-column table (default `discovery.profile` settings:
 * exact up to 100,000 rows, a seeded sample beyond) divided by one `SELECT COUNT(*)` full scan of the same table on
 * the same engine, measured in the same run, on SQLite and on PostgreSQL. Both go through the engine's `execute`, as
 * the gateway's profiler does. The profile's work grows with the sample, not the table: a second line profiles a
 * sample of 10,000 rows to show it.
 */
import * as path from 'node:path';
import { profileEngineTable } from '../src/discovery/table-profile';
import type { Engine } from '../src/engine/engine';
import { createEngine } from '../src/engine/registry';
import { createPostgresDatabase } from './databases';
import {
  fmtInt,
  fmtMs,
  fmtRatio,
  heading,
  line,
  median,
  printVerdicts,
  temporaryFolder,
  verdict,
  type BenchSettings,
  type SummaryRow,
} from './support';

const GOAL_RATIO = 5;
const SAMPLE_ROWS = 100_000;
const SMALL_SAMPLE_ROWS = 10_000;

const COLUMNS = {
  sqlite:
    'id INTEGER, grp INTEGER, amount REAL, label TEXT, category TEXT, flag BOOLEAN, created_at TIMESTAMP, ' +
    'day DATE, lat REAL, score INTEGER',
  postgres:
    'id integer, grp integer, amount double precision, label text, category text, flag boolean, ' +
    'created_at timestamp, day date, lat double precision, score integer',
} as const;

/** Ten columns of every kind the profiler treats apart: ids, groups, floats, text, booleans, times, dates. */
function seedSql(kind: keyof typeof COLUMNS, rows: number): string[] {
  if (kind === 'postgres') {
    return [
      `INSERT INTO facts SELECT i, i % 100, (i % 10007) / 100.0, 'label-' || i, 'cat-' || (i % 10), i % 3 = 0,
        timestamp '2024-01-01' + i * interval '1 minute', date '2024-01-01' + (i % 365), (i % 180) - 90.0, i % 1000
        FROM generate_series(1, ${rows}) AS i`,
      'ANALYZE facts',
    ];
  }
  return [
    `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ${rows})
     INSERT INTO facts SELECT i, i % 100, (i % 10007) / 100.0, 'label-' || i, 'cat-' || (i % 10), i % 3 = 0,
       datetime('2024-01-01', '+' || i || ' minutes'), date('2024-01-01', '+' || (i % 365) || ' days'),
       (i % 180) - 90.0, i % 1000 FROM n`,
  ];
}

async function countScan(engine: Engine): Promise<number> {
  const began = performance.now();
  await engine.execute('SELECT COUNT(*) FROM facts', { rowLimit: 1 });
  return performance.now() - began;
}

async function profileOnce(engine: Engine, rows: number, sampleRows = SAMPLE_ROWS): Promise<number> {
  const began = performance.now();
  const profile = await profileEngineTable(engine, engine.defaultDatabase, 'facts', { sampleRows, seed: 1 });
  const ms = performance.now() - began;
  if (profile.rowCount !== rows || profile.columns.length !== 10) {
    throw new Error(`the profile is wrong: ${profile.rowCount} rows, ${profile.columns.length} columns`);
  }
  return ms;
}

async function measure(kind: keyof typeof COLUMNS, engine: Engine, settings: BenchSettings): Promise<SummaryRow[]> {
  const rows = settings.rows;
  await engine.execute(`CREATE TABLE facts (${COLUMNS[kind]})`, { rowLimit: 0 });
  const seeding = performance.now();
  for (const statement of seedSql(kind, rows)) await engine.execute(statement, { rowLimit: 0 });
  line(`${kind}: rows seeded`, `${fmtInt(rows)} in ${fmtMs(performance.now() - seeding)}`);
  await countScan(engine);
  await profileOnce(engine, rows);
  const counts: number[] = [];
  const profiles: number[] = [];
  const small: number[] = [];
  for (let i = 0; i < settings.repetitions; i++) {
    counts.push(await countScan(engine));
    profiles.push(await profileOnce(engine, rows));
    small.push(await profileOnce(engine, rows, SMALL_SAMPLE_ROWS));
  }
  const count = median(counts);
  line(`${kind}: SELECT COUNT(*) (median of ${settings.repetitions})`, fmtMs(count));
  line(`${kind}: profile, sampleRows ${fmtInt(SAMPLE_ROWS)} (median)`, fmtMs(median(profiles)));
  line(`${kind}: profile, sampleRows ${fmtInt(SMALL_SAMPLE_ROWS)} (median)`, fmtMs(median(small)));
  const row = (times: number[], sampleRows: number): SummaryRow => ({
    benchmark: `profile ${fmtInt(rows)} rows × 10 columns, sample ${fmtInt(sampleRows)} (${kind})`,
    measured: fmtMs(median(times)),
    baseline: `${fmtMs(count)} COUNT(*)`,
    ratio: fmtRatio(median(times) / count),
    goal: `≤ ${GOAL_RATIO}`,
    verdict: verdict(median(times) / count <= GOAL_RATIO),
  });
  return [row(profiles, SAMPLE_ROWS), row(small, SMALL_SAMPLE_ROWS)];
}

export async function runProfileCost(settings: BenchSettings): Promise<SummaryRow[]> {
  heading('Dataset profile ÷ SELECT COUNT(*)');
  const folder = temporaryFolder('profile');
  const database = await createPostgresDatabase('profile');
  const engines: Array<[keyof typeof COLUMNS, Engine]> = [
    ['sqlite', createEngine(`sqlite:${path.join(folder.path, 'facts.db')}`, { baseDir: folder.path })],
    ['postgres', createEngine(database.url, { baseDir: folder.path })],
  ];
  const rows: SummaryRow[] = [];
  try {
    for (const [kind, engine] of engines) {
      await engine.open();
      try {
        rows.push(...(await measure(kind, engine, settings)));
      } finally {
        await engine.close();
      }
    }
  } finally {
    await database.drop();
    folder.dispose();
  }
  printVerdicts(rows);
  return rows;
}
