import { strict as assert } from 'node:assert';
import { TestGateway } from './helpers/gateway';

const SETUP = `
CREATE TABLE orders (id INTEGER PRIMARY KEY, customer TEXT NOT NULL, amount REAL, ordered_on TEXT);
INSERT INTO orders (customer, amount, ordered_on) VALUES
  ('ada', 10.5, '2024-01-01'), ('ada', 4.5, '2024-01-02'), ('bob', 7, '2024-01-01');
`;

describe('gateway: statements end to end', () => {
  let gw: TestGateway;
  beforeEach(async () => {
    gw = await TestGateway.start();
    await gw.sql(SETUP);
  });
  afterEach(() => gw.close());

  it('creates a dynamic table, refreshes it on creation, and serves its rows', async () => {
    const [created] = await gw.sql(`CREATE DYNAMIC TABLE spend FRESHNESS = INTERVAL '1' HOUR
      AS SELECT customer, SUM(amount) AS total, COUNT(*) AS orders FROM orders GROUP BY customer`);
    assert.equal(created.kind, 'ok');
    assert.match(created.message, /initial refresh SUCCEEDED/);
    assert.deepEqual(await gw.rows('SELECT customer, total, orders FROM spend ORDER BY customer'), [
      ['ada', 15, 2],
      ['bob', 7, 1],
    ]);
    const detail = await gw.table('spend');
    assert.equal(detail.identifier, 'default.main.spend');
    assert.equal(detail.refreshMode, 'FULL');
    assert.equal(detail.logicalRefreshMode, 'AUTOMATIC');
    assert.equal(detail.refreshStatus, 'ACTIVATED');
    assert.deepEqual(detail.freshness, { interval: 1, unit: 'HOUR', text: "INTERVAL '1' HOUR" });
    assert.equal(detail.scheduler.type, 'embedded');
    assert.equal(detail.scheduler.cron, '0 0 0/1 * * ? *');
    assert.ok(detail.scheduler.handler, 'the workflow handler is stored');
    // The next hour's top, as the embedded scheduler fires it; the list says the same; suspended, there is none.
    const nextHour = new Date(Math.floor(Date.now() / 3_600_000 + 1) * 3_600_000).toISOString();
    assert.equal(detail.scheduler.nextRun, nextHour);
    const listed = (await gw.request('GET', '/v3/dynamic-tables')).body.tables[0];
    assert.equal(listed.nextRun, nextHour);
    await gw.sql('ALTER DYNAMIC TABLE spend SUSPEND');
    assert.equal((await gw.table('spend')).scheduler.nextRun, null);
    await gw.sql('ALTER DYNAMIC TABLE spend RESUME');
    assert.deepEqual(
      detail.schema.map((c: any) => [c.name, c.type]),
      [
        ['customer', 'TEXT'],
        ['total', 'REAL'],
        ['orders', 'INTEGER'],
      ],
    );
    assert.ok(detail.validThrough, 'valid-through is set by the initial refresh');
    assert.ok(detail.lagSeconds >= 0 && detail.lagSeconds < 60);
    const [first] = await gw.refreshes('spend');
    assert.equal(first.trigger, 'CREATION');
    assert.equal(first.state, 'SUCCEEDED');
    assert.equal(first.rowsWritten, 2);
  });

  it('keeps the query text exactly as written, comments and line breaks included', async () => {
    const query = `SELECT customer,   -- who
  COUNT(*) AS n
FROM orders /* all of them */ GROUP BY customer`;
    await gw.sql(`CREATE MATERIALIZED TABLE counts AS ${query}`);
    assert.equal((await gw.table('counts')).definitionQuery, query);
    const [show] = await gw.sql('SHOW CREATE MATERIALIZED TABLE counts');
    assert.match(
      show.rows[0][0],
      /^CREATE DYNAMIC TABLE "default"\.main\.counts|^CREATE DYNAMIC TABLE default\.main\.counts/,
    );
    assert.match(
      show.rows[0][0],
      /FRESHNESS = INTERVAL '3' MINUTE\nREFRESH_MODE = CONTINUOUS\nAS SELECT customer, {3}-- who/,
    );
  });

  it('accepts every clause of the CREATE grammar', async () => {
    await gw.sql(`CREATE DYNAMIC TABLE IF NOT EXISTS main.daily (day, who, total, PRIMARY KEY (day, who) NOT ENFORCED)
      COMMENT 'spend per day'
      PARTITIONED BY (day)
      WITH ('partition.fields.day.date-formatter' = 'yyyy-MM-dd', 'initialize' = 'on_schedule')
      TARGET_LAG = '1 day'
      REFRESH_MODE = FULL
      AS SELECT ordered_on, customer, SUM(amount) FROM orders GROUP BY ordered_on, customer`);
    const detail = await gw.table('default.main.daily');
    assert.deepEqual(
      detail.schema.map((c: any) => c.name),
      ['day', 'who', 'total'],
    );
    assert.deepEqual(detail.primaryKey, ['day', 'who']);
    assert.equal(detail.comment, 'spend per day');
    assert.deepEqual(detail.partitionKeys, ['day']);
    assert.equal(detail.options.initialize, 'on_schedule');
    assert.equal(detail.logicalRefreshMode, 'FULL');
    assert.equal(detail.scheduler.cron, '0 0 0 * * ? *');
    assert.equal(detail.validThrough, undefined, 'on_schedule: no refresh at creation');
    assert.deepEqual(await gw.rows('SELECT count(*) FROM daily'), [[0]]);
    // IF NOT EXISTS on an existing table is a no-op, not an error.
    const [again] = await gw.sql('CREATE DYNAMIC TABLE IF NOT EXISTS daily AS SELECT 1 AS x');
    assert.match(again.message, /already exists/);
  });

  it('refreshes one partition on REFRESH PARTITION and leaves the others', async () => {
    await gw.sql(`CREATE DYNAMIC TABLE by_day PARTITIONED BY (ordered_on)
      WITH ('partition.fields.ordered_on.date-formatter' = 'yyyy-MM-dd') FRESHNESS = INTERVAL '1' DAY
      AS SELECT ordered_on, customer, amount FROM orders`);
    await gw.sql(
      `INSERT INTO orders (customer, amount, ordered_on) VALUES ('cyd', 1, '2024-01-01'), ('dan', 2, '2024-01-02')`,
    );
    const [refreshed] = await gw.sql(`ALTER DYNAMIC TABLE by_day REFRESH PARTITION (ordered_on = '2024-01-02')`);
    assert.match(refreshed.message, /SUCCEEDED/);
    assert.deepEqual(await gw.rows('SELECT ordered_on, customer FROM by_day ORDER BY ordered_on, customer'), [
      ['2024-01-01', 'ada'],
      ['2024-01-01', 'bob'],
      ['2024-01-02', 'ada'],
      ['2024-01-02', 'dan'],
    ]);
    const [latest] = await gw.refreshes('by_day');
    assert.deepEqual(latest.partition, { ordered_on: '2024-01-02' });
  });

  it('refreshes the partition of the window that just closed on a periodic callback', async () => {
    await gw.sql(`CREATE DYNAMIC TABLE by_day PARTITIONED BY (ordered_on)
      WITH ('partition.fields.ordered_on.date-formatter' = 'yyyy-MM-dd', 'initialize' = 'on_schedule') FRESHNESS = INTERVAL '1' DAY
      AS SELECT ordered_on, customer, amount FROM orders`);
    const res = await gw.refresh({ tables: ['by_day'], scheduleTime: '2024-01-02 00:00:00', isPeriodic: true }, 10);
    assert.equal(res.status, 200);
    assert.deepEqual(res.body.job.tables[0].partition, { ordered_on: '2024-01-01' });
    assert.deepEqual(await gw.rows('SELECT DISTINCT ordered_on FROM by_day'), [['2024-01-01']]);
  });

  it('passes other statements to the engine and limits SELECT rows', async () => {
    const many = await TestGateway.start({ statements: { rowLimit: 2 } });
    try {
      const [created, inserted, selected] = await many.sql(
        'CREATE TABLE t (x INTEGER); INSERT INTO t VALUES (1), (2), (3); SELECT x FROM t ORDER BY x',
      );
      assert.equal(created.kind, 'ok');
      assert.equal(inserted.rowsAffected, 3);
      assert.deepEqual(selected.columns, ['x']);
      assert.deepEqual(selected.rows, [[1], [2]]);
      assert.equal(selected.truncated, true);
    } finally {
      await many.close();
    }
  });

  it('SHOW and DESCRIBE say what each table is', async () => {
    await gw.sql(`CREATE DYNAMIC TABLE spend AS SELECT customer, SUM(amount) AS total FROM orders GROUP BY customer;
      CREATE DYNAMIC TABLE hourly FRESHNESS = INTERVAL '2' HOUR AS SELECT customer FROM orders`);
    const [all] = await gw.sql('SHOW DYNAMIC TABLES');
    assert.deepEqual(
      all.rows.map((r: unknown[]) => r.slice(0, 4)),
      [
        ['default.main.hourly', 'FULL', 'ACTIVATED', "INTERVAL '2' HOUR"],
        ['default.main.spend', 'CONTINUOUS', 'ACTIVATED', "INTERVAL '3' MINUTE"],
      ],
    );
    const [liked] = await gw.sql(`SHOW DYNAMIC TABLES LIKE 'sp%'`);
    assert.deepEqual(
      liked.rows.map((r: unknown[]) => r[0]),
      ['default.main.spend'],
    );
    const [described] = await gw.sql('DESCRIBE DYNAMIC TABLE spend');
    assert.deepEqual(described.columns, ['name', 'type', 'nullable', 'primary_key', 'partition_key']);
    assert.deepEqual(
      described.rows.map((r: unknown[]) => r[0]),
      ['customer', 'total'],
    );
    assert.match(described.message, /CONTINUOUS refresh, ACTIVATED/);
  });

  it('reports parse errors with line and column in the whole request', async () => {
    const { status, error } = await gw.sqlError(`SELECT 1;
CREATE DYNAMIC TABLE broken
  FRESHNESS = INTERVAL '5' MINUTE
  REFRESH_MODE = SOMETIMES
  AS SELECT 1`);
    assert.equal(status, 400);
    assert.equal(error.code, 'PARSE_ERROR');
    assert.equal(error.line, 4);
    assert.ok(error.column > 1);
    assert.match(error.message, /FULL|CONTINUOUS/);
  });

  it('reports a syntax error inside the query at its place in the request', async () => {
    const { error } = await gw.sqlError(`CREATE DYNAMIC TABLE broken AS
SELECT customer
FROM orders WHERE`);
    assert.equal(error.code, 'PARSE_ERROR');
    assert.equal(error.line, 3);
  });

  it('rejects queries over tables that do not exist, but not over CTE names', async () => {
    const missing = await gw.sqlError('CREATE DYNAMIC TABLE x AS SELECT * FROM nowhere');
    assert.equal(missing.status, 400);
    assert.match(missing.error.message, /nowhere/);
    await gw.sql(
      'CREATE DYNAMIC TABLE x AS WITH big AS (SELECT * FROM orders WHERE amount > 5) SELECT customer FROM big',
    );
    assert.deepEqual(await gw.rows('SELECT customer FROM x ORDER BY customer'), [['ada'], ['bob']]);
  });

  it('checks partition columns and date formatters against the query', async () => {
    const notOutput = await gw.sqlError(
      'CREATE DYNAMIC TABLE p PARTITIONED BY (region) AS SELECT customer FROM orders',
    );
    assert.match(
      notOutput.error.message,
      /Partition column 'region' not defined in the query's schema\. Available columns: \['customer'\]/,
    );
    const notPartition = await gw.sqlError(
      `CREATE DYNAMIC TABLE p PARTITIONED BY (customer) WITH ('partition.fields.ordered_on.date-formatter' = 'yyyy') AS SELECT customer, ordered_on FROM orders`,
    );
    assert.match(notPartition.error.message, /ordered_on.*isn't a partition column/);
  });

  it("rejects freshness values that cannot become a CRON, with Flink's messages", async () => {
    const cases: Array<[string, RegExp]> = [
      [
        `INTERVAL '40' MINUTE`,
        /only freshness that are factors of 60 are currently supported when the time unit is MINUTE/,
      ],
      [`INTERVAL '24' HOUR`, /freshness must be less than 24 when the time unit is HOUR/],
      [`INTERVAL '2' DAY`, /freshness must be 1 when the time unit is DAY/],
    ];
    for (const [freshness, message] of cases) {
      const { status, error } = await gw.sqlError(`CREATE DYNAMIC TABLE f FRESHNESS = ${freshness} AS SELECT 1 AS x`);
      assert.equal(status, 400, freshness);
      assert.match(error.message, message);
    }
    assert.equal((await gw.request('GET', '/v3/dynamic-tables/f')).status, 404, 'nothing left behind');
  });

  it('deduces CONTINUOUS strictly below the threshold, FULL at it, and honours a configured threshold', async () => {
    await gw.sql(`CREATE DYNAMIC TABLE below FRESHNESS = INTERVAL '29' MINUTE AS SELECT 1 AS x;
      CREATE DYNAMIC TABLE at FRESHNESS = INTERVAL '30' MINUTE AS SELECT 1 AS x`);
    assert.equal((await gw.table('below')).refreshMode, 'CONTINUOUS');
    assert.equal((await gw.table('at')).refreshMode, 'FULL');
    const low = await TestGateway.start({ refresh: { freshnessThreshold: '10 minutes' } });
    try {
      await low.sql(`CREATE DYNAMIC TABLE t FRESHNESS = INTERVAL '15' MINUTE AS SELECT 1 AS x`);
      assert.equal((await low.table('t')).refreshMode, 'FULL');
    } finally {
      await low.close();
    }
  });

  it('CREATE OR ALTER changes the query of an existing table and rebuilds it', async () => {
    await gw.sql('CREATE DYNAMIC TABLE t AS SELECT customer FROM orders');
    await gw.sql('CREATE OR ALTER DYNAMIC TABLE t AS SELECT customer, amount FROM orders WHERE amount > 5');
    assert.deepEqual(await gw.rows('SELECT customer, amount FROM t ORDER BY customer'), [
      ['ada', 10.5],
      ['bob', 7],
    ]);
    assert.equal((await gw.table('t')).definitionQuery, 'SELECT customer, amount FROM orders WHERE amount > 5');
  });

  it('ALTER … AS keeps the old table when the new query fails at refresh', async () => {
    await gw.sql('CREATE DYNAMIC TABLE t (customer, PRIMARY KEY (customer)) AS SELECT DISTINCT customer FROM orders');
    const { status, error } = await gw.sqlError('ALTER DYNAMIC TABLE t AS SELECT customer FROM orders');
    assert.equal(status, 400);
    assert.match(error.message, /keeps its old definition/);
    assert.deepEqual(await gw.rows('SELECT customer FROM t ORDER BY customer'), [['ada'], ['bob']]);
    assert.equal((await gw.table('t')).definitionQuery, 'SELECT DISTINCT customer FROM orders');
  });

  it('SET FRESHNESS and SET REFRESH_MODE move a table between the scheduler and the continuous runner', async () => {
    await gw.sql(`CREATE DYNAMIC TABLE t FRESHNESS = INTERVAL '1' HOUR AS SELECT 1 AS x`);
    await gw.sql(`ALTER DYNAMIC TABLE t SET FRESHNESS = INTERVAL '2' HOUR`);
    let detail = await gw.table('t');
    assert.equal(detail.scheduler.cron, '0 0 0/2 * * ? *');
    await gw.sql(`ALTER DYNAMIC TABLE t SET FRESHNESS = INTERVAL '5' MINUTE`);
    detail = await gw.table('t');
    assert.equal(detail.refreshMode, 'CONTINUOUS');
    assert.equal(detail.scheduler.handler, null);
    await gw.sql(`ALTER DYNAMIC TABLE t SET REFRESH_MODE = FULL`);
    detail = await gw.table('t');
    assert.equal(detail.refreshMode, 'FULL');
    assert.equal(detail.logicalRefreshMode, 'FULL');
    assert.equal(detail.scheduler.cron, '0 0/5 * * * ? *');
    assert.ok(detail.scheduler.handler);
  });

  it('everything survives a restart', async () => {
    await gw.sql(
      `CREATE DYNAMIC TABLE spend COMMENT 'kept' FRESHNESS = INTERVAL '1' HOUR AS SELECT customer, SUM(amount) AS total FROM orders GROUP BY customer`,
    );
    const before = await gw.table('spend');
    gw = await gw.restart();
    const after = await gw.table('spend');
    assert.deepEqual({ ...after, lagSeconds: 0 }, { ...before, lagSeconds: 0 });
    assert.equal((await gw.refreshes('spend')).length, 1);
    assert.deepEqual(await gw.rows('SELECT count(*) FROM spend'), [[2]]);
  });
});
