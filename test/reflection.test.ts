/**
 * Reflection (DESIGN.md §10): schema versions of sources and dynamic tables, what a change made outside Freshet
 * does to the dynamic tables reading it (`on_schema_change`), missing tables, the check at the start of each
 * refresh and the periodic pass; through REST and SQL, on SQLite and PostgreSQL (engine and catalog).
 */
import { strict as assert } from 'node:assert';
import type { ConfigInput } from '../src/config/config';
import { TestGateway } from './helpers/gateway';
import { REFLECTION_BACKENDS } from './helpers/reflection-backends';
import { eventually } from './helpers/wait';

/**
 * orders is read by by_region (region, amount), big_orders (id, amount) and order_ids (id, region);
 * top_region reads by_region.
 */
const PIPELINE = [
  'CREATE TABLE orders (id INTEGER, region TEXT, amount INTEGER)',
  "INSERT INTO orders VALUES (1, 'north', 10), (2, 'south', 5)",
  `CREATE DYNAMIC TABLE by_region FRESHNESS = INTERVAL '1' HOUR
     AS SELECT region, SUM(amount) AS total FROM orders GROUP BY region`,
  `CREATE DYNAMIC TABLE big_orders FRESHNESS = INTERVAL '1' HOUR AS SELECT id, amount FROM orders WHERE amount > 5`,
  `CREATE DYNAMIC TABLE order_ids FRESHNESS = INTERVAL '1' HOUR AS SELECT id, region FROM orders`,
  `CREATE DYNAMIC TABLE top_region FRESHNESS = INTERVAL '1' HOUR AS SELECT region FROM by_region WHERE total > 5`,
];

async function state(gw: TestGateway, name: string): Promise<string> {
  const t = await gw.table(name);
  return t.suspendedReason ? `${t.refreshStatus} ${t.suspendedReason}` : t.refreshStatus;
}

async function versions(gw: TestGateway, name: string): Promise<any> {
  const res = await gw.request('GET', `/v3/tables/${name}/schema-versions`);
  assert.equal(res.status, 200, JSON.stringify(res.body));
  return res.body;
}

async function run(gw: TestGateway): Promise<any> {
  const res = await gw.request('POST', '/v3/reflection/run');
  assert.equal(res.status, 200, JSON.stringify(res.body));
  return res.body;
}

for (const backend of REFLECTION_BACKENDS) {
  describe(`Reflection and schema versions (${backend.name})`, function () {
    this.timeout(60_000);
    let gw: TestGateway;
    let outside: (sql: string) => Promise<void>;
    let drop: () => Promise<void>;

    async function start(extra: ConfigInput = {}): Promise<void> {
      const setUp = await backend.setUp();
      drop = setUp.drop;
      gw = await TestGateway.start({ ...setUp.overrides, ...extra });
      outside = (sql) => setUp.outside(gw.dataDir, sql);
    }
    afterEach(async () => {
      await gw?.close();
      await drop?.();
    });

    it('versions every table at 1.0 and adds a minor version for a column added outside Freshet', async () => {
      await start();
      for (const statement of PIPELINE) await gw.sql(statement);
      await gw.sql("CREATE DYNAMIC TABLE all_orders FRESHNESS = INTERVAL '1' HOUR AS SELECT * FROM orders");
      const first = await run(gw);
      assert.equal(first.tablesReflected, 6);
      assert.deepEqual(first.missing, []);
      const orders = await versions(gw, 'orders');
      assert.deepEqual(
        orders.versions.map((v: any) => [v.version, v.change]),
        [['1.0', 'first version']],
      );
      assert.deepEqual(
        orders.versions[0].columns.map((c: any) => c.name),
        ['id', 'region', 'amount'],
      );
      assert.equal((await versions(gw, 'by_region')).versions[0].version, '1.0');

      await outside('ALTER TABLE orders ADD COLUMN discount INTEGER');
      const second = await run(gw);
      assert.deepEqual(
        second.versionsCreated.map((v: any) => [v.table.split('.').pop(), v.version]),
        [['orders', '1.1']],
      );
      assert.match(second.versionsCreated[0].change, /^added discount integer$/i);
      const impacts = Object.fromEntries(second.impacts.map((i: any) => [i.table.split('.').pop(), i.impact]));
      assert.deepEqual(impacts, {
        by_region: 'UNAFFECTED',
        big_orders: 'UNAFFECTED',
        order_ids: 'UNAFFECTED',
        all_orders: 'ADDITIVE',
      });
      for (const name of ['by_region', 'big_orders', 'order_ids', 'top_region', 'all_orders']) {
        assert.equal(await state(gw, name), 'ACTIVATED', name);
      }
      const all = await gw.table('all_orders');
      assert.equal(all.schemaDrift[0].impact, 'ADDITIVE');
      assert.deepEqual(all.schemaDrift[0].columns, [{ column: 'discount', change: 'added' }]);
      assert.equal((await gw.table('order_ids')).schemaDrift, undefined);
      const [shown] = await gw.sql('SHOW SCHEMA HISTORY OF orders');
      assert.deepEqual(shown.columns.slice(0, 3), ['version', 'created_at', 'change']);
      assert.deepEqual(
        shown.rows.map((r: unknown[]) => r[0]),
        ['1.1', '1.0'],
      );
      assert.match(String(shown.rows[0][4]), /all_orders ADDITIVE/);
    });

    it('suspends exactly the readers of a dropped column, with their downstream', async () => {
      await start();
      for (const statement of PIPELINE) await gw.sql(statement);
      await run(gw);
      await outside('ALTER TABLE orders DROP COLUMN amount');
      const summary = await run(gw);
      assert.deepEqual(
        summary.versionsCreated.map((v: any) => [v.table.split('.').pop(), v.version, v.change]),
        [['orders', '2.0', 'dropped amount']],
      );
      assert.equal(await state(gw, 'by_region'), 'SUSPENDED SCHEMA_DRIFT');
      assert.equal(await state(gw, 'big_orders'), 'SUSPENDED SCHEMA_DRIFT');
      assert.equal(await state(gw, 'top_region'), 'SUSPENDED UPSTREAM_SUSPENDED');
      assert.equal(await state(gw, 'order_ids'), 'ACTIVATED');

      const orders = await versions(gw, 'orders');
      const latest = orders.versions[0];
      assert.equal(latest.version, '2.0');
      assert.deepEqual(
        latest.diff.dropped.map((c: any) => c.name),
        ['amount'],
      );
      const byTable = Object.fromEntries(latest.impacts.map((i: any) => [i.table.split('.').pop(), i]));
      assert.equal(byTable.by_region.impact, 'BREAKING');
      assert.equal(byTable.by_region.action, 'suspended');
      assert.deepEqual(byTable.big_orders.columns, [{ column: 'amount', change: 'dropped' }]);
      assert.equal(byTable.order_ids.impact, 'UNAFFECTED');
      const detail = await gw.table('by_region');
      assert.equal(detail.schemaDrift[0].impact, 'BREAKING');
      assert.equal(detail.schemaDrift[0].version, '2.0');
      assert.match(detail.schemaDrift[0].source, /orders$/);

      // Resuming before the column is back: the refresh fails naming what broke it, not with the engine's error.
      await gw.sql('ALTER DYNAMIC TABLE big_orders RESUME');
      const [refreshed] = await gw.sql('ALTER DYNAMIC TABLE big_orders REFRESH');
      assert.match(refreshed.message, /FAILED: .*column amount of \S+orders was dropped \(schema version 2\.0\)/);

      // A table made again under the same name that no longer reads the column is not held to the old drift.
      await gw.sql('DROP DYNAMIC TABLE big_orders');
      await gw.sql("CREATE DYNAMIC TABLE big_orders FRESHNESS = INTERVAL '1' HOUR AS SELECT id FROM orders");
      const remade = await gw.table('big_orders');
      assert.equal(remade.refreshStatus, 'ACTIVATED');
      assert.equal(remade.lastRefresh.state, 'SUCCEEDED');
      assert.equal(remade.schemaDrift, undefined);
    });

    it("leaves 'fail' readers active with failing refreshes and 'ignore' readers alone", async () => {
      await start();
      await gw.sql(PIPELINE.slice(0, 2).join(';\n'));
      await gw.sql(`CREATE DYNAMIC TABLE failing WITH ('on_schema_change' = 'fail') FRESHNESS = INTERVAL '1' HOUR
        AS SELECT region, amount FROM orders`);
      await gw.sql(`CREATE DYNAMIC TABLE ignoring WITH ('on_schema_change' = 'ignore') FRESHNESS = INTERVAL '1' HOUR
        AS SELECT id, amount FROM orders`);
      await run(gw);
      await outside('ALTER TABLE orders DROP COLUMN amount');
      const summary = await run(gw);
      const actions = Object.fromEntries(summary.impacts.map((i: any) => [i.table.split('.').pop(), i.action]));
      assert.deepEqual(actions, { failing: 'refreshes fail', ignoring: 'ignored' });
      assert.equal(await state(gw, 'failing'), 'ACTIVATED');
      assert.equal(await state(gw, 'ignoring'), 'ACTIVATED');
      const [failed] = await gw.sql('ALTER DYNAMIC TABLE failing REFRESH');
      assert.match(
        failed.message,
        /FAILED: .*Dynamic table \S+failing cannot be refreshed: column amount of \S+orders/,
      );
      assert.match(failed.message, /'on_schema_change' is 'fail'/);
      const [ignored] = await gw.sql('ALTER DYNAMIC TABLE ignoring REFRESH');
      assert.match(ignored.message, /FAILED/);
      assert.doesNotMatch(ignored.message, /schema version/, 'ignore: the engine reports the error itself');

      // The column comes back: the recorded break no longer holds and refreshes succeed again.
      await outside('ALTER TABLE orders ADD COLUMN amount INTEGER');
      const [again] = await gw.sql('ALTER DYNAMIC TABLE failing REFRESH');
      assert.match(again.message, /SUCCEEDED/);
      assert.deepEqual(
        (await versions(gw, 'orders')).versions.map((v: any) => v.version),
        ['2.1', '2.0', '1.0'],
      );
    });

    it('flags a vanished source missing, and clears it when the table comes back', async () => {
      await start();
      await gw.sql(PIPELINE.slice(0, 3).join(';\n'));
      await run(gw);
      await outside('DROP TABLE orders');
      const summary = await run(gw);
      assert.equal(summary.missing.length, 1);
      assert.match(summary.missing[0], /orders$/);
      assert.deepEqual(summary.versionsCreated, []);
      const gone = await versions(gw, 'orders');
      assert.equal(gone.missing, true);
      assert.equal(gone.versions.length, 1, 'a missing table is not versioned');
      const [shown] = await gw.sql('SHOW SCHEMA HISTORY OF orders');
      assert.match(String(shown.rows[0][5]), /^missing since /);
      const [refreshed] = await gw.sql('ALTER DYNAMIC TABLE by_region REFRESH');
      assert.match(refreshed.message, /FAILED: .*the table it reads \S+orders is missing/);

      await outside('CREATE TABLE orders (id INTEGER, region TEXT, amount INTEGER)');
      const back = await run(gw);
      assert.deepEqual(back.missing, []);
      assert.deepEqual(back.versionsCreated, [], 'the same columns make no new version');
      const present = await versions(gw, 'orders');
      assert.equal(present.missing, false);
      assert.equal(present.versions.length, 1);
    });

    it('reports drift by name at the start of a refresh, before any reflection pass', async () => {
      await start();
      for (const statement of PIPELINE) await gw.sql(statement);
      // No pass has run: the refreshes at CREATE recorded what the tables read.
      assert.equal((await versions(gw, 'orders')).versions[0].version, '1.0');
      await outside('ALTER TABLE orders DROP COLUMN amount');
      const [refreshed] = await gw.sql('ALTER DYNAMIC TABLE order_ids REFRESH');
      assert.match(refreshed.message, /SUCCEEDED/, 'a reader the change does not break refreshes');
      assert.equal((await versions(gw, 'orders')).versions[0].version, '2.0');
      await eventually(async () => (await state(gw, 'by_region')) === 'SUSPENDED SCHEMA_DRIFT');
      assert.equal(await state(gw, 'big_orders'), 'SUSPENDED SCHEMA_DRIFT');
      assert.equal(await state(gw, 'top_region'), 'SUSPENDED UPSTREAM_SUSPENDED');
      assert.equal(await state(gw, 'order_ids'), 'ACTIVATED');
    });

    it('fails the refresh of a broken reader naming the column, and suspends it', async () => {
      await start();
      for (const statement of PIPELINE) await gw.sql(statement);
      await outside('ALTER TABLE orders DROP COLUMN amount');
      const [refreshed] = await gw.sql('ALTER DYNAMIC TABLE by_region REFRESH');
      assert.match(
        refreshed.message,
        /FAILED: .*Dynamic table \S+by_region cannot be refreshed: column amount of \S+orders was dropped \(schema version 2\.0\)/,
      );
      await eventually(async () => (await state(gw, 'by_region')) === 'SUSPENDED SCHEMA_DRIFT');
    });

    it('runs passes on its own every reflection.intervalSeconds', async () => {
      await start({ reflection: { intervalSeconds: 1 } });
      for (const statement of PIPELINE) await gw.sql(statement);
      await outside('ALTER TABLE orders ADD COLUMN note TEXT');
      await eventually(async () => (await versions(gw, 'orders')).versions[0].version === '1.1', 10_000);
      await eventually(async () => (await gw.request('GET', '/v3/tables/top_region/schema-versions')).status === 200);
    });

    it('reflects one table and what it reads on ALTER … REFLECT', async () => {
      await start();
      for (const statement of PIPELINE) await gw.sql(statement);
      assert.equal((await gw.request('GET', '/v3/tables/top_region/schema-versions')).status, 404);
      const [reflected] = await gw.sql('ALTER DYNAMIC TABLE top_region REFLECT');
      assert.match(reflected.message, /^Reflected 1 table for \S+top_region: \S+top_region is now version 1\.0/);
      await outside('ALTER TABLE orders ADD COLUMN note TEXT');
      const [again] = await gw.sql('ALTER DYNAMIC TABLE order_ids REFLECT');
      assert.match(again.message, /^Reflected 2 tables for \S+order_ids: \S+orders is now version 1\.1 \(added note/);
      assert.equal((await versions(gw, 'order_ids')).kind, 'dynamic');
      assert.equal((await versions(gw, 'orders')).kind, 'source');
    });

    it('answers 404 for a table reflection never read', async () => {
      await start();
      await gw.sql(PIPELINE.slice(0, 3).join(';\n'));
      await gw.sql('CREATE TABLE lonely (x INTEGER)');
      await run(gw);
      for (const name of ['lonely', 'nowhere', 'nocatalog.main.t']) {
        const res = await gw.request('GET', `/v3/tables/${name}/schema-versions`);
        assert.equal(res.status, 404, name);
        assert.equal(res.body.error.code, 'NOT_FOUND');
      }
      const missing = await gw.sqlError('SHOW SCHEMA HISTORY OF lonely');
      assert.equal(missing.status, 404);
      assert.match(missing.error.message, /has no schema versions/);
      const id = encodeURIComponent((await gw.table('by_region')).identifier);
      assert.equal((await gw.request('GET', `/v3/tables/${id}/schema-versions`)).status, 200);
    });
  });
}
