/**
 * SUSPEND cascades downstream and RESUME un-cascades (DESIGN §9 "Cascades"), through the REST surface, with the
 * embedded scheduler, on SQLite and on PostgreSQL (catalog and engine).
 */
import { strict as assert } from 'node:assert';
import { BACKENDS as STORAGE } from './helpers/backends';
import { TestGateway } from './helpers/gateway';
import { eventually, sleep } from './helpers/wait';

/** orders → region_sales → top_region → top_report (CONTINUOUS); region_sales → north_only; orders → order_count. */
const PIPELINE = [
  `CREATE TABLE orders (id INTEGER, region TEXT, amount INTEGER)`,
  `INSERT INTO orders VALUES (1, 'north', 10), (2, 'south', 5)`,
  `CREATE DYNAMIC TABLE region_sales FRESHNESS = INTERVAL '1' HOUR
     AS SELECT region, SUM(amount) AS total FROM orders GROUP BY region`,
  `CREATE DYNAMIC TABLE top_region FRESHNESS = INTERVAL '1' HOUR AS SELECT region, total FROM region_sales WHERE total >= 10`,
  `CREATE DYNAMIC TABLE top_report FRESHNESS = INTERVAL '1' SECOND REFRESH_MODE = CONTINUOUS
     AS SELECT region FROM top_region`,
  `CREATE DYNAMIC TABLE north_only FRESHNESS = INTERVAL '1' HOUR AS SELECT total FROM region_sales WHERE region = 'north'`,
  `CREATE DYNAMIC TABLE order_count FRESHNESS = INTERVAL '1' HOUR AS SELECT COUNT(*) AS n FROM orders`,
];

/** Status and reason of each named table, as GET /v3/dynamic-tables/{id} shows them. */
async function states(gw: TestGateway, names: readonly string[]): Promise<Record<string, string>> {
  const entries = await Promise.all(
    names.map(async (n) => {
      const t = await gw.table(n);
      return [n, t.suspendedReason ? `${t.refreshStatus} ${t.suspendedReason}` : t.refreshStatus] as const;
    }),
  );
  return Object.fromEntries(entries);
}

/** Rows of SHOW DYNAMIC TABLES keyed by the table's short name. */
async function shown(gw: TestGateway): Promise<Record<string, Record<string, unknown>>> {
  const [result] = await gw.sql('SHOW DYNAMIC TABLES');
  const rows = result.rows.map((row: unknown[]) =>
    Object.fromEntries(result.columns.map((c: string, i: number) => [c, row[i]])),
  );
  return Object.fromEntries(rows.map((r: Record<string, unknown>) => [String(r.name).split('.').pop(), r]));
}

/** The scheduler holds every workflow paused exactly when its table is suspended. */
async function assertPausesReachedScheduler(gw: TestGateway): Promise<void> {
  const { status, body } = await gw.request('GET', '/v3/scheduler/drift');
  assert.equal(status, 200);
  assert.deepEqual([body.missing, body.wronglyPaused, body.errors], [[], [], []], JSON.stringify(body));
}

/** On PostgreSQL the catalog and the tables (as the default catalog) each have a database of their own. */
const BACKENDS = STORAGE.map((backend) => ({
  name: backend.name,
  engine: backend.kind,
  config: () => backend.setUp({ warehouse: 'own', warehouseName: 'default' }),
}));

for (const backend of BACKENDS) {
  describe(`SUSPEND and RESUME cascade down the pipeline (${backend.name})`, function () {
    this.timeout(60_000);
    let gw: TestGateway;
    let drop: () => Promise<void>;

    beforeEach(async () => {
      const { overrides, drop: dropDatabases } = await backend.config();
      drop = dropDatabases;
      gw = await TestGateway.start({ ...overrides, refresh: { maxConsecutiveFailures: 2 } });
    });
    afterEach(async () => {
      await gw.close();
      await drop();
    });

    it('suspends every active table downstream with UPSTREAM_SUSPENDED, shown wherever status is', async () => {
      for (const statement of PIPELINE) await gw.sql(statement);
      assert.equal((await gw.table('region_sales')).location.engine, backend.engine);
      await gw.sql('ALTER DYNAMIC TABLE north_only SUSPEND');
      const [suspended] = await gw.sql('ALTER DYNAMIC TABLE region_sales SUSPEND');
      assert.match(
        suspended.message,
        /^Dynamic table \S+region_sales suspended\. Downstream dynamic tables suspended with it \(UPSTREAM_SUSPENDED\): \S+top_region, \S+top_report\.$/,
      );
      const names = ['region_sales', 'top_region', 'top_report', 'north_only', 'order_count'];
      assert.deepEqual(await states(gw, names), {
        region_sales: 'SUSPENDED',
        top_region: 'SUSPENDED UPSTREAM_SUSPENDED',
        top_report: 'SUSPENDED UPSTREAM_SUSPENDED',
        north_only: 'SUSPENDED',
        order_count: 'ACTIVATED',
      });
      const list = (await gw.request('GET', '/v3/dynamic-tables')).body.tables;
      const top = list.find((t: any) => t.identifier.endsWith('.top_region'));
      assert.equal(top.refreshStatus, 'SUSPENDED');
      assert.equal(top.suspendedReason, 'UPSTREAM_SUSPENDED');
      const rows = await shown(gw);
      assert.equal(rows.top_report?.refresh_status, 'SUSPENDED');
      assert.equal(rows.top_report?.suspended_reason, 'UPSTREAM_SUSPENDED');
      assert.equal(rows.north_only?.suspended_reason, null, 'a table suspended by hand keeps its own reason');
      const [described] = await gw.sql('DESCRIBE DYNAMIC TABLE top_region');
      assert.match(described.message, /SUSPENDED \(UPSTREAM_SUSPENDED\)/);
      assert.equal(described.table.suspendedReason, 'UPSTREAM_SUSPENDED');
      await assertPausesReachedScheduler(gw);
      const periodic = await gw.refresh({ tables: 'top_region', scheduleTime: '2024-06-01 04:00:00' });
      assert.equal(periodic.status, 409, 'scheduled refreshes of a table suspended with its upstream do not run');
      const count = (await gw.refreshes('top_report')).length;
      await sleep(2500);
      assert.equal((await gw.refreshes('top_report')).length, count, 'the continuous table stopped refreshing');
    });

    it('refuses to resume a table while a table it reads is suspended, naming what to resume first', async () => {
      for (const statement of PIPELINE) await gw.sql(statement);
      await gw.sql('ALTER DYNAMIC TABLE region_sales SUSPEND');
      const direct = await gw.sqlError('ALTER DYNAMIC TABLE top_region RESUME');
      assert.equal(direct.status, 409);
      assert.equal(direct.error.code, 'INVALID_STATE');
      assert.match(
        direct.error.message,
        /^Dynamic table \S+top_region cannot be resumed while the dynamic table it reads, \S+region_sales, is suspended; resume \S+region_sales first\.$/,
      );
      const deeper = await gw.sqlError('ALTER DYNAMIC TABLE top_report RESUME');
      assert.equal(deeper.status, 409);
      assert.match(
        deeper.error.message,
        /while the dynamic table it reads, \S+top_region, is suspended; resume \S+region_sales first \(resuming it resumes the tables suspended with it\)/,
      );
      assert.equal((await gw.table('top_region')).refreshStatus, 'SUSPENDED', 'a refused RESUME changes nothing');
    });

    it('resumes the tables suspended with it, upstream first; tables suspended by hand stay suspended', async () => {
      for (const statement of PIPELINE) await gw.sql(statement);
      await gw.sql('ALTER DYNAMIC TABLE north_only SUSPEND');
      await gw.sql('ALTER DYNAMIC TABLE region_sales SUSPEND');
      const [resumed] = await gw.sql('ALTER DYNAMIC TABLE region_sales RESUME');
      assert.match(
        resumed.message,
        /^Dynamic table \S+region_sales resumed\. Downstream dynamic tables resumed with it: \S+top_region, \S+top_report\.$/,
      );
      assert.deepEqual(await states(gw, ['region_sales', 'top_region', 'top_report', 'north_only', 'order_count']), {
        region_sales: 'ACTIVATED',
        top_region: 'ACTIVATED',
        top_report: 'ACTIVATED',
        north_only: 'SUSPENDED',
        order_count: 'ACTIVATED',
      });
      await assertPausesReachedScheduler(gw);
      const count = (await gw.refreshes('top_report')).length;
      await eventually(async () => (await gw.refreshes('top_report')).length > count, 15_000);
    });

    it('resumes a table reading two suspended tables only when both are active again', async () => {
      await gw.sql(`CREATE TABLE src (k TEXT, v INTEGER); INSERT INTO src VALUES ('a', 1)`);
      await gw.sql(`CREATE DYNAMIC TABLE x FRESHNESS = INTERVAL '1' HOUR AS SELECT k, v FROM src`);
      await gw.sql(`CREATE DYNAMIC TABLE y FRESHNESS = INTERVAL '1' HOUR AS SELECT k, v * 2 AS w FROM src`);
      await gw.sql(`CREATE DYNAMIC TABLE z FRESHNESS = INTERVAL '1' HOUR
        AS SELECT x.k, x.v, y.w FROM x JOIN y ON x.k = y.k`);
      await gw.sql('ALTER DYNAMIC TABLE x SUSPEND');
      const [second] = await gw.sql('ALTER DYNAMIC TABLE y SUSPEND');
      assert.match(second.message, /^Dynamic table \S+\.y suspended\.$/, 'z was already suspended');
      assert.equal((await gw.table('z')).suspendedReason, 'UPSTREAM_SUSPENDED');
      const refused = await gw.sqlError('ALTER DYNAMIC TABLE z RESUME');
      assert.match(refused.error.message, /while \S+\.x, \S+\.y are suspended; resume \S+\.x, \S+\.y first\./);
      const [first] = await gw.sql('ALTER DYNAMIC TABLE x RESUME');
      assert.match(first.message, /^Dynamic table \S+\.x resumed\.$/, 'z still reads a suspended table');
      assert.equal((await gw.table('z')).refreshStatus, 'SUSPENDED');
      const [last] = await gw.sql('ALTER DYNAMIC TABLE y RESUME');
      assert.match(last.message, /Downstream dynamic table resumed with it: \S+\.z\.$/);
      assert.deepEqual(await states(gw, ['x', 'y', 'z']), { x: 'ACTIVATED', y: 'ACTIVATED', z: 'ACTIVATED' });
      await assertPausesReachedScheduler(gw);
    });

    it('lets a table suspended with its upstream be resumed by hand once it reads no suspended table', async () => {
      for (const statement of PIPELINE) await gw.sql(statement);
      await gw.sql('ALTER DYNAMIC TABLE region_sales SUSPEND');
      await gw.sql(`ALTER DYNAMIC TABLE top_region AS SELECT region, SUM(amount) AS total FROM orders GROUP BY region`);
      assert.equal((await gw.table('top_region')).suspendedReason, 'UPSTREAM_SUSPENDED');
      const [resumed] = await gw.sql('ALTER DYNAMIC TABLE top_region RESUME');
      assert.match(resumed.message, /top_region resumed\. Downstream dynamic table resumed with it: \S+top_report\.$/);
      assert.equal((await gw.table('region_sales')).refreshStatus, 'SUSPENDED');
    });

    it('holds a table whose new query reads a suspended table, and resumes it with that table', async () => {
      for (const statement of PIPELINE) await gw.sql(statement);
      await gw.sql('ALTER DYNAMIC TABLE region_sales SUSPEND');
      const [altered] = await gw.sql('ALTER DYNAMIC TABLE order_count AS SELECT COUNT(*) AS n FROM region_sales');
      assert.match(altered.message, /It is suspended \(UPSTREAM_SUSPENDED\) because it now reads \S+region_sales/);
      assert.equal((await states(gw, ['order_count'])).order_count, 'SUSPENDED UPSTREAM_SUSPENDED');
      await gw.sql('ALTER DYNAMIC TABLE region_sales RESUME');
      assert.equal((await states(gw, ['order_count'])).order_count, 'ACTIVATED');
    });

    it('suspends the tables downstream of a table suspended for errors, and resumes them with it', async () => {
      await gw.sql(`CREATE TABLE keys (k TEXT); INSERT INTO keys VALUES ('x')`);
      await gw.sql(
        `CREATE DYNAMIC TABLE uniq (k, PRIMARY KEY (k)) FRESHNESS = INTERVAL '1' HOUR AS SELECT k FROM keys`,
      );
      await gw.sql(`CREATE DYNAMIC TABLE uniq_copy FRESHNESS = INTERVAL '1' HOUR AS SELECT k FROM uniq`);
      await gw.sql(`INSERT INTO keys VALUES ('x')`);
      for (const hour of ['01', '02']) {
        await gw.refresh({ tables: 'uniq', scheduleTime: `2024-06-01 ${hour}:00:00` }, 10);
      }
      await eventually(async () => (await gw.table('uniq_copy')).refreshStatus === 'SUSPENDED');
      assert.deepEqual(await states(gw, ['uniq', 'uniq_copy']), {
        uniq: 'SUSPENDED SUSPENDED_DUE_TO_ERRORS',
        uniq_copy: 'SUSPENDED UPSTREAM_SUSPENDED',
      });
      await assertPausesReachedScheduler(gw);
      await gw.sql(`DELETE FROM keys WHERE k = 'x'`);
      await gw.sql(`INSERT INTO keys VALUES ('x')`);
      const [resumed] = await gw.sql('ALTER DYNAMIC TABLE uniq RESUME');
      assert.match(resumed.message, /Downstream dynamic table resumed with it: \S+uniq_copy\.$/);
      assert.deepEqual(await states(gw, ['uniq', 'uniq_copy']), { uniq: 'ACTIVATED', uniq_copy: 'ACTIVATED' });
    });

    it('creates a table over a suspended table suspended, refreshed once, and resumed with its upstream', async () => {
      for (const statement of PIPELINE.slice(0, 3)) await gw.sql(statement);
      await gw.sql('ALTER DYNAMIC TABLE region_sales SUSPEND');
      const [created] = await gw.sql(
        `CREATE DYNAMIC TABLE south_only FRESHNESS = INTERVAL '1' HOUR AS SELECT total FROM region_sales WHERE region = 'south'`,
      );
      assert.match(
        created.message,
        /initial refresh SUCCEEDED\. It is suspended \(UPSTREAM_SUSPENDED\) because \S+region_sales is suspended; resuming it resumes this table too\.$/,
      );
      assert.equal((await gw.table('south_only')).suspendedReason, 'UPSTREAM_SUSPENDED');
      assert.deepEqual(await gw.rows('SELECT total FROM south_only'), [[5]], 'queryable at once');
      await gw.sql(`CREATE DYNAMIC TABLE later WITH ('initialize' = 'on_schedule') FRESHNESS = INTERVAL '1' SECOND
        REFRESH_MODE = CONTINUOUS AS SELECT region FROM region_sales`);
      assert.equal((await gw.table('later')).suspendedReason, 'UPSTREAM_SUSPENDED');
      await sleep(2000);
      assert.deepEqual(await gw.refreshes('later'), [], 'a continuous table created suspended does not refresh');
      await assertPausesReachedScheduler(gw);
      const [resumed] = await gw.sql('ALTER DYNAMIC TABLE region_sales RESUME');
      assert.match(resumed.message, /Downstream dynamic tables resumed with it: .*\.south_only\b/);
      assert.match(resumed.message, /Downstream dynamic tables resumed with it: .*\.later\b/);
      assert.deepEqual(await states(gw, ['south_only', 'later']), { south_only: 'ACTIVATED', later: 'ACTIVATED' });
      await eventually(async () => (await gw.refreshes('later')).length > 0, 15_000);
    });
  });
}
