import { strict as assert } from 'node:assert';
import { TestGateway } from './helpers/gateway';
import { eventually, sleep } from './helpers/wait';

const SOURCE = `CREATE TABLE src (v INTEGER); INSERT INTO src VALUES (1), (2)`;

describe('gateway: embedded scheduler and continuous refresh', function () {
  this.timeout(30_000);
  let gw: TestGateway;
  beforeEach(async () => {
    gw = await TestGateway.start();
    await gw.sql(SOURCE);
  });
  afterEach(() => gw.close());

  it('fires FULL tables on their CRON through the refresh path (trigger SCHEDULED)', async () => {
    await gw.sql(`CREATE DYNAMIC TABLE every_second FRESHNESS = INTERVAL '1' SECOND REFRESH_MODE = FULL
      AS SELECT SUM(v) AS total FROM src`);
    await gw.sql('INSERT INTO src VALUES (10)');
    const scheduled = await eventually(
      async () =>
        (await gw.refreshes('every_second')).filter((r) => r.trigger === 'SCHEDULED' && r.state === 'SUCCEEDED')
          .length >= 2 && (await gw.refreshes('every_second')),
    );
    const ticks = scheduled.filter((r: any) => r.trigger === 'SCHEDULED').map((r: any) => Date.parse(r.scheduleTime));
    assert.ok(
      ticks.every((t: number) => t % 1000 === 0),
      'schedule times are whole-second CRON ticks',
    );
    assert.deepEqual(await gw.rows('SELECT total FROM every_second'), [[13]]);
  });

  it('stops firing while suspended and fires again after RESUME', async () => {
    await gw.sql(
      `CREATE DYNAMIC TABLE t WITH ('initialize' = 'on_schedule') FRESHNESS = INTERVAL '1' SECOND REFRESH_MODE = FULL AS SELECT v FROM src`,
    );
    await eventually(async () => (await gw.refreshes('t')).length >= 1);
    await gw.sql('ALTER DYNAMIC TABLE t SUSPEND');
    await sleep(300); // let a refresh that was already firing finish
    const before = (await gw.refreshes('t')).length;
    await sleep(2200);
    assert.equal((await gw.refreshes('t')).length, before, 'no refresh while suspended');
    await gw.sql('ALTER DYNAMIC TABLE t RESUME');
    await eventually(async () => (await gw.refreshes('t')).length > before);
  });

  it('runs one catch-up refresh after downtime, not one per missed tick', async () => {
    await gw.sql(
      `CREATE DYNAMIC TABLE t WITH ('initialize' = 'on_schedule') FRESHNESS = INTERVAL '1' SECOND REFRESH_MODE = FULL AS SELECT v FROM src`,
    );
    await eventually(async () => (await gw.refreshes('t')).length >= 1);
    await gw.gateway.close();
    const stoppedAt = Date.now();
    await sleep(3500); // three or four ticks missed
    gw = await TestGateway.start({}, gw.dataDir);
    const restartedAt = Date.now();
    await sleep(400);
    const history = await gw.refreshes('t');
    const missed = history.filter((r: any) => {
      const t = Date.parse(r.scheduleTime);
      return t > stoppedAt && t <= restartedAt;
    });
    assert.equal(missed.length, 1, `one catch-up for the three or four missed ticks, got ${missed.length}`);
    assert.ok(Date.parse(missed[0].scheduleTime) > restartedAt - 1000, 'the catch-up is for the latest missed tick');
  });

  it('keeps CONTINUOUS tables fresh by itself, and SUSPEND stops that', async () => {
    await gw.sql(`CREATE DYNAMIC TABLE live FRESHNESS = INTERVAL '1' SECOND AS SELECT COUNT(*) AS n FROM src`);
    const detail = await gw.table('live');
    assert.equal(detail.refreshMode, 'CONTINUOUS');
    assert.equal(detail.scheduler.handler, null, 'no external workflow');
    await gw.sql('INSERT INTO src VALUES (3)');
    await eventually(async () => JSON.stringify(await gw.rows('SELECT n FROM live')) === '[[3]]');
    const history = await gw.refreshes('live');
    assert.ok(history.some((r: any) => r.trigger === 'CONTINUOUS'));
    await gw.sql('ALTER DYNAMIC TABLE live SUSPEND');
    await sleep(300);
    const count = (await gw.refreshes('live')).length;
    await sleep(2200);
    assert.equal((await gw.refreshes('live')).length, count);
    await gw.sql('ALTER DYNAMIC TABLE live RESUME');
    await eventually(async () => (await gw.refreshes('live')).length > count);
  });

  it('drops a scheduled table without a refresh firing afterwards', async () => {
    await gw.sql(`CREATE DYNAMIC TABLE t FRESHNESS = INTERVAL '1' SECOND REFRESH_MODE = FULL AS SELECT v FROM src`);
    await gw.sql('DROP DYNAMIC TABLE t');
    await sleep(1500);
    assert.equal((await gw.request('GET', '/v3/dynamic-tables/t')).status, 404);
    await gw.sql(`CREATE DYNAMIC TABLE t FRESHNESS = INTERVAL '1' HOUR AS SELECT v FROM src`);
    assert.equal((await gw.refreshes('t')).length, 1, 'a new table with the old name starts with a clean history');
  });
});
