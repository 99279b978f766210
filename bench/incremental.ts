/**
 * Incremental refresh: after 1% of a 1,000,000-row source changed, the time an incremental refresh of a dynamic
 * table takes against a full refresh of an identical twin (and, on PostgreSQL, against REFRESH MATERIALIZED VIEW
 * of the same query), for a filter, a join and an aggregate, on SQLite and on PostgreSQL. Two patterns of
 * change, one after the other, each on freshly filled tables: rows scattered over the whole source (which
 * touches nearly every page), and the newest rows (where most tables change). Then what change capture costs
 * the writers of a captured table: the same INSERTs into a table with capture and one without. The engines are
 * driven directly, not through the gateway, so the figures are the refreshes' own.
 */
import * as path from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import type { Engine, IncrementalRefreshSpec, RefreshOutcome, TableRef } from '../src/engine/engine';
import { createEngine } from '../src/engine/registry';
import {
  installCapture as installPostgresCapture,
  removeCapture as removePostgresCapture,
} from '../src/engine/postgres/postgres-change-capture';
import type { PgPoolClient } from '../src/engine/postgres/postgres-driver';
import {
  installCapture as installSqliteCapture,
  removeCapture as removeSqliteCapture,
} from '../src/engine/sqlite/sqlite-change-capture';
import { planIncremental } from '../src/sql/incremental-plan';
import { connectPostgres, createPostgresDatabase, type PgClient } from './databases';
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

/** Incremental refresh time ÷ full refresh (or REFRESH MATERIALIZED VIEW) time. */
const REFRESH_GOAL = 0.05;
/** INSERT time into a captured table ÷ the same into a plain one. */
const CAPTURE_GOAL = 2;
/** Rounds of (change 1% of the source, refresh every side); the figures are medians over them. */
const ROUNDS = 3;
const CAPTURE_REPETITIONS = 3;
/** The recent pattern changes rows among the newest source rows ÷ this (20,000 of 1,000,000). */
const RECENT_WINDOW_SHARE = 50;
/** Rows of `dim`, ids 0 to DIM_ROWS − 1; `src.g` takes the same values. */
const DIM_ROWS = 1_000;
/** A source row as a function of its id `i`, in both dialects (the cast keeps i × 7919 from overflowing integer). */
const SOURCE_VALUES = `i, i % ${DIM_ROWS}, (CAST(i AS BIGINT) * 7919) % 1000, (i % 997) / 10.0`;

interface BenchQuery {
  readonly name: string;
  readonly sql: string;
  /** A select list that sums up a table of the query's columns; equal contents give equal values. */
  readonly checksum: string;
}

const QUERIES: readonly BenchQuery[] = [
  {
    name: 'filter',
    sql: 'SELECT id, x, y FROM src WHERE x < 500',
    checksum: 'COUNT(*) AS n, SUM(id) AS ids, SUM(x) AS xs, SUM(id * x) AS idx, SUM(y) AS ys',
  },
  {
    name: 'join',
    sql: 'SELECT s.id, s.x, d.name FROM src s JOIN dim d ON s.g = d.id',
    checksum:
      'COUNT(*) AS n, SUM(id) AS ids, SUM(x) AS xs, SUM(CAST(SUBSTR(name, 5) AS INTEGER)) AS names, ' +
      'SUM((id % 1009) * CAST(SUBSTR(name, 5) AS INTEGER)) AS pairs',
  },
  {
    name: 'aggregate',
    sql: 'SELECT g, COUNT(*) AS n, SUM(x) AS sx, AVG(y) AS ay FROM src GROUP BY g',
    checksum:
      'COUNT(*) AS n, SUM(g) AS gs, SUM(n) AS ns, SUM(g * n) AS gn, SUM(sx) AS sxs, SUM(g * sx) AS gsx, SUM(ay) AS ays, SUM(g * ay) AS gay',
  },
];

/** One engine under test, and a connection of its own to the same database for the work that is not Freshet's. */
interface Subject {
  readonly label: string;
  readonly engine: Engine;
  readonly realType: string;
  readonly materializedViews: boolean;
  /** Runs one statement on the side connection; the rows it changed. */
  write(sql: string): Promise<number>;
  /** The first row of a query on the side connection. */
  readOne(sql: string): Promise<Record<string, unknown>>;
  /** INSERT INTO `target` SELECT `values` for each i from `first` to `last`; the rows inserted. */
  insertSeries(target: string, values: string, first: number, last: number): Promise<number>;
  /** Untimed, after the first fills: the state tables reach soon after (on PostgreSQL, autovacuum's visibility map and statistics). */
  afterFill(): Promise<void>;
  /** Before each timed refresh, untimed: each starts from an empty WAL (SQLite) or without dead rows and dirty buffers (PostgreSQL). */
  settle(table: string): Promise<void>;
}

type Side = 'incremental' | 'full' | 'view';

/** Which source rows a round changes; every pattern changes 1% of the rows per round. */
interface ChangePattern {
  /** How the summary names it, after "1% changed, ". */
  readonly label: string;
  /** Appended to the query's name in its tables' names, so the patterns never share tables. */
  readonly tableInfix: string;
  /** Round `round`'s writes to `src`; what they did, for the log. */
  change(subject: Subject, rows: number, round: number): Promise<string>;
}

interface Twins {
  readonly query: BenchQuery;
  /** The incremental twin, the full twin and the materialized view. */
  readonly tables: Record<Side, string>;
  readonly incremental: IncrementalRefreshSpec;
  readonly full: IncrementalRefreshSpec;
  readonly ms: Record<Side, number[]>;
  /** Why a refresh of the incremental twin was not INCREMENTAL, per round where it was not. */
  readonly fallbacks: string[];
  /** Rows the incremental refreshes deleted / wrote, per round. */
  readonly applied: string[];
}

const fmtSmallRatio = (ratio: number): string => (Number.isFinite(ratio) ? ratio.toFixed(3) : 'n/a');

/** The dynamic table `name` for `query`, created empty, as the manager would create it. */
async function createDynamicTable(engine: Engine, name: string, query: string): Promise<IncrementalRefreshSpec> {
  const planned = planIncremental(query, engine.dialect);
  if (!planned.incremental)
    throw new Error(`${name}: Freshet does not maintain this query incrementally (${planned.detail})`);
  const columns = await engine.describeQuery(query);
  const table: TableRef = { database: null, name };
  await engine.createTable({ table, columns: columns.map((c) => ({ ...c, nullable: true })), primaryKey: null });
  return {
    table,
    query,
    columns: columns.map((c) => ({ target: c.name, source: c.name })),
    partition: null,
    plan: planned.plan,
    sources: planned.plan.sources.map((parts) => ({
      database: parts.length > 1 ? (parts[0] ?? null) : null,
      name: parts[parts.length - 1] ?? '',
    })),
  };
}

async function refreshIncrementally(engine: Engine, spec: IncrementalRefreshSpec): Promise<RefreshOutcome> {
  if (engine.incremental === undefined) throw new Error(`the ${engine.name} engine has no incremental refresh`);
  return engine.incremental.refresh(spec);
}

async function seed(subject: Subject, rows: number): Promise<void> {
  await subject.write(
    `CREATE TABLE src (id INTEGER PRIMARY KEY, g INTEGER NOT NULL, x INTEGER NOT NULL, y ${subject.realType} NOT NULL)`,
  );
  await subject.write('CREATE TABLE dim (id INTEGER PRIMARY KEY, name TEXT)');
  await subject.insertSeries('src (id, g, x, y)', SOURCE_VALUES, 1, rows);
  await subject.insertSeries('dim (id, name)', `i, 'dim-' || i`, 0, DIM_ROWS - 1);
}

/** x and g of round `round`'s updated rows, so rows cross the filter and move between groups and join partners. */
const updateSet = (round: number) => `x = (x + 311) % 1000, g = (g + ${7 * (round + 1)}) % ${DIM_ROWS}`;

/**
 * Round `round`'s writes, 1% of the seeded rows: half of them updated (x and g), a quarter deleted, a quarter
 * as many inserted under new ids. The id residues differ between rounds, so every round touches rows no
 * earlier round deleted.
 */
async function changeScattered(subject: Subject, rows: number, round: number): Promise<string> {
  const updated = await subject.write(
    `UPDATE src SET ${updateSet(round)} WHERE id <= ${rows} AND id % 200 = ${2 * round + 1}`,
  );
  const deleted = await subject.write(`DELETE FROM src WHERE id <= ${rows} AND id % 400 = ${4 * round + 2}`);
  const perRound = Math.floor(rows / 400);
  const first = rows + round * perRound + 1;
  const inserted = await subject.insertSeries('src (id, g, x, y)', SOURCE_VALUES, first, first + perRound - 1);
  return `${fmtInt(updated)} updated, ${fmtInt(deleted)} deleted, ${fmtInt(inserted)} inserted`;
}

/**
 * Round `round`'s writes, 1% of the seeded rows, all among the newest: of the 1/RECENT_WINDOW_SHARE highest ids
 * present, every fourth row updated (x and g) and every eighth deleted (disjoint sets, shifted each round), then
 * a quarter of a percent inserted under new ids after the highest.
 */
async function changeRecent(subject: Subject, rows: number, round: number): Promise<string> {
  const window = Math.floor(rows / RECENT_WINDOW_SHARE);
  const ranked = `SELECT id, ROW_NUMBER() OVER (ORDER BY id DESC) AS rn FROM (SELECT id FROM src ORDER BY id DESC LIMIT ${window}) AS newest`;
  const among = (modulus: number, residue: number) =>
    `id IN (SELECT id FROM (${ranked}) AS w WHERE (rn + ${round}) % ${modulus} = ${residue})`;
  const bounds = await subject.readOne(
    `SELECT MIN(id) AS low, MAX(id) AS high FROM (SELECT id FROM src ORDER BY id DESC LIMIT ${window}) AS newest`,
  );
  const updated = await subject.write(`UPDATE src SET ${updateSet(round)} WHERE ${among(4, 1)}`);
  // rn ≡ 3 − round (mod 8) is never ≡ 1 − round (mod 4): no updated row is deleted.
  const deleted = await subject.write(`DELETE FROM src WHERE ${among(8, 3)}`);
  const first = Number(bounds.high) + 1;
  const inserted = await subject.insertSeries(
    'src (id, g, x, y)',
    SOURCE_VALUES,
    first,
    first + Math.floor(rows / 400) - 1,
  );
  return `${fmtInt(updated)} updated, ${fmtInt(deleted)} deleted (ids ${fmtInt(Number(bounds.low))} to ${fmtInt(first - 1)}), ${fmtInt(inserted)} inserted`;
}

const PATTERNS: readonly ChangePattern[] = [
  { label: 'scattered', tableInfix: '', change: changeScattered },
  { label: 'recent rows', tableInfix: '_recent', change: changeRecent },
];

/** Numbers from either driver (PostgreSQL's bigint and numeric arrive as strings), compared allowing for float rounding. */
function sameChecksum(a: Record<string, unknown>, b: Record<string, unknown>): boolean {
  return Object.keys(a).every((key) => {
    const [x, y] = [a[key], b[key]];
    if (x === null || y === null) return x === y;
    const [p, q] = [Number(x), Number(y)];
    return Math.abs(p - q) <= 1e-9 * Math.max(1, Math.abs(p), Math.abs(q));
  });
}

const shown = (row: Record<string, unknown>) =>
  Object.entries(row)
    .map(([key, value]) => `${key}=${String(value)}`)
    .join(' ');

async function timeSide(subject: Subject, twins: Twins, side: Side, round: number): Promise<void> {
  const table = twins.tables[side];
  await subject.settle(table);
  const start = performance.now();
  if (side === 'incremental') {
    const outcome = await refreshIncrementally(subject.engine, twins.incremental);
    twins.ms.incremental.push(performance.now() - start);
    twins.applied.push(`-${fmtInt(outcome.rowsDeleted)}/+${fmtInt(outcome.rowsWritten)}`);
    if (outcome.action !== 'INCREMENTAL') {
      twins.fallbacks.push(
        `round ${round + 1}: ${outcome.action ?? 'FULL'} (${outcome.actionDetail ?? 'no reason given'})`,
      );
      line(
        `!!! ${subject.label} ${table} was NOT refreshed incrementally in round ${round + 1}`,
        `${outcome.action ?? 'FULL'}: ${outcome.actionDetail ?? ''}`,
      );
    }
  } else if (side === 'full') {
    await subject.engine.refresh(twins.full);
    twins.ms.full.push(performance.now() - start);
  } else {
    await subject.write(`REFRESH MATERIALIZED VIEW ${table}`);
    twins.ms.view.push(performance.now() - start);
  }
}

/** Creates and fills the twins (and view) of every query for `pattern`, untimed. */
async function createTwins(subject: Subject, pattern: ChangePattern): Promise<Twins[]> {
  const all: Twins[] = [];
  for (const query of QUERIES) {
    const began = performance.now();
    const base = `${query.name}${pattern.tableInfix}`;
    const tables: Record<Side, string> = { incremental: `${base}_inc`, full: `${base}_full`, view: `${base}_mv` };
    const incremental = await createDynamicTable(subject.engine, tables.incremental, query.sql);
    const full = await createDynamicTable(subject.engine, tables.full, query.sql);
    const first = await refreshIncrementally(subject.engine, incremental);
    await subject.engine.refresh(full);
    if (subject.materializedViews) await subject.write(`CREATE MATERIALIZED VIEW ${tables.view} AS ${query.sql}`);
    line(
      `${query.name}: initial fill (not counted)`,
      `${fmtInt(first.rowsWritten)} rows each, ${fmtMs(performance.now() - began)} (first refresh ${first.action ?? 'FULL'})`,
    );
    all.push({
      query,
      tables,
      incremental,
      full,
      ms: { incremental: [], full: [], view: [] },
      fallbacks: [],
      applied: [],
    });
  }
  await subject.afterFill();
  return all;
}

/** Drops what {@link createTwins} made; the next pattern's incremental twins then start the changelog afresh. */
async function dropTwins(subject: Subject, all: readonly Twins[]): Promise<void> {
  for (const twins of all) {
    await subject.engine.dropTable(twins.incremental.table);
    await subject.engine.dropTable(twins.full.table);
    if (subject.materializedViews) await subject.write(`DROP MATERIALIZED VIEW ${twins.tables.view}`);
  }
}

/** Checks that the twins agree, logs every run and returns the summary rows of one query under one pattern. */
async function summarize(subject: Subject, twins: Twins, pattern: ChangePattern, rows: number): Promise<SummaryRow[]> {
  const name = twins.query.name;
  const checksums = [
    twins.tables.incremental,
    twins.tables.full,
    ...(subject.materializedViews ? [twins.tables.view] : []),
  ];
  const sums: Record<string, unknown>[] = [];
  for (const table of checksums) sums.push(await subject.readOne(`SELECT ${twins.query.checksum} FROM ${table}`));
  const mismatched = checksums.filter((_, i) => !sameChecksum(sums[0]!, sums[i]!));
  const incMs = median(twins.ms.incremental);
  const fullMs = median(twins.ms.full);
  line(`${name}: query`, twins.query.sql);
  line(
    `${name}: incremental runs (rows -deleted/+written)`,
    twins.ms.incremental.map((ms, i) => `${fmtMs(ms)} (${twins.applied[i] ?? ''})`).join(', '),
  );
  line(`${name}: full refresh runs`, twins.ms.full.map(fmtMs).join(', '));
  if (subject.materializedViews) line(`${name}: REFRESH MATERIALIZED VIEW runs`, twins.ms.view.map(fmtMs).join(', '));
  if (mismatched.length === 0) line(`${name}: ${checksums.join(', ')} agree after round ${ROUNDS}`, shown(sums[0]!));
  else for (const [i, table] of checksums.entries()) line(`!!! ${name}: CONTENTS DIFFER, ${table}`, shown(sums[i]!));
  const broken =
    twins.fallbacks.length > 0
      ? `not incremental: ${twins.fallbacks.join('; ')}`
      : mismatched.length > 0
        ? `${mismatched.join(', ')} differ from ${checksums[0]}`
        : null;
  const figure = (baselineMs: number, baseline: string): SummaryRow => ({
    benchmark: `${subject.label} incremental refresh vs. ${baseline}, ${name}, ${fmtInt(rows)} rows (1% changed, ${pattern.label})`,
    measured: broken === null ? fmtMs(incMs) : `${fmtMs(incMs)}; ERROR ${broken}`,
    baseline: `${fmtMs(baselineMs)} ${baseline}`,
    ratio: fmtSmallRatio(incMs / baselineMs),
    goal: `≤ ${REFRESH_GOAL}×`,
    verdict: broken === null ? verdict(incMs / baselineMs <= REFRESH_GOAL) : 'ERROR',
  });
  return [
    figure(fullMs, 'full refresh'),
    ...(subject.materializedViews ? [figure(median(twins.ms.view), 'REFRESH MATERIALIZED VIEW')] : []),
  ];
}

/**
 * The incremental refresh benchmark on one engine, whose database `subject` has just been seeded: each pattern
 * in turn on tables of its own, filled after the previous pattern's rounds and dropped after its own, so each
 * pattern's incremental twins carry only that pattern's history.
 */
async function compareRefreshes(subject: Subject, rows: number): Promise<SummaryRow[]> {
  const sides: readonly Side[] = subject.materializedViews ? ['incremental', 'full', 'view'] : ['incremental', 'full'];
  const summary: SummaryRow[] = [];
  for (const pattern of PATTERNS) {
    line(`--- 1% changed, ${pattern.label}`);
    const all = await createTwins(subject, pattern);
    for (let round = 0; round < ROUNDS; round++) {
      const began = performance.now();
      const changed = await pattern.change(subject, rows, round);
      line(`round ${round + 1}: source writes (with capture)`, `${changed} in ${fmtMs(performance.now() - began)}`);
      for (const [q, twins] of all.entries()) {
        // The order rotates, so no side always runs first or right after the same other side.
        for (let k = 0; k < sides.length; k++)
          await timeSide(subject, twins, sides[(round + q + k) % sides.length]!, round);
      }
    }
    for (const twins of all) summary.push(...(await summarize(subject, twins, pattern, rows)));
    await dropTwins(subject, all);
  }
  return summary;
}

async function refreshOnSqlite(rows: number): Promise<SummaryRow[]> {
  heading(`Incremental refresh on SQLite (${ROUNDS} rounds of 1% changes per pattern; vs. full refresh of a twin)`);
  const folder = temporaryFolder('incremental');
  const file = path.join(folder.path, 'engine.sqlite');
  const engine = createEngine(`sqlite:${file}`, { baseDir: folder.path });
  let side: BetterSqlite3.Database | null = null;
  try {
    await engine.open();
    const db = new BetterSqlite3(file, { timeout: 30_000 });
    side = db;
    // As the engine's own connections do, so REPLACE's deletes reach the changelog (none of ours use REPLACE).
    db.pragma('recursive_triggers = ON');
    const subject: Subject = {
      label: 'SQLite',
      engine,
      realType: 'REAL',
      materializedViews: false,
      write: async (sql) => db.prepare(sql).run().changes,
      readOne: async (sql) => (db.prepare(sql).get() ?? {}) as Record<string, unknown>,
      insertSeries: async (target, values, first, last) =>
        db
          .prepare(
            `WITH RECURSIVE series(i) AS (SELECT ${first} UNION ALL SELECT i + 1 FROM series WHERE i < ${last}) INSERT INTO ${target} SELECT ${values} FROM series`,
          )
          .run().changes,
      afterFill: async () => undefined,
      settle: async () => {
        db.pragma('wal_checkpoint(TRUNCATE)');
      },
    };
    const began = performance.now();
    await seed(subject, rows);
    line('src / dim rows', `${fmtInt(rows)} / ${fmtInt(DIM_ROWS)} (seeded in ${fmtMs(performance.now() - began)})`);
    const summary = await compareRefreshes(subject, rows);
    printVerdicts(summary);
    return summary;
  } finally {
    side?.close();
    await engine.close();
    folder.dispose();
  }
}

async function refreshOnPostgres(rows: number): Promise<SummaryRow[]> {
  heading(
    `Incremental refresh on PostgreSQL (${ROUNDS} rounds of 1% changes per pattern; vs. full refresh and REFRESH MATERIALIZED VIEW)`,
  );
  const database = await createPostgresDatabase('incremental');
  const folder = temporaryFolder('pg-incremental');
  const engine = createEngine(database.url, { baseDir: folder.path });
  let side: PgClient | null = null;
  try {
    await engine.open();
    const client = await connectPostgres(database.url);
    side = client;
    const subject: Subject = {
      label: 'PostgreSQL',
      engine,
      realType: 'double precision',
      materializedViews: true,
      write: async (sql) => (await client.query(sql)).rowCount ?? 0,
      readOne: async (sql) => (await client.query(sql)).rows[0] ?? {},
      insertSeries: async (target, values, first, last) =>
        (
          await client.query(
            `INSERT INTO ${target} SELECT ${values} FROM generate_series(${first}, ${last}) AS series(i)`,
          )
        ).rowCount ?? 0,
      afterFill: async () => {
        await client.query('VACUUM (ANALYZE)');
      },
      settle: async (table) => {
        await client.query(`VACUUM ${table}`);
        await client.query('CHECKPOINT');
      },
    };
    const began = performance.now();
    await seed(subject, rows);
    await client.query('VACUUM (ANALYZE) src, dim');
    line(
      'src / dim rows',
      `${fmtInt(rows)} / ${fmtInt(DIM_ROWS)} (seeded and vacuumed in ${fmtMs(performance.now() - began)})`,
    );
    const summary = await compareRefreshes(subject, rows);
    printVerdicts(summary);
    return summary;
  } finally {
    await side?.end();
    await engine.close();
    await database.drop();
    folder.dispose();
  }
}

/** `run(captured)` for each of the two tables, `times` times, alternating which goes first; the times in ms. */
async function alternate(
  times: number,
  run: (captured: boolean) => Promise<number>,
): Promise<{ captured: number[]; plain: number[] }> {
  const result = { captured: [] as number[], plain: [] as number[] };
  for (let i = 0; i < times; i++) {
    for (const captured of i % 2 === 0 ? [true, false] : [false, true])
      (captured ? result.captured : result.plain).push(await run(captured));
  }
  return result;
}

function captureRow(label: string, result: { captured: number[]; plain: number[] }): SummaryRow {
  const withMs = median(result.captured);
  const withoutMs = median(result.plain);
  line(`${label}: with capture`, result.captured.map(fmtMs).join(', '));
  line(`${label}: without capture`, result.plain.map(fmtMs).join(', '));
  return {
    benchmark: `Change capture write overhead, ${label}`,
    measured: fmtMs(withMs),
    baseline: `${fmtMs(withoutMs)} without capture`,
    ratio: fmtRatio(withMs / withoutMs),
    goal: `≤ ${CAPTURE_GOAL}×`,
    verdict: verdict(withMs / withoutMs <= CAPTURE_GOAL),
  };
}

const captureTableSql = (table: string, realType: string) =>
  `CREATE TABLE ${table} (id INTEGER PRIMARY KEY, g INTEGER NOT NULL, x INTEGER NOT NULL, y ${realType} NOT NULL)`;

/** Prepared single-row INSERTs in one transaction, on a file of its own with the engine's settings. */
async function sqliteCaptureOverhead(folder: string, inserts: number): Promise<SummaryRow> {
  const db = new BetterSqlite3(path.join(folder, 'capture.sqlite'));
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma('recursive_triggers = ON');
    const result = await alternate(CAPTURE_REPETITIONS, async (captured) => {
      const table = captured ? 'captured' : 'plain';
      removeSqliteCapture(db, table);
      db.exec(`DROP TABLE IF EXISTS ${table}`);
      db.exec(captureTableSql(table, 'REAL'));
      if (captured) installSqliteCapture(db, table);
      db.pragma('wal_checkpoint(TRUNCATE)');
      const insert = db.prepare(`INSERT INTO ${table} (id, g, x, y) VALUES (?, ?, ?, ?)`);
      const fill = db.transaction(() => {
        for (let i = 1; i <= inserts; i++) insert.run(i, i % DIM_ROWS, (i * 7919) % 1000, (i % 997) / 10);
      });
      const start = performance.now();
      fill();
      return performance.now() - start;
    });
    return captureRow(`SQLite, ${fmtInt(inserts)} single-row INSERTs (prepared, one transaction)`, result);
  } finally {
    db.close();
  }
}

/** Single-row INSERTs, one round trip each, in one transaction; then one INSERT … SELECT of as many rows. */
async function postgresCaptureOverhead(inserts: number): Promise<SummaryRow[]> {
  const database = await createPostgresDatabase('capture');
  let client: PgClient | null = null;
  try {
    const db = await connectPostgres(database.url);
    client = db;
    // installCapture only sends { text, values, queryMode } queries, which a plain node-postgres client takes.
    const asEngineClient = db as unknown as PgPoolClient;
    const recreate = async (table: string, captured: boolean) => {
      const ref: TableRef = { database: null, name: table };
      await removePostgresCapture(asEngineClient, ref, 'public');
      await db.query(`DROP TABLE IF EXISTS ${table}`);
      await db.query(captureTableSql(table, 'double precision'));
      if (captured) {
        await db.query('BEGIN');
        await installPostgresCapture(asEngineClient, ref, 'public');
        await db.query('COMMIT');
      }
      await db.query('CHECKPOINT');
    };
    const singleRows = await alternate(CAPTURE_REPETITIONS, async (captured) => {
      const table = captured ? 'captured' : 'plain';
      await recreate(table, captured);
      const text = `INSERT INTO ${table} (id, g, x, y) VALUES ($1, $2, $3, $4)`;
      const start = performance.now();
      await db.query('BEGIN');
      for (let i = 1; i <= inserts; i++) await db.query(text, [i, i % DIM_ROWS, (i * 7919) % 1000, (i % 997) / 10]);
      await db.query('COMMIT');
      return performance.now() - start;
    });
    const setBased = await alternate(CAPTURE_REPETITIONS, async (captured) => {
      const table = captured ? 'captured' : 'plain';
      await recreate(table, captured);
      const start = performance.now();
      await db.query(
        `INSERT INTO ${table} (id, g, x, y) SELECT ${SOURCE_VALUES} FROM generate_series(1, ${inserts}) AS series(i)`,
      );
      return performance.now() - start;
    });
    return [
      captureRow(
        `PostgreSQL, ${fmtInt(inserts)} single-row INSERTs (one round trip each, one transaction)`,
        singleRows,
      ),
      captureRow(`PostgreSQL, one ${fmtInt(inserts)}-row INSERT … SELECT`, setBased),
    ];
  } finally {
    await client?.end();
    await database.drop();
  }
}

async function captureOverhead(inserts: number): Promise<SummaryRow[]> {
  heading(
    `Change capture write overhead (${fmtInt(inserts)} INSERTs with vs. without capture, median of ${CAPTURE_REPETITIONS}, alternating)`,
  );
  const folder = temporaryFolder('capture');
  try {
    const summary = [await sqliteCaptureOverhead(folder.path, inserts), ...(await postgresCaptureOverhead(inserts))];
    printVerdicts(summary);
    return summary;
  } finally {
    folder.dispose();
  }
}

/**
 * The incremental refresh benchmark (`npm run bench incremental`): `settings.rows` source rows (1,000,000, or
 * 100,000 with BENCH_QUICK=1), 1% of them changed per round, and a tenth as many INSERTs for the capture overhead.
 */
export async function runIncremental(settings: BenchSettings): Promise<SummaryRow[]> {
  const rows = settings.rows;
  if (rows < 400)
    throw new Error(`the incremental benchmark needs at least 400 source rows (BENCH_ROWS); got ${rows}.`);
  return [
    ...(await refreshOnSqlite(rows)),
    ...(await refreshOnPostgres(rows)),
    ...(await captureOverhead(Math.round(rows / 10))),
  ];
}
