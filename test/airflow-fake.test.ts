import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { eventually, sleep } from './helpers/wait';
import { startFakeAirflow, type FakeAirflowSetup } from './fakes/airflow-harness';

const HAND_MADE_DAG = `import pendulum
from airflow import DAG

with DAG(dag_id="hand_made", schedule="*/5 * * * *", start_date=pendulum.datetime(2024, 1, 1), tags=["team"]):
    pass
`;

async function call(
  url: string,
  init: RequestInit & { json?: unknown } = {},
): Promise<{ status: number; type: string; body: any }> {
  const { json, ...rest } = init;
  const response = await fetch(
    url,
    json === undefined
      ? rest
      : { ...rest, body: JSON.stringify(json), headers: { 'content-type': 'application/json', ...rest.headers } },
  );
  const text = await response.text();
  return {
    status: response.status,
    type: response.headers.get('content-type') ?? '',
    body: text === '' ? null : JSON.parse(text),
  };
}

describe('fake Airflow 2 (/api/v1)', () => {
  let setup: FakeAirflowSetup;
  const basic = { authorization: `Basic ${Buffer.from('admin:admin').toString('base64')}` };
  const api = (route: string) => `${setup.fake.url}/api/v1${route}`;

  beforeEach(async () => {
    setup = await startFakeAirflow({ airflow: 2, parseDelayMs: 50 });
  });

  afterEach(() => setup.close());

  it('answers 401 problem+json without basic auth, or with a wrong password', async () => {
    const attempts: Array<Record<string, string>> = [
      {},
      { authorization: `Basic ${Buffer.from('admin:nope').toString('base64')}` },
    ];
    for (const headers of attempts) {
      const res = await call(api('/dags'), { headers });
      assert.equal(res.status, 401);
      assert.match(res.type, /^application\/problem\+json/);
      assert.deepEqual(
        { title: res.body.title, status: res.body.status, detail: res.body.detail },
        { title: 'Unauthorized', status: 401, detail: null },
      );
    }
    assert.equal((await call(api('/health'))).status, 200, 'health needs no auth');
  });

  it('loads a new DAG file after the parse delay, paused at creation, and makes it inactive when the file goes', async () => {
    assert.equal((await call(api('/dags/hand_made'), { headers: basic })).status, 404);
    writeFileSync(path.join(setup.dagsFolder, 'hand_made.py'), HAND_MADE_DAG);
    const dag = await eventually(async () => {
      const res = await call(api('/dags/hand_made'), { headers: basic });
      return res.status === 200 && res.body;
    });
    assert.deepEqual(
      { paused: dag.is_paused, active: dag.is_active, schedule: dag.schedule_interval, tags: dag.tags },
      {
        paused: true,
        active: true,
        schedule: { __type: 'CronExpression', value: '*/5 * * * *' },
        tags: [{ name: 'team' }],
      },
    );
    rmSync(path.join(setup.dagsFolder, 'hand_made.py'));
    await eventually(async () => (await call(api('/dags/hand_made'), { headers: basic })).body.is_active === false);
    assert.deepEqual(
      (await call(api('/dags'), { headers: basic })).body,
      { dags: [], total_entries: 0 },
      'only active DAGs are listed',
    );
  });

  it('brings a deleted DAG back while its file is still there', async () => {
    writeFileSync(path.join(setup.dagsFolder, 'hand_made.py'), HAND_MADE_DAG);
    await eventually(async () => (await call(api('/dags/hand_made'), { headers: basic })).status === 200);
    assert.equal((await call(api('/dags/hand_made'), { method: 'DELETE', headers: basic })).status, 204);
    assert.equal((await call(api('/dags/hand_made'), { headers: basic })).status, 404);
    await eventually(async () => (await call(api('/dags/hand_made'), { headers: basic })).status === 200);
    assert.equal((await call(api('/dags/missing'), { method: 'DELETE', headers: basic })).status, 404);
  });

  it('updates only is_paused, and only with a JSON body', async () => {
    writeFileSync(path.join(setup.dagsFolder, 'hand_made.py'), HAND_MADE_DAG);
    await eventually(async () => (await call(api('/dags/hand_made'), { headers: basic })).status === 200);
    const masked = await call(api('/dags/hand_made?update_mask=description'), {
      method: 'PATCH',
      headers: basic,
      json: { is_paused: false },
    });
    assert.equal(masked.status, 400);
    assert.equal(masked.body.detail, 'Only `is_paused` field can be updated through the REST API');
    const text = await call(api('/dags/hand_made?update_mask=is_paused'), {
      method: 'PATCH',
      headers: { ...basic, 'content-type': 'text/plain' },
      body: '{"is_paused": false}',
    });
    assert.equal(text.status, 415);
    const unknown = await call(api('/dags/hand_made?update_mask=is_paused'), {
      method: 'PATCH',
      headers: basic,
      json: { is_paused: false, owner: 'x' },
    });
    assert.equal(unknown.status, 400);
    const ok = await call(api('/dags/hand_made?update_mask=is_paused'), {
      method: 'PATCH',
      headers: basic,
      json: { is_paused: false },
    });
    assert.equal(ok.body.is_paused, false);
    assert.equal(setup.fake.violations.length, 1, 'the non-JSON body is recorded as a spec violation');
  });

  it('reports files that do not load as import errors, skips files without "airflow" and "dag", and refuses what the spec lacks', async () => {
    writeFileSync(path.join(setup.dagsFolder, 'broken.py'), 'from airflow import DAG\nDAG(\n');
    // Would fail to import, but safe mode never loads it.
    writeFileSync(path.join(setup.dagsFolder, 'plain.py'), 'x = 1 / 0\n');
    await eventually(async () => (await call(api('/importErrors'), { headers: basic })).body.total_entries > 0);
    await sleep(100);
    await setup.fake.processor.scan();
    const errors = (await call(api('/importErrors'), { headers: basic })).body.import_errors;
    assert.equal(errors.length, 1);
    assert.equal(errors[0].filename, path.join(setup.dagsFolder, 'broken.py'));
    assert.match(errors[0].stack_trace, /SyntaxError/);
    assert.equal((await call(api('/dags?limit=5&bogus=1'), { headers: basic })).status, 400);
    assert.equal((await call(api('/dags/x/dagRuns/list'), { headers: basic })).status, 404);
    assert.deepEqual(
      setup.fake.violations.map((v) => v.problem),
      [
        "query parameter 'bogus' is not in the spec (v1.yaml 3822-3858 (get_dags))",
        'GET /api/v1/dags/x/dagRuns/list is not in the spec',
      ],
    );
  });
});

describe('fake Airflow 3 (/api/v2)', () => {
  let setup: FakeAirflowSetup;
  const api = (route: string) => `${setup.fake.url}/api/v2${route}`;

  beforeEach(async () => {
    setup = await startFakeAirflow({ airflow: 3, parseDelayMs: 50, tokenTtlSeconds: 60 });
  });

  afterEach(() => setup.close());

  async function token(): Promise<string> {
    const res = await call(`${setup.fake.url}/auth/token`, {
      method: 'POST',
      json: { username: 'admin', password: 'admin' },
    });
    assert.equal(res.status, 201);
    return res.body.access_token;
  }

  it('issues tokens for JSON and form logins, and refuses other media types, extra fields and wrong passwords', async () => {
    await token();
    const form = await call(`${setup.fake.url}/auth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'username=admin&password=admin',
    });
    assert.equal(form.status, 201);
    assert.equal(
      (
        await call(`${setup.fake.url}/auth/token`, {
          method: 'POST',
          headers: { 'content-type': 'text/plain' },
          body: 'admin',
        })
      ).status,
      415,
    );
    const extra = await call(`${setup.fake.url}/auth/token`, {
      method: 'POST',
      json: { username: 'admin', password: 'admin', scope: 'x' },
    });
    assert.equal(extra.status, 422);
    assert.deepEqual(extra.body.detail[0].loc, ['body', 'scope']);
    const wrong = await call(`${setup.fake.url}/auth/token`, {
      method: 'POST',
      json: { username: 'admin', password: 'nope' },
    });
    assert.deepEqual([wrong.status, wrong.body], [401, { detail: 'Invalid credentials' }]);
  });

  it('answers 401 without a token, 401 once it expired, and 403 after the secret changed', async () => {
    assert.deepEqual((await call(api('/dags'))).body, { detail: 'Not authenticated' });
    const bearer = { authorization: `Bearer ${await token()}` };
    assert.equal((await call(api('/dags'), { headers: bearer })).status, 200);
    setup.fake.advanceClock(61);
    assert.deepEqual(await call(api('/dags'), { headers: bearer }), {
      status: 401,
      type: 'application/json; charset=utf-8',
      body: { detail: 'Token Expired' },
    });
    const fresh = { authorization: `Bearer ${await token()}` };
    setup.fake.rotateJwtSecret();
    assert.deepEqual((await call(api('/dags'), { headers: fresh })).body, { detail: 'Invalid JWT token' });
  });

  it('validates PATCH bodies with 422 and keeps update_mask to is_paused', async () => {
    writeFileSync(path.join(setup.dagsFolder, 'hand_made.py'), HAND_MADE_DAG);
    const headers = { authorization: `Bearer ${await token()}` };
    const dag = await eventually(async () => {
      const res = await call(api('/dags/hand_made'), { headers });
      return res.status === 200 && res.body;
    });
    assert.deepEqual(
      [dag.is_paused, dag.is_stale, dag.timetable_summary, dag.relative_fileloc],
      [true, false, '*/5 * * * *', 'hand_made.py'],
    );
    const missing = await call(api('/dags/hand_made?update_mask=is_paused'), { method: 'PATCH', headers, json: {} });
    assert.equal(missing.status, 422);
    assert.deepEqual(missing.body.detail[0].loc, ['body', 'is_paused']);
    const masked = await call(api('/dags/hand_made?update_mask=tags'), {
      method: 'PATCH',
      headers,
      json: { is_paused: false },
    });
    assert.deepEqual(
      [masked.status, masked.body],
      [400, { detail: 'Only `is_paused` field can be updated through the REST API' }],
    );
    const ok = await call(api('/dags/hand_made?update_mask=is_paused'), {
      method: 'PATCH',
      headers,
      json: { is_paused: false },
    });
    assert.equal(ok.body.is_paused, false);
    assert.deepEqual(await call(api('/dags/nope'), { headers }), {
      status: 404,
      type: 'application/json; charset=utf-8',
      body: { detail: 'Dag with id nope was not found' },
    });
    setup.fake.setRunningTasks('hand_made', true);
    assert.equal((await call(api('/dags/hand_made'), { method: 'DELETE', headers })).status, 409);
  });
});
