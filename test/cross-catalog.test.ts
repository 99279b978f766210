import { strict as assert } from 'node:assert';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import knexFactory from 'knex';
import { createDatabase, type ThrowawayDatabase } from './helpers/databases';
import { TestGateway } from './helpers/gateway';
import { startGatewayProcess, type GatewayProcess } from './helpers/gateway-process';

describe('dynamic tables fed from another catalog (PostgreSQL → SQLite)', function () {
  this.timeout(60_000);
  let pg: ThrowawayDatabase;
  let gw: TestGateway;
  const inWarehouse = (statement: string) => gw.request('POST', '/v3/statements', { statement, catalog: 'warehouse' });

  before(async () => {
    pg = await createDatabase('postgres');
    gw = await TestGateway.start({ catalogs: { warehouse: { url: pg.url } } });
    const res =
      await inWarehouse(`CREATE TABLE orders (id integer PRIMARY KEY, day date NOT NULL, customer text, amount numeric(10,2));
      INSERT INTO orders VALUES (1, '2024-01-01', 'ada', 10.50), (2, '2024-01-01', 'bob', 7), (3, '2024-01-02', 'ada', 4.25)`);
    assert.equal(res.status, 200, JSON.stringify(res.body));
  });
  after(async () => {
    await gw.close();
    await pg.drop();
  });

  it('copies the query result into the default catalog, with types of its own engine', async () => {
    await gw.sql(`CREATE DYNAMIC TABLE orders_copy WITH ('source.catalog' = 'warehouse') FRESHNESS = INTERVAL '1' HOUR
      AS SELECT id, day::text AS day, customer, amount FROM orders`);
    assert.deepEqual(await gw.rows('SELECT id, day, customer, amount FROM orders_copy ORDER BY id'), [
      [1, '2024-01-01', 'ada', 10.5],
      [2, '2024-01-01', 'bob', 7],
      [3, '2024-01-02', 'ada', 4.25],
    ]);
    const detail = await gw.table('orders_copy');
    assert.equal(detail.options['source.catalog'], 'warehouse');
    assert.deepEqual(
      detail.schema.map((c: any) => c.type),
      ['INTEGER', 'TEXT', 'TEXT', 'NUMERIC'],
    );
    assert.deepEqual(detail.location, { catalog: 'default', database: 'main', table: 'orders_copy', engine: 'sqlite' });
  });

  it("takes the query in the request catalog's names when the table is named into another catalog", async () => {
    const res = await inWarehouse(`CREATE DYNAMIC TABLE default.main.spend FRESHNESS = INTERVAL '1' HOUR
      AS SELECT customer, SUM(amount) AS total FROM orders GROUP BY customer`);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.deepEqual(await gw.rows('SELECT customer, total FROM spend ORDER BY customer'), [
      ['ada', 14.75],
      ['bob', 7],
    ]);
  });

  it('refreshes from the source again, and one partition alone', async () => {
    await gw.sql(`CREATE DYNAMIC TABLE by_day WITH ('source.catalog' = 'warehouse', 'partition.fields.day.date-formatter' = 'yyyy-MM-dd')
      PARTITIONED BY (day) FRESHNESS = INTERVAL '1' DAY AS SELECT day::text AS day, id, amount FROM orders`);
    await inWarehouse(`INSERT INTO orders VALUES (4, '2024-01-02', 'cyd', 1), (5, '2024-01-01', 'dan', 2)`);
    const res = await gw.refresh({ tables: 'by_day', scheduleTime: '2024-01-03 00:00:00', isPeriodic: true }, 30);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.deepEqual(res.body.job.tables[0].partition, { day: '2024-01-02' });
    assert.deepEqual(
      await gw.rows('SELECT day, count(*) FROM by_day GROUP BY day ORDER BY day'),
      [
        ['2024-01-01', 2],
        ['2024-01-02', 2],
      ],
      'only the 2024-01-02 partition was rewritten: the new 2024-01-01 order is not in yet',
    );
    const full = await gw.refresh({ tables: 'orders_copy' }, 30);
    assert.equal(full.body.job.tables[0].rowsWritten, 5);
  });

  it('refuses to drop a source table through the gateway, and keeps the old rows when it goes away behind its back', async () => {
    const refused = await inWarehouse('DROP TABLE orders');
    assert.equal(refused.status, 409);
    assert.match(refused.body.error.message, /default\.main\.orders_copy/);
    const direct = knexFactory({ client: 'pg', connection: pg.url });
    await direct.raw('DROP TABLE orders');
    await direct.destroy();
    const res = await gw.refresh({ tables: 'orders_copy' }, 30);
    assert.equal(res.status, 500);
    assert.match(res.body.job.tables[0].error, /orders/);
    assert.equal((await gw.rows('SELECT count(*) FROM orders_copy'))[0]![0], 5);
  });
});

describe('a 5,000,000-row copy between catalogs', function () {
  this.timeout(600_000);
  let pg: ThrowawayDatabase;
  let dataDir: string;
  let child: GatewayProcess | undefined;
  const post = async (route: string, body: unknown) => {
    const res = await fetch(`${child!.url}${route}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as any };
  };

  before(async () => {
    pg = await createDatabase('postgres');
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'freshet-copy-'));
  });
  after(async () => {
    child?.process.kill('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
    await pg.drop();
  });

  it("streams the rows with the gateway's memory bounded (RSS under 300 MB)", async () => {
    child = await startGatewayProcess({
      env: {
        FRESHET_DATA_DIR: dataDir,
        FRESHET_LOG_LEVEL: 'silent',
        FRESHET_CATALOGS: JSON.stringify({ warehouse: { url: pg.url } }),
      },
    });
    const made = await post('/v3/statements', {
      catalog: 'warehouse',
      statement: `CREATE TABLE events AS SELECT g AS id, g % 1000 AS grp, 'event-' || g AS label FROM generate_series(1, 5000000) AS g`,
    });
    assert.equal(made.status, 200, JSON.stringify(made.body));
    const created = await post('/v3/statements', {
      statement: `CREATE DYNAMIC TABLE events_copy WITH ('source.catalog' = 'warehouse', 'initialize' = 'on_schedule')
        FRESHNESS = INTERVAL '1' HOUR AS SELECT id, grp, label FROM events`,
    });
    assert.equal(created.status, 200, JSON.stringify(created.body));

    const rssMb = () => {
      const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${child!.process.pid}/status`, 'utf8'));
      return match ? Number(match[1]) / 1024 : 0;
    };
    const idle = rssMb();
    let peak = idle;
    const sampler = setInterval(() => (peak = Math.max(peak, rssMb())), 50);
    const started = Date.now();
    try {
      const res = await post('/v3/dynamic-tables/refresh?wait=580', { tables: 'events_copy' });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.equal(res.body.job.tables[0].rowsWritten, 5_000_000);
    } finally {
      clearInterval(sampler);
    }
    const seconds = (Date.now() - started) / 1000;
    const count = await post('/v3/statements', { statement: 'SELECT count(*), max(id) FROM events_copy' });
    assert.deepEqual(count.body.results[0].rows, [[5_000_000, 5_000_000]]);
    process.stdout.write(
      `      copied 5,000,000 rows in ${seconds.toFixed(1)} s (${Math.round(5_000_000 / seconds).toLocaleString('en-US')} rows/s), RSS ${idle.toFixed(0)} MB idle, ${peak.toFixed(0)} MB at peak\n`,
    );
    assert.ok(peak < 300, `peak RSS ${peak.toFixed(0)} MB`);
  });
});
