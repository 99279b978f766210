import { strict as assert } from 'node:assert';
import * as path from 'node:path';
import { TestGateway } from './helpers/gateway';
import { control } from './fixtures/refusing-scheduler';

describe('gateway: lifecycle and errors', () => {
  let gw: TestGateway;
  beforeEach(async () => {
    gw = await TestGateway.start();
    await gw.sql(`CREATE TABLE src (k TEXT); INSERT INTO src VALUES ('a');
      CREATE DYNAMIC TABLE dt FRESHNESS = INTERVAL '1' HOUR AS SELECT k FROM src`);
  });
  afterEach(() => gw.close());

  it('suspends and resumes, and refuses to do either twice', async () => {
    await gw.sql('ALTER DYNAMIC TABLE dt SUSPEND');
    assert.equal((await gw.table('dt')).refreshStatus, 'SUSPENDED');
    const twice = await gw.sqlError('ALTER DYNAMIC TABLE dt SUSPEND');
    assert.equal(twice.status, 409);
    assert.equal(twice.error.code, 'INVALID_STATE');
    assert.match(twice.error.message, /default\.main\.dt is already suspended/);
    const periodic = await gw.refresh({ tables: ['dt'], scheduleTime: '2024-01-01 00:00:00', isPeriodic: true });
    assert.equal(periodic.status, 409, 'scheduled refreshes of a suspended table are refused');
    const manual = await gw.refresh({ tables: ['dt'] }, 10);
    assert.equal(manual.status, 200, 'a one-off refresh of a suspended table runs');
    await gw.sql(`ALTER DYNAMIC TABLE dt RESUME WITH ('sink.parallelism' = '2')`);
    assert.equal((await gw.table('dt')).refreshStatus, 'ACTIVATED');
    const again = await gw.sqlError('ALTER DYNAMIC TABLE dt RESUME');
    assert.equal(again.status, 409);
    assert.match(again.error.message, /default\.main\.dt is already active/);
  });

  it('answers 404 for ALTER and DROP of a missing table, and DROP IF EXISTS succeeds', async () => {
    for (const sql of [
      'ALTER DYNAMIC TABLE ghost SUSPEND',
      'ALTER MATERIALIZED TABLE ghost REFRESH',
      'DROP DYNAMIC TABLE ghost',
    ]) {
      const { status, error } = await gw.sqlError(sql);
      assert.equal(status, 404, sql);
      assert.equal(error.code, 'NOT_FOUND');
      assert.match(error.message, /default\.main\.ghost/);
    }
    const [ok] = await gw.sql('DROP DYNAMIC TABLE IF EXISTS ghost');
    assert.match(ok.message, /does not exist/);
  });

  it('refuses DYNAMIC TABLE statements on a plain table, and plain writes to a dynamic table', async () => {
    for (const sql of ['ALTER DYNAMIC TABLE src SUSPEND', 'DROP DYNAMIC TABLE src', 'DESCRIBE DYNAMIC TABLE src']) {
      const { status, error } = await gw.sqlError(sql);
      assert.equal(status, 400, sql);
      assert.match(error.message, /default\.main\.src is not a dynamic table/);
    }
    const create = await gw.sqlError('CREATE DYNAMIC TABLE src AS SELECT 1 AS x');
    assert.equal(create.status, 409);
    assert.equal(create.error.code, 'ALREADY_EXISTS');
    for (const sql of [
      'DROP TABLE dt',
      `INSERT INTO dt VALUES ('z')`,
      'DELETE FROM dt',
      'ALTER TABLE dt ADD COLUMN y INTEGER',
    ]) {
      const { status, error } = await gw.sqlError(sql);
      assert.equal(status, 400, sql);
      assert.match(error.message, /default\.main\.dt is a dynamic table/);
    }
    const dropSource = await gw.sqlError('DROP TABLE src');
    assert.equal(dropSource.status, 409);
    assert.match(dropSource.error.message, /default\.main\.dt/);
  });

  it('drops a table: workflow, rows and catalog entry', async () => {
    const handler = (await gw.table('dt')).scheduler.handler;
    assert.ok(handler);
    await gw.sql('DROP DYNAMIC TABLE dt');
    assert.equal((await gw.request('GET', '/v3/dynamic-tables/dt')).status, 404);
    const { error } = await gw.sqlError('SELECT * FROM dt');
    assert.match(error.message, /no such table/);
    await gw.sql('DROP TABLE src');
  });

  it('refuses to drop a dynamic table that others read', async () => {
    await gw.sql("CREATE DYNAMIC TABLE dt2 FRESHNESS = INTERVAL '1' HOUR AS SELECT k FROM dt");
    const { status, error } = await gw.sqlError('DROP DYNAMIC TABLE dt');
    assert.equal(status, 409);
    assert.match(error.message, /default\.main\.dt2/);
  });

  it('rejects TEMPORARY and OR REPLACE, naming the clause', async () => {
    assert.match((await gw.sqlError('CREATE TEMPORARY DYNAMIC TABLE t AS SELECT 1')).error.message, /TEMPORARY/);
    assert.match((await gw.sqlError('CREATE OR REPLACE DYNAMIC TABLE t AS SELECT 1')).error.message, /OR REPLACE/);
  });

  it('answers unknown routes and bad statement bodies with 4xx', async () => {
    assert.equal((await gw.request('GET', '/v3/nothing')).status, 404);
    const empty = await gw.request('POST', '/v3/statements', {});
    assert.equal(empty.status, 400);
    assert.match(empty.body.error.message, /statement/);
    const engine = await gw.sqlError('SELECT * FROM missing_table');
    assert.equal(engine.status, 400);
    assert.match(engine.error.message, /no such table: missing_table/);
  });

  it('tells which statement of a script failed and what the ones before returned', async () => {
    const res = await gw.request('POST', '/v3/statements', { statement: 'SELECT 1 AS one;\nSELECT * FROM nope' });
    assert.equal(res.status, 400);
    assert.equal(res.body.error.details.statementIndex, 1);
    assert.deepEqual(res.body.error.details.results[0].rows, [[1]]);
  });
});

describe('gateway: a CREATE whose workflow cannot be made', () => {
  let gw: TestGateway;
  before(async () => {
    control.reset();
    gw = await TestGateway.start({
      scheduler: {
        type: path.join(__dirname, 'fixtures', 'refusing-scheduler'),
        options: { reason: 'scheduler is down' },
      },
    });
    await gw.sql(`CREATE TABLE src (k TEXT)`);
  });
  after(async () => {
    control.reset();
    await gw.close();
  });

  it("answers 502 SCHEDULER_ERROR with the scheduler's message and leaves nothing behind", async () => {
    control.refuseCreate = true;
    const { status, error } = await gw.sqlError(
      `CREATE DYNAMIC TABLE dt FRESHNESS = INTERVAL '1' HOUR AS SELECT k FROM src`,
    );
    assert.equal(status, 502);
    assert.equal(error.code, 'SCHEDULER_ERROR');
    assert.match(error.message, /scheduler is down/);
    assert.equal((await gw.request('GET', '/v3/dynamic-tables/dt')).status, 404);
    const tables = await gw.rows(`SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name`);
    assert.deepEqual(tables, [['src']], 'no physical table left');
    control.refuseCreate = false;
    await gw.sql(`CREATE DYNAMIC TABLE dt FRESHNESS = INTERVAL '1' HOUR AS SELECT k FROM src`);
  });

  it('keeps the table intact when the scheduler refuses a DROP, so the DROP can be repeated', async () => {
    control.refuseDelete = true;
    const { status } = await gw.sqlError('DROP DYNAMIC TABLE dt');
    assert.equal(status, 502);
    assert.equal((await gw.table('dt')).refreshStatus, 'ACTIVATED');
    control.refuseDelete = false;
    await gw.sql('DROP DYNAMIC TABLE dt');
    assert.equal((await gw.request('GET', '/v3/dynamic-tables/dt')).status, 404);
    assert.equal(control.workflows.size, 0);
  });

  it('deletes a workflow a failed CREATE left behind once the scheduler answers again', async () => {
    control.orphanOnCreate = true;
    control.refuseDelete = true;
    const { status } = await gw.sqlError(
      `CREATE DYNAMIC TABLE half FRESHNESS = INTERVAL '1' HOUR AS SELECT k FROM src`,
    );
    assert.equal(status, 502);
    assert.equal((await gw.request('GET', '/v3/dynamic-tables/half')).status, 404);
    assert.ok(control.workflows.has('default.main.half'), 'the scheduler kept the workflow');
    const pending = (await gw.request('GET', '/v3/scheduler/drift')).body;
    assert.deepEqual(
      pending.orphansPending.map((o: any) => o.tableIdentifier),
      ['default.main.half'],
    );
    control.orphanOnCreate = false;
    control.refuseDelete = false;
    const clean = (await gw.request('GET', '/v3/scheduler/drift')).body;
    assert.deepEqual([clean.orphansPending, clean.extra, clean.missing], [[], [], []]);
    assert.equal(control.workflows.has('default.main.half'), false);
  });

  it('reports missing, extra, wrongly paused and rescheduled workflows, and repairs them on request', async () => {
    await gw.sql(`CREATE DYNAMIC TABLE a FRESHNESS = INTERVAL '1' HOUR AS SELECT k FROM src;
      CREATE DYNAMIC TABLE b FRESHNESS = INTERVAL '1' HOUR AS SELECT k FROM src;
      CREATE DYNAMIC TABLE c FRESHNESS = INTERVAL '1' HOUR AS SELECT k FROM src`);
    assert.deepEqual((await gw.request('GET', '/v3/scheduler/drift')).body.tablesChecked, 3);
    control.workflows.delete('default.main.a');
    control.workflows.get('default.main.b')!.paused = true;
    control.workflows.get('default.main.c')!.schedule = '0 0 0/2 * * ? *';
    control.workflows.set('default.main.gone', { paused: false, schedule: '0 0 0/1 * * ? *', token: null });
    const drift = (await gw.request('GET', '/v3/scheduler/drift')).body;
    assert.deepEqual(drift.missing, [{ table: 'default.main.a' }]);
    assert.deepEqual(drift.wronglyPaused, [{ table: 'default.main.b', expectedPaused: false, actualPaused: true }]);
    assert.deepEqual(drift.wrongSchedule, [
      { table: 'default.main.c', expected: '0 0 0/1 * * ? *', actual: '0 0 0/2 * * ? *' },
    ]);
    assert.deepEqual(
      drift.extra.map((e: any) => e.tableIdentifier),
      ['default.main.gone'],
    );
    const repaired = (await gw.request('POST', '/v3/scheduler/drift/repair')).body;
    assert.equal(repaired.repaired.length, 4, JSON.stringify(repaired.repaired));
    assert.deepEqual(
      [repaired.missing, repaired.wronglyPaused, repaired.wrongSchedule, repaired.extra],
      [[], [], [], []],
    );
    assert.ok(control.workflows.has('default.main.a'));
    assert.equal(control.workflows.has('default.main.gone'), false);
  });
});

describe('gateway: callback credentials', () => {
  const admin = 'admin-token-0123456789';
  let gw: TestGateway;
  const as = (token: string) => ({ authorization: `Bearer ${token}` });
  before(async () => {
    control.reset();
    gw = await TestGateway.start({
      auth: { tokens: [{ token: admin, scopes: ['admin'] }] },
      scheduler: { type: path.join(__dirname, 'fixtures', 'refusing-scheduler') },
    });
    const res = await gw.request(
      'POST',
      '/v3/statements',
      {
        statement: `CREATE TABLE src (k TEXT); CREATE DYNAMIC TABLE dt FRESHNESS = INTERVAL '1' HOUR AS SELECT k FROM src`,
      },
      as(admin),
    );
    assert.equal(res.status, 200, JSON.stringify(res.body));
  });
  after(async () => {
    control.reset();
    await gw.close();
  });

  it('gives each workflow its own token, good for refresh calls and job reads only, and never shows it', async () => {
    const token = control.workflows.get('default.main.dt')!.token;
    assert.match(token ?? '', /^fcb_/);
    const refreshed = await gw.request(
      'POST',
      '/v3/dynamic-tables/refresh?wait=10',
      { tables: 'dt', scheduleTime: '2024-01-01 00:00:00', isPeriodic: true },
      as(token!),
    );
    assert.equal(refreshed.status, 200);
    assert.equal((await gw.request('GET', `/v3/jobs/${refreshed.body.jobId}`, undefined, as(token!))).status, 200);
    assert.equal((await gw.request('POST', '/v3/statements', { statement: 'SELECT 1' }, as(token!))).status, 403);
    assert.equal((await gw.refresh({ tables: 'dt' })).status, 401, 'a callback without a token is refused');
    const detail = await gw.request('GET', '/v3/dynamic-tables/dt', undefined, as(admin));
    assert.doesNotMatch(JSON.stringify(detail.body), /fcb_/);
  });

  it('revokes the token when the table is dropped', async () => {
    const token = control.workflows.get('default.main.dt')!.token!;
    await gw.request('POST', '/v3/statements', { statement: 'DROP DYNAMIC TABLE dt' }, as(admin));
    assert.equal((await gw.request('POST', '/v3/dynamic-tables/refresh', { tables: 'dt' }, as(token))).status, 401);
  });
});

describe('gateway: statement namespaces', () => {
  let gw: TestGateway;
  before(async () => {
    gw = await TestGateway.start();
  });
  after(() => gw.close());

  it('accepts the default catalog and database and refuses ones that do not exist', async () => {
    assert.equal(
      (await gw.request('POST', '/v3/statements', { statement: 'SELECT 1', catalog: 'default', database: 'main' }))
        .status,
      200,
    );
    const res = await gw.request('POST', '/v3/statements', { statement: 'SELECT 1', catalog: 'lake' });
    assert.equal(res.status, 404);
    assert.match(res.body.error.message, /Catalog 'lake' does not exist/);
  });
});
