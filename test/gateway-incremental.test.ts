import { strict as assert } from 'node:assert';
import { TestGateway } from './helpers/gateway';
import { eventually } from './helpers/wait';

/** Rows in a stable order, for comparing a dynamic table with its query. */
const sorted = (rows: unknown[][]) => rows.map((row) => JSON.stringify(row)).sort();

describe('gateway: incremental refresh', () => {
  let gw: TestGateway;
  beforeEach(async () => {
    gw = await TestGateway.start();
    await gw.sql(`CREATE TABLE orders (id INTEGER, region TEXT, amount INTEGER);
      INSERT INTO orders VALUES (1, 'north', 5), (2, 'north', 20), (3, 'south', 30)`);
  });
  afterEach(() => gw.close());

  it('applies only the changes to a FULL table that opts in, and records INCREMENTAL and NO_DATA', async () => {
    await gw.sql(`CREATE DYNAMIC TABLE big_orders WITH ('refresh.strategy' = 'incremental') FRESHNESS = INTERVAL '1' HOUR
      AS SELECT id, amount FROM orders WHERE amount > 10`);
    const detail = await gw.table('big_orders');
    assert.equal(detail.incremental.applied, 'INCREMENTAL');
    const [creation] = await gw.refreshes('big_orders');
    assert.equal(creation.action, 'FULL');
    assert.match(creation.actionDetail, /first refresh/);

    await gw.sql(
      `INSERT INTO orders VALUES (4, 'east', 40), (5, 'east', 1); UPDATE orders SET amount = 25 WHERE id = 1; DELETE FROM orders WHERE id = 3`,
    );
    const job = await gw.refresh({ tables: ['big_orders'], scheduleTime: '2024-06-01 10:00:00' }, 10);
    assert.equal(job.status, 200);
    const [applied] = await gw.refreshes('big_orders');
    assert.deepEqual(
      { action: applied.action, rowsWritten: applied.rowsWritten, rowsDeleted: applied.rowsDeleted },
      { action: 'INCREMENTAL', rowsWritten: 2, rowsDeleted: 1 },
    );
    assert.deepEqual(
      sorted(await gw.rows('SELECT * FROM big_orders')),
      sorted(await gw.rows('SELECT id, amount FROM orders WHERE amount > 10')),
    );
    const jobView = await gw.job(job.body.jobId);
    assert.equal(jobView.tables[0].action, 'INCREMENTAL');

    await gw.refresh({ tables: ['big_orders'], scheduleTime: '2024-06-01 11:00:00' }, 10);
    const [quiet] = await gw.refreshes('big_orders');
    assert.deepEqual(
      { action: quiet.action, rowsWritten: quiet.rowsWritten, rowsDeleted: quiet.rowsDeleted },
      { action: 'NO_DATA', rowsWritten: 0, rowsDeleted: 0 },
    );
  });

  it('keeps a CONTINUOUS aggregate fresh from the changelog', async () => {
    await gw.sql(`CREATE DYNAMIC TABLE region_totals FRESHNESS = INTERVAL '1' SECOND
      AS SELECT region, COUNT(*) AS n, SUM(amount) AS total FROM orders GROUP BY region`);
    const detail = await gw.table('region_totals');
    assert.equal(detail.refreshMode, 'CONTINUOUS');
    assert.equal(detail.incremental.applied, 'INCREMENTAL');
    await gw.sql(
      `INSERT INTO orders VALUES (6, 'west', 7); UPDATE orders SET region = 'west' WHERE id = 2; DELETE FROM orders WHERE region = 'south'`,
    );
    const query = 'SELECT region, COUNT(*) AS n, SUM(amount) AS total FROM orders GROUP BY region';
    await eventually(
      async () =>
        JSON.stringify(sorted(await gw.rows('SELECT * FROM region_totals'))) ===
        JSON.stringify(sorted(await gw.rows(query))),
    );
    const history = await eventually(async () => {
      const rows = await gw.refreshes('region_totals');
      return rows.some((r) => r.action === 'INCREMENTAL') && rows.some((r) => r.action === 'NO_DATA') ? rows : null;
    });
    assert.ok(history.every((r) => r.state !== 'SUCCEEDED' || ['FULL', 'INCREMENTAL', 'NO_DATA'].includes(r.action)));
  });

  it('installs change capture with the first incremental table and removes it with the last', async () => {
    const changelogs = async () =>
      (
        await gw.rows(
          "SELECT name FROM sqlite_schema WHERE type = 'table' AND name LIKE '\\_\\_freshet\\_changes\\_%' ESCAPE '\\'",
        )
      ).length;
    assert.equal(await changelogs(), 0);
    await gw.sql(`CREATE DYNAMIC TABLE a WITH ('refresh.strategy' = 'incremental') AS SELECT id FROM orders;
      CREATE DYNAMIC TABLE b WITH ('refresh.strategy' = 'incremental') AS SELECT DISTINCT region FROM orders`);
    assert.equal(await changelogs(), 1);
    await gw.sql('DROP DYNAMIC TABLE a');
    assert.equal(await changelogs(), 1);
    await gw.sql('DROP DYNAMIC TABLE b');
    assert.equal(await changelogs(), 0);
  });

  it("refreshes a table with 'refresh.strategy' = 'full' fully, and says so", async () => {
    await gw.sql(
      `CREATE DYNAMIC TABLE everything WITH ('refresh.strategy' = 'full') FRESHNESS = INTERVAL '1' SECOND AS SELECT id FROM orders`,
    );
    const detail = await gw.table('everything');
    assert.equal(detail.incremental.eligible, true);
    assert.equal(detail.incremental.applied, 'FULL');
    assert.equal(detail.incremental.appliedReason, "'refresh.strategy' = 'full'");
    const [described] = await gw.sql('DESCRIBE DYNAMIC TABLE everything');
    assert.match(described.message, /incremental: eligible \(projectFilter\), refreshes are full/);
  });
});
