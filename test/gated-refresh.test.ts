/**
 * Gated refreshes (DESIGN.md §10): a periodic refresh of a table with `readiness.sources` runs only once its
 * sources are ready for its window; a dynamic table publishes its own windows, so that the tables reading it can
 * gate on it. Each table has its own DolphinScheduler workflow, fired by the fake as a worker would; the source's
 * provider registers, locks and unlocks partitions through the registry.
 */
import { strict as assert } from 'node:assert';
import * as path from 'node:path';
import { DolphinSchedulerFake } from './fakes/dolphinscheduler-fake';
import { dsOptions } from './fakes/ds-harness';
import { BACKENDS } from './helpers/backends';
import { createDatabase, type ThrowawayDatabase } from './helpers/databases';
import { TestGateway } from './helpers/gateway';
import { sleep, waitUntil } from './helpers/wait';

const PLUGIN_PATH = path.join(__dirname, '..', 'plugins', 'dolphinscheduler');

interface Refresh {
  jobId: string;
  state: string;
  scheduleTime: string;
  startedAt: string | null;
  finishedAt: string | null;
  errorCode: string | null;
  error: string | null;
  actionDetail: string | null;
  waitingOn: { start: string; end: string; sources: Array<{ source: string; gaps: string[][]; locked: unknown[] }> };
}

/** The next whole second after now, past by the time this returns. */
async function passedSecond(): Promise<Date> {
  const tick = new Date(Math.ceil((Date.now() + 1) / 1000) * 1000);
  await sleep(Math.max(0, tick.getTime() - Date.now() + 20));
  return tick;
}

/** A provider's calls to the source registry over REST, with the source's access token as bearer. */
function providerOf(gw: TestGateway, source: string, token: () => string) {
  const call = async (route: string, body: unknown) => {
    const res = await gw.request('POST', route, body, { authorization: `Bearer ${token()}` });
    assert.ok(res.status === 200 || res.status === 201, `${route}: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body;
  };
  return {
    lock: (p: { provider: string; start: string; end: string }) =>
      call(`/v3/sources/${source}/partitions`, { ...p, state: 'locked' }),
    unlock: (p: { provider: string; start: string; end: string }) => call(`/v3/sources/${source}/partitions/unlock`, p),
  };
}

/** Registers a source and its provider over REST; returns the source's access token. */
async function registerSource(gw: TestGateway, name: string, provider: string): Promise<string> {
  const created = await gw.request('POST', '/v3/sources', { name, owner: 'data-team' });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  const { accessToken } = created.body;
  const joined = await gw.request('POST', '/v3/providers', { name: provider, source: name, accessToken });
  assert.equal(joined.status, 201, JSON.stringify(joined.body));
  return accessToken;
}

async function readinessOf(gw: TestGateway, source: string, start: string, end: string): Promise<any> {
  const res = await gw.request('GET', `/v3/sources/${source}/readiness?start=${start}&end=${end}`);
  assert.equal(res.status, 200, JSON.stringify(res.body));
  return res.body;
}

for (const catalog of BACKENDS) {
  describe(`gated refreshes on the ${catalog.name} catalog`, function () {
    this.timeout(60_000);
    let fake: DolphinSchedulerFake;
    let gw: TestGateway;
    let drop: () => Promise<void>;
    let token: string;

    const orders = () => providerOf(gw, 'orders', () => token);
    const codeOf = async (name: string) => Number((await gw.table(name)).scheduler.handler.workflowCode);
    const latest = async (name: string): Promise<Refresh> => (await gw.refreshes(name))[0] as Refresh;
    const windowOf = (tick: Date) => ({
      provider: 'loader',
      start: new Date(tick.getTime() - 1000).toISOString(),
      end: tick.toISOString(),
    });

    before(async () => {
      const started = await catalog.setUp();
      drop = started.drop;
      fake = await DolphinSchedulerFake.start({ version: '3.2' });
      gw = await TestGateway.start({
        ...started.overrides,
        scheduler: { type: PLUGIN_PATH, options: dsOptions(fake, { callbackWaitSeconds: 30, failRetryTimes: 0 }) },
      });
      token = await registerSource(gw, 'orders', 'loader');
      await gw.sql(`CREATE TABLE orders (id INTEGER PRIMARY KEY, amount INTEGER); INSERT INTO orders VALUES (1, 10);
        CREATE DYNAMIC TABLE a WITH ('readiness.sources' = 'orders') FRESHNESS = INTERVAL '1' SECOND REFRESH_MODE = FULL
          AS SELECT COUNT(*) AS n, SUM(amount) AS total FROM orders;
        CREATE DYNAMIC TABLE b WITH ('readiness.sources' = 'all') FRESHNESS = INTERVAL '1' SECOND REFRESH_MODE = FULL
          AS SELECT n, total FROM a;
        CREATE DYNAMIC TABLE c FRESHNESS = INTERVAL '1' SECOND REFRESH_MODE = FULL AS SELECT n, total FROM b`);
    });
    after(async () => {
      await gw?.close();
      await fake?.close();
      await drop?.();
    });

    it('holds a chain until the provider unlocks the window, then refreshes each table once, in order', async () => {
      await gw.sql('INSERT INTO orders VALUES (2, 20)');
      const tick = await passedSecond();
      const window = windowOf(tick);
      await orders().lock(window);
      // The worst order: the table furthest downstream fires first.
      const runs = [fake.fire(await codeOf('c'), tick), fake.fire(await codeOf('b'), tick)];
      await waitUntil(async () => (await latest('b')).scheduleTime === tick.toISOString(), { timeoutMs: 10_000 });
      runs.push(fake.fire(await codeOf('a'), tick));
      const waiting = await waitUntil(
        async () => {
          const row = await latest('a');
          return row.scheduleTime === tick.toISOString() && row.state === 'WAITING' ? row : null;
        },
        { timeoutMs: 10_000 },
      );
      assert.deepEqual(waiting.waitingOn.sources, [
        { source: 'orders', gaps: [[window.start, window.end]], locked: [{ ...window }] },
      ]);
      const job = await gw.job(waiting.jobId);
      assert.equal(job.status, 'WAITING');
      assert.equal(job.tables[0].waitingOn.sources[0].source, 'orders');
      await sleep(300);
      assert.equal((await latest('a')).state, 'WAITING', 'still locked: still waiting');
      assert.deepEqual(await gw.rows('SELECT n FROM c'), [[1]]);

      const unlockedAt = Date.now();
      await orders().unlock(window);
      for (const run of await Promise.all(runs)) assert.equal(run.state, 'SUCCESS');
      const [ra, rb, rc] = await Promise.all(['a', 'b', 'c'].map(latest));
      assert.ok(Date.parse(ra!.startedAt!) - unlockedAt < 2000, 'a starts within 2 s of the unlock');
      assert.ok(rb!.startedAt! >= ra!.finishedAt! && rc!.startedAt! >= rb!.finishedAt!, 'a, then b, then c');
      for (const name of ['a', 'b', 'c']) {
        const forTick = ((await gw.refreshes(name)) as Refresh[]).filter((r) => r.scheduleTime === tick.toISOString());
        assert.deepEqual(
          forTick.map((r) => r.state),
          ['SUCCEEDED'],
          `${name} refreshed once for the window`,
        );
      }
      assert.deepEqual(await gw.rows('SELECT n, total FROM c'), [[2, 30]]);
      // a published its window: it is ready for its readers and outside consumers alike.
      const published = await readinessOf(gw, 'default.main.a', window.start, window.end);
      assert.equal(published.ready, true);
      assert.equal(published.readyThrough, tick.toISOString());
    });

    it("'skip' records the window SKIPPED without running; the scheduler's task succeeds", async () => {
      await gw.sql(`CREATE DYNAMIC TABLE skipping
        WITH ('readiness.sources' = 'orders', 'readiness.on_not_ready' = 'skip')
        FRESHNESS = INTERVAL '1' SECOND REFRESH_MODE = FULL AS SELECT COUNT(*) AS n FROM orders`);
      const tick = await passedSecond();
      assert.equal((await fake.fire(await codeOf('skipping'), tick)).state, 'SUCCESS');
      const row = await latest('skipping');
      assert.equal(row.state, 'SKIPPED');
      assert.equal(row.errorCode, 'NOT_READY');
      assert.match(row.actionDetail ?? '', /orders: missing \[/);
      assert.equal((await gw.job(row.jobId)).status, 'SKIPPED');
    });

    it("'fail' and a 'wait' past its timeout fail the window with NOT_READY, and the task fails", async () => {
      await gw.sql(`CREATE DYNAMIC TABLE failing
          WITH ('readiness.sources' = 'orders', 'readiness.on_not_ready' = 'fail')
          FRESHNESS = INTERVAL '1' SECOND REFRESH_MODE = FULL AS SELECT COUNT(*) AS n FROM orders;
        CREATE DYNAMIC TABLE patient WITH ('readiness.sources' = 'orders', 'readiness.timeout' = '1s')
          FRESHNESS = INTERVAL '1' SECOND REFRESH_MODE = FULL AS SELECT COUNT(*) AS n FROM orders`);
      const tick = await passedSecond();
      await orders().lock(windowOf(tick));
      const [failing, patient] = await Promise.all([
        fake.fire(await codeOf('failing'), tick),
        fake.fire(await codeOf('patient'), tick),
      ]);
      assert.notEqual(failing.state, 'SUCCESS');
      assert.notEqual(patient.state, 'SUCCESS');
      for (const name of ['failing', 'patient']) {
        const row = await latest(name);
        assert.equal(row.state, 'FAILED');
        assert.equal(row.errorCode, 'NOT_READY');
        assert.match(row.error ?? '', /NOT_READY: the sources were not ready for the window .*locked by loader/);
        const job = await gw.job(row.jobId);
        assert.equal(job.status, 'FAILED');
        assert.match(job.error, /NOT_READY/);
      }
      assert.match((await latest('patient')).error ?? '', /within readiness\.timeout \(1 s\)/);
    });

    it('refuses bad readiness options at CREATE, naming the option', async () => {
      const policy = await gw.sqlError(`CREATE DYNAMIC TABLE bad WITH ('readiness.sources' = 'orders',
        'readiness.on_not_ready' = 'later') AS SELECT * FROM orders`);
      assert.equal(policy.status, 400);
      assert.match(policy.error.message, /'readiness\.on_not_ready' must be one of 'wait', 'skip', 'fail'/);
      const timeout = await gw.sqlError(`CREATE DYNAMIC TABLE bad WITH ('readiness.sources' = 'orders',
        'readiness.timeout' = 'soon') AS SELECT * FROM orders`);
      assert.match(timeout.error.message, /'readiness\.timeout': Invalid duration/);
      const alone = await gw.sqlError(`CREATE DYNAMIC TABLE bad WITH ('readiness.timeout' = '1h')
        AS SELECT * FROM orders`);
      assert.match(alone.error.message, /'readiness\.timeout' need 'readiness\.sources'/);
    });

    it('a dropped dynamic table takes the source it published with it', async () => {
      await gw.sql(`CREATE DYNAMIC TABLE gone AS SELECT COUNT(*) AS n FROM orders`);
      assert.equal((await gw.request('GET', '/v3/sources/default.main.gone')).body.kind, 'dynamic');
      await gw.sql('DROP DYNAMIC TABLE gone');
      assert.equal((await gw.request('GET', '/v3/sources/default.main.gone')).status, 404);
    });
  });
}

describe('gated refreshes across gateways sharing a PostgreSQL catalog', function () {
  this.timeout(60_000);
  let catalogDb: ThrowawayDatabase;
  let warehouse: ThrowawayDatabase;
  let one: TestGateway;
  let two: TestGateway;

  before(async () => {
    catalogDb = await createDatabase('postgres');
    warehouse = await createDatabase('postgres');
    const shared = { catalog: { url: catalogDb.url }, catalogs: { wh: { url: warehouse.url } }, defaultCatalog: 'wh' };
    one = await TestGateway.start({ ...shared, replica: { id: 'one' } });
    two = await TestGateway.start({ ...shared, replica: { id: 'two' } });
  });
  after(async () => {
    await two?.close();
    await one?.close();
    await catalogDb?.drop();
    await warehouse?.drop();
  });

  it('starts a refresh waiting on one gateway within 2 s of an unlock sent to the other', async () => {
    const accessToken = await registerSource(one, 'landing', 'cron');
    const landing = providerOf(one, 'landing', () => accessToken);
    await one.sql(`CREATE TABLE landing (id INTEGER); INSERT INTO landing VALUES (1);
      CREATE DYNAMIC TABLE landed WITH ('readiness.sources' = 'landing') FRESHNESS = INTERVAL '1' HOUR
        AS SELECT COUNT(*) AS n FROM landing`);
    const tick = new Date(Math.floor(Date.now() / 3_600_000) * 3_600_000);
    const window = {
      provider: 'cron',
      start: new Date(tick.getTime() - 3_600_000).toISOString(),
      end: tick.toISOString(),
    };
    await landing.lock(window);
    const res = await two.refresh({ tables: ['landed'], scheduleTime: tick.toISOString() });
    assert.ok(res.body.jobId, JSON.stringify(res.body));
    await waitUntil(async () => (await two.job(res.body.jobId)).status === 'WAITING', { timeoutMs: 10_000 });
    await one.sql('INSERT INTO landing VALUES (2)');
    const unlockedAt = Date.now();
    await landing.unlock(window);
    const done = await waitUntil(
      async () => {
        const job = await two.job(res.body.jobId);
        return job.status === 'SUCCEEDED' ? job : null;
      },
      { timeoutMs: 10_000 },
    );
    assert.ok(Date.parse(done.tables[0].startedAt) - unlockedAt < 2000, 'started within 2 s of the unlock');
    assert.deepEqual(await two.rows('SELECT n FROM landed'), [[2]]);
  });
});
