import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import type { Engine, RefreshSpec, TableRef } from '../src/engine/engine';
import { SqliteEngine } from '../src/engine/sqlite/sqlite-engine';
import { rejectsWith, rowsOf } from './helpers/assertions';
import { waitUntil } from './helpers/wait';

/** Rows 1..n of a recursive CTE: a refresh source of any size without a source table. */
function numbers(n: number, label: string): string {
  return (
    `WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < ${n}) ` +
    `SELECT i AS id, '${label}' AS v FROM s`
  );
}

const dt: TableRef = { database: null, name: 'dt' };

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

describe('SqliteEngine', function () {
  let dir: string;
  let file: string;
  let engine: SqliteEngine;

  const run = (sql: string, rowLimit = 1000) => engine.execute(sql, { rowLimit });

  async function createDt(oldRows: number): Promise<void> {
    await engine.createTable({
      table: dt,
      columns: [
        { name: 'id', type: 'INTEGER', nullable: false },
        { name: 'v', type: 'TEXT', nullable: true },
      ],
      primaryKey: ['id'],
    });
    await engine.refresh(fullRefresh(numbers(oldRows, 'old')));
  }

  beforeEach(async function () {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'freshet-sqlite-'));
    file = path.join(dir, 'data', 'engine.sqlite'); // `data/` does not exist yet
    engine = new SqliteEngine({ path: file });
    await engine.open();
  });

  afterEach(async function () {
    await engine.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('opens a WAL database file, creating its directory, and answers pings', async function () {
    await engine.ping();
    assert.ok(fs.existsSync(file));
    assert.deepEqual(rowsOf(await run('PRAGMA journal_mode')), [['wal']]);
    assert.deepEqual(engine.capabilities(), {
      transactionalDdl: true,
      partitionedRefresh: true,
      otherDatabases: false,
    });
    assert.ok(engine.incremental, 'captures changes');
    assert.ok(engine.streaming);
    assert.equal((engine as Engine).continuousJobs, undefined);
    assert.equal(engine.dialect, 'sqlite');
    assert.equal(engine.defaultDatabase, 'main');
  });

  it('refuses files that are not SQLite databases, and in-memory databases', async function () {
    const garbage = path.join(dir, 'garbage.sqlite');
    fs.writeFileSync(
      garbage,
      'this is not a database, just some text that is long enough to have a header '.repeat(20),
    );
    const broken = new SqliteEngine({ path: garbage });
    await rejectsWith(broken.open(), 'ENGINE_ERROR', /not a database/);
    await rejectsWith(broken.ping(), 'ENGINE_ERROR', /not open/);
    await rejectsWith(new SqliteEngine({ path: ':memory:' }).open(), 'VALIDATION_ERROR', /file path/);
  });

  it('describes query columns with declared and inferred types without running the query', async function () {
    await run(
      'CREATE TABLE orders (id INTEGER PRIMARY KEY, customer TEXT NOT NULL, amount REAL, qty INTEGER, placed_at TEXT)',
    );
    const columns = await engine.describeQuery(
      `SELECT customer, count(*) AS n, sum(qty) AS units, sum(amount) AS revenue, avg(amount) AS mean,
              total(qty) AS all_units, min(placed_at) AS first_at, max(qty) AS most,
              CAST(sum(amount) AS DECIMAL(10, 2)) AS rounded, 'eu' AS region, 1 AS one, 2.5 AS half,
              customer || '!' AS shout, date(placed_at) AS day, strftime('%Y', placed_at) AS year,
              qty * 2 AS double_qty, abs(random()) % 7 AS anything, amount > 10 AS big
         FROM orders GROUP BY customer;`,
    );
    assert.deepEqual(
      columns.map((column) => [column.name, column.type]),
      [
        ['customer', 'TEXT'],
        ['n', 'INTEGER'],
        ['units', 'INTEGER'],
        ['revenue', 'REAL'],
        ['mean', 'REAL'],
        ['all_units', 'REAL'],
        ['first_at', 'TEXT'],
        ['most', 'INTEGER'],
        ['rounded', 'DECIMAL'],
        ['region', 'TEXT'],
        ['one', 'INTEGER'],
        ['half', 'REAL'],
        ['shout', 'TEXT'],
        ['day', 'TEXT'],
        ['year', 'TEXT'],
        ['double_qty', 'INTEGER'],
        ['anything', 'INTEGER'],
        ['big', 'INTEGER'],
      ],
    );
    assert.equal(columns[0]?.nullable, false, 'a NOT NULL column read directly stays NOT NULL');
    assert.ok(columns.slice(1).every((column) => column.nullable));
    assert.deepEqual(rowsOf(await run('SELECT count(*) FROM orders')), [[0]]);
  });

  it('keeps a NOT NULL column nullable where the query can produce NULL, and leaves unknown types empty', async function () {
    await run('CREATE TABLE a (id INTEGER PRIMARY KEY, name TEXT NOT NULL)');
    await run('CREATE TABLE b (a_id INTEGER NOT NULL, note TEXT NOT NULL)');
    const joined = await engine.describeQuery('SELECT a.id, a.name, b.note FROM a LEFT JOIN b ON b.a_id = a.id');
    assert.deepEqual(
      joined.map((column) => column.nullable),
      [true, true, true],
    );
    const plain = await engine.describeQuery('SELECT * FROM a');
    assert.deepEqual(plain, [
      { name: 'id', type: 'INTEGER', nullable: false },
      { name: 'name', type: 'TEXT', nullable: false },
    ]);
    // node-sql-parser cannot read this window clause; SQLite still names and types what it can.
    const windowed = await engine.describeQuery('SELECT id, row_number() OVER (ORDER BY id) AS rn FROM a');
    assert.deepEqual(windowed, [
      { name: 'id', type: 'INTEGER', nullable: true },
      { name: 'rn', type: '', nullable: true },
    ]);
    await rejectsWith(engine.describeQuery('SELECT nope FROM a'), 'VALIDATION_ERROR', /no such column: nope/);
  });

  it('creates, lists, describes and drops tables with quoted names and a primary key', async function () {
    const odd: TableRef = { database: 'main', name: 'odd "name" table' };
    await engine.createTable({
      table: odd,
      columns: [
        { name: 'region', type: 'TEXT', nullable: false },
        { name: 'day "of" sale', type: 'DATE', nullable: false },
        { name: 'total', type: 'DECIMAL(10, 2)', nullable: true },
        { name: 'extra', type: '', nullable: true },
      ],
      primaryKey: ['day "of" sale', 'region'],
    });
    await run('CREATE TABLE "__freshet_scratch" (x)');
    assert.deepEqual(await engine.listTables(), [{ database: 'main', name: 'odd "name" table' }]);
    assert.deepEqual(await engine.describeTable(odd), {
      columns: [
        { name: 'region', type: 'TEXT', nullable: false },
        { name: 'day "of" sale', type: 'DATE', nullable: false },
        { name: 'total', type: 'DECIMAL(10, 2)', nullable: true },
        { name: 'extra', type: '', nullable: true },
      ],
      primaryKey: ['day "of" sale', 'region'],
    });
    await engine.dropTable({ database: null, name: odd.name });
    assert.equal(await engine.describeTable(odd), null);
    await engine.dropTable(odd); // already gone: fine
    assert.equal(await engine.describeTable({ database: 'elsewhere', name: 't' }), null);
    await rejectsWith(
      engine.createTable({
        table: dt,
        columns: [{ name: 'x', type: 'INT); DROP TABLE y; --', nullable: true }],
        primaryKey: null,
      }),
      'VALIDATION_ERROR',
      /not a SQLite type name/,
    );
  });

  it('replaces the whole table on a full refresh and reports what it wrote and deleted', async function () {
    await createDt(3);
    const outcome = await engine.refresh(fullRefresh(`${numbers(5, 'new')} -- trailing comment`));
    assert.deepEqual(outcome, { rowsWritten: 5, rowsDeleted: 3 });
    assert.deepEqual(rowsOf(await run('SELECT v, count(*) FROM dt GROUP BY v')), [['new', 5]]);
  });

  it('rewrites only the named partition on a partition refresh', async function () {
    await run('CREATE TABLE sales (day TEXT, region TEXT, amount INTEGER)');
    await run(`INSERT INTO sales VALUES ('2024-01-01', 'eu', 1), ('2024-01-01', 'us', 2), ('2024-01-02', 'eu', 4)`);
    const daily: TableRef = { database: 'main', name: 'daily' };
    await engine.createTable({
      table: daily,
      columns: [
        { name: 'sale_day', type: 'TEXT', nullable: true },
        { name: 'total', type: 'INTEGER', nullable: true },
      ],
      primaryKey: null,
    });
    const spec = (partition: Record<string, string> | null): RefreshSpec => ({
      table: daily,
      query: 'SELECT day, sum(amount) AS total FROM sales GROUP BY day',
      columns: [
        { target: 'sale_day', source: 'day' },
        { target: 'total', source: 'total' },
      ],
      partition,
    });
    await engine.refresh(spec(null));
    await run(`INSERT INTO sales VALUES ('2024-01-01', 'eu', 10), ('2024-01-02', 'us', 20)`);

    const outcome = await engine.refresh(spec({ sale_day: '2024-01-02' }));

    assert.deepEqual(outcome, { rowsWritten: 1, rowsDeleted: 1 });
    assert.deepEqual(rowsOf(await run('SELECT sale_day, total FROM daily ORDER BY sale_day')), [
      ['2024-01-01', 3], // untouched: still the value before the new sales
      ['2024-01-02', 24],
    ]);
    await rejectsWith(engine.refresh(spec({ region: 'eu' })), 'VALIDATION_ERROR', /Partition column "region"/);
  });

  it('keeps the old rows when a refresh violates a constraint', async function () {
    await createDt(3);
    const duplicates = `SELECT 1 AS id, 'x' AS v UNION ALL SELECT 1, 'y'`;
    await rejectsWith(
      engine.refresh(fullRefresh(duplicates)),
      'VALIDATION_ERROR',
      /^SQLite: UNIQUE constraint failed: dt\.id/,
    );
    assert.deepEqual(rowsOf(await run('SELECT id, v FROM dt ORDER BY id')), [
      [1, 'old'],
      [2, 'old'],
      [3, 'old'],
    ]);
  });

  it('runs pass-through statements with a row limit, change counts and JSON-safe values', async function () {
    assert.deepEqual(await run('CREATE TABLE t (id INTEGER, v TEXT)'), { kind: 'update', rowsAffected: 0 });
    assert.deepEqual(await run(`INSERT INTO t VALUES (1, 'a'), (2, 'b'), (3, 'c')`), {
      kind: 'update',
      rowsAffected: 3,
    });
    assert.deepEqual(await run('SELECT id, v FROM t ORDER BY id', 2), {
      kind: 'rows',
      columns: ['id', 'v'],
      rows: [
        [1, 'a'],
        [2, 'b'],
      ],
      truncated: true,
    });
    const all = await run('SELECT id FROM t ORDER BY id', 3);
    assert.equal(all.kind === 'rows' && all.truncated, false);
    assert.deepEqual(rowsOf(await run(`SELECT 9007199254740993 AS big, -42 AS small, X'CAFE' AS blob, 0.5 AS half`)), [
      ['9007199254740993', -42, 'CAFE', 0.5],
    ]);
    assert.deepEqual(await run(`UPDATE t SET v = 'z' WHERE id > 1 RETURNING id`), {
      kind: 'rows',
      columns: ['id'],
      rows: [[2], [3]],
      truncated: false,
    });
    assert.deepEqual(rowsOf(await run(`SELECT count(*) FROM t WHERE v = 'z'`)), [[2]]);
  });

  it('reports statements a client got wrong as VALIDATION_ERROR, with the position of syntax errors', async function () {
    const typo = await rejectsWith(run('SELEC id FROM t'), 'VALIDATION_ERROR', /near "SELEC": syntax error/);
    assert.deepEqual([typo.line, typo.column], [1, 1]);
    const misplaced = await rejectsWith(
      run('SELECT id\n  FROM t\n WHERE id = = 1'),
      'VALIDATION_ERROR',
      /syntax error/,
    );
    assert.deepEqual([misplaced.line, misplaced.column], [3, 13]);
    await rejectsWith(run('SELECT * FROM missing'), 'VALIDATION_ERROR', /no such table: missing/);
    await rejectsWith(run('SELECT 1; SELECT 2'), 'VALIDATION_ERROR', /more than one statement/);
    await rejectsWith(run('BEGIN'), 'VALIDATION_ERROR', /own transaction/);
    await run('CREATE TABLE t (id INTEGER)');
    assert.deepEqual(await run('INSERT INTO t VALUES (1)'), { kind: 'update', rowsAffected: 1 }); // no transaction left open
  });

  it('reports a lock held too long as ENGINE_ERROR', async function () {
    await createDt(1);
    const impatient = new SqliteEngine({ path: file, busyTimeoutMs: 50 });
    await impatient.open();
    const other = new BetterSqlite3(file);
    try {
      other.exec('BEGIN IMMEDIATE');
      await rejectsWith(impatient.refresh(fullRefresh(numbers(2, 'new'))), 'ENGINE_ERROR', /locked/);
      other.exec('ROLLBACK');
      assert.deepEqual(await impatient.refresh(fullRefresh(numbers(2, 'new'))), { rowsWritten: 2, rowsDeleted: 1 });
    } finally {
      other.close();
      await impatient.close();
    }
  });

  it('rebuilds a table under a new definition in one step, keeping views over it working', async function () {
    await createDt(2);
    await run('CREATE VIEW dt_view AS SELECT * FROM dt');
    const outcome = await engine.rebuildTable(
      {
        table: dt,
        columns: [
          { name: 'id', type: 'INTEGER', nullable: false },
          { name: 'v', type: 'TEXT', nullable: true },
          { name: 'doubled', type: 'INTEGER', nullable: true },
        ],
        primaryKey: ['id'],
      },
      {
        ...fullRefresh("SELECT id, v, id * 2 AS doubled FROM (SELECT 7 AS id, 'new' AS v)"),
        columns: [
          { target: 'id', source: 'id' },
          { target: 'v', source: 'v' },
          { target: 'doubled', source: 'doubled' },
        ],
      },
    );
    assert.deepEqual(outcome, { rowsWritten: 1, rowsDeleted: 2 });
    assert.deepEqual(
      (await engine.describeTable(dt))?.columns.map((column) => column.name),
      ['id', 'v', 'doubled'],
    );
    assert.deepEqual(rowsOf(await run('SELECT * FROM dt_view')), [[7, 'new', 14]]);
    assert.deepEqual(await engine.listTables(), [{ database: 'main', name: 'dt' }]);
  });

  it('lets readers see only the old or the new rows during a refresh, without blocking the event loop', async function () {
    await createDt(1000);
    const reader = new BetterSqlite3(file, { readonly: true });
    const count = reader.prepare('SELECT count(*) FROM dt').pluck();
    const seen = new Set<number>();
    let maxGap = 0;
    let last = Date.now();
    const ticker = setInterval(() => {
      const now = Date.now();
      maxGap = Math.max(maxGap, now - last);
      last = now;
      seen.add(count.get() as number);
    }, 2);
    const order: string[] = [];
    try {
      const refreshing = engine.refresh(fullRefresh(numbers(300_000, 'new'))).then((outcome) => {
        order.push('refresh');
        return outcome;
      });
      // A user's SELECT runs on the reader thread, not behind the refresh.
      const selecting = run('SELECT count(*) FROM dt').then((result) => {
        order.push('select');
        return result;
      });
      const [outcome, selected] = await Promise.all([refreshing, selecting]);
      seen.add(count.get() as number);
      assert.deepEqual(outcome, { rowsWritten: 300_000, rowsDeleted: 1000 });
      assert.deepEqual(rowsOf(selected), [[1000]]);
      assert.deepEqual(order, ['select', 'refresh']);
    } finally {
      clearInterval(ticker);
      reader.close();
    }
    assert.deepEqual(
      [...seen].sort((a, b) => a - b),
      [1000, 300_000],
    );
    assert.ok(maxGap < 200, `the event loop stalled for ${maxGap} ms`);
  });

  it('leaves exactly the old rows when the process is killed in the middle of a refresh', async function () {
    this.timeout(30_000);
    await createDt(1000);
    await engine.close(); // the child is the only writer; closing also checkpoints and removes the WAL

    // The child runs this very engine, compiled or under tsx like this test file.
    const extension = path.extname(__filename);
    const enginePath = path.join(__dirname, '..', 'src', 'engine', 'sqlite', `sqlite-engine${extension}`);
    const script = path.join(dir, 'sqlite-kill-child.js');
    fs.writeFileSync(
      script,
      `const { SqliteEngine } = require(${JSON.stringify(enginePath)});
       const engine = new SqliteEngine({ path: ${JSON.stringify(file)} });
       engine.open()
         .then(() => { process.stdout.write('refreshing\\n'); return engine.refresh(${JSON.stringify(fullRefresh(numbers(50_000_000, 'new')))}); })
         .then(() => process.stdout.write('finished\\n'));`,
    );
    const execArgv = extension === '.ts' ? ['--require', require.resolve('tsx/cjs')] : [];
    const child = spawn(process.execPath, [...execArgv, script], { stdio: ['ignore', 'pipe', 'inherit'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<NodeJS.Signals | null>((resolve) =>
      child.on('exit', (_code, signal) => resolve(signal)),
    );

    // Kill once the uncommitted transaction has spilled several megabytes into the WAL.
    const wal = `${file}-wal`;
    await waitUntil(() => output.includes('refreshing') && fs.existsSync(wal) && fs.statSync(wal).size > 8_000_000, {
      timeoutMs: 20_000,
      intervalMs: 10,
      what: () => `the child's refresh to get going (output: ${JSON.stringify(output)})`,
    });
    child.kill('SIGKILL');
    assert.equal(await exited, 'SIGKILL');
    assert.ok(!output.includes('finished'));

    engine = new SqliteEngine({ path: file });
    await engine.open();
    assert.deepEqual(rowsOf(await run('SELECT count(*), min(id), max(id), min(v), max(v) FROM dt')), [
      [1000, 1, 1000, 'old', 'old'],
    ]);
    assert.deepEqual(await engine.refresh(fullRefresh(numbers(10, 'new'))), { rowsWritten: 10, rowsDeleted: 1000 });
    assert.deepEqual(rowsOf(await run('PRAGMA integrity_check')), [['ok']]);
  });
});
