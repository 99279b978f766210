import { strict as assert } from 'node:assert';
import { TestGateway } from './helpers/gateway';

describe('gateway: refresh callbacks and jobs', () => {
  let gw: TestGateway;
  beforeEach(async () => {
    gw = await TestGateway.start();
    await gw.sql(`CREATE TABLE src (k TEXT, v INTEGER);
      INSERT INTO src VALUES ('a', 1), ('b', 2);
      CREATE DYNAMIC TABLE up FRESHNESS = INTERVAL '1' HOUR AS SELECT k, v * 10 AS v FROM src;
      CREATE DYNAMIC TABLE down FRESHNESS = INTERVAL '1' HOUR AS SELECT SUM(v) AS total FROM up`);
  });
  afterEach(() => gw.close());

  it('answers {jobId, clusterInfo} and runs the job', async () => {
    const res = await gw.refresh({ tables: ['up'], scheduleTime: '2024-06-01 10:00:00', configuration: { k: 'v' } });
    assert.equal(res.status, 200);
    assert.match(res.body.jobId, /^[0-9a-f-]{36}$/);
    assert.deepEqual(res.body.clusterInfo, { engine: 'sqlite', catalog: 'default' });
    const job = await gw.request('GET', `/v3/jobs/${res.body.jobId}?`);
    assert.equal(job.status, 200);
    assert.equal(job.body.trigger, 'SCHEDULED', "a scheduler's call (a scheduleTime, no isPeriodic) is periodic");
    assert.equal(job.body.scheduleTime, '2024-06-01T10:00:00.000Z');
  });

  it('is idempotent on (tables, schedule time) while pending, running or succeeded', async () => {
    const body = { tables: ['up'], scheduleTime: '2024-06-01 10:00:00', isPeriodic: true };
    const first = await gw.refresh(body, 10);
    assert.equal(first.status, 200);
    const again = await gw.refresh(body);
    assert.equal(again.body.jobId, first.body.jobId);
    const sameInstant = await gw.refresh({ ...body, scheduleTime: '2024-06-01T12:00:00+02:00' });
    assert.equal(sameInstant.body.jobId, first.body.jobId, 'the same instant written with an offset');
    const other = await gw.refresh({ ...body, scheduleTime: '2024-06-01 11:00:00' });
    assert.notEqual(other.body.jobId, first.body.jobId);
    const concurrent = await Promise.all(
      [1, 2, 3, 4, 5].map(() => gw.refresh({ ...body, scheduleTime: '2024-06-01 12:00:00' })),
    );
    assert.equal(new Set(concurrent.map((r) => r.body.jobId)).size, 1);
  });

  it('starts a new attempt after a failed job', async () => {
    await gw.sql(`CREATE TABLE keys (k TEXT); INSERT INTO keys VALUES ('x');
      CREATE DYNAMIC TABLE uniq (k, PRIMARY KEY (k)) FRESHNESS = INTERVAL '1' HOUR AS SELECT k FROM keys;
      INSERT INTO keys VALUES ('x')`);
    const body = { tables: 'uniq', scheduleTime: '2024-06-01 10:00:00' };
    const failed = await gw.refresh(body, 10);
    assert.equal(failed.status, 500, 'a failed job answers 500 when waited for');
    assert.equal(failed.body.job.status, 'FAILED');
    assert.match(failed.body.job.tables[0].error, /UNIQUE/i);
    assert.deepEqual(await gw.rows('SELECT k FROM uniq'), [['x']], 'old rows kept');
    await gw.sql(`DELETE FROM keys WHERE rowid = (SELECT max(rowid) FROM keys)`);
    const retried = await gw.refresh(body, 10);
    assert.notEqual(retried.body.jobId, failed.body.jobId);
    assert.equal(retried.status, 200);
    assert.equal(retried.body.job.attempt, 2);
  });

  it('refreshes several tables upstream first, whatever order they are listed in', async () => {
    await gw.sql(`INSERT INTO src VALUES ('c', 3)`);
    const res = await gw.refresh({ tables: 'down, up', scheduleTime: '2024-06-01 10:00:00' }, 10);
    assert.equal(res.status, 200);
    assert.deepEqual(
      res.body.job.tables.map((t: any) => t.table),
      ['default.main.up', 'default.main.down'],
    );
    assert.deepEqual(await gw.rows('SELECT total FROM down'), [[60]]);
  });

  it('reads a body sent without a JSON content type', async () => {
    const res = await gw.request(
      'POST',
      '/v3/dynamic-tables/refresh?wait=10',
      JSON.stringify({ tables: 'up', isPeriodic: 'false' }),
      {
        'content-type': 'text/plain',
      },
    );
    assert.equal(res.status, 200);
    assert.equal(res.body.job.status, 'SUCCEEDED');
  });

  it('answers 202 when the job is still running at the end of ?wait', async () => {
    await gw.sql(`CREATE TABLE big AS WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 400000) SELECT i FROM n;
      CREATE DYNAMIC TABLE slow WITH ('initialize' = 'on_schedule') FRESHNESS = INTERVAL '1' HOUR
        AS SELECT a.i % 1000 AS g, COUNT(*) AS n FROM big a GROUP BY g ORDER BY g`);
    const res = await gw.refresh({ tables: ['slow'] }, 0.001);
    assert.equal(res.status, 202);
    assert.ok(['PENDING', 'RUNNING'].includes(res.body.job.status));
  });

  it('never refreshes one table twice at once', async () => {
    const times = ['10', '11', '12', '13'].map((h) => `2024-06-01 ${h}:00:00`);
    const jobs = await Promise.all(times.map((t) => gw.refresh({ tables: ['up'], scheduleTime: t }, 20)));
    assert.ok(jobs.every((j) => j.status === 200));
    const spans = jobs
      .map((j) => j.body.job.tables[0])
      .map((t: any) => [Date.parse(t.startedAt), Date.parse(t.finishedAt)] as const)
      .sort((a, b) => a[0] - b[0]);
    for (let i = 1; i < spans.length; i++)
      assert.ok(spans[i]![0] >= spans[i - 1]![1], 'refreshes of one table do not overlap');
  });

  it('rejects bad callbacks with 4xx and a message that says what to fix', async () => {
    const unknown = await gw.refresh({ tables: ['nope'] });
    assert.equal(unknown.status, 404);
    assert.equal(unknown.body.error.code, 'NOT_FOUND');
    assert.match(unknown.body.error.message, /default\.main\.nope/);

    const badTime = await gw.refresh({ tables: ['up'], scheduleTime: 'yesterday' });
    assert.equal(badTime.status, 400);
    assert.match(badTime.body.error.message, /yyyy-MM-dd HH:mm:ss/);

    const noTables = await gw.refresh({ scheduleTime: '2024-01-01 00:00:00' });
    assert.equal(noTables.status, 400);
    assert.match(noTables.body.error.message, /tables/);

    const badJson = await gw.request('POST', '/v3/dynamic-tables/refresh', '{"tables": [', {
      'content-type': 'application/json',
    });
    assert.equal(badJson.status, 400);
    assert.equal(badJson.body.error.code, 'VALIDATION_ERROR');

    const huge = await gw.request(
      'POST',
      '/v3/statements',
      JSON.stringify({ statement: `SELECT '${'x'.repeat(1024 * 1024)}'` }),
    );
    assert.equal(huge.status, 413);
    assert.equal(huge.body.error.code, 'PAYLOAD_TOO_LARGE');

    const badWait = await gw.refresh({ tables: ['up'] }, -1);
    assert.equal(badWait.status, 400);

    const badZone = await gw.refresh({ tables: ['up'], scheduleTime: '2024-01-01 00:00:00', timeZone: 'Mars/Olympus' });
    assert.equal(badZone.status, 400);

    const unknownJob = await gw.request('GET', '/v3/jobs/00000000-0000-0000-0000-000000000000');
    assert.equal(unknownJob.status, 404);
  });

  it('interprets schedule times in the given time zone', async () => {
    const res = await gw.refresh(
      { tables: ['up'], scheduleTime: '2024-01-01 08:00:00', timeZone: 'Asia/Shanghai' },
      10,
    );
    assert.equal(res.body.job.scheduleTime, '2024-01-01T00:00:00.000Z');
  });

  it('lists tables with paging and shows refresh history newest first', async () => {
    const page = await gw.request('GET', '/v3/dynamic-tables?limit=1');
    assert.equal(page.body.total, 2);
    assert.equal(page.body.tables.length, 1);
    assert.equal(page.body.nextOffset, 1);
    await gw.refresh({ tables: ['up'], scheduleTime: '2024-06-01 10:00:00' }, 10);
    const history = await gw.refreshes('default.main.up');
    assert.deepEqual(
      history.map((h) => h.trigger),
      ['SCHEDULED', 'CREATION'],
    );
    assert.equal(history[0].scheduleTime, '2024-06-01T10:00:00.000Z');
    const creation = history[1];
    assert.equal(creation.action, 'FULL', 'the first refresh computes the whole table');
    const job = await gw.job(creation.jobId);
    assert.equal(job.tables[0].action, 'FULL', 'the job shows it too');
    assert.equal(job.tables[0].rowsWritten, creation.rowsWritten);
  });

  it('reports health', async () => {
    const res = await gw.request('GET', '/health');
    assert.deepEqual(res.body, { status: 'ok', catalog: 'ok', engine: 'ok', scheduler: 'embedded' });
  });
});
