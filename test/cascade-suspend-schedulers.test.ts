/**
 * Cascaded SUSPEND and RESUME reach the external schedulers (the Airflow and DolphinScheduler fakes) and the
 * streaming jobs of a Flink catalog, and a scheduler that refuses one downstream workflow leaves the pipeline as
 * it was, with a 502 naming that table.
 */
import { strict as assert } from 'node:assert';
import * as path from 'node:path';
import { observeFake, pluginOptions, startFakeAirflow, type FakeAirflowSetup } from './fakes/airflow-harness';
import { DolphinSchedulerFake } from './fakes/dolphinscheduler-fake';
import { dsOptions } from './fakes/ds-harness';
import { FlinkGatewayFake } from './fakes/flink-gateway-fake';
import { TestGateway } from './helpers/gateway';

const PLUGINS = path.join(__dirname, '..', 'plugins');

/** orders → a → b → c, every one FULL. */
async function createChain(gw: TestGateway): Promise<void> {
  await gw.sql(`CREATE TABLE orders (id INTEGER, amount INTEGER); INSERT INTO orders VALUES (1, 10), (2, 20)`);
  await gw.sql(`CREATE DYNAMIC TABLE a FRESHNESS = INTERVAL '5' MINUTE REFRESH_MODE = FULL
    AS SELECT id, amount FROM orders`);
  await gw.sql(`CREATE DYNAMIC TABLE b FRESHNESS = INTERVAL '5' MINUTE REFRESH_MODE = FULL
    AS SELECT SUM(amount) AS total FROM a`);
  await gw.sql(`CREATE DYNAMIC TABLE c FRESHNESS = INTERVAL '5' MINUTE REFRESH_MODE = FULL
    AS SELECT total * 2 AS doubled FROM b`);
}

async function states(gw: TestGateway): Promise<string[]> {
  const tables = await Promise.all(['a', 'b', 'c'].map((n) => gw.table(n)));
  return tables.map((t) => (t.suspendedReason ? `${t.refreshStatus} ${t.suspendedReason}` : t.refreshStatus));
}

async function assertNoDrift(gw: TestGateway): Promise<void> {
  const { body } = await gw.request('GET', '/v3/scheduler/drift');
  assert.deepEqual([body.missing, body.wronglyPaused, body.extra, body.errors], [[], [], [], []], JSON.stringify(body));
}

for (const airflow of [2, 3] as const) {
  describe(`cascaded SUSPEND and RESUME on Airflow ${airflow}`, function () {
    this.timeout(60_000);
    let setup: FakeAirflowSetup;
    let gw: TestGateway;

    beforeEach(async () => {
      setup = await startFakeAirflow({ airflow, parseDelayMs: 50 });
      gw = await TestGateway.start({
        scheduler: { type: path.join(PLUGINS, 'airflow'), options: pluginOptions(setup) },
      });
    });
    afterEach(async () => {
      await gw.close();
      assert.deepEqual(setup.fake.violations, [], 'every request the plugin sent is in the published spec');
      await setup.close();
    });

    it('pauses and unpauses the DAG of every table in the cascade', async () => {
      await createChain(gw);
      const paused = async () =>
        Promise.all(['a', 'b', 'c'].map(async (n) => observeFake(setup, (await gw.table(n)).scheduler.handler)));
      await gw.sql('ALTER DYNAMIC TABLE a SUSPEND');
      assert.deepEqual(await states(gw), ['SUSPENDED', 'SUSPENDED UPSTREAM_SUSPENDED', 'SUSPENDED UPSTREAM_SUSPENDED']);
      assert.deepEqual(await paused(), Array(3).fill({ exists: true, paused: true }));
      await assertNoDrift(gw);
      await gw.sql('ALTER DYNAMIC TABLE a RESUME');
      assert.deepEqual(await states(gw), ['ACTIVATED', 'ACTIVATED', 'ACTIVATED']);
      assert.deepEqual(await paused(), Array(3).fill({ exists: true, paused: false }));
      await assertNoDrift(gw);
    });
  });
}

describe('cascaded SUSPEND and RESUME on DolphinScheduler', function () {
  this.timeout(60_000);
  let fake: DolphinSchedulerFake;
  let gw: TestGateway;

  /** The id of the schedule of a table's workflow, and whether it is ONLINE. */
  async function scheduleOf(table: string): Promise<{ id: number; online: boolean }> {
    const code = (await gw.table(table)).scheduler.handler.workflowCode;
    const schedule = fake.scheduleOf(code);
    assert.ok(schedule, `${table} has a schedule`);
    return { id: schedule.id, online: schedule.releaseState === 'ONLINE' };
  }
  const online = async () => Promise.all(['a', 'b', 'c'].map(async (n) => (await scheduleOf(n)).online));
  /** The next request putting this schedule into `state` has its connection cut. */
  const breakRelease = (id: number, state: 'online' | 'offline') =>
    fake.breakOn((method, p) => method === 'POST' && p.endsWith(`/schedules/${id}/${state}`));

  beforeEach(async () => {
    fake = await DolphinSchedulerFake.start({ version: '3.2' });
    gw = await TestGateway.start({
      scheduler: { type: path.join(PLUGINS, 'dolphinscheduler'), options: dsOptions(fake) },
    });
    await createChain(gw);
  });
  afterEach(async () => {
    await gw.close();
    await fake.close();
  });

  it('takes the schedule of every table in the cascade offline, and online again', async () => {
    await gw.sql('ALTER DYNAMIC TABLE a SUSPEND');
    assert.deepEqual(await online(), [false, false, false]);
    await assertNoDrift(gw);
    await gw.sql('ALTER DYNAMIC TABLE a RESUME');
    assert.deepEqual(await online(), [true, true, true]);
    await assertNoDrift(gw);
  });

  it('leaves every table active when one downstream schedule cannot be taken offline (502 naming it)', async () => {
    breakRelease((await scheduleOf('c')).id, 'offline');
    const { status, error } = await gw.sqlError('ALTER DYNAMIC TABLE a SUSPEND');
    assert.equal(status, 502);
    assert.equal(error.code, 'SCHEDULER_ERROR');
    assert.match(
      error.message,
      /^Dynamic table \S+\.a was not suspended: Scheduler 'dolphinscheduler' could not suspend the refresh workflow of \S+\.c: .*; nothing changed \(the tables changed before it were resumed again\)\. Try again when the scheduler answers\.$/,
    );
    assert.deepEqual(await states(gw), ['ACTIVATED', 'ACTIVATED', 'ACTIVATED']);
    assert.deepEqual(await online(), [true, true, true]);
    await assertNoDrift(gw);
    const [again] = await gw.sql('ALTER DYNAMIC TABLE a SUSPEND');
    assert.match(again.message, /suspended with it \(UPSTREAM_SUSPENDED\): \S+\.b, \S+\.c\.$/);
    assert.deepEqual(await online(), [false, false, false]);
  });

  it('leaves every table suspended when one downstream schedule cannot be put online (502 naming it)', async () => {
    await gw.sql('ALTER DYNAMIC TABLE a SUSPEND');
    breakRelease((await scheduleOf('c')).id, 'online');
    const { status, error } = await gw.sqlError('ALTER DYNAMIC TABLE a RESUME');
    assert.equal(status, 502);
    assert.match(
      error.message,
      /^Dynamic table \S+\.a was not resumed: Scheduler 'dolphinscheduler' could not resume the refresh workflow of \S+\.c: .*; nothing changed \(the tables changed before it were suspended again\)\./,
    );
    assert.deepEqual(await states(gw), ['SUSPENDED', 'SUSPENDED UPSTREAM_SUSPENDED', 'SUSPENDED UPSTREAM_SUSPENDED']);
    assert.deepEqual(await online(), [false, false, false]);
    await assertNoDrift(gw);
    await gw.sql('ALTER DYNAMIC TABLE a RESUME');
    assert.deepEqual(await states(gw), ['ACTIVATED', 'ACTIVATED', 'ACTIVATED']);
    assert.deepEqual(await online(), [true, true, true]);
  });
});

describe('cascaded SUSPEND and RESUME of CONTINUOUS tables kept fresh by streaming jobs (Flink)', function () {
  this.timeout(30_000);
  let fake: FlinkGatewayFake;
  let gw: TestGateway;
  const inFlink = async (statement: string) => {
    const res = await gw.request('POST', '/v3/statements', { statement, catalog: 'stream' });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    return res.body.results;
  };
  const running = () => fake.jobs.filter((j) => j.mode === 'streaming' && j.status === 'RUNNING');

  beforeEach(async () => {
    fake = await FlinkGatewayFake.start({ jobDurationMs: 20 });
    fake.createTable('src', [{ name: 'id', type: 'INT', nullable: false }], { rows: [[1], [2]] });
    gw = await TestGateway.start({ catalogs: { stream: { url: `flink:${fake.url}` } } });
  });
  afterEach(async () => {
    await gw.close();
    await fake.close();
  });

  it('stops the streaming jobs downstream, starts new ones on RESUME, and none for a table created suspended', async () => {
    await inFlink(`CREATE DYNAMIC TABLE base FRESHNESS = INTERVAL '1' HOUR AS SELECT id FROM src`);
    await inFlink(`CREATE DYNAMIC TABLE live FRESHNESS = INTERVAL '30' SECOND AS SELECT id FROM base`);
    assert.equal(running().length, 1);
    const [suspended] = await inFlink('ALTER DYNAMIC TABLE base SUSPEND');
    assert.match(suspended.message, /suspended with it \(UPSTREAM_SUSPENDED\): stream\.default_database\.live\.$/);
    assert.equal(running().length, 0, 'the streaming job of the table downstream is stopped');
    const live = await gw.table('stream.default_database.live');
    assert.equal(live.suspendedReason, 'UPSTREAM_SUSPENDED');
    const [created] = await inFlink(
      `CREATE DYNAMIC TABLE later FRESHNESS = INTERVAL '30' SECOND AS SELECT id FROM base`,
    );
    assert.match(created.message, /It is suspended \(UPSTREAM_SUSPENDED\) because stream\.default_database\.base is/);
    assert.equal(running().length, 0, 'a table created suspended gets no streaming job');
    await inFlink('ALTER DYNAMIC TABLE base RESUME');
    assert.equal(running().length, 2, 'both tables downstream run a streaming job again');
    assert.equal((await gw.table('stream.default_database.later')).refreshStatus, 'ACTIVATED');
  });
});
