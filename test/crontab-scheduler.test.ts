import { strict as assert } from 'node:assert';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { schedulerFactory } from '../examples/crontab-scheduler';
import { MemoryStateStore, runSchedulerConformance, type SchedulerContext } from '../src/index';
import { SchedulerRegistry } from '../src/scheduler/registry';
import { TestGateway } from './helpers/gateway';

const run = promisify(execFile);
const folder = mkdtempSync(path.join(os.tmpdir(), 'freshet-crontab-'));
after(() => rmSync(folder, { recursive: true, force: true }));

const silent = { info() {}, warn() {}, error() {} };

runSchedulerConformance('example third-party plugin (crontab)', schedulerFactory, {
  makeContext: (): SchedulerContext => ({
    gatewayUrl: 'http://127.0.0.1:8083',
    stateStore: new MemoryStateStore(),
    logger: silent,
    now: () => new Date(),
    triggerRefresh: async () => undefined,
  }),
  options: () => ({ crontabFile: path.join(folder, 'conformance.cron') }),
  reset: async () => rmSync(path.join(folder, 'conformance.cron'), { force: true }),
});

/** What cron would run for an entry: the command part, with cron's `\%` turned back into `%`. */
function cronCommand(line: string): string {
  return line.split(' ').slice(5).join(' ').replace(/\\%/g, '%');
}

describe('example third-party plugin (crontab) against a real gateway', () => {
  const crontabFile = path.join(folder, 'gateway.cron');
  const admin = 'admin-token-0123456789';
  let gw: TestGateway;
  const sql = (statement: string) =>
    gw.request('POST', '/v3/statements', { statement }, { authorization: `Bearer ${admin}` });
  const entryLine = () =>
    readFileSync(crontabFile, 'utf8')
      .split('\n')
      .find((l) => /curl/.test(l)) ?? '';

  before(async () => {
    gw = await TestGateway.start({
      auth: { tokens: [{ token: admin, scopes: ['admin'] }] },
      scheduler: { type: path.resolve(__dirname, '..', 'examples', 'crontab-scheduler'), options: { crontabFile } },
    });
    assert.equal(
      (
        await sql(`CREATE TABLE src (k TEXT); INSERT INTO src VALUES ('a');
      CREATE DYNAMIC TABLE dt FRESHNESS = INTERVAL '5' MINUTE REFRESH_MODE = FULL AS SELECT k FROM src`)
      ).status,
      200,
    );
  });
  after(() => gw.close());

  it('writes a crontab entry whose command refreshes the table when cron runs it', async () => {
    const line = entryLine();
    assert.match(line, /^\*\/5 \* \* \* \* curl /);
    await sql(`INSERT INTO src VALUES ('b')`);
    const { stdout } = await run('sh', ['-c', cronCommand(line)]);
    const answer = JSON.parse(stdout);
    assert.equal(answer.job.status, 'SUCCEEDED');
    assert.equal(answer.job.trigger, 'SCHEDULED');
    assert.match(answer.job.scheduleTime, /:00\.000Z$/, 'the minute cron fired for');
    const rows = await sql('SELECT k FROM dt ORDER BY k');
    assert.deepEqual(rows.body.results[0].rows, [['a'], ['b']]);
  });

  it('comments the entry out while suspended and carries RESUME options in the body', async () => {
    await sql('ALTER DYNAMIC TABLE dt SUSPEND');
    assert.match(readFileSync(crontabFile, 'utf8'), /^#paused# \*\/5/m);
    await sql(`ALTER DYNAMIC TABLE dt RESUME WITH ('scheduler.it''s' = '100%')`);
    const line = entryLine();
    assert.doesNotMatch(line, /^#paused#/);
    const { stdout } = await run('sh', ['-c', cronCommand(line)]);
    assert.equal(
      JSON.parse(stdout).job.status,
      'SUCCEEDED',
      'quotes and percent signs in options survive shell and cron',
    );
  });

  it('refuses second-level schedules, and removes the entry on DROP', async () => {
    const res = await sql(
      `CREATE DYNAMIC TABLE fast FRESHNESS = INTERVAL '30' SECOND REFRESH_MODE = FULL AS SELECT k FROM src`,
    );
    assert.equal(res.status, 400);
    assert.match(res.body.error.message, /at most once a minute/);
    await sql('DROP DYNAMIC TABLE dt');
    assert.doesNotMatch(readFileSync(crontabFile, 'utf8'), /curl/);
  });
});

describe('loading the example plugin the way the plugin guide says', () => {
  it('finds its factory at ./dist/examples/crontab-scheduler from the repository folder', () => {
    // The compiled tests live in dist/test; the repository folder is two levels up.
    const repository = path.resolve(__dirname, '..', '..');
    const factory = new SchedulerRegistry().find('./dist/examples/crontab-scheduler', repository);
    assert.equal(factory.identifier, schedulerFactory.identifier);
  });
});
