/**
 * Cascades keep their state in the catalog, so every gateway on a shared catalog sees them; and each table
 * suspended or resumed with another gets a log line of its own.
 */
import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadConfig } from '../src/config/config';
import { startGateway } from '../src/gateway';
import { createLogger } from '../src/logger';
import { createDatabase, type ThrowawayDatabase } from './helpers/databases';
import { TestGateway } from './helpers/gateway';
import { eventually, sleep } from './helpers/wait';

const status = async (gw: TestGateway, name: string) => {
  const t = await gw.table(name);
  return t.suspendedReason ? `${t.refreshStatus} ${t.suspendedReason}` : t.refreshStatus;
};

async function assertNoDrift(gw: TestGateway): Promise<void> {
  const { body } = await gw.request('GET', '/v3/scheduler/drift');
  assert.deepEqual([body.missing, body.wronglyPaused, body.errors], [[], [], []], JSON.stringify(body));
}

describe('cascades on a catalog shared by two gateways (PostgreSQL)', function () {
  this.timeout(60_000);
  let catalog: ThrowawayDatabase;
  let engine: ThrowawayDatabase;
  let one: TestGateway;
  let two: TestGateway;

  before(async () => {
    catalog = await createDatabase('postgres');
    engine = await createDatabase('postgres');
    const shared = { catalog: { url: catalog.url }, catalogs: { default: { url: engine.url } } };
    one = await TestGateway.start(shared);
    two = await TestGateway.start(shared);
  });
  after(async () => {
    await one.close();
    await two.close();
    await catalog.drop();
    await engine.drop();
  });

  it('suspends on one gateway what the other created, and resumes it from the other', async () => {
    await one.sql(`CREATE TABLE orders (id INTEGER, amount INTEGER); INSERT INTO orders VALUES (1, 10)`);
    await one.sql(`CREATE DYNAMIC TABLE a FRESHNESS = INTERVAL '1' HOUR AS SELECT id, amount FROM orders`);
    await one.sql(`CREATE DYNAMIC TABLE b FRESHNESS = INTERVAL '1' SECOND REFRESH_MODE = CONTINUOUS
      AS SELECT SUM(amount) AS total FROM a`);
    const [suspended] = await two.sql('ALTER DYNAMIC TABLE a SUSPEND');
    assert.match(suspended.message, /suspended with it \(UPSTREAM_SUSPENDED\): \S+\.b\.$/);
    // A gateway trusts a table record it read from a shared catalog for up to a second.
    await eventually(async () => (await status(one, 'b')) === 'SUSPENDED UPSTREAM_SUSPENDED');
    await assertNoDrift(one);
    const count = (await one.refreshes('b')).length;
    await sleep(2500);
    assert.equal((await one.refreshes('b')).length, count, 'no gateway refreshes the continuous table');
    const refused = await one.sqlError('ALTER DYNAMIC TABLE b RESUME');
    assert.equal(refused.status, 409);
    assert.match(refused.error.message, /resume \S+\.a first\.$/);
    const [resumed] = await one.sql('ALTER DYNAMIC TABLE a RESUME');
    assert.match(resumed.message, /resumed with it: \S+\.b\.$/);
    await eventually(async () => (await status(two, 'b')) === 'ACTIVATED');
    await assertNoDrift(two);
    await eventually(async () => (await two.refreshes('b')).length > count, 20_000);
  });
});

describe('cascade log lines', () => {
  it('logs one line per table suspended or resumed with another', async () => {
    const dataDir = mkdtempSync(path.join(os.tmpdir(), 'freshet-cascade-logs-'));
    const config = loadConfig({ env: {}, overrides: { dataDir, server: { port: 0 }, logLevel: 'info' } });
    const lines: string[] = [];
    const gateway = await startGateway(
      config,
      createLogger('info', (l) => lines.push(l), 'json'),
    );
    const sql = async (statement: string) => {
      const res = await fetch(`${gateway.url}/v3/statements`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ statement }),
      });
      assert.equal(res.status, 200, await res.clone().text());
    };
    try {
      await sql(`CREATE TABLE src (v INTEGER); INSERT INTO src VALUES (1)`);
      await sql(`CREATE DYNAMIC TABLE a FRESHNESS = INTERVAL '1' HOUR AS SELECT v FROM src`);
      await sql(`CREATE DYNAMIC TABLE b FRESHNESS = INTERVAL '1' HOUR AS SELECT v FROM a`);
      await sql(`CREATE DYNAMIC TABLE c FRESHNESS = INTERVAL '1' HOUR AS SELECT v FROM b`);
      await sql('ALTER DYNAMIC TABLE a SUSPEND');
      await sql('ALTER DYNAMIC TABLE a RESUME');
      const cascade = lines
        .map((l) => JSON.parse(l))
        .filter((l) => /with a table it reads/.test(l.msg ?? l.message))
        .map((l) => [l.msg ?? l.message, l.table, l.upstream, l.reason ?? null]);
      assert.deepEqual(cascade, [
        ['dynamic table suspended with a table it reads', 'default.main.b', 'default.main.a', 'UPSTREAM_SUSPENDED'],
        ['dynamic table suspended with a table it reads', 'default.main.c', 'default.main.a', 'UPSTREAM_SUSPENDED'],
        ['dynamic table resumed with a table it reads', 'default.main.b', 'default.main.a', null],
        ['dynamic table resumed with a table it reads', 'default.main.c', 'default.main.a', null],
      ]);
    } finally {
      await gateway.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
