import { strict as assert } from 'node:assert';
import { TestGateway } from './helpers/gateway';

describe('gateway with several catalogs', () => {
  let gw: TestGateway;
  const inLake = (statement: string) => gw.request('POST', '/v3/statements', { statement, catalog: 'lake' });

  before(async () => {
    gw = await TestGateway.start({ catalogs: { lake: { url: 'sqlite:lake.db' } } });
    await gw.sql(`CREATE TABLE orders (id INTEGER, amount REAL); INSERT INTO orders VALUES (1, 5), (2, 7)`);
    const res = await inLake(
      `CREATE TABLE events (id INTEGER, kind TEXT); INSERT INTO events VALUES (1, 'click'), (2, 'view'), (3, 'click')`,
    );
    assert.equal(res.status, 200, JSON.stringify(res.body));
  });
  after(() => gw.close());

  it('creates dynamic tables in any catalog, named catalog.database.table, and says where each lives', async () => {
    assert.equal(
      (await inLake('CREATE DYNAMIC TABLE clicks AS SELECT kind, COUNT(*) AS n FROM events GROUP BY kind')).status,
      200,
    );
    await gw.sql('CREATE DYNAMIC TABLE spend AS SELECT SUM(amount) AS total FROM orders');
    const rows = await inLake('SELECT kind, n FROM clicks ORDER BY kind');
    assert.deepEqual(rows.body.results[0].rows, [
      ['click', 2],
      ['view', 1],
    ]);
    const detail = await gw.table('lake.main.clicks');
    assert.deepEqual(detail.location, { catalog: 'lake', database: 'main', table: 'clicks', engine: 'sqlite' });
    const [show] = await gw.sql('SHOW DYNAMIC TABLES');
    assert.deepEqual(
      show.rows.map((r: unknown[]) => [r[0], r[show.columns.indexOf('engine')]]),
      [
        ['default.main.spend', 'sqlite'],
        ['lake.main.clicks', 'sqlite'],
      ],
    );
    const described = await inLake('DESCRIBE DYNAMIC TABLE clicks');
    assert.match(described.body.results[0].message, /^lake\.main\.clicks \(sqlite\)/);
  });

  it('resolves unqualified names in the catalog a request names, and refuses unknown catalogs', async () => {
    const missing = await gw.sqlError('SELECT * FROM events');
    assert.match(missing.error.message, /no such table: events/, 'events lives in lake, not in the default catalog');
    const res = await gw.request('POST', '/v3/statements', { statement: 'SELECT 1', catalog: 'nowhere' });
    assert.equal(res.status, 404);
    assert.match(res.body.error.message, /Catalog 'nowhere' does not exist; the catalogs are 'default', 'lake'/);
    const badName = await gw.sqlError('DROP DYNAMIC TABLE nowhere.main.t');
    assert.equal(badName.status, 404);
  });

  it('refuses a query that names a catalog other than the one it runs on, saying how to write it', async () => {
    const { status, error } = await gw.sqlError('CREATE DYNAMIC TABLE mixed AS SELECT * FROM lake.main.events');
    assert.equal(status, 400);
    assert.match(error.message, /reads lake\.main\.events from catalog 'lake', but it runs on catalog 'default'/);
    assert.match(error.message, /WITH \('source\.catalog' = 'lake'\)/);
  });

  it('refreshes tables of different catalogs in one callback', async () => {
    await inLake(`INSERT INTO events VALUES (4, 'view')`);
    const res = await gw.refresh({ tables: ['lake.main.clicks', 'spend'] }, 10);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    const rows = await inLake("SELECT n FROM clicks WHERE kind = 'view'");
    assert.deepEqual(rows.body.results[0].rows, [[2]]);
  });
});
