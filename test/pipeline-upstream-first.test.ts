/**
 * A three-table chain, a → b → c, each refreshed by its own workflow: the downstream table's refresh for a tick
 * waits for its upstream tables' refreshes of that tick, whatever order the workflows fire in, and every table's
 * data timestamp says how current its rows are — never later than the data it read.
 *
 * Run on SQLite and for real on PostgreSQL, through the callback (a DolphinScheduler workflow per table, fired by
 * the fake in the worst order: downstream first) and with the embedded scheduler firing on its own.
 */
import { strict as assert } from 'node:assert';
import * as path from 'node:path';
import { DolphinSchedulerFake } from './fakes/dolphinscheduler-fake';
import { dsOptions } from './fakes/ds-harness';
import { createDatabase, type ThrowawayDatabase } from './helpers/databases';
import { TestGateway } from './helpers/gateway';
import { sleep, waitUntil } from './helpers/wait';

const PLUGIN_PATH = path.join(__dirname, '..', 'plugins', 'dolphinscheduler');

interface Engine {
  readonly name: string;
  /** Gateway settings that put the tables on this engine. */
  settings(): Promise<{ overrides: Record<string, unknown>; drop: () => Promise<void> }>;
  /** Makes `a` take a while to refresh, so that a downstream refresh started beside it would overtake it. */
  readonly padRows: string;
}

const ENGINES: Engine[] = [
  {
    name: 'SQLite',
    settings: async () => ({ overrides: {}, drop: async () => undefined }),
    padRows: `WITH RECURSIVE g(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM g WHERE i < 2000) SELECT i FROM g`,
  },
  {
    name: 'PostgreSQL',
    settings: async () => {
      const db: ThrowawayDatabase = await createDatabase('postgres');
      return { overrides: { catalogs: { wh: { url: db.url } }, defaultCatalog: 'wh' }, drop: () => db.drop() };
    },
    padRows: 'SELECT g FROM generate_series(1, 2000) AS g',
  },
];

/** The chain: `a` is slow on purpose (a cross join of the pad table with itself) and fails on a duplicate key. */
const CHAIN = (freshness: string) => `
  CREATE DYNAMIC TABLE a (k, n, last_id, PRIMARY KEY (k)) FRESHNESS = ${freshness} REFRESH_MODE = FULL
    AS SELECT e.tag AS k, COUNT(*) AS n, MAX(e.id) AS last_id
       FROM events e, (SELECT COUNT(*) AS c FROM pad p1, pad p2) slow
       WHERE slow.c > 0 GROUP BY e.tag, e.bad;
  CREATE DYNAMIC TABLE b FRESHNESS = ${freshness} REFRESH_MODE = FULL AS SELECT k, n, last_id FROM a;
  CREATE DYNAMIC TABLE c FRESHNESS = ${freshness} REFRESH_MODE = FULL AS SELECT k, n, last_id FROM b`;

interface Refresh {
  jobId: string;
  state: string;
  scheduleTime: string;
  startedAt: string | null;
  finishedAt: string | null;
  dataTimestamp: string | null;
  actionDetail: string | null;
  error: string | null;
}

/** The next whole second after `at`, past by the time this returns. */
async function passedSecond(at = Date.now()): Promise<Date> {
  const tick = new Date(Math.ceil((at + 1) / 1000) * 1000);
  await sleep(Math.max(0, tick.getTime() - Date.now() + 20));
  return tick;
}

for (const engine of ENGINES) {
  describe(`upstream first across separate workflows (${engine.name})`, function () {
    this.timeout(120_000);

    describe('through the callback: three DolphinScheduler workflows fired downstream first', () => {
      let fake: DolphinSchedulerFake;
      let gw: TestGateway;
      let drop: () => Promise<void>;
      const codes: Record<string, number> = {};

      before(async () => {
        const settings = await engine.settings();
        drop = settings.drop;
        fake = await DolphinSchedulerFake.start({ version: '3.2' });
        gw = await TestGateway.start({
          ...settings.overrides,
          refresh: { upstreamWaitSeconds: 2 },
          scheduler: { type: PLUGIN_PATH, options: dsOptions(fake, { callbackWaitSeconds: 60, failRetryTimes: 0 }) },
        });
        await gw.sql(`CREATE TABLE pad (i INTEGER); INSERT INTO pad ${engine.padRows};
          CREATE TABLE events (id INTEGER PRIMARY KEY, tag VARCHAR(8), bad INTEGER);
          INSERT INTO events VALUES (1, 'x', 0), (2, 'x', 0)`);
        await gw.sql(CHAIN(`INTERVAL '1' SECOND`));
        for (const name of ['a', 'b', 'c']) {
          codes[name] = Number((await gw.table(name)).scheduler.handler.workflowCode);
        }
      });
      after(async () => {
        await gw?.close();
        await fake?.close();
        await drop?.();
      });

      const latest = async (name: string): Promise<Refresh> => (await gw.refreshes(name))[0] as Refresh;

      it('holds c and b until a has refreshed for the tick, then all three carry the tick as data timestamp', async () => {
        await gw.sql(`INSERT INTO events VALUES (3, 'x', 0)`);
        const tick = await passedSecond();
        const c = fake.fire(codes.c!, tick);
        await waitUntil(async () => (await latest('c')).scheduleTime === tick.toISOString(), { timeoutMs: 10_000 });
        const b = fake.fire(codes.b!, tick);
        await waitUntil(async () => (await latest('b')).scheduleTime === tick.toISOString(), { timeoutMs: 10_000 });
        await sleep(300);
        // Neither may have run: what they read (b, then a) has not refreshed for this tick.
        for (const name of ['b', 'c']) {
          const waiting = await latest(name);
          assert.ok(['PENDING', 'RUNNING'].includes(waiting.state), `${name} is ${waiting.state}`);
          assert.equal(waiting.startedAt === null || waiting.finishedAt === null, true);
        }
        assert.deepEqual(await gw.rows('SELECT n, last_id FROM c'), [[2, 2]], 'c still holds its creation data');
        const a = await fake.fire(codes.a!, tick);
        assert.equal(a.state, 'SUCCESS');
        assert.equal((await b).state, 'SUCCESS');
        assert.equal((await c).state, 'SUCCESS');
        const [ra, rb, rc] = await Promise.all(['a', 'b', 'c'].map(latest));
        for (const r of [ra!, rb!, rc!]) {
          assert.equal(r.state, 'SUCCEEDED');
          assert.equal(r.dataTimestamp, tick.toISOString());
        }
        assert.ok(rb!.startedAt! >= ra!.finishedAt!, 'b started after a finished');
        assert.ok(rc!.startedAt! >= rb!.finishedAt!, 'c started after b finished');
        assert.deepEqual(await gw.rows('SELECT n, last_id FROM c'), [[3, 3]]);
        const table = await gw.table('c');
        assert.equal(table.validThrough, tick.toISOString());
        assert.equal(table.dataTimestamp, tick.toISOString());
        const job = await gw.job(rc!.jobId);
        assert.equal(job.tables[0].dataTimestamp, tick.toISOString());
      });

      it('a downstream refresh that waited past the bound reads what is there and says how old it is', async () => {
        const before = (await gw.table('b')).validThrough as string;
        await gw.sql(`INSERT INTO events VALUES (4, 'x', 0)`);
        const tick = await passedSecond();
        // Only c fires: b is due for the tick too but never refreshes for it.
        const c = await fake.fire(codes.c!, tick);
        assert.equal(c.state, 'SUCCESS');
        const rc = await latest('c');
        assert.equal(rc.state, 'SUCCEEDED');
        assert.equal(rc.dataTimestamp, before, 'no fresher than the b it read');
        assert.match(rc.actionDetail ?? '', /\.b \(due .*had not finished within refresh\.upstreamWaitSeconds/);
        assert.deepEqual(await gw.rows('SELECT n, last_id FROM c'), [[3, 3]], 'row 4 is not in b yet');
        assert.equal((await gw.table('c')).validThrough, before);
        const [shown] = await gw.sql(`SHOW DYNAMIC TABLES LIKE 'c'`);
        const column = (name: string) => shown.rows[0][shown.columns.indexOf(name)];
        assert.equal(column('valid_through'), before);
        assert.equal(column('data_timestamp'), before);
      });

      it('when the upstream refresh for the tick fails, the downstream one is UPSTREAM_FAILED and does not run', async () => {
        // A second group for tag x: a's primary key k repeats, so its refresh fails.
        await gw.sql(`INSERT INTO events VALUES (5, 'x', 1)`);
        const tick = await passedSecond();
        const b = fake.fire(codes.b!, tick);
        await waitUntil(async () => (await latest('b')).scheduleTime === tick.toISOString(), { timeoutMs: 10_000 });
        const a = await fake.fire(codes.a!, tick);
        assert.notEqual(a.state, 'SUCCESS');
        const failedB = await b;
        assert.notEqual(failedB.state, 'SUCCESS', 'the scheduler sees the downstream task fail');
        const rb = await latest('b');
        assert.equal(rb.state, 'UPSTREAM_FAILED');
        assert.equal(rb.startedAt, rb.finishedAt, 'not run');
        assert.match(rb.error ?? '', /upstream table \S*\.a failed/);
        assert.equal(rb.dataTimestamp, null);
        const job = await gw.job(rb.jobId);
        assert.equal(job.status, 'FAILED');
        assert.match(job.error, /\.b: not refreshed because the refresh of its upstream table/);
        const { body } = await gw.request('GET', '/v3/dynamic-tables/b/refreshes?status=upstream_failed');
        assert.deepEqual(
          body.refreshes.map((r: Refresh) => r.jobId),
          [rb.jobId],
        );
        const [shown] = await gw.sql('SHOW REFRESHES OF b LIMIT 1');
        assert.equal(shown.rows[0][shown.columns.indexOf('state')], 'UPSTREAM_FAILED');
        await gw.sql(`DELETE FROM events WHERE id = 5`);
      });

      it('a refresh with nothing changed upstream since the last one is NO_DATA and writes nothing', async () => {
        // hourly is not due again before the next hour (it was created after the last one); minutely reads it.
        await gw.sql(`CREATE DYNAMIC TABLE hourly FRESHNESS = INTERVAL '1' HOUR AS SELECT COUNT(*) AS n FROM events;
          CREATE DYNAMIC TABLE secondly FRESHNESS = INTERVAL '1' SECOND REFRESH_MODE = FULL AS SELECT n FROM hourly`);
        const code = Number((await gw.table('secondly')).scheduler.handler.workflowCode);
        const hourly = (await gw.table('hourly')).validThrough as string;
        assert.equal((await fake.fire(code, await passedSecond())).state, 'SUCCESS');
        const unchanged = (await latest('secondly')) as Refresh & { action: string; rowsWritten: number };
        assert.equal(unchanged.state, 'SUCCEEDED');
        assert.equal(unchanged.action, 'NO_DATA');
        assert.equal(unchanged.rowsWritten, 0);
        assert.equal(unchanged.dataTimestamp, hourly, 'no later than the hourly table it reads');

        await gw.sql(`INSERT INTO events VALUES (6, 'y', 0); ALTER DYNAMIC TABLE hourly REFRESH`);
        await waitUntil(async () => (await latest('hourly')).state === 'SUCCEEDED', { timeoutMs: 10_000 });
        assert.equal((await fake.fire(code, await passedSecond())).state, 'SUCCESS');
        const changed = (await latest('secondly')) as Refresh & { action: string };
        assert.equal(changed.action, 'FULL');
        assert.deepEqual(await gw.rows('SELECT n FROM secondly'), await gw.rows('SELECT COUNT(*) FROM events'));
      });
    });

    describe('with the embedded scheduler firing every table on its own', () => {
      let gw: TestGateway;
      let drop: () => Promise<void>;

      before(async () => {
        const settings = await engine.settings();
        drop = settings.drop;
        gw = await TestGateway.start(settings.overrides);
        await gw.sql(`CREATE TABLE pad (i INTEGER); INSERT INTO pad ${engine.padRows};
          CREATE TABLE events (id INTEGER PRIMARY KEY, tag VARCHAR(8), bad INTEGER)`);
      });
      after(async () => {
        await gw?.close();
        await drop?.();
      });

      it('every tick refreshes a, then b, then c, and c never claims data it does not hold', async () => {
        await gw.sql(`INSERT INTO events VALUES (1, 'x', 0)`);
        await gw.sql(CHAIN(`INTERVAL '1' SECOND`));
        // Rows keep arriving; each is remembered with the moment its INSERT had committed.
        const committed: Array<{ id: number; at: string }> = [{ id: 1, at: new Date(0).toISOString() }];
        let inserting = true;
        const writer = (async () => {
          for (let id = 2; inserting; id++) {
            await gw.sql(`INSERT INTO events VALUES (${id}, 'x', 0)`);
            committed.push({ id, at: new Date().toISOString() });
            await sleep(40);
          }
        })();
        const firstTick = new Date(Math.ceil(Date.now() / 1000) * 1000).toISOString();
        await waitUntil(
          async () => {
            const done = (await gw.refreshes('c')).filter(
              (r: Refresh) => r.state === 'SUCCEEDED' && r.scheduleTime > firstTick,
            );
            return done.length >= 3;
          },
          { timeoutMs: 60_000 },
        );
        inserting = false;
        await writer;
        for (const name of ['a', 'b', 'c']) await gw.sql(`ALTER DYNAMIC TABLE ${name} SUSPEND`).catch(() => undefined);
        await waitUntil(
          async () => {
            const all = await Promise.all(['a', 'b', 'c'].map((n) => gw.refreshes(n)));
            return all.flat().every((r: Refresh) => r.state !== 'PENDING' && r.state !== 'RUNNING');
          },
          { timeoutMs: 30_000 },
        );

        const history = async (name: string) =>
          ((await gw.refreshes(name)) as Refresh[]).filter(
            (r) => r.state === 'SUCCEEDED' && r.scheduleTime > firstTick,
          );
        const [ha, hb, hc] = await Promise.all(['a', 'b', 'c'].map(history));
        assert.ok(hc!.length >= 3);
        for (const rc of hc!) {
          const rb = hb!.find((r) => r.scheduleTime === rc.scheduleTime);
          const ra = ha!.find((r) => r.scheduleTime === rc.scheduleTime);
          assert.ok(rb && ra, `a and b refreshed for ${rc.scheduleTime} too`);
          assert.ok(rc.startedAt! >= rb.finishedAt!, `c started after b finished for ${rc.scheduleTime}`);
          assert.ok(rb.startedAt! >= ra.finishedAt!, `b started after a finished for ${rc.scheduleTime}`);
          assert.equal(rc.dataTimestamp, rc.scheduleTime);
        }
        // Everything committed before c's data timestamp is in c.
        const stamp = (await gw.table('c')).validThrough as string;
        const owed = Math.max(...committed.filter((row) => row.at <= stamp).map((row) => row.id));
        const lastId = (await gw.rows('SELECT last_id FROM c'))[0]?.[0];
        assert.ok(Number(lastId) >= owed, `c holds rows up to ${lastId}, claims everything up to row ${owed}`);
      });
    });
  });
}

describe('upstream first between CONTINUOUS tables the continuous runner refreshes', function () {
  this.timeout(60_000);
  let gw: TestGateway;
  before(async () => {
    gw = await TestGateway.start();
  });
  after(() => gw?.close());

  it("refreshes each tick of the downstream table after the upstream table's refresh for that tick", async () => {
    await gw.sql(`CREATE TABLE pad (i INTEGER); INSERT INTO pad ${ENGINES[0]!.padRows};
      CREATE TABLE events (id INTEGER PRIMARY KEY, tag VARCHAR(8), bad INTEGER); INSERT INTO events VALUES (1, 'x', 0);
      CREATE DYNAMIC TABLE up FRESHNESS = INTERVAL '1' SECOND REFRESH_MODE = CONTINUOUS
        WITH ('refresh.strategy' = 'full')
        AS SELECT COUNT(*) AS n FROM events e, (SELECT COUNT(*) AS c FROM pad p1, pad p2) slow WHERE slow.c > 0;
      CREATE DYNAMIC TABLE down FRESHNESS = INTERVAL '1' SECOND REFRESH_MODE = CONTINUOUS AS SELECT n FROM up`);
    const since = new Date().toISOString();
    const continuous = async (name: string) =>
      ((await gw.refreshes(name)) as Array<Refresh & { trigger: string }>).filter(
        (r) => r.trigger === 'CONTINUOUS' && r.state === 'SUCCEEDED' && r.scheduleTime > since,
      );
    await waitUntil(async () => (await continuous('down')).length >= 3, { timeoutMs: 30_000 });
    await gw.sql('ALTER DYNAMIC TABLE up SUSPEND');
    await waitUntil(
      async () => {
        const all = [...(await gw.refreshes('up')), ...(await gw.refreshes('down'))] as Refresh[];
        return all.every((r) => r.state !== 'PENDING' && r.state !== 'RUNNING');
      },
      { timeoutMs: 30_000 },
    );
    const ups = await continuous('up');
    for (const down of await continuous('down')) {
      const tick = Date.parse(down.scheduleTime);
      // The upstream table runs on its own grid: its tick within one freshness before this one.
      const read = ups.find((u) => Date.parse(u.scheduleTime) > tick - 1000 && Date.parse(u.scheduleTime) <= tick);
      if (read === undefined) {
        assert.match(
          down.actionDetail ?? '',
          /had not finished within/,
          `down at ${down.scheduleTime} says it was late`,
        );
        continue;
      }
      assert.ok(down.startedAt! >= read.finishedAt!, `down at ${down.scheduleTime} started after up's refresh`);
      assert.ok(down.dataTimestamp! <= read.dataTimestamp!, 'no fresher than the up it read');
    }
  });
});

describe('upstream first across gateways sharing a PostgreSQL catalog', function () {
  this.timeout(60_000);
  let catalogDb: ThrowawayDatabase;
  let warehouse: ThrowawayDatabase;
  let one: TestGateway;
  let two: TestGateway;

  before(async () => {
    catalogDb = await createDatabase('postgres');
    warehouse = await createDatabase('postgres');
    const shared = {
      catalog: { url: catalogDb.url },
      catalogs: { wh: { url: warehouse.url } },
      defaultCatalog: 'wh',
    };
    one = await TestGateway.start({ ...shared, replica: { id: 'one' } });
    two = await TestGateway.start({ ...shared, replica: { id: 'two' } });
    await one.sql(`CREATE TABLE events (id INTEGER PRIMARY KEY); INSERT INTO events VALUES (1);
      CREATE DYNAMIC TABLE up FRESHNESS = INTERVAL '1' HOUR AS SELECT COUNT(*) AS n FROM events;
      CREATE DYNAMIC TABLE down FRESHNESS = INTERVAL '1' HOUR AS SELECT n FROM up`);
  });
  after(async () => {
    await two?.close();
    await one?.close();
    await catalogDb?.drop();
    await warehouse?.drop();
  });

  it("holds one gateway's downstream refresh until another gateway has refreshed the upstream table", async () => {
    await one.sql('INSERT INTO events VALUES (2)');
    // The coming hour: both tables are due for it, and neither has refreshed for it yet.
    const tick = new Date(Math.ceil(Date.now() / 3_600_000) * 3_600_000).toISOString();
    const down = await two.refresh({ tables: ['down'], scheduleTime: tick });
    assert.ok(down.body.jobId, JSON.stringify(down.body));
    await sleep(500);
    assert.ok(['PENDING', 'RUNNING'].includes((await two.job(down.body.jobId)).status), 'down waits for up');
    assert.deepEqual(await two.rows('SELECT n FROM down'), [[1]]);
    const up = await one.refresh({ tables: ['up'], scheduleTime: tick }, 30);
    assert.equal(up.status, 200, JSON.stringify(up.body));
    const finished = await waitUntil(
      async () => {
        const job = await two.job(down.body.jobId);
        return job.status === 'SUCCEEDED' ? job : null;
      },
      { timeoutMs: 20_000 },
    );
    const [upRow] = (await one.refreshes('up')) as Refresh[];
    assert.ok(finished.tables[0].startedAt >= upRow!.finishedAt!, 'down started after up finished');
    assert.deepEqual(await two.rows('SELECT n FROM down'), [[2]]);
    assert.equal(finished.tables[0].dataTimestamp, upRow!.dataTimestamp);
  });
});
