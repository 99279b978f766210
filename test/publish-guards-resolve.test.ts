/**
 * What happens to a result a publish guard blocked, through REST against the real app on SQLite: publishing it
 * (rows, freshness, the table's window), discarding it, the 409s, who may do either, and the metric and alert a
 * blocked refresh raises.
 */
import { strict as assert } from 'node:assert';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { TestGateway } from './helpers/gateway';
import { waitUntil } from './helpers/wait';

const ADMIN = { name: 'ops-alice', token: 'admin-token-0123456789', scopes: ['admin' as const] };
const OPERATE = { token: 'operate-token-0123456789', scopes: ['operate' as const] };
const READ = { token: 'read-token-0123456789', scopes: ['read' as const] };

/** A webhook receiver on port 0 that keeps every alert it is sent. */
async function startReceiver() {
  const received: any[] = [];
  const app = express();
  app.use(express.json({ type: () => true }));
  app.post('/hook', (req, res) => {
    received.push(req.body);
    res.status(200).send('ok');
  });
  const server: Server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  return { url, received, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

describe('publish guards: publishing and discarding a blocked result', function () {
  this.timeout(60_000);
  let gw: TestGateway;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  const as = (token: string) => ({ authorization: `Bearer ${token}` });
  const post = (path: string, body?: unknown, token = ADMIN.token) => gw.request('POST', path, body, as(token));
  const get = (path: string) => gw.request('GET', path, undefined, as(ADMIN.token));
  const sql = async (statement: string) => {
    const res = await post('/v3/statements', { statement });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    return res.body.results;
  };
  const rows = async (query: string) => (await sql(query))[0].rows;
  const refresh = async (body: unknown) => {
    const res = await post('/v3/dynamic-tables/refresh?wait=30', body);
    return res.body.job;
  };
  const newest = async (table: string) =>
    (await get(`/v3/dynamic-tables/${table}/refreshes?limit=1`)).body.refreshes[0];

  beforeEach(async () => {
    receiver = await startReceiver();
    gw = await TestGateway.start({
      monitor: { intervalSeconds: 0 },
      auth: { tokens: [ADMIN, OPERATE, READ] },
      alerts: { channels: [{ name: 'hook', url: receiver.url, format: 'json', repeatIntervalSeconds: 0 }] },
    });
    await sql(`CREATE TABLE src (k TEXT, v INTEGER);
      INSERT INTO src VALUES ('a', 1), ('b', 2), ('c', 3);
      CREATE DYNAMIC TABLE dt FRESHNESS = INTERVAL '1' HOUR AS SELECT k, v FROM src`);
  });
  afterEach(async () => {
    await gw.close();
    await receiver.close();
  });

  /** Empties the source and runs a scheduled refresh: blocked by the default guard. */
  async function blockedJob(scheduleTime = '2024-06-01 10:00:00'): Promise<string> {
    await sql('DELETE FROM src');
    const job = await refresh({ tables: 'dt', scheduleTime });
    assert.equal(job.tables[0].status, 'BLOCKED', JSON.stringify(job));
    return job.jobId;
  }

  it('publishes the blocked rows, records who did it, and unlocks the window', async () => {
    const jobId = await blockedJob();
    const locked = await sql(`SHOW PARTITIONS OF "default.main.dt"`);
    const window = (state: string) =>
      locked[0].rows.some((r: unknown[]) => r.includes('2024-06-01T09:00:00.000Z') && r.includes(state));
    assert.ok(window('LOCKED'), `the blocked refresh's window stays locked: ${JSON.stringify(locked[0].rows)}`);

    const res = await post(`/v3/jobs/${jobId}/publish`);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(res.body.resolution, 'PUBLISHED');
    assert.equal(res.body.resolvedBy, 'ops-alice');
    assert.equal(res.body.table, 'default.main.dt');
    assert.equal(res.body.rowsWritten, 0);
    assert.equal(res.body.rowsDeleted, 3);
    assert.deepEqual(await rows('SELECT count(*) FROM dt'), [[0]]);

    const entry = await newest('dt');
    assert.equal(entry.state, 'SUCCEEDED');
    assert.equal(entry.resolution, 'PUBLISHED');
    assert.equal(entry.resolvedBy, 'ops-alice');
    assert.equal(entry.dataTimestamp, '2024-06-01T10:00:00.000Z');
    assert.equal(entry.guards.blocked, true, 'the report of what was blocked stays');
    assert.match(entry.actionDetail, /published past its publish guards by ops-alice/);
    const unlocked = await sql(`SHOW PARTITIONS OF "default.main.dt"`);
    assert.ok(
      !unlocked[0].rows.some((r: unknown[]) => r.includes('LOCKED')),
      `the window is published: ${JSON.stringify(unlocked[0].rows)}`,
    );

    const again = await post(`/v3/jobs/${jobId}/publish`);
    assert.equal(again.status, 409);
    assert.equal(again.body.error.code, 'INVALID_STATE');
    assert.equal(again.body.error.details.reason, 'ALREADY_RESOLVED');
    assert.match(again.body.error.message, /already published by ops-alice/);
    assert.equal((await post(`/v3/jobs/${jobId}/discard`)).status, 409);
  });

  it('recovers the freshness of a table whose only refresh was blocked', async () => {
    await sql(`CREATE DYNAMIC TABLE guarded WITH ('initialize' = 'on_schedule', 'guard.min_rows' = '5')
      FRESHNESS = INTERVAL '1' HOUR AS SELECT k, v FROM src`);
    const job = await refresh({ tables: 'guarded' });
    assert.equal(job.tables[0].status, 'BLOCKED');
    const before = (await get('/v3/freshness')).body;
    const row = before.tables.find((t: any) => t.table === 'default.main.guarded');
    assert.equal(row.state, 'UNKNOWN');
    assert.equal(row.cause.kind, 'blockedByGuard');
    assert.match(row.cause.message, /blocked by a publish guard: Blocked by publish guard min_rows \(observed 3/);

    assert.equal((await post(`/v3/jobs/${job.jobId}/publish`, { table: 'guarded' })).status, 200);
    assert.deepEqual(await rows('SELECT count(*) FROM guarded'), [[3]]);
    const after = (await get('/v3/freshness')).body;
    const fresh = after.tables.find((t: any) => t.table === 'default.main.guarded');
    assert.equal(fresh.state, 'FRESH');
    assert.equal(fresh.cause, null);
  });

  it('discards the blocked result: the table keeps its rows', async () => {
    const jobId = await blockedJob();
    const res = await post(`/v3/jobs/${jobId}/discard`, { table: 'dt' });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(res.body.resolution, 'DISCARDED');
    assert.match(res.body.message, /Discarded the blocked result of default\.main\.dt/);
    assert.deepEqual(await rows('SELECT count(*) FROM dt'), [[3]]);
    const entry = await newest('dt');
    assert.deepEqual([entry.state, entry.resolution, entry.resolvedBy], ['BLOCKED', 'DISCARDED', 'ops-alice']);
    const again = await post(`/v3/jobs/${jobId}/publish`);
    assert.equal(again.status, 409);
    assert.match(again.body.error.message, /already discarded by ops-alice/);
  });

  it('refuses with 409 what there is nothing to decide on, and 404 an unknown job', async () => {
    const unknown = await post('/v3/jobs/no-such-job/publish');
    assert.equal(unknown.status, 404);
    assert.equal(unknown.body.error.code, 'NOT_FOUND');

    const ok = await refresh({ tables: 'dt', scheduleTime: '2024-06-01 09:00:00' });
    assert.equal(ok.status, 'SUCCEEDED');
    const nothing = await post(`/v3/jobs/${ok.jobId}/publish`);
    assert.equal(nothing.status, 409);
    assert.equal(nothing.body.error.details.reason, 'NOTHING_BLOCKED');
    assert.match(nothing.body.error.message, /has no result blocked by a publish guard/);

    const jobId = await blockedJob();
    await sql(`INSERT INTO src VALUES ('z', 26)`);
    assert.equal((await refresh({ tables: 'dt', scheduleTime: '2024-06-01 11:00:00' })).status, 'SUCCEEDED');
    const superseded = await post(`/v3/jobs/${jobId}/publish`);
    assert.equal(superseded.status, 409);
    assert.equal(superseded.body.error.details.reason, 'SUPERSEDED');
    assert.match(superseded.body.error.message, /superseded: job .* refreshed the table successfully after it/);
    assert.deepEqual(await rows('SELECT k FROM dt'), [['z']]);
    assert.equal((await post(`/v3/jobs/${jobId}/discard`)).body.error.details.reason, 'SUPERSEDED');

    const badBody = await post(`/v3/jobs/${jobId}/publish`, { tabel: 'dt' });
    assert.equal(badBody.status, 400);
    assert.equal(badBody.body.error.code, 'VALIDATION_ERROR');
  });

  it('asks which table when a job blocked several', async () => {
    await sql(`CREATE DYNAMIC TABLE other FRESHNESS = INTERVAL '1' HOUR AS SELECT k FROM src`);
    await sql('DELETE FROM src');
    const job = await refresh({ tables: 'dt, other', scheduleTime: '2024-06-01 10:00:00' });
    assert.deepEqual(
      job.tables.map((t: any) => t.status),
      ['BLOCKED', 'BLOCKED'],
    );
    const which = await post(`/v3/jobs/${job.jobId}/publish`);
    assert.equal(which.status, 400);
    assert.match(which.body.error.message, /blocked the results of default\.main\.dt, default\.main\.other; name one/);
    assert.equal((await post(`/v3/jobs/${job.jobId}/publish`, { table: 'other' })).status, 200);
    assert.equal((await post(`/v3/jobs/${job.jobId}/discard`, { table: 'dt' })).status, 200);
    assert.deepEqual(await rows('SELECT count(*) FROM other'), [[0]]);
    assert.deepEqual(await rows('SELECT count(*) FROM dt'), [[3]]);
  });

  it('needs the admin scope', async () => {
    const jobId = await blockedJob();
    for (const token of [OPERATE.token, READ.token]) {
      for (const verb of ['publish', 'discard']) {
        const res = await post(`/v3/jobs/${jobId}/${verb}`, undefined, token);
        assert.equal(res.status, 403, verb);
        assert.match(res.body.error.message, new RegExp(`POST /v3/jobs/${jobId}/${verb} needs the admin scope`));
      }
    }
    assert.equal((await newest('dt')).resolution, null);
    // Whoever may read sees the blocked refresh and its report.
    const job = await gw.request('GET', `/v3/jobs/${jobId}`, undefined, as(READ.token));
    assert.equal(job.body.tables[0].guards.results[0].verdict, 'BLOCKED');
  });

  it('counts the blocking guards and alerts, settling the alert once the result is decided', async () => {
    const jobId = await blockedJob();
    const metrics = await (await fetch(`${gw.url}/metrics`, { headers: as(ADMIN.token) })).text();
    assert.match(metrics, /freshet_publish_guard_blocks_total\{table="default\.main\.dt",guard="allow_empty"\} 1/);
    await waitUntil(() => receiver.received.some((a) => a.alertname === 'DynamicTablePublishBlocked'));
    const alert = receiver.received.find((a) => a.alertname === 'DynamicTablePublishBlocked');
    assert.equal(alert.status, 'firing');
    assert.equal(alert.table, 'default.main.dt');
    assert.match(alert.description, /Blocked by publish guard allow_empty/);
    assert.match(alert.description, new RegExp(`POST /v3/jobs/${jobId}/publish`));
    await post(`/v3/jobs/${jobId}/discard`);
    await waitUntil(() =>
      receiver.received.some((a) => a.alertname === 'DynamicTablePublishBlocked' && a.status === 'resolved'),
    );
  });

  it('drops staged results with the table', async () => {
    await blockedJob();
    const staged = async () =>
      (await rows(`SELECT count(*) FROM sqlite_schema WHERE name LIKE '\\_\\_freshet\\_staged%' ESCAPE '\\'`))[0][0];
    assert.equal(await staged(), 1);
    await sql('DROP DYNAMIC TABLE dt');
    assert.equal(await staged(), 0);
  });
});
