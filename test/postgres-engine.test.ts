/**
 * PostgreSQL-specific behaviour of the engine, on a throwaway database (the server must be running: CI starts
 * it, and a run without it fails). What every engine does alike is in engine-conformance.test.ts.
 */
import assert from 'node:assert/strict';
import type { RefreshSpec, TableRef } from '../src/engine/engine';
import { PostgresEngine } from '../src/engine/postgres/postgres-engine';
import { type ThrowawayDatabase, createDatabase } from './helpers/databases';
import { rejectsWith, rowsOf } from './helpers/assertions';
import { sleep } from './helpers/wait';

const dt: TableRef = { database: null, name: 'dt' };

function series(n: number, label: string): string {
  return `SELECT i AS id, '${label}' AS v FROM generate_series(1, ${n}) AS i`;
}

function fullRefresh(query: string): RefreshSpec {
  return {
    table: dt,
    query,
    columns: [
      { target: 'id', source: 'id' },
      { target: 'v', source: 'v' },
    ],
    partition: null,
  };
}

describe('PostgresEngine', function () {
  this.timeout(30_000);
  let database: ThrowawayDatabase;
  let engine: PostgresEngine;
  const run = (sql: string, rowLimit = 1000) => engine.execute(sql, { rowLimit });

  async function createDt(rows: number): Promise<void> {
    await engine.createTable({
      table: dt,
      columns: [
        { name: 'id', type: 'integer', nullable: false },
        { name: 'v', type: 'text', nullable: true },
      ],
      primaryKey: ['id'],
    });
    await engine.refresh(fullRefresh(series(rows, 'old')));
  }

  before(async function () {
    database = await createDatabase('postgres');
  });

  after(async function () {
    await database?.drop();
  });

  beforeEach(async function () {
    engine = new PostgresEngine({ url: database.url });
    await engine.open();
    await run('DROP SCHEMA public CASCADE');
    await run('CREATE SCHEMA public');
  });

  afterEach(async function () {
    await engine.close();
  });

  it('lets readers on other connections see the old rows until COMMIT, never blocking them', async function () {
    await createDt(1000);
    const reader = new PostgresEngine({ url: database.url });
    await reader.open();
    const seen = new Set<number>();
    let longestRead = 0;
    let refreshing = true;
    const polling = (async () => {
      while (refreshing) {
        const started = Date.now();
        const [[count]] = rowsOf(await reader.execute('SELECT count(*) FROM dt', { rowLimit: 1 })) as [[number]];
        longestRead = Math.max(longestRead, Date.now() - started);
        seen.add(count);
        await sleep(10);
      }
    })();
    try {
      // The DELETE runs first; the INSERT then waits a second before its rows come: readers must not wait with it.
      const slow = `WITH pause AS MATERIALIZED (SELECT pg_sleep(1)) SELECT i AS id, 'new' AS v FROM generate_series(1, 2000) AS i, pause`;
      const started = Date.now();
      assert.deepEqual(await engine.refresh(fullRefresh(slow)), { rowsWritten: 2000, rowsDeleted: 1000 });
      assert.ok(Date.now() - started >= 1000);
      await sleep(50);
    } finally {
      refreshing = false;
      await polling;
      await reader.close();
    }
    assert.deepEqual(
      [...seen].sort((a, b) => a - b),
      [1000, 2000],
    );
    assert.ok(longestRead < 500, `a reader waited ${longestRead} ms`);
  });

  it('describes query columns with PostgreSQL’s own type names, without running the query', async function () {
    await run(
      'CREATE TABLE orders (id integer PRIMARY KEY, customer varchar(40) NOT NULL, amount numeric(10,2), placed_at timestamptz)',
    );
    await run('CREATE TABLE notes (order_id integer NOT NULL, note text NOT NULL)');
    const started = Date.now();
    const columns = await engine.describeQuery(
      `SELECT o.id, o.customer, o.amount, o.placed_at, count(*) AS n, sum(o.amount) AS revenue, 'eu' AS region,
              now()::date AS today, pg_sleep(5) AS nap
         FROM orders o GROUP BY o.id`,
    );
    assert.ok(Date.now() - started < 2000, 'pg_sleep was not evaluated');
    assert.deepEqual(columns, [
      { name: 'id', type: 'integer', nullable: false },
      { name: 'customer', type: 'character varying(40)', nullable: false },
      { name: 'amount', type: 'numeric(10,2)', nullable: true },
      { name: 'placed_at', type: 'timestamp with time zone', nullable: true },
      { name: 'n', type: 'bigint', nullable: true },
      { name: 'revenue', type: 'numeric', nullable: true },
      { name: 'region', type: 'text', nullable: true },
      { name: 'today', type: 'date', nullable: true },
      { name: 'nap', type: 'void', nullable: true },
    ]);
    const joined = await engine.describeQuery(
      'SELECT o.id, n.note, o.id FROM orders o LEFT JOIN notes n ON n.order_id = o.id',
    );
    assert.deepEqual(
      joined.map((column) => [column.name, column.nullable]),
      [
        ['id', true],
        ['note', true],
        ['id', true],
      ],
      'an outer join can turn any column NULL, and duplicate names are left to the caller',
    );
  });

  it('reports the line and column of an error in the client’s own text', async function () {
    await run('CREATE TABLE t (id integer)');
    const passThrough = await rejectsWith(
      run('SELECT id\n  FROM t\n WHERE id = = 1'),
      'VALIDATION_ERROR',
      /syntax error at or near "="/,
    );
    assert.deepEqual([passThrough.line, passThrough.column], [3, 13]);
    const described = await rejectsWith(
      engine.describeQuery('SELECT id,\n       nope\n  FROM t'),
      'VALIDATION_ERROR',
      /column "nope" does not exist/,
    );
    assert.deepEqual([described.line, described.column], [2, 8]);
    const unfinished = await rejectsWith(
      engine.describeQuery('SELECT id\n  FROM t WHERE'),
      'VALIDATION_ERROR',
      /syntax error/,
    );
    assert.deepEqual([unfinished.line, unfinished.column], [2, 15], 'the end of the query');
    await createDt(1);
    const refreshed = await rejectsWith(
      engine.refresh(fullRefresh('SELECT id, v\n  FROM dt WHERE missing > 1')),
      'VALIDATION_ERROR',
      /column "missing"/,
    );
    assert.deepEqual([refreshed.line, refreshed.column], [2, 17]);
    const duplicate = await rejectsWith(
      engine.refresh(fullRefresh(`SELECT 1 AS id, 'x' AS v UNION ALL SELECT 1, 'y'`)),
      'VALIDATION_ERROR',
    );
    assert.match(
      duplicate.message,
      /^PostgreSQL: duplicate key value violates unique constraint "dt_pkey" DETAIL: Key \(id\)=\(1\) already exists\.$/,
    );
    assert.equal(duplicate.line, undefined);
  });

  it('returns pass-through values JSON-ready, exactly as the server has them', async function () {
    const [row] = rowsOf(
      await run(`SELECT 9007199254740993::bigint AS big, 42::bigint AS small, count(*) AS n, 1.50::numeric AS price, 0.5::float8 AS half,
                        '\\xcafe'::bytea AS bytes, date '2024-01-02' AS day, timestamp '2024-01-02 03:04:05' AS at,
                        '{"a": [1, 2]}'::jsonb AS doc, ARRAY[1, 2] AS list, true AS yes, NULL AS nothing, interval '1 day' AS span
                   FROM (VALUES (1)) AS one`),
    );
    assert.deepEqual(row, [
      '9007199254740993',
      42,
      1,
      '1.50',
      0.5,
      'CAFE',
      '2024-01-02',
      '2024-01-02 03:04:05',
      { a: [1, 2] },
      [1, 2],
      true,
      null,
      '1 day',
    ]);
  });

  it('stops a large result at the row limit without computing the rows past it', async function () {
    // Row 10 divides by zero: only a read that stops at the limit gets away with it.
    const limited = await run('SELECT 100 / (10 - i) AS q FROM generate_series(1, 20) AS i', 3);
    assert.deepEqual(limited, { kind: 'rows', columns: ['q'], rows: [[11], [12], [14]], truncated: true });
    await rejectsWith(
      run('SELECT 100 / (10 - i) AS q FROM generate_series(1, 20) AS i', 100),
      'VALIDATION_ERROR',
      /division by zero/,
    );
    assert.deepEqual(rowsOf(await run('SELECT 1')), [[1]]);
    assert.deepEqual(await run('SELECT 1 WHERE false', 0), {
      kind: 'rows',
      columns: ['?column?'],
      rows: [],
      truncated: false,
    });
  });

  it('keeps session settings of pass-through statements away from refreshes', async function () {
    await createDt(2);
    await run('CREATE SCHEMA elsewhere');
    await run('CREATE TABLE elsewhere.dt (id integer, v text)');
    await run('SET search_path TO elsewhere');
    assert.deepEqual(await engine.refresh(fullRefresh(`${series(3, 'new')}`)), { rowsWritten: 3, rowsDeleted: 2 });
    assert.deepEqual(rowsOf(await run('SELECT count(*) FROM public.dt')), [[3]]);
    await rejectsWith(run('BEGIN'), 'VALIDATION_ERROR', /transaction control/);
    await rejectsWith(run('SAVEPOINT s'), 'VALIDATION_ERROR', /SAVEPOINT|transaction/);
  });

  it('refuses to rebuild a table that a view depends on, keeping the table and its rows', async function () {
    await createDt(2);
    await run('CREATE VIEW dt_view AS SELECT * FROM dt');
    const definition = { table: dt, columns: [{ name: 'id', type: 'bigint', nullable: false }], primaryKey: ['id'] };
    const spec: RefreshSpec = { ...fullRefresh('SELECT 7 AS id'), columns: [{ target: 'id', source: 'id' }] };
    await rejectsWith(
      engine.rebuildTable(definition, spec),
      'VALIDATION_ERROR',
      /cannot replace table "dt".*view dt_view depends on table dt.*drop them first/,
    );
    assert.deepEqual(rowsOf(await run('SELECT id, v FROM dt_view ORDER BY id')), [
      [1, 'old'],
      [2, 'old'],
    ]);
    assert.deepEqual(
      (await engine.listTables()).map((t) => t.name),
      ['dt'],
    );
  });

  it('reads the default schema from the connection’s search_path', async function () {
    await run('CREATE SCHEMA analytics');
    const url = new URL(database.url);
    url.searchParams.set('options', '-c search_path=analytics');
    const scoped = new PostgresEngine({ url: url.toString() });
    await scoped.open();
    try {
      assert.equal(scoped.defaultDatabase, 'analytics');
      await scoped.createTable({
        table: { database: null, name: 'facts' },
        columns: [{ name: 'x', type: 'integer', nullable: true }],
        primaryKey: null,
      });
      assert.deepEqual(await scoped.listTables(), [{ database: 'analytics', name: 'facts' }]);
      assert.ok(await engine.describeTable({ database: 'analytics', name: 'facts' }));
    } finally {
      await scoped.close();
    }
  });

  it('reports an unreachable server, a closed engine and a killed connection as ENGINE_ERROR', async function () {
    const unreachable = new PostgresEngine({
      url: 'postgres://freshet:secret@127.0.0.1:1/nowhere',
      connectTimeoutMs: 2000,
    });
    const refused = await rejectsWith(
      unreachable.open(),
      'ENGINE_ERROR',
      /Cannot connect to PostgreSQL at postgres:\/\/freshet:\*\*\*@127\.0\.0\.1:1\/nowhere/,
    );
    assert.ok(!refused.message.includes('secret'));
    await rejectsWith(unreachable.ping(), 'ENGINE_ERROR', /not open/);

    const killed = rejectsWith(
      run(`SELECT pg_sleep(10), 'napping' AS marker`),
      'ENGINE_ERROR',
      /^PostgreSQL: terminating connection due to administrator command/,
    );
    await sleep(300);
    const admin = new PostgresEngine({ url: database.url });
    await admin.open();
    try {
      await admin.execute(
        `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query LIKE '%''napping''%' AND pid <> pg_backend_pid()`,
        { rowLimit: 10 },
      );
    } finally {
      await admin.close();
    }
    await killed;
    assert.deepEqual(rowsOf(await run('SELECT 2')), [[2]], 'the pool replaced the killed connection');
  });
});
