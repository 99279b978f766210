import assert from 'node:assert/strict';
import * as path from 'node:path';
import { DolphinSchedulerFake } from './fakes/dolphinscheduler-fake';
import { dsOptions } from './fakes/ds-harness';
import { TestGateway } from './helpers/gateway';

const PLUGIN_PATH = path.join(__dirname, '..', 'plugins', 'dolphinscheduler');

/** The gateway's drift check finds nothing to repair. */
async function assertNoDrift(gw: TestGateway): Promise<void> {
  const { body } = await gw.request('GET', '/v3/scheduler/drift');
  assert.deepEqual(
    {
      missing: body.missing,
      wronglyPaused: body.wronglyPaused,
      wrongSchedule: body.wrongSchedule,
      extra: body.extra,
      errors: body.errors,
    },
    { missing: [], wronglyPaused: [], wrongSchedule: [], extra: [], errors: [] },
  );
}

/** The one workflow the fake holds for the gateway's tables, by name. */
function workflowOf(fake: DolphinSchedulerFake, table: string) {
  return fake.workflows().find((w) => w.name === `freshet_default_main_${table}`);
}

describe('dolphinscheduler plugin end to end: gateway → fake DolphinScheduler 3.2 → gateway', () => {
  let fake: DolphinSchedulerFake;
  let gw: TestGateway;

  beforeEach(async () => {
    fake = await DolphinSchedulerFake.start({ version: '3.2', serverTimeZone: 'Asia/Shanghai' });
    // The gateway's zone is neither UTC nor DolphinScheduler's: the callback must name its own.
    gw = await TestGateway.start({
      timeZone: 'Europe/Berlin',
      scheduler: { type: PLUGIN_PATH, options: dsOptions(fake, { callbackWaitSeconds: 10, failRetryTimes: 1 }) },
    });
    await gw.sql(`CREATE TABLE orders (id INTEGER, amount INTEGER); INSERT INTO orders VALUES (1, 10), (2, 20)`);
  });
  afterEach(async () => {
    await gw.close();
    await fake.close();
  });

  it('creates an online workflow and schedule; a fire refreshes the table for the fire time', async () => {
    await gw.sql(
      `CREATE DYNAMIC TABLE totals FRESHNESS = INTERVAL '5' MINUTE REFRESH_MODE = FULL AS SELECT SUM(amount) AS total FROM orders`,
    );
    const workflow = workflowOf(fake, 'totals');
    assert.equal(workflow?.releaseState, 'ONLINE');
    const schedule = fake.scheduleOf(workflow!.code);
    assert.equal(schedule?.crontab, '0 0/5 * * * ? *');
    assert.equal(schedule?.releaseState, 'ONLINE');
    assert.equal(schedule?.timezoneId, 'Europe/Berlin');
    assert.deepEqual((await gw.table('totals')).scheduler.handler.workflowCode, String(workflow!.code));
    await assertNoDrift(gw);

    await gw.sql(`INSERT INTO orders VALUES (3, 30)`);
    const firedFor = new Date('2024-05-01T04:05:00Z');
    const instance = await fake.fire(workflow!.code, firedFor);
    assert.equal(instance.state, 'SUCCESS');
    const [attempt] = instance.attempts;
    assert.equal(
      JSON.parse(attempt!.body!).scheduleTime,
      '2024-05-01 12:05:00',
      'rendered in the DolphinScheduler server zone',
    );
    const { jobId } = JSON.parse(attempt!.responseBody!);
    const job = await gw.job(jobId);
    assert.equal(job.status, 'SUCCEEDED');
    assert.equal(job.trigger, 'SCHEDULED');
    assert.equal(job.scheduleTime, firedFor.toISOString());
    const [latest] = await gw.refreshes('totals');
    assert.equal(latest.trigger, 'SCHEDULED');
    assert.equal(latest.scheduleTime, firedFor.toISOString());
    assert.deepEqual(await gw.rows('SELECT total FROM totals'), [[60]]);
  });

  it('fails the task instance when the refresh fails', async () => {
    await gw.sql(`CREATE TABLE keys (k TEXT); INSERT INTO keys VALUES ('x');
      CREATE DYNAMIC TABLE uniq (k, PRIMARY KEY (k)) FRESHNESS = INTERVAL '1' HOUR REFRESH_MODE = FULL AS SELECT k FROM keys;
      INSERT INTO keys VALUES ('x')`);
    const instance = await fake.fire(workflowOf(fake, 'uniq')!.code, new Date('2024-05-01T05:00:00Z'));
    assert.equal(instance.state, 'FAILURE');
    assert.deepEqual(
      instance.attempts.map((a) => a.status),
      [500, 500],
      'tried once more (failRetryTimes = 1)',
    );
    const job = await gw.job(JSON.parse(instance.attempts[1]!.responseBody!).jobId);
    assert.equal(job.status, 'FAILED');
    assert.deepEqual(await gw.rows('SELECT k FROM uniq'), [['x']]);
  });

  it('takes the schedule offline on SUSPEND, online on RESUME, and deletes the workflow on DROP', async () => {
    await gw.sql(
      `CREATE DYNAMIC TABLE totals FRESHNESS = INTERVAL '5' MINUTE REFRESH_MODE = FULL AS SELECT SUM(amount) AS total FROM orders`,
    );
    const code = workflowOf(fake, 'totals')!.code;
    await gw.sql('ALTER DYNAMIC TABLE totals SUSPEND');
    assert.equal(fake.scheduleOf(code)?.releaseState, 'OFFLINE');
    await assert.rejects(fake.fire(code), /would not fire/);
    await assertNoDrift(gw);
    await gw.sql(`ALTER DYNAMIC TABLE totals RESUME WITH ('sink.parallelism' = '2')`);
    assert.equal(fake.scheduleOf(code)?.releaseState, 'ONLINE');
    assert.equal(
      (await fake.fire(code, new Date('2024-05-01T06:00:00Z'))).state,
      'SUCCESS',
      'the rewritten task still calls back',
    );
    await assertNoDrift(gw);
    await gw.sql('DROP DYNAMIC TABLE totals');
    assert.deepEqual(fake.workflows(), []);
    assert.equal(fake.store.schedules.size, 0);
  });

  it('answers 502 when DolphinScheduler breaks down during CREATE, leaving no table and no workflow', async () => {
    fake.breakOn((method, p) => method === 'POST' && p.endsWith('/schedules'));
    const { status, error } = await gw.sqlError(
      `CREATE DYNAMIC TABLE t FRESHNESS = INTERVAL '5' MINUTE REFRESH_MODE = FULL AS SELECT id FROM orders`,
    );
    assert.equal(status, 502);
    assert.equal(error.code, 'SCHEDULER_ERROR');
    assert.match(
      error.message,
      /Cannot reach DolphinScheduler at .* to create the schedule of workflow freshet_default_main_t/,
    );
    assert.equal((await gw.request('GET', '/v3/dynamic-tables/t')).status, 404);
    assert.deepEqual(fake.workflows(), []);
  });

  it('names the orphan when DolphinScheduler goes down in the middle of CREATE, and the gateway removes it later', async () => {
    fake.breakOn((method, p) => method === 'POST' && p.endsWith('/schedules'), 'outage');
    const { status, error } = await gw.sqlError(
      `CREATE DYNAMIC TABLE t FRESHNESS = INTERVAL '5' MINUTE REFRESH_MODE = FULL AS SELECT id FROM orders`,
    );
    assert.equal(status, 502);
    assert.equal((await gw.request('GET', '/v3/dynamic-tables/t')).status, 404);
    await fake.start();
    const [orphan, ...others] = fake.workflows();
    assert.equal(others.length, 0);
    assert.match(
      error.message,
      new RegExp(`half-made workflow freshet_default_main_t \\(code ${orphan!.code}, .*could not be removed either`),
    );
    // The gateway kept the orphan's handler and deletes it once DolphinScheduler answers again.
    const drift = await gw.request('GET', '/v3/scheduler/drift');
    assert.equal(drift.status, 200);
    assert.deepEqual(drift.body.orphansPending, []);
    assert.deepEqual(drift.body.extra, []);
    assert.deepEqual(fake.workflows(), []);
  });

  it('keeps the table when DolphinScheduler is down during DROP, so the DROP can be repeated', async () => {
    await gw.sql(
      `CREATE DYNAMIC TABLE totals FRESHNESS = INTERVAL '5' MINUTE REFRESH_MODE = FULL AS SELECT SUM(amount) AS total FROM orders`,
    );
    await fake.stop();
    const { status, error } = await gw.sqlError('DROP DYNAMIC TABLE totals');
    assert.equal(status, 502);
    assert.match(error.message, /Cannot reach DolphinScheduler/);
    assert.equal((await gw.table('totals')).refreshStatus, 'ACTIVATED');
    await fake.start();
    await gw.sql('DROP DYNAMIC TABLE totals');
    assert.deepEqual(fake.workflows(), []);
  });

  it('says the token is invalid or expired when DolphinScheduler refuses it', async () => {
    fake.expireToken();
    const { status, error } = await gw.sqlError(
      `CREATE DYNAMIC TABLE t FRESHNESS = INTERVAL '5' MINUTE REFRESH_MODE = FULL AS SELECT id FROM orders`,
    );
    assert.equal(status, 502);
    assert.match(error.message, /the token is invalid or expired/);
  });
});

describe('dolphinscheduler plugin end to end with auth on and DolphinScheduler 3.3', () => {
  const admin = { authorization: 'Bearer admin-token-0123456789abcdef' };
  let fake: DolphinSchedulerFake;
  let gw: TestGateway;

  before(async () => {
    fake = await DolphinSchedulerFake.start({ version: '3.3', serverTimeZone: 'Asia/Shanghai' });
    gw = await TestGateway.start({
      auth: {
        tokens: [
          { token: 'admin-token-0123456789abcdef', scopes: ['admin'] },
          { token: 'callback-token-0123456789abcdef', scopes: ['callback'] },
        ],
      },
      scheduler: { type: PLUGIN_PATH, options: dsOptions(fake, { callbackWaitSeconds: 10 }) },
    });
  });
  after(async () => {
    await gw.close();
    await fake.close();
  });

  it("calls back with the callback token and a flat body that 3.3's HTTP task still POSTs", async () => {
    const statement = `CREATE TABLE src (v INTEGER); INSERT INTO src VALUES (1), (2);
      CREATE DYNAMIC TABLE s FRESHNESS = INTERVAL '1' HOUR REFRESH_MODE = FULL AS SELECT SUM(v) AS total FROM src`;
    assert.equal((await gw.request('POST', '/v3/statements', { statement }, admin)).status, 200);
    const instance = await fake.fire(workflowOf(fake, 's')!.code, new Date('2024-05-01T00:00:00Z'));
    const [attempt] = instance.attempts;
    assert.equal(attempt?.method, 'POST');
    // The gateway hands the plugin a token scoped to callbacks; the task must carry whatever it was given.
    assert.match(attempt?.headers.Authorization ?? '', /^Bearer \S+$/);
    assert.equal(instance.state, 'SUCCESS', attempt?.responseBody ?? attempt?.error ?? '');
    const job = (await gw.request('GET', `/v3/jobs/${JSON.parse(attempt!.responseBody!).jobId}`, undefined, admin))
      .body;
    assert.equal(job.scheduleTime, '2024-05-01T00:00:00.000Z');
  });
});
