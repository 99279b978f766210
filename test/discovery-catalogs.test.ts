import { strict as assert } from 'node:assert';
import { createDatabase, type ThrowawayDatabase } from './helpers/databases';
import { TestGateway } from './helpers/gateway';
import { waitUntil } from './helpers/wait';

describe('the catalogs discoverer, on by default', function () {
  this.timeout(120_000);
  let gw: TestGateway;
  let pg: ThrowawayDatabase;
  const ids = async () =>
    ((await gw.request('GET', '/v3/datasets')).body.datasets as Array<{ id: string }>).map((d) => d.id);

  before(async () => {
    pg = await createDatabase('postgres');
    gw = await TestGateway.start({ catalogs: { pg: { url: pg.url } }, discovery: { firstRunSeconds: 1 } });
    await gw.sql(`CREATE TABLE trips (id INTEGER PRIMARY KEY, city TEXT, km REAL, started_at TIMESTAMP);
      INSERT INTO trips VALUES (1, 'Oslo', 3.5, '2024-05-01 08:00:00'), (2, 'Oslo', 7.25, '2024-05-01 09:00:00'),
        (3, 'Lima', 1.0, '2024-05-02 08:00:00');
      CREATE DYNAMIC TABLE km_by_city COMMENT 'kilometres travelled per city' FRESHNESS = INTERVAL '1' HOUR
        REFRESH_MODE = FULL AS SELECT city, SUM(km) AS km FROM trips GROUP BY city`);
    await gw.sql('CREATE TABLE stations (code VARCHAR(8), lat DOUBLE PRECISION)');
    await gw.request('POST', '/v3/statements', {
      statement:
        "CREATE TABLE stations (code VARCHAR(8), lat DOUBLE PRECISION); INSERT INTO stations VALUES ('OSL', 59.9)",
      catalog: 'pg',
    });
  });

  after(async () => {
    await gw.close();
    await pg.drop();
  });

  it('runs on its own shortly after start, listing every table of every catalog', async () => {
    const discoverers = (await gw.request('GET', '/v3/discoverers')).body.discoverers;
    assert.deepEqual(
      discoverers.map((d: { id: string }) => d.id),
      ['catalogs'],
    );
    await waitUntil(async () => (await ids()).includes('catalogs:pg.public.stations'), { what: 'the first run' });
    const run = await gw.request('POST', '/v3/discoverers/catalogs/run');
    assert.equal(run.body.error, null);
    assert.deepEqual((await ids()).sort(), [
      'catalogs:default.main.km_by_city',
      'catalogs:default.main.stations',
      'catalogs:default.main.trips',
      'catalogs:pg.public.stations',
    ]);
  });

  it('describes tables with columns and row counts, dynamic tables with their comment and query', async () => {
    await gw.gateway.discovery.idle();
    const trips = (await gw.request('GET', `/v3/datasets/${encodeURIComponent('catalogs:default.main.trips')}`)).body;
    assert.equal(trips.kind, 'source');
    assert.equal(trips.rowCount, 3);
    assert.deepEqual(
      trips.columns.map((c: { name: string; type: string }) => [c.name, c.type]),
      [
        ['id', 'INTEGER'],
        ['city', 'TEXT'],
        ['km', 'REAL'],
        ['started_at', 'TIMESTAMP'],
      ],
    );
    assert.deepEqual(trips.lineage.downstream, ['default.main.km_by_city']);
    const dynamic = (await gw.request('GET', `/v3/datasets/${encodeURIComponent('catalogs:default.main.km_by_city')}`))
      .body;
    assert.equal(dynamic.kind, 'dynamic_table');
    assert.equal(dynamic.description, 'kilometres travelled per city');
    assert.equal(dynamic.status, 'profiled');
    assert.equal(typeof dynamic.freshness, 'string');
    const pgStations = (await gw.request('GET', `/v3/datasets/${encodeURIComponent('catalogs:pg.public.stations')}`))
      .body;
    assert.equal(pgStations.rowCount, 1);
    assert.equal(pgStations.columns[1].semanticType, 'latitude');
  });

  it('finds tables by catalog, by the text of a query, and dynamic tables by freshness state', async () => {
    const search = async (body: unknown) =>
      ((await gw.request('POST', '/v3/datasets/search', body)).body.results as Array<{ id: string }>).map((r) => r.id);
    assert.deepEqual(await search({ catalog: 'PG' }), ['catalogs:pg.public.stations']);
    assert.deepEqual(await search({ keywords: 'kilometres' }), ['catalogs:default.main.km_by_city']);
    assert.deepEqual(await search({ freshness: ['FRESH', 'WARN', 'STALE', 'UNKNOWN', 'PAUSED'] }), [
      'catalogs:default.main.km_by_city',
    ]);
    assert.deepEqual(await search({ temporal: { start: '2024-05-02', end: '2024-05-03' } }), [
      'catalogs:default.main.trips',
    ]);
  });

  it('removes the dataset of a table dropped since', async () => {
    await gw.sql('DROP TABLE stations');
    const run = await gw.request('POST', '/v3/discoverers/catalogs/run');
    assert.equal(run.body.removed, 1);
    assert.equal((await ids()).includes('catalogs:default.main.stations'), false);
  });

  it('rebuilds its search index from the catalog at start', async () => {
    gw = await gw.restart();
    const res = await gw.request('POST', '/v3/datasets/search', { keywords: 'kilometres' });
    assert.deepEqual(
      res.body.results.map((r: { id: string }) => r.id),
      ['catalogs:default.main.km_by_city'],
    );
    assert.equal(res.body.results[0].status, 'profiled');
  });
});
