import { strict as assert } from 'node:assert';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { TestGateway } from './helpers/gateway';

/** A folder of CSV and NDJSON files, as a data portal would drop them. */
function writeFolder(folder: string): void {
  mkdirSync(path.join(folder, 'weather'), { recursive: true });
  const rain = ['day;station;rain_mm;lat;lon'];
  for (let i = 0; i < 60; i++) {
    const day = new Date(Date.UTC(2023, 0, 1 + i)).toISOString().slice(0, 10);
    rain.push(`${day};${['Oslo', 'Bergen'][i % 2]};${(i * 1.7) % 13};${59.9 + (i % 2) * 0.5};${10.7 - (i % 2) * 5.4}`);
  }
  writeFileSync(path.join(folder, 'weather', 'rain.csv'), `${rain.join('\n')}\n`);
  const sales = ['order_id,region,amount,ordered_at'];
  for (let i = 1; i <= 200; i++) {
    const at = new Date(Date.UTC(2024, 2, 1, i % 24, 0, 0) + Math.floor(i / 24) * 86_400_000).toISOString();
    sales.push(`${i},${['north', 'south', 'east', 'west'][i % 4]},${(i * 3.25).toFixed(2)},${at}`);
  }
  writeFileSync(path.join(folder, 'sales.csv'), `${sales.join('\r\n')}\r\n`);
  const events = Array.from({ length: 40 }, (_, i) =>
    JSON.stringify({
      event_id: `e-${i}`,
      kind: i % 3 === 0 ? 'click' : 'view',
      at: `2024-06-${String((i % 28) + 1).padStart(2, '0')}T12:${String(i % 60).padStart(2, '0')}:00Z`,
      detail: { page: i },
    }),
  );
  writeFileSync(path.join(folder, 'events.ndjson'), `${events.join('\n')}\n`);
  writeFileSync(path.join(folder, 'readings.csv'), '1,2.5\n2,3.5\n3,4.5\n');
  writeFileSync(path.join(folder, 'nothing.csv'), 'a,b\n');
  writeFileSync(path.join(folder, 'broken.csv'), 'x,y\n1,2\n3,4\n5,6,7\n8,9\n');
}

describe('discovery of a folder of files, through REST and SQL', function () {
  this.timeout(120_000);
  const folder = mkdtempSync(path.join(os.tmpdir(), 'freshet-files-'));
  let gw: TestGateway;
  const post = (route: string, body?: unknown) => gw.request('POST', route, body ?? {});
  const get = (route: string) => gw.request('GET', route);
  const search = async (body: unknown) => {
    const res = await post('/v3/datasets/search', body);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    return (res.body.results as Array<{ id: string }>).map((r) => r.id);
  };
  const dataset = (id: string) => get(`/v3/datasets/${encodeURIComponent(id)}`);

  before(async () => {
    writeFolder(folder);
    gw = await TestGateway.start({
      discovery: {
        discoverers: [
          { type: 'catalogs', schedule: 'manual' },
          { type: 'files', options: { folders: [folder] }, schedule: 'manual' },
        ],
      },
    });
    const run = await post('/v3/discoverers/files/run');
    assert.equal(run.status, 200, JSON.stringify(run.body));
    assert.equal(run.body.published, 6);
    assert.equal(run.body.error, null);
    await gw.gateway.discovery.idle();
  });

  after(async () => {
    await gw.close();
    rmSync(folder, { recursive: true, force: true });
  });

  it('lists every file as a dataset, profiled', async () => {
    const res = await get('/v3/datasets?kind=file');
    assert.equal(res.status, 200);
    const byId = new Map((res.body.datasets as Array<{ id: string; status: string }>).map((d) => [d.id, d]));
    assert.deepEqual([...byId.keys()].sort(), [
      'files:broken.csv',
      'files:events.ndjson',
      'files:nothing.csv',
      'files:readings.csv',
      'files:sales.csv',
      'files:weather/rain.csv',
    ]);
    assert.equal(byId.get('files:sales.csv')?.status, 'profiled');
    assert.equal(byId.get('files:nothing.csv')?.status, 'empty');
    assert.equal(byId.get('files:broken.csv')?.status, 'error');
  });

  it('sniffs delimiters and headers and profiles the columns with semantic types', async () => {
    const rain = (await dataset('files:weather/rain.csv')).body;
    assert.equal(rain.rowCount, 60);
    assert.deepEqual(
      rain.columns.map((c: { name: string; semanticType: string }) => [c.name, c.semanticType]),
      [
        ['day', 'datetime'],
        ['station', 'categorical'],
        ['rain_mm', 'float'],
        ['lat', 'latitude'],
        ['lon', 'longitude'],
      ],
    );
    assert.deepEqual(rain.temporalCoverage, [
      { column: 'day', start: '2023-01-01T00:00:00.000Z', end: '2023-03-01T00:00:00.000Z', resolution: 'day' },
    ]);
    const sales = (await dataset('files:sales.csv')).body;
    const orderedAt = sales.profile.profile.columns.find((c: { name: string }) => c.name === 'ordered_at');
    assert.equal(orderedAt.temporalCoverage.resolution, 'hour');
    assert.equal(sales.profile.profile.columns[0].semanticType, 'identifier');
    const readings = (await dataset('files:readings.csv')).body;
    assert.deepEqual(
      readings.columns.map((c: { name: string }) => c.name),
      ['column_1', 'column_2'],
    );
    assert.equal(readings.rowCount, 3);
    const events = (await dataset('files:events.ndjson')).body;
    assert.deepEqual(
      events.columns.map((c: { name: string; semanticType: string }) => [c.name, c.semanticType]),
      [
        ['event_id', 'identifier'],
        ['kind', 'categorical'],
        ['at', 'datetime'],
        ['detail', 'text'],
      ],
    );
  });

  it('finds datasets by keyword, column, type, time range and kind', async () => {
    assert.equal((await search({ keywords: 'rain' }))[0], 'files:weather/rain.csv');
    assert.equal((await search({ keywords: 'weather' }))[0], 'files:weather/rain.csv');
    assert.deepEqual(await search({ columns: ['REGION'] }), ['files:sales.csv']);
    assert.deepEqual(await search({ types: ['latitude', 'datetime'] }), ['files:weather/rain.csv']);
    assert.deepEqual(await search({ temporal: { start: '2024-01-01', end: '2024-12-31T23:59:59Z' } }), [
      'files:events.ndjson',
      'files:sales.csv',
    ]);
    assert.deepEqual(await search({ temporal: { start: '2022-01-01', end: '2023-01-15' } }), [
      'files:weather/rain.csv',
    ]);
    assert.deepEqual(await search({ keywords: 'sales', kind: 'source' }), []);
    const page = await post('/v3/datasets/search', { kind: 'file', size: 2, page: 2 });
    assert.equal(page.body.total, 6);
    assert.equal(page.body.results.length, 2);
  });

  it('keeps the time series of profiles and profiles again on request', async () => {
    const before = await get(`/v3/datasets/${encodeURIComponent('files:sales.csv')}/profiles?limit=10`);
    assert.equal(before.body.profiles.length, 1);
    const again = await post(`/v3/datasets/${encodeURIComponent('files:sales.csv')}/profile`);
    assert.equal(again.status, 200, JSON.stringify(again.body));
    assert.equal(again.body.trigger, 'request');
    const after = await get(`/v3/datasets/${encodeURIComponent('files:sales.csv')}/profiles?limit=1`);
    assert.equal(after.body.profiles.length, 1);
    assert.equal(after.body.profiles[0].id, again.body.id);
  });

  it('does not profile an unchanged file again, and removes a file no longer there', async () => {
    writeFileSync(path.join(folder, 'gone.csv'), 'k,v\n1,2\n');
    await post('/v3/discoverers/files/run');
    await gw.gateway.discovery.idle();
    const profiles = async () =>
      (await get(`/v3/datasets/${encodeURIComponent('files:readings.csv')}/profiles`)).body.profiles.length;
    assert.equal(await profiles(), 1);
    rmSync(path.join(folder, 'gone.csv'));
    const run = await post('/v3/discoverers/files/run');
    await gw.gateway.discovery.idle();
    assert.equal(run.body.removed, 1);
    assert.equal(await profiles(), 1);
    assert.equal((await dataset('files:gone.csv')).status, 404);
  });

  it('records a profile that failed, with the line, and does not retry it until the file changes', async () => {
    const errors = (await get(`/v3/discovery/errors?dataset=${encodeURIComponent('files:broken.csv')}`)).body.errors;
    assert.equal(errors.length, 1);
    assert.equal(errors[0].stage, 'profile');
    assert.match(errors[0].message, /line 4/);
    await post('/v3/discoverers/files/run');
    await gw.gateway.discovery.idle();
    const again = (await get(`/v3/discovery/errors?dataset=${encodeURIComponent('files:broken.csv')}`)).body.errors;
    assert.equal(again[0].occurrences, 1);
  });

  it('materialises a file into a source table a dynamic table reads, refusing a malformed one atomically', async () => {
    const loaded = await post(`/v3/datasets/${encodeURIComponent('files:sales.csv')}/materialize`, {});
    assert.equal(loaded.status, 200, JSON.stringify(loaded.body));
    assert.equal(loaded.body.table, 'default.main.sales');
    assert.equal(loaded.body.rows, 200);
    assert.equal(loaded.body.sourceDataset, 'catalogs:default.main.sales');
    const twice = await post(`/v3/datasets/${encodeURIComponent('files:sales.csv')}/materialize`, {});
    assert.equal(twice.status, 409);
    assert.equal(twice.body.error.code, 'ALREADY_EXISTS');
    await gw.sql(`CREATE DYNAMIC TABLE sales_by_region FRESHNESS = INTERVAL '1' HOUR REFRESH_MODE = FULL
      AS SELECT region, COUNT(*) AS orders, SUM(amount) AS total FROM sales GROUP BY region`);
    assert.deepEqual(await gw.rows('SELECT region, orders FROM sales_by_region ORDER BY region'), [
      ['east', 50],
      ['north', 50],
      ['south', 50],
      ['west', 50],
    ]);
    const broken = await post(`/v3/datasets/${encodeURIComponent('files:broken.csv')}/materialize`, {
      table: 'broken',
    });
    assert.equal(broken.status, 400);
    assert.equal(broken.body.error.code, 'VALIDATION_ERROR');
    assert.equal(broken.body.error.line, 4);
    const tables = await gw.rows("SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'broken%'");
    assert.deepEqual(tables, []);
  });

  it('profiles a dynamic table after each refresh', async () => {
    const id = 'catalogs:default.main.sales_by_region';
    const profiles = async () => {
      const res = await get(`/v3/datasets/${encodeURIComponent(id)}/profiles?limit=100`);
      return res.status === 200 ? (res.body.profiles as Array<{ rowCount: number; trigger: string }>) : [];
    };
    await gw.gateway.discovery.idle();
    const first = await profiles();
    assert.ok(first.length >= 1, 'the first refresh was profiled');
    assert.equal((await dataset(id)).body.kind, 'dynamic_table');
    await gw.sql("INSERT INTO sales VALUES (201, 'central', 10.5, '2024-03-20 10:00:00')");
    const refreshed = await gw.refresh({ tables: 'sales_by_region' }, 60);
    assert.equal(refreshed.status, 200);
    await gw.gateway.discovery.idle();
    const second = await profiles();
    assert.equal(second.length, first.length + 1);
    assert.equal(second[0]?.rowCount, 5);
    assert.equal(second[0]?.trigger, 'refresh');
    const detail = (await dataset(id)).body;
    assert.deepEqual(detail.lineage.upstream, ['default.main.sales']);
    assert.match(detail.queryText, /GROUP BY region/);
  });

  it('answers SHOW DATASETS, DESCRIBE DATASET and SEARCH DATASETS', async () => {
    const [shown] = await gw.sql("SHOW DATASETS LIKE 'sal%'");
    assert.deepEqual(
      shown.rows.map((r: unknown[]) => r[0]),
      ['catalogs:default.main.sales', 'files:sales.csv', 'catalogs:default.main.sales_by_region'],
    );
    const [described] = await gw.sql("DESCRIBE DATASET 'files:weather/rain.csv'");
    assert.deepEqual(described.columns.slice(0, 3), ['name', 'type', 'semantic_type']);
    assert.deepEqual(described.rows[3].slice(0, 3), ['lat', 'float', 'latitude']);
    assert.match(described.message, /60 rows/);
    assert.match(described.message, /day 2023-01-01T00:00:00.000Z to 2023-03-01T00:00:00.000Z by day/);
    const [byName] = await gw.sql('DESCRIBE DATASET sales_by_region');
    assert.match(byName.message, /^catalogs:default.main.sales_by_region: dynamic table/);
    const [found] = await gw.sql("SEARCH DATASETS 'rain'");
    assert.equal(found.rows[0][0], 'files:weather/rain.csv');
    const missing = await gw.sqlError("DESCRIBE DATASET 'files:nope.csv'");
    assert.equal(missing.status, 404);
  });

  it('answers mistakes with 4xx and a code', async () => {
    assert.equal((await dataset('files:nope.csv')).body.error.code, 'NOT_FOUND');
    const badSearch = await post('/v3/datasets/search', { types: ['colour'] });
    assert.equal(badSearch.status, 400);
    assert.equal(badSearch.body.error.code, 'VALIDATION_ERROR');
    const run = await post('/v3/discoverers/nope/run');
    assert.equal(run.status, 404);
    const table = await post(`/v3/datasets/${encodeURIComponent('catalogs:default.main.sales')}/materialize`);
    assert.equal(table.body.error.code, 'INVALID_STATE');
    const partition = await post(`/v3/datasets/${encodeURIComponent('catalogs:default.main.sales')}/profile`, {
      partition: { colour: 'red' },
    });
    assert.equal(partition.status, 400);
  });
});
