/**
 * Publish guards through REST against the real app on SQLite: what a blocked refresh leaves in the table, the job
 * and the history, each guard option, row expectations, a partition refresh, and the tables downstream.
 */
import { strict as assert } from 'node:assert';
import { TestGateway } from './helpers/gateway';

const AT = '2024-06-01 10:00:00';

describe('publish guards: refreshes', () => {
  let gw: TestGateway;
  beforeEach(async () => {
    gw = await TestGateway.start({ monitor: { intervalSeconds: 0 } });
    await gw.sql(`CREATE TABLE src (k TEXT, v INTEGER);
      INSERT INTO src VALUES ('a', 1), ('b', 2), ('c', 3), ('d', 4)`);
  });
  afterEach(() => gw.close());

  /** Runs a scheduled refresh of `tables` and returns the finished job. */
  async function refresh(tables: string, scheduleTime = AT): Promise<any> {
    const res = await gw.refresh({ tables, scheduleTime }, 30);
    assert.ok(res.status === 200 || res.status === 500, JSON.stringify(res.body));
    return res.body.job;
  }

  const verdicts = (entry: any) =>
    Object.fromEntries(entry.guards.results.map((r: any) => [r.guard, [r.verdict, r.observed]]));

  it('keeps the old rows when an empty result would replace them, and fails the job saying why', async () => {
    await gw.sql(`CREATE DYNAMIC TABLE dt FRESHNESS = INTERVAL '1' HOUR AS SELECT k, v FROM src;
      DELETE FROM src`);
    const job = await refresh('dt');
    assert.equal(job.status, 'FAILED');
    assert.equal(
      job.error,
      'Refresh failed for default.main.dt: Blocked by publish guard allow_empty (observed 0, expected > 0 rows ' +
        '(the table held 4))',
    );
    const [entry] = job.tables;
    assert.equal(entry.status, 'BLOCKED');
    assert.equal(entry.errorCode, 'PUBLISH_BLOCKED');
    assert.deepEqual(entry.guards, {
      blocked: true,
      results: [{ guard: 'allow_empty', verdict: 'BLOCKED', observed: 0, expected: '> 0 rows (the table held 4)' }],
      rowsDropped: 0,
    });
    assert.deepEqual(await gw.rows('SELECT k FROM dt ORDER BY k'), [['a'], ['b'], ['c'], ['d']]);

    const [newest] = await gw.refreshes('dt');
    assert.equal(newest.state, 'BLOCKED');
    assert.equal(newest.guards.results[0].expected, '> 0 rows (the table held 4)');
    assert.equal(newest.resolution, null);
    const blocked = await gw.request('GET', '/v3/dynamic-tables/dt/refreshes?status=blocked');
    assert.equal(blocked.body.refreshes.length, 1);
    const shown = await gw.sql('SHOW REFRESHES OF dt LIMIT 1');
    assert.equal(shown[0].rows[0][5], 'BLOCKED');
    // The staged result is the engine's own: SHOW TABLES does not list it.
    const tables = (await gw.rows('SHOW TABLES')).map((row) => row[1]);
    assert.deepEqual(tables, ['dt', 'src']);
  });

  it("lets an empty result through with 'guard.allow_empty' = 'true'", async () => {
    await gw.sql(`CREATE DYNAMIC TABLE dt WITH ('guard.allow_empty' = 'true') FRESHNESS = INTERVAL '1' HOUR
        AS SELECT k, v FROM src;
      DELETE FROM src`);
    const job = await refresh('dt');
    assert.equal(job.status, 'SUCCEEDED');
    assert.deepEqual(await gw.rows('SELECT count(*) FROM dt'), [[0]]);
    // An empty table refreshed with an empty result is nothing to refuse either.
    await gw.sql(`ALTER DYNAMIC TABLE dt RESET ('guard.allow_empty')`);
    assert.equal((await refresh('dt', '2024-06-01 11:00:00')).status, 'SUCCEEDED');
  });

  it("refuses fewer rows than 'guard.min_rows'", async () => {
    await gw.sql(`CREATE DYNAMIC TABLE dt WITH ('guard.min_rows' = '3') FRESHNESS = INTERVAL '1' HOUR
        AS SELECT k, v FROM src;
      DELETE FROM src WHERE v > 2`);
    const job = await refresh('dt');
    assert.equal(job.status, 'FAILED');
    assert.deepEqual(verdicts(job.tables[0]), { allow_empty: ['PASSED', 2], min_rows: ['BLOCKED', 2] });
    assert.match(job.tables[0].error, /min_rows \(observed 2, expected ≥ 3 rows\)/);
    assert.deepEqual(await gw.rows('SELECT count(*) FROM dt'), [[4]]);
    await gw.sql(`INSERT INTO src VALUES ('e', 5)`);
    assert.equal((await refresh('dt', '2024-06-01 11:00:00')).status, 'SUCCEEDED');
    assert.deepEqual(await gw.rows('SELECT count(*) FROM dt'), [[3]]);
  });

  it("refuses a row count that changes by more than 'guard.max_row_change_ratio'", async () => {
    await gw.sql(`CREATE DYNAMIC TABLE dt WITH ('guard.max_row_change_ratio' = '0.5') FRESHNESS = INTERVAL '1' HOUR
        AS SELECT k, v FROM src;
      DELETE FROM src WHERE v > 1`);
    const job = await refresh('dt');
    assert.equal(job.tables[0].status, 'BLOCKED');
    assert.deepEqual(verdicts(job.tables[0]).max_row_change_ratio, ['BLOCKED', 0.75]);
    assert.match(job.tables[0].error, /expected ≤ 0\.5 \(from 4 rows\)/);
    await gw.sql(`INSERT INTO src VALUES ('b', 2), ('c', 3)`);
    const passed = await refresh('dt', '2024-06-01 11:00:00');
    assert.equal(passed.status, 'SUCCEEDED');
    assert.deepEqual(verdicts(passed.tables[0]).max_row_change_ratio, ['PASSED', 0.25]);
  });

  it("refuses more NULLs in a column than 'guard.max_null_ratio.<column>'", async () => {
    await gw.sql(`CREATE DYNAMIC TABLE dt WITH ('guard.max_null_ratio.V' = '0.25') FRESHNESS = INTERVAL '1' HOUR
        AS SELECT k, v FROM src;
      UPDATE src SET v = NULL WHERE k IN ('a', 'b')`);
    const job = await refresh('dt');
    assert.equal(job.tables[0].status, 'BLOCKED');
    assert.deepEqual(verdicts(job.tables[0])['max_null_ratio.v'], ['BLOCKED', 0.5]);
    assert.deepEqual(await gw.rows('SELECT count(v) FROM dt'), [[4]]);
    await gw.sql(`UPDATE src SET v = 1 WHERE k = 'a'`);
    assert.equal((await refresh('dt', '2024-06-01 11:00:00')).status, 'SUCCEEDED');
  });

  it('warns about, drops or blocks on rows that break an expectation', async () => {
    await gw.sql(`CREATE DYNAMIC TABLE dt (
        CONSTRAINT positive EXPECT (v > 0) ON VIOLATION DROP ROW,
        CONSTRAINT small EXPECT (v < 100),
        CONSTRAINT named EXPECT (k IS NOT NULL) ON VIOLATION FAIL REFRESH
      ) FRESHNESS = INTERVAL '1' HOUR AS SELECT k, v FROM src;
      INSERT INTO src VALUES ('neg', -1), ('big', 200), ('zero', 0)`);
    const warned = await refresh('dt');
    assert.equal(warned.status, 'SUCCEEDED');
    const [entry] = warned.tables;
    assert.deepEqual(verdicts(entry), {
      allow_empty: ['PASSED', 5],
      'expect.positive': ['WARNED', 2],
      'expect.small': ['WARNED', 1],
      'expect.named': ['PASSED', 0],
    });
    assert.equal(entry.guards.rowsDropped, 2);
    assert.equal(entry.rowsWritten, 5, 'dropped rows are not counted as written');
    assert.deepEqual(await gw.rows('SELECT k FROM dt ORDER BY v'), [['a'], ['b'], ['c'], ['d'], ['big']]);

    await gw.sql(`INSERT INTO src VALUES (NULL, 7)`);
    const blocked = await refresh('dt', '2024-06-01 11:00:00');
    assert.equal(blocked.tables[0].status, 'BLOCKED');
    assert.deepEqual(verdicts(blocked.tables[0])['expect.named'], ['BLOCKED', 1]);
    assert.match(blocked.error, /expect\.named \(observed 1, expected 0 rows breaking it\)/);
    assert.deepEqual(await gw.rows('SELECT count(*) FROM dt'), [[5]], 'the warned rows stay, the new ones wait');
  });

  it('blocks a partition refresh for its partition only', async () => {
    await gw.sql(`CREATE TABLE events (ds TEXT, n INTEGER);
      INSERT INTO events VALUES ('2024-01-01', 1), ('2024-01-01', 2), ('2024-01-02', 3);
      CREATE DYNAMIC TABLE daily PARTITIONED BY (ds) FRESHNESS = INTERVAL '1' HOUR AS SELECT ds, n FROM events;
      DELETE FROM events WHERE ds = '2024-01-01'; INSERT INTO events VALUES ('2024-01-02', 4)`);
    const first = await gw.refresh({ tables: 'daily', staticPartitions: { ds: '2024-01-01' } }, 30);
    assert.equal(first.body.job.tables[0].status, 'BLOCKED');
    assert.deepEqual(first.body.job.tables[0].partition, { ds: '2024-01-01' });
    assert.match(first.body.job.tables[0].error, /the table held 2/, 'measured on the partition alone');
    const second = await gw.refresh({ tables: 'daily', staticPartitions: { ds: '2024-01-02' } }, 30);
    assert.equal(second.body.job.tables[0].status, 'SUCCEEDED');
    assert.deepEqual(await gw.rows('SELECT ds, n FROM daily ORDER BY n'), [
      ['2024-01-01', 1],
      ['2024-01-01', 2],
      ['2024-01-02', 3],
      ['2024-01-02', 4],
    ]);
  });

  it('fails the tables downstream in the same job as UPSTREAM_FAILED', async () => {
    await gw.sql(`CREATE DYNAMIC TABLE up FRESHNESS = INTERVAL '1' HOUR AS SELECT k, v FROM src;
      CREATE DYNAMIC TABLE down FRESHNESS = INTERVAL '1' HOUR AS SELECT count(*) AS n FROM up;
      DELETE FROM src`);
    const job = await refresh('up, down');
    assert.equal(job.status, 'FAILED');
    assert.deepEqual(
      job.tables.map((t: any) => [t.table, t.status]),
      [
        ['default.main.up', 'BLOCKED'],
        ['default.main.down', 'UPSTREAM_FAILED'],
      ],
    );
    assert.match(job.tables[1].error, /upstream table default\.main\.up failed: Blocked by publish guard allow_empty/);
    assert.deepEqual(await gw.rows('SELECT n FROM down'), [[4]]);
  });

  it('blocks an ALTER … AS whose new result a guard refuses, keeping the old definition and rows', async () => {
    await gw.sql(`CREATE DYNAMIC TABLE dt WITH ('guard.min_rows' = '2') FRESHNESS = INTERVAL '1' HOUR
      AS SELECT k, v FROM src`);
    const refused = await gw.sqlError(`ALTER DYNAMIC TABLE dt AS SELECT k, v, v * 2 AS w FROM src WHERE v > 3`);
    assert.equal(refused.status, 400);
    assert.match(refused.error.message, /keeps its old definition and rows\. Blocked by publish guard min_rows/);
    assert.deepEqual(await gw.rows('SELECT count(*) FROM dt'), [[4]]);
    const [newest] = await gw.refreshes('dt');
    assert.equal(newest.state, 'BLOCKED');
    assert.equal(newest.resolution, 'DISCARDED', 'nothing is left to publish once the ALTER failed');
  });
});
