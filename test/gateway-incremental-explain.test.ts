import { strict as assert } from 'node:assert';
import { TestGateway } from './helpers/gateway';

describe('gateway: explaining refreshes before and after CREATE', () => {
  let gw: TestGateway;
  before(async () => {
    gw = await TestGateway.start();
    await gw.sql(`CREATE TABLE orders (id INTEGER PRIMARY KEY, customer TEXT, amount REAL);
      CREATE TABLE customers (name TEXT PRIMARY KEY, region TEXT)`);
  });
  after(() => gw.close());

  it('EXPLAIN CREATE says what the CREATE would decide, and creates nothing', async () => {
    const [plan] = await gw.sql(`EXPLAIN CREATE DYNAMIC TABLE spend FRESHNESS = INTERVAL '1' HOUR
      AS SELECT customer, SUM(amount) AS total FROM orders GROUP BY customer`);
    const value = (property: string) => plan.rows.find((r: unknown[]) => r[0] === property)?.[1];
    assert.deepEqual(plan.columns, ['property', 'value']);
    assert.equal(value('table'), 'default.main.spend');
    assert.equal(value('exists'), 'no');
    assert.equal(value('refresh mode'), 'FULL');
    assert.equal(value('schedule'), '0 0 0/1 * * ? * (embedded scheduler)');
    assert.equal(value('source tables'), 'default.main.orders');
    assert.equal(value('incremental'), 'eligible (aggregate)');
    assert.match(value('detail'), /every refresh recomputes the whole table/);
    assert.equal((await gw.request('GET', '/v3/dynamic-tables/spend')).status, 404, 'nothing was created');
  });

  it('names why a query cannot be maintained incrementally, in EXPLAIN, DESCRIBE and GET', async () => {
    const query = `SELECT o.id, c.region FROM orders o LEFT JOIN customers c ON c.name = o.customer`;
    const [plan] = await gw.sql(`EXPLAIN CREATE DYNAMIC TABLE regions AS ${query}`);
    assert.equal(plan.rows.find((r: unknown[]) => r[0] === 'incremental')[1], 'not eligible: OUTER_JOIN_NOT_SUPPORTED');
    await gw.sql(`CREATE DYNAMIC TABLE regions AS ${query}`);
    const detail = await gw.table('regions');
    assert.equal(detail.incremental.eligible, false);
    assert.equal(detail.incremental.reason, 'OUTER_JOIN_NOT_SUPPORTED');
    assert.equal(detail.incremental.applied, 'FULL');
    const [described] = await gw.sql('DESCRIBE DYNAMIC TABLE regions');
    assert.match(described.message, /incremental: no \(OUTER_JOIN_NOT_SUPPORTED\)/);
  });

  it("refuses 'refresh.strategy' = 'incremental' with the reason, and rejects unknown strategies", async () => {
    const outer = await gw.sqlError(`CREATE DYNAMIC TABLE r WITH ('refresh.strategy' = 'incremental')
      AS SELECT o.id FROM orders o LEFT JOIN customers c ON c.name = o.customer`);
    assert.equal(outer.status, 400);
    assert.match(outer.error.message, /cannot \(OUTER_JOIN_NOT_SUPPORTED\)/);
    await gw.sql(
      `CREATE DYNAMIC TABLE eligible WITH ('refresh.strategy' = 'incremental') AS SELECT id FROM orders WHERE amount > 1`,
    );
    assert.equal((await gw.table('eligible')).incremental.applied, 'INCREMENTAL');
    const unknown = await gw.sqlError(
      `CREATE DYNAMIC TABLE r WITH ('refresh.strategy' = 'sometimes') AS SELECT id FROM orders`,
    );
    assert.match(unknown.error.message, /must be one of auto, incremental, full/);
    await gw.sql(`CREATE DYNAMIC TABLE r WITH ('refresh.strategy' = 'full') AS SELECT id FROM orders`);
  });
});
