/**
 * Publish guards through REST on the server engines and across catalogs: a blocked refresh keeps the table's rows on
 * PostgreSQL and MariaDB, its result is published or discarded from the engine's staged copy, an incremental table's
 * blocked changes stay pending, and a cross-catalog load is judged before its swap.
 */
import { strict as assert } from 'node:assert';
import { type CatalogKind, createDatabase, type ThrowawayDatabase } from './helpers/databases';
import { TestGateway } from './helpers/gateway';

const AT = '2024-06-01 10:00:00';

for (const kind of ['postgres', 'mysql'] as const satisfies readonly Exclude<CatalogKind, 'sqlite'>[]) {
  describe(`publish guards on a ${kind} catalog`, function () {
    this.timeout(60_000);
    let db: ThrowawayDatabase;
    let gw: TestGateway;
    const inWarehouse = (statement: string) =>
      gw.request('POST', '/v3/statements', { statement, catalog: 'warehouse' });
    const warehouseRows = async (query: string) => {
      const res = await inWarehouse(query);
      assert.equal(res.status, 200, JSON.stringify(res.body));
      return res.body.results[0].rows as unknown[][];
    };

    beforeEach(async () => {
      db = await createDatabase(kind);
      gw = await TestGateway.start({ catalogs: { warehouse: { url: db.url } }, monitor: { intervalSeconds: 0 } });
      const res = await inWarehouse(`CREATE TABLE src (k varchar(10) PRIMARY KEY, v integer);
        INSERT INTO src VALUES ('a', 1), ('b', 2), ('c', 3)`);
      assert.equal(res.status, 200, JSON.stringify(res.body));
    });
    afterEach(async () => {
      await gw.close();
      await db.drop();
    });

    it('keeps the rows an empty result would replace, then publishes that result when asked', async () => {
      const created = await inWarehouse(
        `CREATE DYNAMIC TABLE dt FRESHNESS = INTERVAL '1' HOUR REFRESH_MODE = FULL AS SELECT k, v FROM src`,
      );
      assert.equal(created.status, 200, JSON.stringify(created.body));
      const dt = created.body.results[0].table;
      await inWarehouse('DELETE FROM src');
      const res = await gw.refresh({ tables: dt, scheduleTime: AT }, 30);
      const job = res.body.job;
      assert.equal(job.status, 'FAILED', JSON.stringify(job));
      assert.equal(job.tables[0].status, 'BLOCKED');
      assert.match(job.error, /allow_empty \(observed 0, expected > 0 rows \(the table held 3\)\)/);
      assert.equal((await warehouseRows('SELECT count(*) FROM dt'))[0]?.[0], 3, 'the last good rows stay');

      const published = await gw.request('POST', `/v3/jobs/${job.jobId}/publish`, {});
      assert.equal(published.status, 200, JSON.stringify(published.body));
      assert.equal((await warehouseRows('SELECT count(*) FROM dt'))[0]?.[0], 0, 'the blocked result is in place');
      const [entry] = await gw.refreshes(dt);
      assert.equal(entry.state, 'SUCCEEDED');
      assert.equal(entry.resolution, 'PUBLISHED');
      const again = await gw.request('POST', `/v3/jobs/${job.jobId}/discard`, {});
      assert.equal(again.status, 409);
    });

    it('blocks on a FAIL REFRESH expectation and discards the result when asked', async () => {
      const created = await inWarehouse(`CREATE DYNAMIC TABLE checked (
          CONSTRAINT positive EXPECT (v > 0) ON VIOLATION FAIL REFRESH
        ) FRESHNESS = INTERVAL '1' HOUR REFRESH_MODE = FULL AS SELECT k, v FROM src`);
      assert.equal(created.status, 200, JSON.stringify(created.body));
      await inWarehouse(`INSERT INTO src VALUES ('z', -1)`);
      const checked = created.body.results[0].table;
      const job = (await gw.refresh({ tables: checked, scheduleTime: AT }, 30)).body.job;
      assert.equal(job.tables[0].status, 'BLOCKED');
      const positive = job.tables[0].guards.results.find((r: any) => r.guard === 'expect.positive');
      assert.deepEqual([positive.verdict, positive.observed], ['BLOCKED', 1]);
      const discarded = await gw.request('POST', `/v3/jobs/${job.jobId}/discard`, {});
      assert.equal(discarded.status, 200, JSON.stringify(discarded.body));
      assert.deepEqual(await warehouseRows('SELECT k FROM checked ORDER BY k'), [['a'], ['b'], ['c']]);
      const staged = await warehouseRows(
        kind === 'postgres'
          ? "SELECT count(*) FROM pg_tables WHERE tablename LIKE '\\_\\_freshet\\_staged%'"
          : "SELECT count(*) FROM information_schema.tables WHERE table_schema = DATABASE() AND table_name LIKE '\\_\\_freshet\\_staged%'",
      );
      assert.equal(Number(staged[0]?.[0]), 0, 'a discarded result leaves no staged table behind');
    });
  });
}

describe('publish guards on incremental and cross-catalog refreshes (PostgreSQL)', function () {
  this.timeout(60_000);
  let pg: ThrowawayDatabase;
  let gw: TestGateway;
  const inWarehouse = (statement: string) => gw.request('POST', '/v3/statements', { statement, catalog: 'warehouse' });

  before(async () => {
    pg = await createDatabase('postgres');
    gw = await TestGateway.start({ catalogs: { warehouse: { url: pg.url } }, monitor: { intervalSeconds: 0 } });
  });
  after(async () => {
    await gw.close();
    await pg.drop();
  });

  it('leaves an incremental table and its pending changes alone when a guard blocks, and applies them on publish', async () => {
    await inWarehouse(`CREATE TABLE inc_src (id integer PRIMARY KEY, v integer);
      INSERT INTO inc_src VALUES (1, 10), (2, 20)`);
    const created =
      await inWarehouse(`CREATE DYNAMIC TABLE inc WITH ('refresh.strategy' = 'incremental', 'guard.min_rows' = '2')
      FRESHNESS = INTERVAL '1' HOUR AS SELECT id, v FROM inc_src WHERE v > 0`);
    assert.equal(created.status, 200, JSON.stringify(created.body));
    await inWarehouse('DELETE FROM inc_src WHERE id = 2');
    const inc = created.body.results[0].table;
    const job = (await gw.refresh({ tables: inc, scheduleTime: AT }, 30)).body.job;
    assert.equal(job.tables[0].status, 'BLOCKED', JSON.stringify(job));
    const kept = await inWarehouse('SELECT id FROM inc ORDER BY id');
    assert.deepEqual(kept.body.results[0].rows, [[1], [2]]);
    const published = await gw.request('POST', `/v3/jobs/${job.jobId}/publish`, {});
    assert.equal(published.status, 200, JSON.stringify(published.body));
    const after = await inWarehouse('SELECT id FROM inc ORDER BY id');
    assert.deepEqual(after.body.results[0].rows, [[1]], 'publishing applies the changes the guard held back');
  });

  it('judges rows copied from another catalog before they replace the table', async () => {
    await inWarehouse(`CREATE TABLE remote (id integer PRIMARY KEY, name text);
      INSERT INTO remote VALUES (1, 'a'), (2, NULL)`);
    const created = await gw.sql(`CREATE DYNAMIC TABLE copied
      WITH ('source.catalog' = 'warehouse', 'guard.max_null_ratio.name' = '0.5')
      FRESHNESS = INTERVAL '1' HOUR AS SELECT id, name FROM remote`);
    assert.equal(created[0].kind, 'ok');
    await inWarehouse(`INSERT INTO remote VALUES (3, NULL)`);
    const job = (await gw.refresh({ tables: 'copied', scheduleTime: AT }, 30)).body.job;
    assert.equal(job.tables[0].status, 'BLOCKED', JSON.stringify(job));
    const ratio = job.tables[0].guards.results.find((r: any) => r.guard === 'max_null_ratio.name');
    assert.deepEqual([ratio.verdict, ratio.observed], ['BLOCKED', 0.6667]);
    assert.deepEqual(await gw.rows('SELECT id FROM copied ORDER BY id'), [[1], [2]]);
  });
});
