/**
 * MySQL/MariaDB-specific behaviour of the engine, on a throwaway database (the server must be running: CI
 * starts it, and a run without it fails). What every engine does alike is in engine-conformance.test.ts.
 */
import assert from 'node:assert/strict';
import type { RefreshSpec, TableDefinition, TableRef } from '../src/engine/engine';
import { MysqlEngine } from '../src/engine/mysql/mysql-engine';
import { PostgresEngine } from '../src/engine/postgres/postgres-engine';
import { type ThrowawayDatabase, createDatabase } from './helpers/databases';
import { rejectsWith, rowsOf } from './helpers/assertions';
import { sleep } from './helpers/wait';

const dt: TableRef = { database: null, name: 'dt' };

const DIGITS = `(SELECT 0 AS d UNION ALL SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4
                 UNION ALL SELECT 5 UNION ALL SELECT 6 UNION ALL SELECT 7 UNION ALL SELECT 8 UNION ALL SELECT 9)`;

/** Rows 1..n (n ≤ 10 000) labelled `label`; with `pauseSeconds`, the rows come only after that long. */
function numbers(n: number, label: string, pauseSeconds = 0): string {
  const pause = pauseSeconds > 0 ? `, (SELECT SLEEP(${pauseSeconds}) AS pause) AS p` : '';
  return `SELECT a.d * 1000 + b.d * 100 + c.d * 10 + e.d + 1 AS id, '${label}' AS v
            FROM ${DIGITS} AS a, ${DIGITS} AS b, ${DIGITS} AS c, ${DIGITS} AS e${pause}
           WHERE a.d * 1000 + b.d * 100 + c.d * 10 + e.d < ${n}`;
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

describe('MysqlEngine', function () {
  this.timeout(30_000);
  let database: ThrowawayDatabase;
  let engine: MysqlEngine;
  const run = (sql: string, rowLimit = 1000) => engine.execute(sql, { rowLimit });
  const dtDefinition = (extra: boolean): TableDefinition => ({
    table: dt,
    columns: [
      { name: 'id', type: 'bigint', nullable: false },
      { name: 'v', type: 'varchar(10)', nullable: true },
      ...(extra ? [{ name: 'doubled', type: 'bigint', nullable: true }] : []),
    ],
    primaryKey: ['id'],
  });
  const internalTables = async () =>
    rowsOf(
      await run(
        `SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND LEFT(TABLE_NAME, 9) = '__freshet'`,
      ),
    );

  /** Polls `SELECT count(*) FROM dt` from another engine while `work` runs; what it saw and its longest wait. */
  async function watchCounts(
    work: () => Promise<unknown>,
  ): Promise<{ seen: number[]; longestRead: number; errors: string[] }> {
    const reader = new MysqlEngine({ url: database.url });
    await reader.open();
    const seen = new Set<number>();
    const errors: string[] = [];
    let longestRead = 0;
    let working = true;
    const polling = (async () => {
      while (working) {
        const started = Date.now();
        try {
          const [[count]] = rowsOf(await reader.execute('SELECT count(*) FROM dt', { rowLimit: 1 })) as [[number]];
          seen.add(count);
        } catch (error) {
          errors.push(String(error));
        }
        longestRead = Math.max(longestRead, Date.now() - started);
        await sleep(10);
      }
    })();
    try {
      await work();
      await sleep(50);
    } finally {
      working = false;
      await polling;
      await reader.close();
    }
    return { seen: [...seen].sort((a, b) => a - b), longestRead, errors };
  }

  before(async function () {
    database = await createDatabase('mysql');
  });

  after(async function () {
    await database?.drop();
  });

  beforeEach(async function () {
    engine = new MysqlEngine({ url: database.url });
    await engine.open();
    for (const table of await engine.listTables()) await engine.dropTable(table);
    await run('DROP VIEW IF EXISTS dt_view');
    for (const [name] of await internalTables()) await run(`DROP TABLE \`${String(name)}\``);
  });

  afterEach(async function () {
    await engine.close();
  });

  it('lets readers on other connections see the old rows until COMMIT, never blocking them', async function () {
    await engine.createTable(dtDefinition(false));
    await engine.refresh(fullRefresh(numbers(500, 'old')));
    const watched = await watchCounts(async () => {
      assert.deepEqual(await engine.refresh(fullRefresh(numbers(1000, 'new', 1))), {
        rowsWritten: 1000,
        rowsDeleted: 500,
      });
    });
    assert.deepEqual(watched.errors, []);
    assert.deepEqual(watched.seen, [500, 1000]);
    assert.ok(watched.longestRead < 500, `a reader waited ${watched.longestRead} ms`);
  });

  it('swaps a rebuilt table in with one RENAME TABLE: readers find the old table or the new one, never none', async function () {
    await engine.createTable(dtDefinition(false));
    await engine.refresh(fullRefresh(numbers(500, 'old')));
    await run('CREATE VIEW dt_view AS SELECT id, v FROM dt');
    const spec: RefreshSpec = {
      ...fullRefresh(`SELECT id, v, id * 2 AS doubled FROM (${numbers(1000, 'new', 1)}) AS n`),
      columns: [
        { target: 'id', source: 'id' },
        { target: 'v', source: 'v' },
        { target: 'doubled', source: 'doubled' },
      ],
    };
    const watched = await watchCounts(async () => {
      assert.deepEqual(await engine.rebuildTable(dtDefinition(true), spec), { rowsWritten: 1000, rowsDeleted: 500 });
    });
    assert.deepEqual(watched.errors, []);
    assert.deepEqual(watched.seen, [500, 1000]);
    assert.deepEqual(
      (await engine.describeTable(dt))?.columns.map((column) => column.name),
      ['id', 'v', 'doubled'],
    );
    assert.deepEqual(
      rowsOf(await run('SELECT count(*), max(v) FROM dt_view')),
      [[1000, 'new']],
      'views read the new table',
    );
    assert.deepEqual(await internalTables(), []);
  });

  it('keeps the old table when a rebuild fails, and clears what a killed rebuild left behind', async function () {
    await engine.createTable(dtDefinition(false));
    await engine.refresh(fullRefresh(numbers(3, 'old')));
    await run('CREATE TABLE __freshet_rebuild_dt (x int)');
    await run('CREATE TABLE __freshet_old_dt (x int)');
    const duplicates: RefreshSpec = {
      ...fullRefresh(`SELECT 1 AS id, 'x' AS v, 2 AS doubled UNION ALL SELECT 1, 'y', 2`),
      columns: [
        { target: 'id', source: 'id' },
        { target: 'v', source: 'v' },
        { target: 'doubled', source: 'doubled' },
      ],
    };
    await rejectsWith(
      engine.rebuildTable(dtDefinition(true), duplicates),
      'VALIDATION_ERROR',
      /^MySQL: Duplicate entry '1' for key 'PRIMARY'/,
    );
    assert.deepEqual(rowsOf(await run('SELECT id, v FROM dt ORDER BY id')), [
      [1, 'old'],
      [2, 'old'],
      [3, 'old'],
    ]);
    assert.deepEqual(await internalTables(), []);
    assert.deepEqual(
      (await engine.describeTable(dt))?.columns.map((column) => column.name),
      ['id', 'v'],
    );
  });

  it('describes query columns from the server’s metadata, without running the query', async function () {
    await run(
      'CREATE TABLE orders (id int PRIMARY KEY, customer varchar(40) NOT NULL, amount decimal(10,2), big bigint unsigned, placed_at datetime(3))',
    );
    await run('CREATE TABLE notes (order_id int NOT NULL, note text NOT NULL)');
    const started = Date.now();
    const columns = await engine.describeQuery(
      `SELECT o.id, o.customer, o.amount, o.big, o.placed_at, count(*) AS n, sum(o.amount) AS revenue, 'eu' AS region,
              1.5 AS half, 2.5e0 AS approx, CURRENT_DATE AS today, SLEEP(5) AS nap, n.note
         FROM orders o LEFT JOIN notes n ON n.order_id = o.id
        GROUP BY o.id, n.note;`,
    );
    assert.ok(Date.now() - started < 2000, 'SLEEP was not evaluated');
    assert.deepEqual(columns, [
      { name: 'id', type: 'int', nullable: false },
      { name: 'customer', type: 'varchar(40)', nullable: false },
      { name: 'amount', type: 'decimal(10,2)', nullable: true },
      { name: 'big', type: 'bigint unsigned', nullable: true },
      { name: 'placed_at', type: 'datetime(3)', nullable: true },
      { name: 'n', type: 'bigint', nullable: false },
      { name: 'revenue', type: 'decimal(32,2)', nullable: true },
      { name: 'region', type: 'varchar(2)', nullable: false },
      { name: 'half', type: 'decimal(2,1)', nullable: false },
      { name: 'approx', type: 'double', nullable: false },
      { name: 'today', type: 'date', nullable: false },
      { name: 'nap', type: 'int', nullable: false },
      { name: 'note', type: 'text', nullable: true },
    ]);
    assert.deepEqual(
      (await engine.describeQuery('SELECT id, id FROM orders')).map((column) => column.name),
      ['id', 'id'],
      'duplicate names are left to the caller',
    );
    await rejectsWith(engine.describeQuery('DELETE FROM orders'), 'VALIDATION_ERROR', /needs a query/);
    await rejectsWith(
      engine.describeQuery('SELECT id FROM orders WHERE id = ?'),
      'VALIDATION_ERROR',
      /parameter markers/,
    );
    assert.deepEqual(rowsOf(await run('SELECT count(*) FROM orders')), [[0]]);
  });

  it('reports the line and column of a syntax error in the client’s own text', async function () {
    await run('CREATE TABLE t (id int)');
    const passThrough = await rejectsWith(
      run('SELECT id\n  FROM t\n WHERE id = = 1'),
      'VALIDATION_ERROR',
      /right syntax to use near '= 1' at line 3/,
    );
    assert.deepEqual([passThrough.line, passThrough.column], [3, 13]);
    const unfinished = await rejectsWith(
      engine.describeQuery('SELECT id\n  FROM t WHERE'),
      'VALIDATION_ERROR',
      /syntax/,
    );
    assert.deepEqual([unfinished.line, unfinished.column], [2, 15], 'the end of the query');
    await engine.createTable(dtDefinition(false));
    const refreshed = await rejectsWith(
      engine.refresh(fullRefresh('SELECT id, v\n  FROM t\n  ORDER BY BY id')),
      'VALIDATION_ERROR',
      /syntax/,
    );
    assert.deepEqual([refreshed.line, refreshed.column], [3, 12]);
    const unknown = await rejectsWith(run('SELECT nope FROM t'), 'VALIDATION_ERROR', /^MySQL: Unknown column 'nope'/);
    assert.equal(unknown.line, undefined);
  });

  it('returns pass-through values JSON-ready, exactly as the server has them', async function () {
    const [row] = rowsOf(
      await run(`SELECT 18446744073709551615 AS huge, CAST(42 AS UNSIGNED) AS small, count(*) AS n, 1.50 AS price, 0.5e0 AS half,
                        X'CAFE' AS bytes, DATE '2024-01-02' AS day, TIMESTAMP '2024-01-02 03:04:05.250' AS at, NULL AS nothing,
                        JSON_OBJECT('a', 1) AS doc
                   FROM (SELECT 1) AS one`),
    );
    assert.deepEqual(row, [
      '18446744073709551615',
      42,
      1,
      '1.50',
      0.5,
      'CAFE',
      '2024-01-02',
      '2024-01-02 03:04:05.250',
      null,
      { a: 1 },
    ]);
  });

  it('stops reading a large result at the row limit, and finishes statements that write', async function () {
    const started = Date.now();
    const limited = await run(
      `SELECT a.d FROM ${DIGITS} a, ${DIGITS} b, ${DIGITS} c, ${DIGITS} e, ${DIGITS} f, ${DIGITS} g`,
      2,
    );
    assert.equal(limited.kind === 'rows' && limited.rows.length, 2);
    assert.equal(limited.kind === 'rows' && limited.truncated, true);
    assert.ok(Date.now() - started < 5000);
    assert.deepEqual(rowsOf(await run('SELECT 1')), [[1]], 'the abandoned connection was replaced');

    await run('CREATE TABLE t (id int)');
    await run('INSERT INTO t VALUES (1), (2), (3)');
    assert.deepEqual(await run('DELETE FROM t RETURNING id', 1), {
      kind: 'rows',
      columns: ['id'],
      rows: [[1]],
      truncated: true,
    });
    assert.deepEqual(rowsOf(await run('SELECT count(*) FROM t')), [[0]], 'the DELETE ran to its end');
  });

  it('refuses transaction control and table locks, leaving no connection in a transaction', async function () {
    await run('CREATE TABLE t (id int)');
    await rejectsWith(run('START TRANSACTION'), 'VALIDATION_ERROR', /transaction control/);
    await rejectsWith(run('SET autocommit = 0'), 'VALIDATION_ERROR', /transaction control/);
    await rejectsWith(run('LOCK TABLES t WRITE'), 'VALIDATION_ERROR', /table locks/);
    await rejectsWith(run('/* why */ lock table t read'), 'VALIDATION_ERROR', /table locks/);
    for (let i = 0; i < 6; i += 1)
      assert.deepEqual(rowsOf(await run('SELECT @@autocommit, @@in_transaction')), [[1, 0]]);
  });

  it('loads rows streamed from PostgreSQL, zoned timestamps as UTC DATETIMEs', async function () {
    const postgresDatabase = await createDatabase('postgres');
    const source = new PostgresEngine({ url: postgresDatabase.url });
    try {
      await source.open();
      await source.execute(
        `CREATE TABLE readings (id bigint PRIMARY KEY, at timestamptz, amount numeric(10,2), ok boolean, raw bytea, doc jsonb)`,
        { rowLimit: 1 },
      );
      await source.execute(
        `INSERT INTO readings VALUES (1, '2024-01-01 10:00:00.123456+02', 12.50, true, '\\xcafe', '{"a": 1}'), (2, NULL, NULL, false, NULL, NULL)`,
        { rowLimit: 1 },
      );
      const columns = ['id', 'at', 'amount', 'ok', 'raw', 'doc'];
      const definition: TableDefinition = {
        table: { database: null, name: 'readings_copy' },
        columns: [
          { name: 'id', type: 'bigint', nullable: false },
          { name: 'at', type: 'datetime(6)', nullable: true },
          { name: 'amount', type: 'decimal(10,2)', nullable: true },
          { name: 'ok', type: 'boolean', nullable: true },
          { name: 'raw', type: 'longblob', nullable: true },
          { name: 'doc', type: 'json', nullable: true },
        ],
        primaryKey: ['id'],
      };
      await engine.createTable(definition);
      const rows = source.streaming.readBatches({
        query: 'SELECT * FROM readings',
        columns,
        filter: null,
        batchRows: 1,
      });
      assert.deepEqual(await engine.streaming.replaceFromBatches({ definition, partition: null }, rows), {
        rowsWritten: 2,
        rowsDeleted: 0,
      });
      assert.deepEqual(rowsOf(await run('SELECT id, at, amount, ok, raw, doc FROM readings_copy ORDER BY id')), [
        [1, '2024-01-01 08:00:00.123456', '12.50', 1, 'CAFE', { a: 1 }],
        [2, null, null, 0, null, null],
      ]);
    } finally {
      await source.close();
      await postgresDatabase.drop();
    }
  });

  it('reports a URL without a database as VALIDATION_ERROR, an unreachable server and a killed query as ENGINE_ERROR', async function () {
    assert.throws(() => new MysqlEngine({ url: 'mysql://root@127.0.0.1:3306' }), /must name one database/);
    const unreachable = new MysqlEngine({
      url: 'mariadb://freshet:secret@127.0.0.1:1/nowhere',
      connectTimeoutMs: 2000,
    });
    const refused = await rejectsWith(
      unreachable.open(),
      'ENGINE_ERROR',
      /Cannot connect to MySQL at mysql:\/\/freshet:\*\*\*@127\.0\.0\.1:1\/nowhere/,
    );
    assert.ok(!refused.message.includes('secret'));
    await rejectsWith(new MysqlEngine({ url: `${database.url}_missing` }).open(), 'ENGINE_ERROR', /Unknown database/);

    const killed = rejectsWith(run(`SELECT SLEEP(10) AS napping`), 'ENGINE_ERROR', /^MySQL: /);
    await sleep(300);
    const [[id]] = rowsOf(
      await run(`SELECT ID FROM information_schema.PROCESSLIST WHERE INFO LIKE 'SELECT SLEEP(10) AS napping'`),
    ) as [[number]];
    await run(`KILL CONNECTION ${id}`);
    await killed;
    assert.deepEqual(rowsOf(await run('SELECT 2')), [[2]], 'the pool replaced the killed connection');
  });
});
