/**
 * The engine conformance suite: the behaviour Freshet relies on from every {@link Engine}. Built-in engines and
 * new ones run the same suite from a mocha test file:
 *
 * ```ts
 * runEngineConformance('duckdb', { setUp: async () => …, expected: { … }, ddl: { … }, types: { … }, … });
 * ```
 *
 * Each engine runs it on a throwaway database. What an engine does not do is not silently left out: a part it
 * declares it cannot do (through its capabilities, or {@link EngineConformanceHarness.cannot} with the reason) is
 * registered as a pending test that says why. It registers mocha tests, so it must be called where mocha's
 * `describe` and `it` are defined.
 */
import assert from 'node:assert/strict';
import { MissingTableError } from '../errors';
import type { ConformanceContext, EngineConformanceHarness, EngineUnderTest } from './conformance-harness';
import { rejectsWith, rowsOf } from './conformance-harness';
import { registerGuardConformance } from './conformance-guards';
import { registerLedgerConformance } from './conformance-ledger';
import { registerStreamingConformance } from './conformance-streaming';
import type { Engine, RefreshSpec, TableRef } from './engine';

export type { EngineConformanceHarness, EngineConformancePart, EngineUnderTest } from './conformance-harness';

/** Rows 1..n of a recursive CTE: a refresh source of any size without a source table. */
function numbers(n: number, label: string): string {
  const rows = `WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < ${n})`;
  return `${rows} SELECT i AS id, '${label}' AS v FROM s`;
}

const table = (name: string): TableRef => ({ database: null, name });

/** Registers `engine conformance: <name>` with one mocha test per promise Freshet relies on. */
export function runEngineConformance(name: string, harness: EngineConformanceHarness): void {
  describe(`engine conformance: ${name}`, function () {
    this.timeout(30_000);
    let current: EngineUnderTest | null = null;
    const engine = (): Engine => {
      if (current === null) throw new Error('the engine under test is not set up');
      return current.engine;
    };
    const context: ConformanceContext = {
      harness,
      engine,
      run: (sql, rowLimit = 1000) => engine().execute(sql, { rowLimit }),
      part(title, id, test) {
        const reason = id === null ? undefined : harness.cannot?.[id];
        if (reason === undefined) it(title, test);
        else it(`${title} (not for ${name}: ${reason})`);
      },
    };

    before(async function () {
      current = await harness.setUp();
      await current.engine.open();
    });

    after(async function () {
      const done = current;
      current = null;
      await done?.engine.close();
      await done?.tearDown();
    });

    it('answers pings and says what it is and can do', async function () {
      await engine().ping();
      const { expected } = harness;
      assert.equal(engine().name, expected.name);
      assert.equal(engine().dialect, expected.dialect);
      assert.equal(engine().defaultDatabase, current?.defaultDatabase);
      const { transactionalDdl, partitionedRefresh, otherDatabases } = expected;
      assert.deepEqual(engine().capabilities(), { transactionalDdl, partitionedRefresh, otherDatabases });
      assert.equal(engine().incremental !== undefined, expected.incremental, 'incremental maintenance');
      assert.equal(typeof engine().incremental?.refresh, expected.incremental ? 'function' : 'undefined');
      assert.equal(engine().streaming !== undefined, expected.streaming, 'row streaming');
      assert.equal(engine().continuousJobs !== undefined, expected.continuousJobs, 'continuous jobs');
      assert.equal(engine().ledger !== undefined, expected.ledger === true, 'refresh ledger');
      assert.equal(engine().staging !== undefined, expected.staging === true, 'staged results');
    });

    registerSchemaParts(context);
    registerTableParts(context);
    registerRefreshParts(context);
    registerFailureAndRebuildParts(context);
    registerStatementParts(context);
    if (harness.expected.ledger) registerLedgerConformance(context);
    else it(`records refreshes in a ledger (not for ${name}: the engine declares no ledger)`);
    registerGuardConformance(context);
    if (harness.expected.streaming) registerStreamingConformance(context);
    else it(`streams rows between catalogs (not for ${name}: the engine declares no row streaming)`);
  });
}

function registerSchemaParts({ harness, engine, part }: ConformanceContext): void {
  const { ddl, types, messagePrefix } = harness;
  const orders = table('orders');
  before(async function () {
    await engine().createTable({
      table: orders,
      columns: [
        { name: 'id', type: ddl.integer, nullable: false },
        { name: 'customer', type: 'VARCHAR(40)', nullable: false },
        { name: 'amount', type: 'DECIMAL(10,2)', nullable: true },
        { name: 'qty', type: ddl.integer, nullable: true },
      ],
      primaryKey: ['id'],
    });
  });

  const describeTitle = 'describes a query’s output columns: names, types, and what cannot be NULL';
  part(describeTitle, 'describe-query-types', async () => {
    const columns = await engine().describeQuery(
      `SELECT customer, count(*) AS n, sum(amount) AS revenue, 'eu' AS region, qty
         FROM orders GROUP BY customer, qty;`,
    );
    assert.deepEqual(
      columns.map((column) => column.name),
      ['customer', 'n', 'revenue', 'region', 'qty'],
    );
    const [customer, n, revenue, region, qty] = columns;
    assert.match(customer?.type ?? '', types.text);
    assert.match(n?.type ?? '', types.integer);
    assert.match(revenue?.type ?? '', types.numeric);
    assert.match(region?.type ?? '', types.text);
    assert.match(qty?.type ?? '', types.integer);
    assert.equal(customer?.nullable, false, 'a NOT NULL column read directly stays NOT NULL');
    assert.equal(revenue?.nullable, true);
  });

  const missingTitle = 'refuses to describe a query naming a missing column, or a missing table (a MissingTableError)';
  part(missingTitle, null, async () => {
    await rejectsWith(engine().describeQuery('SELECT nope FROM orders'), 'VALIDATION_ERROR', messagePrefix);
    const described = engine().describeQuery('SELECT id FROM missing_table');
    const missing = await rejectsWith(described, 'VALIDATION_ERROR', messagePrefix);
    assert.ok(missing instanceof MissingTableError, `a MissingTableError: ${missing.message}`);
    assert.equal(missing.table.slice(missing.table.lastIndexOf('.') + 1), 'missing_table');
  });
}

function registerTableParts({ harness, engine, run, part }: ConformanceContext): void {
  const { ddl, types } = harness;
  part('creates, lists, describes and drops tables with a composite primary key', null, async () => {
    const sales = table('daily_sales');
    await engine().createTable({
      table: sales,
      columns: [
        { name: 'region', type: ddl.key, nullable: false },
        { name: 'day', type: ddl.key, nullable: false },
        { name: 'total', type: 'DECIMAL(10,2)', nullable: true },
      ],
      primaryKey: ['day', 'region'],
    });
    await run(`CREATE TABLE __freshet_scratch (x ${ddl.integer})`);
    const listed = await engine().listTables();
    const where = engine().defaultDatabase;
    assert.ok(
      listed.some((t) => t.name === 'daily_sales' && t.database === where),
      JSON.stringify(listed),
    );
    assert.ok(!listed.some((t) => t.name.startsWith('__freshet')), 'scratch tables are hidden');

    const description = await engine().describeTable(sales);
    assert.ok(description !== null);
    assert.deepEqual(
      description.columns.map((column) => [column.name, column.nullable]),
      [
        ['region', false],
        ['day', false],
        ['total', true],
      ],
    );
    assert.match(description.columns[2]?.type ?? '', types.numeric);
    assert.deepEqual(description.primaryKey, ['day', 'region']);
    assert.deepEqual(await engine().describeTable({ database: where, name: 'daily_sales' }), description);

    await engine().dropTable(sales);
    assert.equal(await engine().describeTable(sales), null);
    await engine().dropTable(sales); // already gone: fine
    assert.equal(await engine().describeTable(table('never_created')), null);
    assert.equal(await engine().describeTable({ database: 'no_such_database', name: 'daily_sales' }), null);
    const evil = { name: 'x', type: 'INT); DROP TABLE y; --', nullable: true };
    const creation = engine().createTable({ table: table('evil'), columns: [evil], primaryKey: null });
    await rejectsWith(creation, 'VALIDATION_ERROR', harness.badTypeMessage);
  });
  part('says what a pass-through statement would write, without running it', null, async () => {
    const inspected = table('inspected');
    const columns = [{ name: 'id', type: ddl.integer, nullable: false }];
    await engine().createTable({ table: inspected, columns, primaryKey: null });
    const writes = async (sql: string) => {
      const effects = await engine().inspectStatement(sql);
      assert.equal(effects.escapes, null, sql);
      return effects.writes.map((t) => t.name.toLowerCase());
    };
    assert.deepEqual(await writes('SELECT id FROM inspected'), [], 'a read writes nothing');
    assert.ok((await writes('INSERT INTO inspected VALUES (1)')).includes('inspected'), 'an INSERT writes its table');
    const disguised = await writes('/* a comment */ insert into inspected values (2)');
    assert.ok(disguised.includes('inspected'), 'comments and case do not hide a write');
    assert.ok((await writes('DROP TABLE inspected')).includes('inspected'), 'a DROP reshapes its table');
    assert.notEqual(await engine().describeTable(inspected), null, 'inspecting the DROP did not run it');
    await engine().dropTable(inspected);
  });
}

const fullRefresh = (target: TableRef, query: string): RefreshSpec => ({
  table: target,
  query,
  columns: [
    { target: 'id', source: 'id' },
    { target: 'v', source: 'v' },
  ],
  partition: null,
});

/** A dynamic table `(id, v)` keyed on id, holding `oldRows` rows labelled 'old'. */
async function createDt({ harness, engine }: ConformanceContext, name: string, oldRows: number): Promise<TableRef> {
  const dt = table(name);
  const columns = [
    { name: 'id', type: harness.ddl.integer, nullable: false },
    { name: 'v', type: harness.ddl.text, nullable: true },
  ];
  await engine().createTable({ table: dt, columns, primaryKey: ['id'] });
  if (oldRows > 0) await engine().refresh(fullRefresh(dt, numbers(oldRows, 'old')));
  return dt;
}

function registerRefreshParts(context: ConformanceContext): void {
  const { harness, engine, run, part } = context;
  const { ddl } = harness;
  part('replaces the whole table on a full refresh and counts what it wrote and deleted', 'full-refresh', async () => {
    const dt = await createDt(context, 'full_dt', 0);
    assert.deepEqual(await engine().refresh(fullRefresh(dt, numbers(3, 'old'))), { rowsWritten: 3, rowsDeleted: 0 });
    const outcome = await engine().refresh(fullRefresh(dt, `${numbers(5, 'new')} -- trailing comment`));
    assert.deepEqual(outcome, { rowsWritten: 5, rowsDeleted: 3 });
    assert.deepEqual(rowsOf(await run('SELECT v, count(*) FROM full_dt GROUP BY v')), [['new', 5]]);
  });

  part('rewrites only the named partition on a partition refresh', 'partition-refresh', async () => {
    await run(`CREATE TABLE sales (day ${ddl.key}, region ${ddl.key}, amount ${ddl.integer})`);
    await run(`INSERT INTO sales VALUES ('2024-01-01', 'eu', 1), ('2024-01-01', 'us', 2), ('2024-01-02', 'eu', 4)`);
    const daily = table('daily');
    const columns = [
      { name: 'sale_day', type: ddl.key, nullable: true },
      { name: 'total', type: ddl.integer, nullable: true },
    ];
    await engine().createTable({ table: daily, columns, primaryKey: null });
    const spec = (partition: Record<string, string> | null): RefreshSpec => ({
      table: daily,
      query: `SELECT day, CAST(sum(amount) AS ${ddl.castInteger}) AS total FROM sales GROUP BY day`,
      columns: [
        { target: 'sale_day', source: 'day' },
        { target: 'total', source: 'total' },
      ],
      partition,
    });
    await engine().refresh(spec(null));
    await run(`INSERT INTO sales VALUES ('2024-01-01', 'eu', 10), ('2024-01-02', 'us', 20)`);

    const outcome = await engine().refresh(spec({ sale_day: '2024-01-02' }));

    assert.deepEqual(outcome, { rowsWritten: 1, rowsDeleted: 1 });
    assert.deepEqual(rowsOf(await run('SELECT sale_day, total FROM daily ORDER BY sale_day')), [
      ['2024-01-01', 3], // untouched: still the value before the new sales
      ['2024-01-02', 24],
    ]);
    await rejectsWith(engine().refresh(spec({ region: 'eu' })), 'VALIDATION_ERROR', /Partition column .region./);
  });
}

function registerFailureAndRebuildParts(context: ConformanceContext): void {
  const { harness, engine, run, part } = context;
  const { ddl, messagePrefix } = harness;
  const failedTitle =
    'keeps the old rows and reports VALIDATION_ERROR when a refresh violates a constraint or reads a missing table';
  part(failedTitle, 'failed-refresh', async () => {
    const dt = await createDt(context, 'guarded_dt', 3);
    const duplicates = `SELECT 1 AS id, 'x' AS v UNION ALL SELECT 1, 'y'`;
    await rejectsWith(engine().refresh(fullRefresh(dt, duplicates)), 'VALIDATION_ERROR', messagePrefix);
    const missing = engine().refresh(fullRefresh(dt, 'SELECT id, v FROM no_such_source'));
    await rejectsWith(missing, 'VALIDATION_ERROR', messagePrefix);
    assert.deepEqual(rowsOf(await run('SELECT id, v FROM guarded_dt ORDER BY id')), [
      [1, 'old'],
      [2, 'old'],
      [3, 'old'],
    ]);
    // The connection that failed is still good for the next refresh.
    assert.deepEqual(await engine().refresh(fullRefresh(dt, numbers(2, 'new'))), { rowsWritten: 2, rowsDeleted: 3 });
  });

  const rebuildTitle = 'rebuilds a table under a new definition, more than once, leaving no scratch table behind';
  part(rebuildTitle, 'rebuild', async () => {
    const dt = await createDt(context, 'rebuilt_dt', 2);
    const definition = {
      table: dt,
      columns: [
        { name: 'id', type: ddl.integer, nullable: false },
        { name: 'v', type: ddl.text, nullable: true },
        { name: 'doubled', type: ddl.integer, nullable: true },
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
    assert.deepEqual(await engine().rebuildTable(definition, spec(7)), { rowsWritten: 1, rowsDeleted: 2 });
    assert.deepEqual(
      (await engine().describeTable(dt))?.columns.map((column) => column.name),
      ['id', 'v', 'doubled'],
    );
    assert.deepEqual((await engine().describeTable(dt))?.primaryKey, ['id']);
    assert.deepEqual(rowsOf(await run('SELECT * FROM rebuilt_dt')), [[7, 'new', 14]]);

    assert.deepEqual(await engine().rebuildTable(definition, spec(8)), { rowsWritten: 1, rowsDeleted: 1 });
    assert.deepEqual(rowsOf(await run('SELECT * FROM rebuilt_dt')), [[8, 'new', 16]]);
    assert.ok(!(await engine().listTables()).some((t) => t.name.startsWith('__freshet')));
  });
}

function registerStatementParts({ harness, run, part }: ConformanceContext): void {
  const { ddl, messagePrefix } = harness;
  part('runs pass-through statements with a row limit and change counts', 'pass-through', async () => {
    const created = await run(`CREATE TABLE t (id ${ddl.integer}, v ${ddl.key})`);
    assert.deepEqual(created, { kind: 'update', rowsAffected: 0 });
    const inserted = await run(`INSERT INTO t VALUES (1, 'a'), (2, 'b'), (3, 'c')`);
    assert.deepEqual(inserted, { kind: 'update', rowsAffected: 3 });
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

  const title = 'reports statements a client got wrong as VALIDATION_ERROR, with the position of a syntax error';
  part(title, null, async () => {
    const typo = await rejectsWith(run('SELEC id FROM t'), 'VALIDATION_ERROR', messagePrefix);
    assert.deepEqual([typo.line, typo.column], [1, 1]);
    await rejectsWith(run('SELECT * FROM missing_table'), 'VALIDATION_ERROR', messagePrefix);
  });

  part('refuses more than one statement at a time', 'multiple-statements', async () => {
    await rejectsWith(run('SELECT 1; SELECT 2'), 'VALIDATION_ERROR', messagePrefix);
  });

  part('refuses to open a transaction that would outlive the statement', 'transactions', async () => {
    await rejectsWith(run('BEGIN'), 'VALIDATION_ERROR', /transaction/);
    assert.deepEqual(rowsOf(await run('SELECT 1 AS one')), [[1]]); // nothing left open
  });
}
