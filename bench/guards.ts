/**
 * Publish guards' cost: a FULL refresh of a 1,000,000-row dynamic table (BENCH_ROWS) run by the engine without
 * guards, with the default guard (an empty result never replaces rows), and with five guards (min_rows,
 * max_row_change_ratio, two max_null_ratio and a FAIL REFRESH expectation), on SQLite and PostgreSQL
 * (BENCH_GUARD_ENGINES, `mysql` too on request). The three take turns in a rotating order, each after the same
 * untimed housekeeping (a WAL checkpoint, a VACUUM), so drift in the machine hits all of them. An engine whose
 * refresh returns no guard report does not judge guards yet and is reported as such.
 */
import * as path from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import type { Engine, RefreshSpec } from '../src/engine/engine';
import { DEFAULT_GUARDS, type PublishGuards } from '../src/engine/publish-guards';
import { createEngine } from '../src/engine/registry';
import { createPostgresDatabase, type ThrowawayDatabase } from './databases';
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

const DEFAULT_GOAL = 1.1;
const FIVE_GOAL = 1.3;
const MYSQL_SERVER_URL = process.env.BENCH_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306/test';

const FIVE_GUARDS: PublishGuards = {
  allowEmpty: false,
  minRows: 1,
  maxRowChangeRatio: 0.5,
  maxNullRatio: { note: 0.5, y: 0.1 },
  expectations: [{ name: 'x_in_range', condition: 'x >= 0 AND x < 1000', onViolation: 'FAIL_REFRESH' }],
};

type Variant = 'none' | 'default' | 'five';
const VARIANTS: readonly Variant[] = ['none', 'default', 'five'];
const GUARDS: Readonly<Record<Variant, PublishGuards | undefined>> = {
  none: undefined,
  default: DEFAULT_GUARDS,
  five: FIVE_GUARDS,
};

/** One engine under test: how to make it, fill its source, and tidy up between timed refreshes. */
interface Target {
  readonly label: string;
  readonly engine: Engine;
  readonly seed: (rows: number) => string[];
  /** Untimed, before every refresh: the same starting conditions for each variant. */
  housekeep(): Promise<void>;
  dispose(): Promise<void>;
}

/** `src(id, g, x, y, note)`, `note` NULL on every tenth row, in the engine's own SQL. */
function seedStatements(label: string, rows: number): string[] {
  const note = `CASE WHEN i % 10 = 0 THEN NULL ELSE 'n' END`;
  if (label === 'postgres') {
    return [
      'CREATE TABLE src (id integer PRIMARY KEY, g integer NOT NULL, x integer NOT NULL, y double precision, note text)',
      `INSERT INTO src SELECT i, i % 1000, (i::bigint * 7919) % 1000, (i % 997) / 10.0, ${note} FROM generate_series(1, ${rows}) AS i`,
      'VACUUM (ANALYZE) src',
    ];
  }
  if (label === 'mysql') {
    // Digits crossed with themselves: MariaDB stops a recursive CTE after 1,000 rows.
    const digits = Math.max(1, Math.ceil(Math.log10(rows + 1)));
    const tables = Array.from({ length: digits }, (_, k) => `d AS d${k}`).join(' CROSS JOIN ');
    const number = Array.from({ length: digits }, (_, k) => `d${k}.n * ${10 ** k}`).join(' + ');
    const ten = Array.from({ length: 10 }, (_, n) => `SELECT ${n} AS n`).join(' UNION ALL ');
    return [
      'CREATE TABLE src (id int PRIMARY KEY, g int NOT NULL, x int NOT NULL, y double, note text)',
      `INSERT INTO src WITH d AS (${ten}), c AS (SELECT ${number} + 1 AS i FROM ${tables}) ` +
        `SELECT i, i % 1000, (i * 7919) % 1000, (i % 997) / 10.0, ${note} FROM c WHERE i <= ${rows}`,
    ];
  }
  return [
    'CREATE TABLE src (id INTEGER PRIMARY KEY, g INTEGER NOT NULL, x INTEGER NOT NULL, y REAL, note TEXT)',
    `INSERT INTO src WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < ${rows}) ` +
      `SELECT i, i % 1000, (i * 7919) % 1000, (i % 997) / 10.0, ${note} FROM c`,
  ];
}

async function sqliteTarget(): Promise<Target> {
  const folder = temporaryFolder('guards');
  const file = path.join(folder.path, 'warehouse.db');
  const engine = createEngine(`sqlite:${file}`, { baseDir: folder.path });
  await engine.open();
  const side = new BetterSqlite3(file);
  return {
    label: 'sqlite',
    engine,
    seed: (rows) => seedStatements('sqlite', rows),
    housekeep: async () => {
      side.pragma('wal_checkpoint(TRUNCATE)');
    },
    dispose: async () => {
      side.close();
      await engine.close();
      folder.dispose();
    },
  };
}

async function postgresTarget(): Promise<Target> {
  const database: ThrowawayDatabase = await createPostgresDatabase('guards');
  const engine = createEngine(database.url, { baseDir: '.' });
  await engine.open();
  return {
    label: 'postgres',
    engine,
    seed: (rows) => seedStatements('postgres', rows),
    housekeep: async () => {
      await engine.execute('VACUUM dt', { rowLimit: 0 });
      await engine.execute('CHECKPOINT', { rowLimit: 0 });
    },
    dispose: async () => {
      await engine.close();
      await database.drop();
    },
  };
}

async function mysqlTarget(): Promise<Target> {
  const name = `freshet_bench_guards_${Date.now().toString(36)}`;
  const admin = createEngine(MYSQL_SERVER_URL, { baseDir: '.' });
  await admin.open();
  await admin.execute(`CREATE DATABASE \`${name}\``, { rowLimit: 0 });
  const url = new URL(MYSQL_SERVER_URL);
  url.pathname = `/${name}`;
  const engine = createEngine(url.toString(), { baseDir: '.' });
  await engine.open();
  return {
    label: 'mysql',
    engine,
    seed: (rows) => seedStatements('mysql', rows),
    housekeep: async () => undefined,
    dispose: async () => {
      await engine.close();
      await admin.execute(`DROP DATABASE IF EXISTS \`${name}\``, { rowLimit: 0 });
      await admin.close();
    },
  };
}

const TARGETS: Readonly<Record<string, () => Promise<Target>>> = {
  sqlite: sqliteTarget,
  postgres: postgresTarget,
  mysql: mysqlTarget,
};

function refreshSpec(guards: PublishGuards | undefined): RefreshSpec {
  return {
    table: { database: null, name: 'dt' },
    query: 'SELECT id, g, x, y, note FROM src',
    columns: ['id', 'g', 'x', 'y', 'note'].map((name) => ({ target: name, source: name })),
    partition: null,
    ...(guards === undefined ? {} : { guards }),
  };
}

async function measure(target: Target, settings: BenchSettings): Promise<SummaryRow[]> {
  const { engine, label } = target;
  const seedingFrom = performance.now();
  for (const statement of target.seed(settings.rows)) await engine.execute(statement, { rowLimit: 0 });
  line(`${label}: source rows`, `${fmtInt(settings.rows)} (seeded in ${fmtMs(performance.now() - seedingFrom)})`);
  const columns = await engine.describeQuery('SELECT id, g, x, y, note FROM src');
  await engine.createTable({ table: { database: null, name: 'dt' }, columns, primaryKey: ['id'] });
  const refresh = async (variant: Variant) => {
    await target.housekeep();
    const began = performance.now();
    const outcome = await engine.refresh(refreshSpec(GUARDS[variant]));
    const ms = performance.now() - began;
    if (outcome.rowsWritten !== settings.rows) throw new Error(`${label} wrote ${outcome.rowsWritten} rows`);
    if (outcome.guards?.blocked) throw new Error(`${label}: the ${variant} guards blocked the refresh`);
    return { ms, judged: outcome.guards !== undefined };
  };
  // Warm-up: the table filled once, then each variant once (untimed).
  await refresh('none');
  let judged = true;
  for (const variant of VARIANTS) {
    const warmUp = await refresh(variant);
    if (variant !== 'none' && !warmUp.judged) judged = false;
  }
  if (!judged) {
    line(`${label}`, 'the refresh returned no guard report: guards are not judged on this engine yet; skipped');
    return [];
  }
  const times: Record<Variant, number[]> = { none: [], default: [], five: [] };
  for (let round = 0; round < settings.repetitions; round += 1) {
    for (let turn = 0; turn < VARIANTS.length; turn += 1) {
      const variant = VARIANTS[(round + turn) % VARIANTS.length] ?? 'none';
      times[variant].push((await refresh(variant)).ms);
    }
  }
  const none = median(times.none);
  const rows: SummaryRow[] = [];
  for (const variant of VARIANTS) {
    line(
      `${label}: ${variant} guards, median of ${settings.repetitions}`,
      `${fmtMs(median(times[variant]))} (${times[variant].map(fmtMs).join(', ')})`,
    );
  }
  for (const [variant, goal] of [
    ['default', DEFAULT_GOAL],
    ['five', FIVE_GOAL],
  ] as const) {
    const ratio = median(times[variant]) / none;
    rows.push({
      benchmark: `guards: ${fmtInt(settings.rows)}-row FULL refresh on ${label}, ${variant === 'five' ? 'five guards' : 'default guard'}`,
      measured: fmtMs(median(times[variant])),
      baseline: `${fmtMs(none)} (no guards)`,
      ratio: fmtRatio(ratio),
      goal: `≤ ${goal.toFixed(2)}`,
      verdict: verdict(ratio <= goal),
    });
  }
  return rows;
}

export async function runGuards(settings: BenchSettings): Promise<SummaryRow[]> {
  heading('Publish guards (FULL refresh without guards vs. the default guard vs. five guards)');
  const names = (process.env.BENCH_GUARD_ENGINES ?? 'sqlite,postgres').split(',').map((name) => name.trim());
  const unknown = names.filter((name) => !(name in TARGETS));
  if (unknown.length > 0) throw new Error(`BENCH_GUARD_ENGINES names no engine ${unknown.join(', ')}`);
  line('five guards', JSON.stringify(FIVE_GUARDS));
  const rows: SummaryRow[] = [];
  // Closing the SQLite engine waits for its reader processes, which hold no reference on the event loop; without
  // one of its own, the run would end silently there instead of going on to the next engine.
  const keepAlive = setInterval(() => undefined, 60_000);
  try {
    for (const name of names) {
      const target = await TARGETS[name]!();
      try {
        rows.push(...(await measure(target, settings)));
      } finally {
        await target.dispose();
      }
    }
  } finally {
    clearInterval(keepAlive);
  }
  printVerdicts(rows);
  return rows;
}
