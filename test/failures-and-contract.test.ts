import { strict as assert } from 'node:assert';
import { PassThrough, Writable } from 'node:stream';
import { runSqlClient } from '../src/cli/sql-client';
import { TestGateway, eventually, sleep } from './helpers/gateway';

/** Rows of SHOW DYNAMIC TABLES as objects keyed by column name. */
async function showTables(gw: TestGateway): Promise<Array<Record<string, unknown>>> {
  const [result] = await gw.sql('SHOW DYNAMIC TABLES');
  return result.rows.map((row: unknown[]) =>
    Object.fromEntries(result.columns.map((c: string, i: number) => [c, row[i]])),
  );
}

class Collector extends Writable {
  text = '';
  override _write(chunk: Buffer | string, _encoding: BufferEncoding, callback: () => void): void {
    this.text += chunk.toString();
    callback();
  }
}

/** A source with a duplicate key: a dynamic table keyed on it fails every refresh. */
const DUPLICATES = `CREATE TABLE keys (k TEXT); INSERT INTO keys VALUES ('x'), ('x')`;
const KEYED = `(k, PRIMARY KEY (k)) FRESHNESS = INTERVAL '1' HOUR AS SELECT k FROM keys`;

describe('failures where people look', () => {
  let gw: TestGateway;
  beforeEach(async () => {
    gw = await TestGateway.start({ refresh: { maxConsecutiveFailures: 3 } });
  });
  afterEach(() => gw.close());

  it("refuses a CREATE whose initial refresh fails with the engine's message and leaves nothing behind", async () => {
    await gw.sql(DUPLICATES);
    const { status, error } = await gw.sqlError(`CREATE DYNAMIC TABLE uniq ${KEYED}`);
    assert.equal(status, 400);
    assert.equal(error.code, 'VALIDATION_ERROR');
    assert.match(error.message, /initial refresh failed: .*UNIQUE constraint failed/);
    assert.doesNotMatch(error.message, /see the tables' entries/);
    assert.equal((await gw.request('GET', '/v3/dynamic-tables/uniq')).status, 404);
    const list = await gw.request('GET', '/v3/dynamic-tables');
    assert.deepEqual(list.body.tables, []);
    const plain = await gw.request('POST', '/v3/statements', { statement: 'SELECT * FROM uniq' });
    assert.notEqual(plain.status, 200, 'the physical table is gone');
    const drift = await gw.request('GET', '/v3/scheduler/drift');
    assert.deepEqual(drift.body.extra, [], 'no workflow is left in the scheduler');
    assert.deepEqual(drift.body.orphansPending, [], 'nor one waiting to be deleted');
    await gw.sql(`DELETE FROM keys WHERE rowid = (SELECT max(rowid) FROM keys)`);
    await gw.sql(`CREATE DYNAMIC TABLE uniq ${KEYED}`);
    assert.deepEqual(await gw.rows('SELECT k FROM uniq'), [['x']], 'the same CREATE works once the data is fixed');
  });

  it('makes `freshet sql` exit non-zero when the initial refresh fails', async () => {
    await gw.sql(DUPLICATES);
    const stdin = new PassThrough();
    stdin.end();
    const stdout = new Collector();
    const stderr = new Collector();
    const argv = ['--url', gw.url, '-e', `CREATE DYNAMIC TABLE uniq ${KEYED}`];
    const code = await runSqlClient(argv, { stdin, stdout, stderr, isTty: false }, {});
    assert.notEqual(code, 0);
    assert.match(stderr.text + stdout.text, /UNIQUE constraint failed/);
  });

  it('shows the last refresh and its error in GET, list, SHOW, DESCRIBE; the job error names the table', async () => {
    await gw.sql(`CREATE TABLE keys (k TEXT); INSERT INTO keys VALUES ('x');
      CREATE DYNAMIC TABLE uniq ${KEYED};
      INSERT INTO keys VALUES ('x')`);
    const failed = await gw.refresh({ tables: 'uniq', isPeriodic: false }, 10);
    assert.equal(failed.body.job.status, 'FAILED');
    assert.match(failed.body.job.error, /^Refresh failed for default\.main\.uniq: .*UNIQUE constraint failed/);
    const detail = await gw.table('uniq');
    assert.equal(detail.lastRefresh.state, 'FAILED');
    assert.match(detail.lastRefresh.error, /UNIQUE constraint failed/);
    assert.ok(Date.parse(detail.lastRefresh.at) > 0);
    assert.equal(detail.suspendedReason, null);
    const [summary] = (await gw.request('GET', '/v3/dynamic-tables')).body.tables;
    assert.equal(summary.lastRefresh.state, 'FAILED');
    assert.match(summary.lastRefresh.error, /UNIQUE constraint failed/);
    assert.equal(summary.lastRefresh.at, detail.lastRefresh.at);
    const [row] = await showTables(gw);
    assert.equal(row?.last_refresh_state, 'FAILED');
    assert.match(String(row?.last_error), /UNIQUE constraint failed/);
    assert.ok(String(row?.last_error).length <= 80, 'the error column is short');
    const [described] = await gw.sql('DESCRIBE DYNAMIC TABLE uniq');
    assert.equal(described.table.lastRefresh.state, 'FAILED');
    assert.match(described.message, /last refresh FAILED at .*UNIQUE constraint failed/);
  });

  it('suspends after refresh.maxConsecutiveFailures failures in a row; RESUME clears the reason', async () => {
    await gw.sql(`CREATE TABLE keys (k TEXT); INSERT INTO keys VALUES ('x');
      CREATE DYNAMIC TABLE uniq ${KEYED};
      INSERT INTO keys VALUES ('x')`);
    for (const hour of ['01', '02']) {
      await gw.refresh({ tables: 'uniq', scheduleTime: `2024-06-01 ${hour}:00:00` }, 10);
    }
    assert.equal((await gw.table('uniq')).refreshStatus, 'ACTIVATED', 'two failures are not enough');
    await gw.refresh({ tables: 'uniq', scheduleTime: '2024-06-01 03:00:00' }, 10);
    await eventually(async () => (await gw.table('uniq')).refreshStatus === 'SUSPENDED');
    const detail = await gw.table('uniq');
    assert.equal(detail.suspendedReason, 'SUSPENDED_DUE_TO_ERRORS');
    const [row] = await showTables(gw);
    assert.equal(row?.refresh_status, 'SUSPENDED');
    assert.equal(row?.suspended_reason, 'SUSPENDED_DUE_TO_ERRORS');
    const [described] = await gw.sql('DESCRIBE DYNAMIC TABLE uniq');
    assert.match(described.message, /SUSPENDED \(SUSPENDED_DUE_TO_ERRORS\)/);
    const periodic = await gw.refresh({ tables: 'uniq', scheduleTime: '2024-06-01 04:00:00' });
    assert.equal(periodic.status, 409, 'scheduled refreshes of a suspended table do not run');
    await gw.sql(`DELETE FROM keys WHERE rowid = (SELECT max(rowid) FROM keys)`);
    await gw.sql('ALTER DYNAMIC TABLE uniq RESUME');
    const resumed = await gw.table('uniq');
    assert.equal(resumed.refreshStatus, 'ACTIVATED');
    assert.equal(resumed.suspendedReason, null);
  });

  it('stops the continuous refreshes of a CONTINUOUS table that keeps failing', async () => {
    await gw.sql(`CREATE TABLE keys (k TEXT); INSERT INTO keys VALUES ('x');
      CREATE DYNAMIC TABLE uniq (k, PRIMARY KEY (k)) FRESHNESS = INTERVAL '1' SECOND REFRESH_MODE = CONTINUOUS
        AS SELECT k FROM keys;
      INSERT INTO keys VALUES ('x')`);
    await eventually(async () => (await gw.table('uniq')).refreshStatus === 'SUSPENDED', 15_000);
    assert.equal((await gw.table('uniq')).suspendedReason, 'SUSPENDED_DUE_TO_ERRORS');
    const count = (await gw.refreshes('uniq')).length;
    await sleep(2500);
    assert.equal((await gw.refreshes('uniq')).length, count, 'no refresh runs while suspended');
    await gw.sql(`DELETE FROM keys WHERE rowid = (SELECT max(rowid) FROM keys)`);
    await gw.sql('ALTER DYNAMIC TABLE uniq RESUME');
    await eventually(async () => (await gw.table('uniq')).lastRefresh?.state === 'SUCCEEDED', 15_000);
    assert.equal((await gw.table('uniq')).suspendedReason, null);
  });

  it('never suspends a table whose failures are interrupted by a success', async () => {
    await gw.sql(`CREATE TABLE keys (k TEXT); INSERT INTO keys VALUES ('x');
      CREATE DYNAMIC TABLE uniq ${KEYED};
      INSERT INTO keys VALUES ('x')`);
    await gw.refresh({ tables: 'uniq', isPeriodic: false }, 10);
    await gw.refresh({ tables: 'uniq', isPeriodic: false }, 10);
    await gw.sql(`DELETE FROM keys WHERE rowid = (SELECT max(rowid) FROM keys)`);
    assert.equal((await gw.refresh({ tables: 'uniq', isPeriodic: false }, 10)).body.job.status, 'SUCCEEDED');
    await gw.sql(`INSERT INTO keys VALUES ('x')`);
    await gw.refresh({ tables: 'uniq', isPeriodic: false }, 10);
    await gw.refresh({ tables: 'uniq', isPeriodic: false }, 10);
    assert.equal((await gw.table('uniq')).refreshStatus, 'ACTIVATED');
  });
});

describe('contract details', () => {
  let gw: TestGateway;
  beforeEach(async () => {
    gw = await TestGateway.start();
    await gw.sql(`CREATE TABLE src (k TEXT, v INTEGER); INSERT INTO src VALUES ('a', 1)`);
  });
  afterEach(() => gw.close());

  it('takes a scheduleTime without isPeriodic as periodic; isPeriodic=false forces a whole refresh', async () => {
    await gw.sql(`CREATE DYNAMIC TABLE dt FRESHNESS = INTERVAL '1' HOUR AS SELECT k, v FROM src`);
    const scheduled = await gw.refresh({ tables: ['dt'], scheduleTime: '2024-06-01 10:00:00', configuration: {} }, 10);
    assert.equal(scheduled.body.job.isPeriodic, true);
    assert.equal(scheduled.body.job.trigger, 'SCHEDULED');
    const forced = await gw.refresh({ tables: ['dt'], scheduleTime: '2024-06-01 11:00:00', isPeriodic: false }, 10);
    assert.equal(forced.body.job.isPeriodic, false);
    assert.equal(forced.body.job.trigger, 'MANUAL');
    const now = await gw.refresh({ tables: ['dt'] }, 10);
    assert.equal(now.body.job.isPeriodic, false, 'without a scheduleTime a refresh stays one-off');
    await gw.sql('ALTER DYNAMIC TABLE dt SUSPEND');
    const whileSuspended = await gw.refresh({ tables: ['dt'], scheduleTime: '2024-06-01 12:00:00' });
    assert.equal(whileSuspended.status, 409);
  });

  it('rejects unknown WITH keys with the list of known ones, and lets prefixed keys through', async () => {
    const typo = await gw.sqlError(
      `CREATE DYNAMIC TABLE dt WITH ('refresh.stratgy' = 'full') FRESHNESS = INTERVAL '1' HOUR AS SELECT k FROM src`,
    );
    assert.equal(typo.status, 400);
    assert.match(typo.error.message, /Unknown option 'refresh\.stratgy' in WITH/);
    assert.match(typo.error.message, /'initialize', 'refresh\.strategy', 'source\.catalog'/);
    assert.match(typo.error.message, /'engine\.…', 'scheduler\.…'/);
    assert.equal((await gw.request('GET', '/v3/dynamic-tables/dt')).status, 404);
    await gw.sql(
      `CREATE DYNAMIC TABLE dt WITH ('refresh.strategy' = 'full', 'engine.hint' = 'x', 'scheduler.queue' = 'q') ` +
        `FRESHNESS = INTERVAL '1' HOUR AS SELECT k FROM src`,
    );
    const orAlter = await gw.sqlError(
      `CREATE OR ALTER DYNAMIC TABLE dt WITH ('initialise' = 'on_schedule') FRESHNESS = INTERVAL '1' HOUR ` +
        `AS SELECT k FROM src`,
    );
    assert.match(orAlter.error.message, /Unknown option 'initialise'/);
    await gw.sql('ALTER DYNAMIC TABLE dt SUSPEND');
    const resume = await gw.sqlError(`ALTER DYNAMIC TABLE dt RESUME WITH ('paralelism' = '2')`);
    assert.equal(resume.status, 400);
    assert.match(resume.error.message, /Unknown option 'paralelism' in RESUME WITH .*'engine\.…', 'scheduler\.…'/);
    assert.equal((await gw.table('dt')).refreshStatus, 'SUSPENDED', 'a refused RESUME changes nothing');
    await gw.sql(`ALTER DYNAMIC TABLE dt RESUME WITH ('scheduler.queue' = 'q2', 'sink.parallelism' = '2')`);
    assert.equal((await gw.table('dt')).refreshStatus, 'ACTIVATED');
  });

  it('lists the allowed FULL-mode freshness values and suggests CONTINUOUS when FULL was deduced', async () => {
    const deduced = await gw.sqlError(`CREATE DYNAMIC TABLE dt FRESHNESS = INTERVAL '45' MINUTE AS SELECT k FROM src`);
    assert.equal(deduced.status, 400);
    const flink =
      'In full refresh mode, only freshness that are factors of 60 are currently supported when the time unit ' +
      'is MINUTE.';
    assert.ok(deduced.error.message.startsWith(flink), "Flink's wording comes first");
    assert.match(
      deduced.error.message,
      /MINUTE\. Allowed values in FULL mode: 1, 2, 3, 4, 5, 6, 10, 12, 15, 20, 30 MINUTE\. .*REFRESH_MODE = CONTINUOUS/,
    );
    const explicit = await gw.sqlError(
      `CREATE DYNAMIC TABLE dt FRESHNESS = INTERVAL '5' HOUR REFRESH_MODE = FULL AS SELECT k FROM src`,
    );
    assert.match(explicit.error.message, /Allowed values in FULL mode: 1, 2, 3, 4, 6, 8, 12 HOUR\.$/);
    assert.doesNotMatch(explicit.error.message, /CONTINUOUS/, 'FULL was asked for: no suggestion to switch');
    await gw.sql(
      `CREATE DYNAMIC TABLE dt FRESHNESS = INTERVAL '45' MINUTE REFRESH_MODE = CONTINUOUS AS SELECT k FROM src`,
    );
  });
});
