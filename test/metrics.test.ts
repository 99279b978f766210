import { strict as assert } from 'node:assert';
import * as path from 'node:path';
import type { Scope } from '../src/manager/scopes';
import { control } from './fixtures/refusing-scheduler';
import { BACKENDS } from './helpers/backends';
import { TestGateway } from './helpers/gateway';
import { type Exposition, parseExposition, samplesOf, sampleValue } from './helpers/prometheus-text';

const HOUR_S = 3600;

async function scrape(gw: TestGateway, token?: string): Promise<{ status: number; type: string; text: string }> {
  const headers: Record<string, string> = token === undefined ? {} : { authorization: `Bearer ${token}` };
  const res = await fetch(`${gw.url}/metrics`, { headers });
  return { status: res.status, type: res.headers.get('content-type') ?? '', text: await res.text() };
}

async function metrics(gw: TestGateway): Promise<Exposition> {
  const res = await scrape(gw);
  assert.equal(res.status, 200, res.text);
  return parseExposition(res.text);
}

const ago = (seconds: number) => new Date(Date.now() - seconds * 1000).toISOString();

// Where the tables live: the catalog and the engine both on SQLite, or both on PostgreSQL (databases of their own).
for (const backend of BACKENDS) {
  describe(`GET /metrics: tables, refreshes and requests (${backend.kind})`, function () {
    this.timeout(60_000);
    let gw: TestGateway;
    let drop: () => Promise<void> = async () => undefined;
    /** Identifiers by short name, as the gateway spells them. */
    const id: Record<string, string> = {};
    let failedJobId: string;

    before(async () => {
      const setup = await backend.setUp({ warehouse: 'own' });
      drop = setup.drop;
      gw = await TestGateway.start(setup.overrides);
      const later = "WITH ('initialize' = 'on_schedule') FRESHNESS = INTERVAL '1' HOUR REFRESH_MODE = FULL";
      await gw.sql(`CREATE TABLE src (k TEXT, v INTEGER);
        INSERT INTO src VALUES ('a', 1), ('a', 2), ('b', 5);
        CREATE DYNAMIC TABLE totals FRESHNESS = INTERVAL '1' HOUR REFRESH_MODE = FULL
          AS SELECT k, SUM(v) AS total FROM src GROUP BY k;
        CREATE DYNAMIC TABLE late ${later} AS SELECT k FROM src;
        CREATE DYNAMIC TABLE strict WITH ('initialize' = 'on_schedule', 'sla.error_after' = '1 hour')
          FRESHNESS = INTERVAL '1' HOUR REFRESH_MODE = FULL AS SELECT k FROM src;
        CREATE DYNAMIC TABLE old ${later} AS SELECT k FROM src;
        CREATE DYNAMIC TABLE never ${later} AS SELECT k FROM src;
        CREATE DYNAMIC TABLE paused ${later} AS SELECT k FROM src;
        CREATE DYNAMIC TABLE keyed (k, PRIMARY KEY (k)) ${later} AS SELECT k FROM src;
        CREATE DYNAMIC TABLE down ${later} AS SELECT COUNT(*) AS n FROM keyed;
        ALTER DYNAMIC TABLE paused SUSPEND`);
      for (const name of ['totals', 'late', 'strict', 'old', 'never', 'paused', 'keyed', 'down']) {
        id[name] = (await gw.table(name)).identifier;
      }
      const scheduled = async (table: string, secondsAgo: number) => {
        const res = await gw.refresh({ tables: [table], scheduleTime: ago(secondsAgo), isPeriodic: true }, 20);
        assert.equal(res.status, 200, JSON.stringify(res.body));
      };
      await scheduled('totals', 600);
      await scheduled('late', 1.5 * HOUR_S);
      await scheduled('strict', 1.5 * HOUR_S);
      await scheduled('old', 3 * HOUR_S);
      const failed = await gw.refresh({ tables: ['keyed', 'down'] }, 20);
      assert.equal(failed.status, 500, JSON.stringify(failed.body));
      failedJobId = failed.body.jobId;
    });
    after(async () => {
      await gw?.close();
      await drop();
    });

    it("serves Prometheus' text format with HELP and TYPE for every metric, and the process metrics", async () => {
      const res = await scrape(gw);
      assert.equal(res.status, 200);
      assert.match(res.type, /^text\/plain; version=0\.0\.4/);
      const { types, help } = parseExposition(res.text);
      const expected: Record<string, string> = {
        freshet_dynamic_table_lag_seconds: 'gauge',
        freshet_dynamic_table_target_lag_seconds: 'gauge',
        freshet_dynamic_table_last_success_timestamp_seconds: 'gauge',
        freshet_dynamic_table_freshness_state: 'gauge',
        freshet_refresh_duration_seconds: 'histogram',
        freshet_refresh_total: 'counter',
        freshet_refresh_rows_total: 'counter',
        freshet_publish_guard_blocks_total: 'counter',
        freshet_scheduler_drift: 'gauge',
        freshet_http_request_duration_seconds: 'histogram',
        process_cpu_user_seconds_total: 'counter',
        process_resident_memory_bytes: 'gauge',
        nodejs_eventloop_lag_seconds: 'gauge',
      };
      for (const [name, type] of Object.entries(expected)) {
        assert.equal(types.get(name), type, name);
        assert.ok((help.get(name) ?? '').length > 10, `HELP of ${name}`);
      }
    });

    it('counts refreshes by table, status and trigger, with the rows the history shows', async () => {
      const m = await metrics(gw);
      const total = (table: string, status: string, trigger: string) =>
        sampleValue(m, 'freshet_refresh_total', { table: id[table] as string, status, trigger });
      assert.equal(total('totals', 'SUCCEEDED', 'CREATION'), 1);
      assert.equal(total('totals', 'SUCCEEDED', 'SCHEDULED'), 1);
      assert.equal(total('old', 'SUCCEEDED', 'SCHEDULED'), 1);
      assert.equal(total('keyed', 'FAILED', 'MANUAL'), 1);
      assert.equal(total('down', 'UPSTREAM_FAILED', 'MANUAL'), 1);
      assert.deepEqual(samplesOf(m, 'freshet_refresh_total', { table: id.never as string }), []);

      const history = await gw.refreshes('totals');
      const sum = (field: string) => history.reduce((n: number, h: any) => n + (h[field] ?? 0), 0);
      assert.ok(sum('rowsWritten') >= 4, JSON.stringify(history));
      assert.equal(
        sampleValue(m, 'freshet_refresh_rows_total', { table: id.totals as string, op: 'inserted' }),
        sum('rowsWritten'),
      );
      assert.equal(
        sampleValue(m, 'freshet_refresh_rows_total', { table: id.totals as string, op: 'deleted' }),
        sum('rowsDeleted'),
      );

      const counts = samplesOf(m, 'freshet_refresh_duration_seconds_count', { table: id.totals as string });
      assert.deepEqual(
        counts.map((s) => [s.labels.action, s.value]),
        [['FULL', 2]],
      );
      assert.equal(
        sampleValue(m, 'freshet_refresh_duration_seconds_count', { table: id.keyed as string, action: 'FAILED' }),
        1,
      );
      assert.deepEqual(samplesOf(m, 'freshet_refresh_duration_seconds_count', { table: id.down as string }), []);
    });

    it("reports each table's lag, target lag, last success and freshness state", async () => {
      const m = await metrics(gw);
      for (const name of Object.keys(id)) {
        assert.equal(sampleValue(m, 'freshet_dynamic_table_target_lag_seconds', { table: id[name] as string }), HOUR_S);
      }
      const lag = (name: string) => sampleValue(m, 'freshet_dynamic_table_lag_seconds', { table: id[name] as string });
      assert.ok(lag('totals') < 300, `totals lag ${lag('totals')}`);
      assert.ok(lag('late') >= 1.5 * HOUR_S && lag('late') < 1.5 * HOUR_S + 120, `late lag ${lag('late')}`);
      assert.ok(lag('old') >= 3 * HOUR_S && lag('old') < 3 * HOUR_S + 120, `old lag ${lag('old')}`);
      assert.ok(Math.abs(lag('old') - (await gw.table('old')).lagSeconds) < 60, 'the lag GET /v3/dynamic-tables shows');
      for (const name of ['never', 'keyed', 'down', 'paused']) {
        assert.deepEqual(samplesOf(m, 'freshet_dynamic_table_lag_seconds', { table: id[name] as string }), [], name);
      }

      const finished = (await gw.refreshes('totals'))
        .filter((h: any) => h.state === 'SUCCEEDED')
        .map((h: any) => Date.parse(h.finishedAt) / 1000);
      const lastSuccess = sampleValue(m, 'freshet_dynamic_table_last_success_timestamp_seconds', {
        table: id.totals as string,
      });
      assert.equal(lastSuccess, Math.max(...finished));
      assert.deepEqual(
        samplesOf(m, 'freshet_dynamic_table_last_success_timestamp_seconds', { table: id.keyed as string }),
        [],
      );

      const states = {
        totals: 'FRESH',
        late: 'WARN',
        strict: 'STALE',
        old: 'STALE',
        never: 'UNKNOWN',
        keyed: 'UNKNOWN',
        paused: 'PAUSED',
      };
      for (const [name, state] of Object.entries(states)) {
        const series = samplesOf(m, 'freshet_dynamic_table_freshness_state', { table: id[name] as string });
        assert.deepEqual(
          series.map((s) => [s.labels.state, s.value]).sort(),
          (['FRESH', 'PAUSED', 'STALE', 'UNKNOWN', 'WARN'] as const).map((s) => [s, s === state ? 1 : 0]),
          name,
        );
      }
    });

    it('forgets a dropped table at the next scrape', async () => {
      await gw.sql('DROP DYNAMIC TABLE never');
      const m = await metrics(gw);
      for (const name of ['freshet_dynamic_table_target_lag_seconds', 'freshet_dynamic_table_freshness_state']) {
        assert.deepEqual(samplesOf(m, name, { table: id.never as string }), [], name);
      }
    });

    it('labels requests with the route pattern, never with ids or raw paths', async () => {
      assert.equal((await gw.request('GET', `/v3/jobs/${failedJobId}`)).status, 200);
      await gw.table('totals');
      assert.equal((await gw.request('GET', '/v3/no-such-thing/42')).status, 404);
      const res = await scrape(gw);
      assert.equal(res.text.includes(failedJobId), false, 'no job id anywhere');
      const m = parseExposition(res.text);
      const count = (labels: Record<string, string>) =>
        sampleValue(m, 'freshet_http_request_duration_seconds_count', labels);
      assert.ok(count({ route: '/v3/jobs/:jobId', method: 'GET', status: '200' }) >= 1);
      assert.ok(count({ route: '/v3/dynamic-tables/:id', method: 'GET', status: '200' }) >= 1);
      assert.ok(count({ route: '/v3/statements', method: 'POST', status: '200' }) >= 1);
      assert.ok(count({ route: 'unmatched', method: 'GET', status: '404' }) >= 1);
      const routes = new Set(samplesOf(m, 'freshet_http_request_duration_seconds_count').map((s) => s.labels.route));
      for (const route of routes) {
        assert.ok(route === 'unmatched' || route?.startsWith('/'), String(route));
        assert.ok(!/totals|no-such-thing|42/.test(route as string), `a raw path as a route: ${route}`);
      }
    });

    it('counts windows a gated refresh skipped or failed as not ready by their history state, timing neither', async () => {
      const created = await gw.request('POST', '/v3/sources', { name: 'feed', owner: 'data-team' });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      await gw.sql(`CREATE TABLE feed (k TEXT); INSERT INTO feed VALUES ('a');
        CREATE DYNAMIC TABLE skipping WITH ('initialize' = 'on_schedule', 'readiness.sources' = 'feed',
          'readiness.on_not_ready' = 'skip') FRESHNESS = INTERVAL '1' HOUR REFRESH_MODE = FULL AS SELECT k FROM feed;
        CREATE DYNAMIC TABLE failing WITH ('initialize' = 'on_schedule', 'readiness.sources' = 'feed',
          'readiness.on_not_ready' = 'fail') FRESHNESS = INTERVAL '1' HOUR REFRESH_MODE = FULL AS SELECT k FROM feed`);
      for (const name of ['skipping', 'failing']) {
        id[name] = (await gw.table(name)).identifier;
        await gw.refresh({ tables: [name], scheduleTime: ago(600), isPeriodic: true }, 20);
        const [last] = await gw.refreshes(name);
        assert.equal(last.errorCode, 'NOT_READY', JSON.stringify(last));
      }
      const m = await metrics(gw);
      const total = (name: string) =>
        samplesOf(m, 'freshet_refresh_total', { table: id[name] as string }).map((s) => [
          s.labels.status,
          s.labels.trigger,
          s.value,
        ]);
      assert.deepEqual(total('skipping'), [['SKIPPED', 'SCHEDULED', 1]]);
      assert.deepEqual(total('failing'), [['FAILED', 'SCHEDULED', 1]]);
      for (const name of ['skipping', 'failing']) {
        assert.deepEqual(samplesOf(m, 'freshet_refresh_duration_seconds_count', { table: id[name] as string }), []);
      }
    });

    it('keeps the publish guard counter at zero series until publish guards exist', async () => {
      const m = await metrics(gw);
      assert.deepEqual(samplesOf(m, 'freshet_publish_guard_blocks_total'), []);
    });
  });
}

describe('GET /metrics: auth', () => {
  const TOKENS = {
    admin: 'metrics-test-admin-token-0123',
    read: 'metrics-test-read-token-01234',
    metrics: 'metrics-test-scrape-token-012',
  } as const;
  let gw: TestGateway;
  before(async () => {
    gw = await TestGateway.start({
      auth: { tokens: Object.entries(TOKENS).map(([scope, token]) => ({ token, scopes: [scope as Scope] })) },
    });
  });
  after(() => gw.close());

  it('needs a token with the metrics or admin scope', async () => {
    const none = await scrape(gw);
    assert.equal(none.status, 401);
    assert.equal(JSON.parse(none.text).error.code, 'UNAUTHORIZED');
    const read = await scrape(gw, TOKENS.read);
    assert.equal(read.status, 403);
    assert.match(JSON.parse(read.text).error.message, /GET \/metrics needs the metrics scope; this token has read/);
    for (const token of [TOKENS.metrics, TOKENS.admin]) {
      const res = await scrape(gw, token);
      assert.equal(res.status, 200);
      assert.ok(parseExposition(res.text).types.has('freshet_refresh_total'));
    }
  });

  it('counts refused requests as unmatched, with their status', async () => {
    await scrape(gw, TOKENS.read);
    const m = parseExposition((await scrape(gw, TOKENS.metrics)).text);
    assert.ok(
      sampleValue(m, 'freshet_http_request_duration_seconds_count', { route: 'unmatched', status: '403' }) >= 1,
    );
    assert.ok(sampleValue(m, 'freshet_http_request_duration_seconds_count', { route: '/metrics', status: '200' }) >= 1);
  });
});

describe('GET /metrics: two gateways in one process, and scheduler drift', () => {
  let one: TestGateway;
  let two: TestGateway;
  before(async () => {
    control.reset();
    one = await TestGateway.start({
      scheduler: { type: path.join(__dirname, 'fixtures', 'refusing-scheduler'), options: {} },
    });
    two = await TestGateway.start();
    for (const gw of [one, two]) {
      await gw.sql(`CREATE TABLE src (k TEXT); INSERT INTO src VALUES ('a');
        CREATE DYNAMIC TABLE a FRESHNESS = INTERVAL '1' HOUR REFRESH_MODE = FULL AS SELECT k FROM src`);
    }
    await two.sql("CREATE DYNAMIC TABLE b FRESHNESS = INTERVAL '1' HOUR REFRESH_MODE = FULL AS SELECT k FROM src");
  });
  after(async () => {
    control.reset();
    await one.close();
    await two.close();
  });

  it('each gateway counts only its own refreshes', async () => {
    const [m1, m2] = [await metrics(one), await metrics(two)];
    assert.equal(sampleValue(m1, 'freshet_refresh_total', { table: 'default.main.a' }), 1);
    assert.deepEqual(samplesOf(m1, 'freshet_refresh_total', { table: 'default.main.b' }), []);
    assert.equal(sampleValue(m2, 'freshet_refresh_total', { table: 'default.main.b' }), 1);
  });

  it('shows what the last drift check found, by kind', async () => {
    assert.deepEqual(samplesOf(await metrics(one), 'freshet_scheduler_drift'), [], 'no check yet');
    assert.equal((await one.request('GET', '/v3/scheduler/drift')).status, 200);
    const kinds = ['missing', 'wronglyPaused', 'wrongSchedule', 'extra'];
    const drift = async () => {
      const m = await metrics(one);
      return kinds.map((kind) => sampleValue(m, 'freshet_scheduler_drift', { kind }));
    };
    assert.deepEqual(await drift(), [0, 0, 0, 0]);
    control.workflows.delete('default.main.a');
    control.workflows.set('default.main.gone', { paused: false, schedule: '0 0 0/1 * * ? *', token: null });
    assert.deepEqual(await drift(), [0, 0, 0, 0], 'until the next check');
    assert.equal((await one.request('GET', '/v3/scheduler/drift')).status, 200);
    assert.deepEqual(await drift(), [1, 0, 0, 1]);
    assert.equal((await one.request('POST', '/v3/scheduler/drift/repair')).status, 200);
    assert.deepEqual(await drift(), [0, 0, 0, 0]);
  });
});
