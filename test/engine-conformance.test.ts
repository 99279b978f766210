/**
 * The same assertions for every engine, each on a throwaway database (a temporary SQLite file, a new
 * PostgreSQL or MariaDB database). PostgreSQL and MariaDB must be running: CI starts them, and a test run
 * without them fails instead of skipping.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Engine, RefreshSpec, RowBatch, TableDefinition, TableRef } from '../src/engine/engine';
import { createEngine } from '../src/engine/engine-factory';
import { FreshetError } from '../src/errors';
import { createDatabase } from './helpers/databases';
import { rejectsWith, rowsOf } from './helpers/assertions';

interface Subject {
  readonly kind: 'sqlite' | 'postgres' | 'mysql';
  readonly dialect: string;
  /** A URL for createEngine, its base folder, and how to remove what was made for it. */
  readonly setUp: () => Promise<{ readonly url: string; readonly baseDir: string; readonly tearDown: () => Promise<void> }>;
  /** Type names to create tables with. */
  readonly ddl: { readonly integer: string; readonly key: string; readonly text: string };
  /** What the engine's type names look like, broadly. */
  readonly types: { readonly integer: RegExp; readonly text: RegExp; readonly numeric: RegExp };
}

function temporaryFolder(): { dir: string; remove: () => Promise<void> } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'freshet-conformance-'));
  return { dir, remove: async () => fs.rmSync(dir, { recursive: true, force: true }) };
}

function onServer(kind: 'postgres' | 'mysql'): Subject['setUp'] {
  return async () => {
    const database = await createDatabase(kind);
    const folder = temporaryFolder();
    return {
      url: database.url,
      baseDir: folder.dir,
      tearDown: async () => {
        await database.drop();
        await folder.remove();
      },
    };
  };
}

const SUBJECTS: readonly Subject[] = [
  {
    kind: 'sqlite',
    dialect: 'sqlite',
    setUp: async () => {
      const folder = temporaryFolder();
      return { url: 'sqlite:data/engine.sqlite', baseDir: folder.dir, tearDown: folder.remove };
    },
    ddl: { integer: 'INTEGER', key: 'TEXT', text: 'TEXT' },
    types: { integer: /^INTEGER$/, text: /^(TEXT|VARCHAR\(40\))$/, numeric: /^(NUMERIC|REAL|DECIMAL)/ },
  },
  {
    kind: 'postgres',
    dialect: 'postgresql',
    setUp: onServer('postgres'),
    ddl: { integer: 'integer', key: 'text', text: 'text' },
    types: { integer: /^(smallint|integer|bigint)$/, text: /^(text|character varying(\(\d+\))?)$/, numeric: /^numeric/ },
  },
  {
    kind: 'mysql',
    dialect: 'mysql',
    setUp: onServer('mysql'),
    ddl: { integer: 'int', key: 'varchar(20)', text: 'text' },
    types: { integer: /^(tinyint|smallint|mediumint|int|bigint)\b/, text: /^(varchar\(\d+\)|char\(\d+\)|text)$/, numeric: /^decimal\(\d+,\d+\)$/ },
  },
];

/** Rows 1..n of a recursive CTE: a refresh source of any size without a source table. */
function numbers(n: number, label: string): string {
  return `WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < ${n}) SELECT i AS id, '${label}' AS v FROM s`;
}



const ENGINE_PREFIX = /^(SQLite|PostgreSQL|MySQL): /;

for (const subject of SUBJECTS) {
  describe(`engine conformance: ${subject.kind}`, function () {
    this.timeout(30_000);
    let engine: Engine;
    let tearDown: () => Promise<void> = async () => undefined;
    let url: string;

    const run = (sql: string, rowLimit = 1000) => engine.execute(sql, { rowLimit });
    const table = (name: string): TableRef => ({ database: null, name });
    const fullRefresh = (target: TableRef, query: string): RefreshSpec => ({
      table: target,
      query,
      columns: [
        { target: 'id', source: 'id' },
        { target: 'v', source: 'v' },
      ],
      partition: null,
    });

    async function createDt(name: string, oldRows: number): Promise<TableRef> {
      const dt = table(name);
      await engine.createTable({
        table: dt,
        columns: [
          { name: 'id', type: subject.ddl.integer, nullable: false },
          { name: 'v', type: subject.ddl.text, nullable: true },
        ],
        primaryKey: ['id'],
      });
      if (oldRows > 0) await engine.refresh(fullRefresh(dt, numbers(oldRows, 'old')));
      return dt;
    }

    before(async function () {
      const setUp = await subject.setUp();
      tearDown = setUp.tearDown;
      url = setUp.url;
      engine = createEngine(setUp.url, { baseDir: setUp.baseDir });
      await engine.open();
    });

    after(async function () {
      await engine?.close();
      await tearDown();
    });

    it('answers pings and says what it is and can do', async function () {
      await engine.ping();
      assert.equal(engine.name, subject.kind);
      assert.equal(engine.dialect, subject.dialect);
      const expectedDefault = subject.kind === 'sqlite' ? 'main' : subject.kind === 'postgres' ? 'public' : new URL(url).pathname.slice(1);
      assert.equal(engine.defaultDatabase, expectedDefault);
      const capabilities = engine.capabilities();
      assert.equal(capabilities.partitionedRefresh, true);
      assert.equal(engine.incremental !== undefined, subject.kind !== 'mysql', 'SQLite and PostgreSQL capture changes');
      assert.equal(typeof engine.incremental?.refresh, subject.kind === 'mysql' ? 'undefined' : 'function');
      assert.equal(capabilities.transactionalDdl, subject.kind !== 'mysql');
    });

    it('describes a query’s output columns: names, types, and what cannot be NULL', async function () {
      await run('CREATE TABLE orders (id INTEGER PRIMARY KEY, customer VARCHAR(40) NOT NULL, amount DECIMAL(10,2), qty INTEGER)');
      const columns = await engine.describeQuery(
        `SELECT customer, count(*) AS n, sum(amount) AS revenue, 'eu' AS region, qty
           FROM orders GROUP BY customer, qty;`,
      );
      assert.deepEqual(
        columns.map((column) => column.name),
        ['customer', 'n', 'revenue', 'region', 'qty'],
      );
      const [customer, n, revenue, region, qty] = columns;
      assert.match(customer?.type ?? '', subject.types.text);
      assert.match(n?.type ?? '', subject.types.integer);
      assert.match(revenue?.type ?? '', subject.types.numeric);
      assert.match(region?.type ?? '', subject.types.text);
      assert.match(qty?.type ?? '', subject.types.integer);
      assert.equal(customer?.nullable, false, 'a NOT NULL column read directly stays NOT NULL');
      assert.equal(revenue?.nullable, true);
      await rejectsWith(engine.describeQuery('SELECT nope FROM orders'), 'VALIDATION_ERROR', ENGINE_PREFIX);
      await rejectsWith(engine.describeQuery('SELECT id FROM missing_table'), 'VALIDATION_ERROR', ENGINE_PREFIX);
    });

    it('creates, lists, describes and drops tables with a composite primary key', async function () {
      const sales = table('daily_sales');
      await engine.createTable({
        table: sales,
        columns: [
          { name: 'region', type: subject.ddl.key, nullable: false },
          { name: 'day', type: subject.ddl.key, nullable: false },
          { name: 'total', type: 'DECIMAL(10,2)', nullable: true },
        ],
        primaryKey: ['day', 'region'],
      });
      await run(`CREATE TABLE __freshet_scratch (x ${subject.ddl.integer})`);
      const listed = await engine.listTables();
      assert.ok(listed.some((t) => t.name === 'daily_sales' && t.database === engine.defaultDatabase), JSON.stringify(listed));
      assert.ok(!listed.some((t) => t.name.startsWith('__freshet')), 'scratch tables are hidden');

      const description = await engine.describeTable(sales);
      assert.ok(description !== null);
      assert.deepEqual(
        description.columns.map((column) => [column.name, column.nullable]),
        [
          ['region', false],
          ['day', false],
          ['total', true],
        ],
      );
      assert.match(description.columns[2]?.type ?? '', subject.types.numeric);
      assert.deepEqual(description.primaryKey, ['day', 'region']);
      assert.deepEqual(await engine.describeTable({ database: engine.defaultDatabase, name: 'daily_sales' }), description);

      await engine.dropTable(sales);
      assert.equal(await engine.describeTable(sales), null);
      await engine.dropTable(sales); // already gone: fine
      assert.equal(await engine.describeTable(table('never_created')), null);
      assert.equal(await engine.describeTable({ database: 'no_such_database', name: 'daily_sales' }), null);
      await rejectsWith(
        engine.createTable({ table: table('evil'), columns: [{ name: 'x', type: 'INT); DROP TABLE y; --', nullable: true }], primaryKey: null }),
        'VALIDATION_ERROR',
        /not a (SQLite|PostgreSQL|MySQL) type name/,
      );
    });

    it('replaces the whole table on a full refresh and counts what it wrote and deleted', async function () {
      const dt = await createDt('full_dt', 0);
      assert.deepEqual(await engine.refresh(fullRefresh(dt, numbers(3, 'old'))), { rowsWritten: 3, rowsDeleted: 0 });
      const outcome = await engine.refresh(fullRefresh(dt, `${numbers(5, 'new')} -- trailing comment`));
      assert.deepEqual(outcome, { rowsWritten: 5, rowsDeleted: 3 });
      assert.deepEqual(rowsOf(await run('SELECT v, count(*) FROM full_dt GROUP BY v')), [['new', 5]]);
    });

    it('rewrites only the named partition on a partition refresh', async function () {
      await run(`CREATE TABLE sales (day ${subject.ddl.key}, region ${subject.ddl.key}, amount ${subject.ddl.integer})`);
      await run(`INSERT INTO sales VALUES ('2024-01-01', 'eu', 1), ('2024-01-01', 'us', 2), ('2024-01-02', 'eu', 4)`);
      const daily = table('daily');
      await engine.createTable({
        table: daily,
        columns: [
          { name: 'sale_day', type: subject.ddl.key, nullable: true },
          { name: 'total', type: subject.ddl.integer, nullable: true },
        ],
        primaryKey: null,
      });
      const spec = (partition: Record<string, string> | null): RefreshSpec => ({
        table: daily,
        query: 'SELECT day, CAST(sum(amount) AS INTEGER) AS total FROM sales GROUP BY day'.replace(
          'AS INTEGER',
          subject.kind === 'mysql' ? 'AS SIGNED' : 'AS INTEGER',
        ),
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
      await rejectsWith(engine.refresh(spec({ region: 'eu' })), 'VALIDATION_ERROR', /Partition column .region./);
    });

    it('keeps the old rows and reports VALIDATION_ERROR when a refresh violates a constraint or reads a missing table', async function () {
      const dt = await createDt('guarded_dt', 3);
      const duplicates = `SELECT 1 AS id, 'x' AS v UNION ALL SELECT 1, 'y'`;
      await rejectsWith(engine.refresh(fullRefresh(dt, duplicates)), 'VALIDATION_ERROR', ENGINE_PREFIX);
      await rejectsWith(engine.refresh(fullRefresh(dt, 'SELECT id, v FROM no_such_source')), 'VALIDATION_ERROR', ENGINE_PREFIX);
      assert.deepEqual(rowsOf(await run('SELECT id, v FROM guarded_dt ORDER BY id')), [
        [1, 'old'],
        [2, 'old'],
        [3, 'old'],
      ]);
      // The connection that failed is still good for the next refresh.
      assert.deepEqual(await engine.refresh(fullRefresh(dt, numbers(2, 'new'))), { rowsWritten: 2, rowsDeleted: 3 });
    });

    it('rebuilds a table under a new definition, more than once, leaving no scratch table behind', async function () {
      const dt = await createDt('rebuilt_dt', 2);
      const definition = {
        table: dt,
        columns: [
          { name: 'id', type: subject.ddl.integer, nullable: false },
          { name: 'v', type: subject.ddl.text, nullable: true },
          { name: 'doubled', type: subject.ddl.integer, nullable: true },
        ],
        primaryKey: ['id'],
      };
      const spec = (id: number): RefreshSpec => ({
        ...fullRefresh(dt, `SELECT id, v, id * 2 AS doubled FROM (SELECT ${id} AS id, 'new' AS v) AS one`),
        columns: [
          { target: 'id', source: 'id' },
          { target: 'v', source: 'v' },
          { target: 'doubled', source: 'doubled' },
        ],
      });
      assert.deepEqual(await engine.rebuildTable(definition, spec(7)), { rowsWritten: 1, rowsDeleted: 2 });
      assert.deepEqual((await engine.describeTable(dt))?.columns.map((column) => column.name), ['id', 'v', 'doubled']);
      assert.deepEqual((await engine.describeTable(dt))?.primaryKey, ['id']);
      assert.deepEqual(rowsOf(await run('SELECT * FROM rebuilt_dt')), [[7, 'new', 14]]);

      assert.deepEqual(await engine.rebuildTable(definition, spec(8)), { rowsWritten: 1, rowsDeleted: 1 });
      assert.deepEqual(rowsOf(await run('SELECT * FROM rebuilt_dt')), [[8, 'new', 16]]);
      assert.ok(!(await engine.listTables()).some((t) => t.name.startsWith('__freshet')));
    });

    it('runs pass-through statements with a row limit and change counts', async function () {
      assert.deepEqual(await run(`CREATE TABLE t (id ${subject.ddl.integer}, v ${subject.ddl.key})`), { kind: 'update', rowsAffected: 0 });
      assert.deepEqual(await run(`INSERT INTO t VALUES (1, 'a'), (2, 'b'), (3, 'c')`), { kind: 'update', rowsAffected: 3 });
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
      assert.deepEqual(rowsOf(await run('SELECT count(*) AS n FROM t')), [[3]]);
      assert.deepEqual(await run(`UPDATE t SET v = 'z' WHERE id > 1`), { kind: 'update', rowsAffected: 2 });
      assert.deepEqual(rowsOf(await run(`SELECT count(*) FROM t WHERE v = 'z'`)), [[2]]);
    });

    describe('streaming between catalogs', function () {
      const copy: TableDefinition = {
        table: table('events_copy'),
        columns: [
          { name: 'id', type: subject.ddl.integer, nullable: false },
          { name: 'day', type: subject.ddl.key, nullable: true },
        ],
        primaryKey: ['id'],
      };
      const read = (source: Engine, filter: Record<string, string> | null = null, batchRows = 3) =>
        source.streaming!.readBatches({ query: 'SELECT id, day FROM events', columns: ['id', 'day'], filter, batchRows });
      const copied = async () => rowsOf(await run('SELECT id, day FROM events_copy ORDER BY id'));

      before(async function () {
        await run(`CREATE TABLE events (id ${subject.ddl.integer} PRIMARY KEY, day ${subject.ddl.key})`);
        await run(`INSERT INTO events VALUES (1, 'mon'), (2, 'mon'), (3, 'tue'), (4, 'tue'), (5, 'wed'), (6, 'wed'), (7, 'wed')`);
      });

      beforeEach(async function () {
        await engine.dropTable(copy.table);
        await engine.createTable(copy);
      });

      it('declares streaming and reads a query in batches of at most batchRows, or one partition of it', async function () {
        assert.ok(engine.streaming);
        const sizes: number[] = [];
        for await (const batch of read(engine)) sizes.push(batch.length);
        assert.deepEqual(sizes, [3, 3, 1]);
        const tuesday: unknown[] = [];
        for await (const batch of read(engine, { day: 'tue' })) tuesday.push(...batch);
        assert.deepEqual(tuesday, [
          [3, 'tue'],
          [4, 'tue'],
        ]);
      });

      it('leaves the engine usable when a reader stops after the first batch', async function () {
        for await (const batch of read(engine, null, 2)) {
          assert.equal(batch.length, 2);
          break;
        }
        await engine.ping();
        assert.deepEqual(rowsOf(await run('SELECT count(*) FROM events')), [[7]]);
      });

      it('replaces a table, then one partition, with streamed rows and counts them', async function () {
        assert.deepEqual(await engine.streaming!.replaceFromBatches({ definition: copy, partition: null }, read(engine)), { rowsWritten: 7, rowsDeleted: 0 });
        assert.deepEqual(await engine.streaming!.replaceFromBatches({ definition: copy, partition: null }, read(engine)), { rowsWritten: 7, rowsDeleted: 7 });
        assert.deepEqual((await engine.describeTable(copy.table))?.primaryKey, ['id'], 'the table keeps its primary key');
        await run(`UPDATE events SET id = id + 100 WHERE day = 'tue'`);
        try {
          const outcome = await engine.streaming!.replaceFromBatches({ definition: copy, partition: { day: 'tue' } }, read(engine, { day: 'tue' }));
          assert.deepEqual(outcome, { rowsWritten: 2, rowsDeleted: 2 });
          assert.deepEqual((await copied()).map((row) => row[0]), [1, 2, 5, 6, 7, 103, 104]);
        } finally {
          await run(`UPDATE events SET id = id - 100 WHERE day = 'tue'`);
        }
      });

      it('keeps the old rows, and leaves no stage behind, when the stream fails or breaks the primary key', async function () {
        await engine.streaming!.replaceFromBatches({ definition: copy, partition: null }, read(engine));
        const sourceFailure = new FreshetError('ENGINE_ERROR', 'source went away');
        async function* failing(): AsyncIterable<RowBatch> {
          yield [[1, 'x']];
          throw sourceFailure;
        }
        await assert.rejects(engine.streaming!.replaceFromBatches({ definition: copy, partition: null }, failing()), (error: unknown) => error === sourceFailure);
        async function* duplicates(): AsyncIterable<RowBatch> {
          yield [
            [1, 'a'],
            [1, 'b'],
          ];
        }
        await rejectsWith(engine.streaming!.replaceFromBatches({ definition: copy, partition: null }, duplicates()), 'VALIDATION_ERROR', ENGINE_PREFIX);
        assert.equal((await copied()).length, 7);
        assert.ok(!(await engine.listTables()).some((t) => t.name.startsWith('__freshet')));
      });

      it('exchanges rows with a SQLite catalog in both directions', async function () {
        const folder = temporaryFolder();
        const sqlite = createEngine('sqlite:other.sqlite', { baseDir: folder.dir });
        try {
          await sqlite.open();
          await sqlite.createTable({ ...copy, columns: [{ name: 'id', type: 'INTEGER', nullable: false }, { name: 'day', type: 'TEXT', nullable: true }] });
          const intoSqlite = await sqlite.streaming!.replaceFromBatches({ definition: { ...copy, columns: [{ name: 'id', type: 'INTEGER', nullable: false }, { name: 'day', type: 'TEXT', nullable: true }] }, partition: null }, read(engine));
          assert.deepEqual(intoSqlite, { rowsWritten: 7, rowsDeleted: 0 });
          await sqlite.execute(`CREATE TABLE events (id INTEGER PRIMARY KEY, day TEXT)`, { rowLimit: 1 });
          await sqlite.execute(`INSERT INTO events SELECT id + 10, day FROM events_copy`, { rowLimit: 1 });
          assert.deepEqual(await engine.streaming!.replaceFromBatches({ definition: copy, partition: null }, read(sqlite)), { rowsWritten: 7, rowsDeleted: 0 });
          assert.deepEqual((await copied()).map((row) => row[0]), [11, 12, 13, 14, 15, 16, 17]);
        } finally {
          await sqlite.close();
          await folder.remove();
        }
      });
    });

    it('reports statements a client got wrong as VALIDATION_ERROR, with the position of a syntax error', async function () {
      const typo = await rejectsWith(run('SELEC id FROM t'), 'VALIDATION_ERROR', ENGINE_PREFIX);
      assert.deepEqual([typo.line, typo.column], [1, 1]);
      await rejectsWith(run('SELECT * FROM missing_table'), 'VALIDATION_ERROR', ENGINE_PREFIX);
      await rejectsWith(run('SELECT 1; SELECT 2'), 'VALIDATION_ERROR', ENGINE_PREFIX);
      await rejectsWith(run('BEGIN'), 'VALIDATION_ERROR', /transaction/);
      assert.deepEqual(rowsOf(await run('SELECT 1 AS one')), [[1]]); // nothing left open
    });
  });
}

describe('createEngine', function () {
  it('refuses a URL whose scheme names no engine', function () {
    assert.throws(
      () => createEngine('oracle://scott:tiger@db/orcl', { baseDir: os.tmpdir() }),
      (error: unknown) =>
        error instanceof FreshetError && error.code === 'VALIDATION_ERROR' && /sqlite:<path>/.test(error.message) && !error.message.includes('tiger'),
    );
  });

  it('opens a relative sqlite: path under the base folder', async function () {
    const folder = temporaryFolder();
    const engine = createEngine('sqlite:nested/warehouse.db', { baseDir: folder.dir });
    try {
      await engine.open();
      assert.ok(fs.existsSync(path.join(folder.dir, 'nested', 'warehouse.db')));
    } finally {
      await engine.close();
      await folder.remove();
    }
  });

  it('refuses a MySQL URL that names no database', function () {
    assert.throws(
      () => createEngine('mariadb://root@127.0.0.1:3306/', { baseDir: os.tmpdir() }),
      (error: unknown) => error instanceof FreshetError && error.code === 'VALIDATION_ERROR' && /must name one database/.test(error.message),
    );
  });
});
