import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { dagIdFor, dagSpecOf, renderDagFile, type DagRenderSettings, type DagSpec } from '../plugins/airflow';
import {
  REPO_ROOT,
  callDagFunction,
  parseDagFile,
  renderDagRequests,
  type ParsedDag,
  type StubAirflow,
} from './fakes/airflow-python';

const SPEC: DagSpec = {
  dagId: 'freshet_default_main_orders_hourly_0c1d2e3f',
  tableIdentifier: 'default.main.orders_hourly',
  description: "CREATE DYNAMIC TABLE orders_hourly FRESHNESS = INTERVAL '1' HOUR AS SELECT * FROM orders",
  unixCron: '0 * * * *',
  timeZone: 'UTC',
  refreshUrl: 'http://127.0.0.1:8083/v3/dynamic-tables/refresh',
  jobsUrl: 'http://127.0.0.1:8083/v3/jobs/',
  token: 'callback-token-0123456789',
  configuration: {},
};
const SETTINGS: DagRenderSettings = { sensorPokeSeconds: 30, sensorTimeoutSeconds: 3600 };

describe('airflow DAG file', () => {
  let folder: string;
  let counter = 0;

  before(() => {
    folder = mkdtempSync(path.join(os.tmpdir(), 'freshet-dag-file-'));
  });

  after(() => rmSync(folder, { recursive: true, force: true }));

  function write(spec: DagSpec = SPEC, settings: DagRenderSettings = SETTINGS): string {
    const file = path.join(folder, `dag_${counter++}.py`);
    writeFileSync(file, renderDagFile(spec, settings));
    return file;
  }

  async function parsedDag(file: string, airflow: StubAirflow): Promise<ParsedDag> {
    const result = await parseDagFile(file, { airflow });
    if (!result.ok) assert.fail(`the DAG file does not load on Airflow ${airflow}:\n${result.error}`);
    assert.equal(result.dags.length, 1);
    return result.dags[0]!;
  }

  it('compiles with python3', async () => {
    const cfile = path.join(folder, 'compiled.pyc');
    const script = 'import py_compile, sys; py_compile.compile(sys.argv[1], cfile=sys.argv[2], doraise=True)';
    await promisify(execFile)('python3', ['-c', script, write(), cfile]);
  });

  for (const airflow of ['2', '3', '2-legacy-http'] as const) {
    it(`declares the refresh DAG on Airflow ${airflow}: schedule, no catch-up, one run at a time, tagged`, async () => {
      const dag = await parsedDag(write(), airflow);
      assert.equal(dag.dag_id, SPEC.dagId);
      assert.deepEqual(
        {
          schedule: dag.args.schedule,
          catchup: dag.args.catchup,
          max_active_runs: dag.args.max_active_runs,
          is_paused_upon_creation: dag.args.is_paused_upon_creation,
          tags: dag.args.tags,
          description: dag.args.description,
          start_date: dag.args.start_date,
        },
        {
          schedule: '0 * * * *',
          catchup: false,
          max_active_runs: 1,
          is_paused_upon_creation: false,
          tags: ['freshet', 'freshet-table:default.main.orders_hourly'],
          description: SPEC.description,
          start_date: { datetime: '2024-01-01T00:00:00+00:00', tz: 'UTC' },
        },
      );
      const [refresh, wait] = dag.tasks;
      assert.equal(refresh?.operator, airflow === '2-legacy-http' ? 'SimpleHttpOperator' : 'HttpOperator');
      assert.equal(wait?.operator, 'HttpSensor');
      assert.deepEqual(refresh?.downstream, ['wait_for_refresh']);
      assert.deepEqual(
        {
          method: refresh?.args.method,
          endpoint: refresh?.args.endpoint,
          headers: refresh?.args.headers,
          filter: refresh?.args.response_filter,
        },
        {
          method: 'POST',
          endpoint: '/v3/dynamic-tables/refresh',
          headers: { 'Content-Type': 'application/json', Authorization: 'Bearer callback-token-0123456789' },
          filter: { callable: '_job_id' },
        },
      );
      assert.deepEqual(
        {
          method: wait?.args.method,
          endpoint: wait?.args.endpoint,
          headers: wait?.args.headers,
          check: wait?.args.response_check,
          poke: wait?.args.poke_interval,
          timeout: wait?.args.timeout,
          mode: wait?.args.mode,
        },
        {
          method: 'GET',
          endpoint: "/v3/jobs/{{ ti.xcom_pull(task_ids='refresh') }}",
          headers: { Authorization: 'Bearer callback-token-0123456789' },
          check: { callable: '_job_finished' },
          poke: 30,
          timeout: 3600,
          mode: 'poke',
        },
      );
      assert.equal(refresh?.args.http_conn_id, wait?.args.http_conn_id);
    });
  }

  const runs = [
    {
      name: 'an Airflow 2 cron run (fires at the end of its interval)',
      airflow: '2',
      run: { airflow: 2, data_interval_end: '2024-05-01T11:00:00+00:00', run_after: '2024-05-01T11:00:00+00:00' },
      expected: '2024-05-01 11:00:00',
    },
    {
      name: 'an Airflow 3 cron run',
      airflow: '3',
      run: { airflow: 3, data_interval_end: '2024-05-01T11:00:00+00:00', run_after: '2024-05-01T11:00:00+00:00' },
      expected: '2024-05-01 11:00:00',
    },
    {
      name: 'an Airflow 3 run triggered with logical_date null',
      airflow: '3',
      run: { airflow: 3, data_interval_end: null, run_after: '2024-05-01T11:07:30+00:00' },
      expected: '2024-05-01 11:07:30',
    },
  ] as const;

  for (const { name, airflow, run, expected } of runs) {
    it(`sends the refresh request with the schedule time of ${name}`, async () => {
      const requests = await renderDagRequests(write(), { airflow }, { run, xcom: { refresh: 'job-42' } });
      const refresh = requests.refresh!;
      assert.equal(refresh.method, 'POST');
      assert.equal(refresh.url, SPEC.refreshUrl);
      assert.deepEqual(refresh.headers, {
        'Content-Type': 'application/json',
        Authorization: 'Bearer callback-token-0123456789',
      });
      assert.deepEqual(JSON.parse(refresh.data!), {
        tables: [SPEC.tableIdentifier],
        scheduleTime: expected,
        isPeriodic: true,
        timeZone: 'UTC',
      });
      assert.deepEqual(requests.wait_for_refresh, {
        method: 'GET',
        url: `${SPEC.jobsUrl}job-42`,
        headers: { Authorization: 'Bearer callback-token-0123456789' },
        data: null,
        params: null,
      });
    });
  }

  it('uses the configured Airflow connection instead of defining one', async () => {
    const file = write(SPEC, { ...SETTINGS, httpConnectionId: 'freshet_gateway' });
    const parsed = await parseDagFile(file, { airflow: '3' });
    assert.ok(parsed.ok);
    assert.deepEqual(parsed.connections, {});
    assert.deepEqual(
      parsed.dags[0]!.tasks.map((t) => t.args.http_conn_id),
      ['freshet_gateway', 'freshet_gateway'],
    );
    const run = { airflow: 3, data_interval_end: '2024-05-01T11:00:00Z', run_after: '2024-05-01T11:00:00Z' } as const;
    const connections = {
      freshet_gateway: { conn_type: 'http', host: 'freshet.example', schema: 'https', port: 8443 },
    };
    const requests = await renderDagRequests(file, { airflow: '3' }, { run, connections, xcom: { refresh: 'j1' } });
    assert.equal(requests.refresh!.url, 'https://freshet.example:8443/v3/dynamic-tables/refresh');
    assert.equal(requests.wait_for_refresh!.url, 'https://freshet.example:8443/v3/jobs/j1');
  });

  it('sends no Authorization header when the gateway has no callback token, and the resume options as configuration', async () => {
    const file = write({ ...SPEC, token: null, configuration: { 'sink.parallelism': '4' } });
    const run = { airflow: 2, data_interval_end: '2024-05-01T11:00:00Z', run_after: '2024-05-01T11:00:00Z' } as const;
    const requests = await renderDagRequests(file, { airflow: '2' }, { run, xcom: { refresh: 'j1' } });
    assert.deepEqual(requests.refresh!.headers, { 'Content-Type': 'application/json' });
    assert.deepEqual(requests.wait_for_refresh!.headers, {});
    assert.deepEqual(JSON.parse(requests.refresh!.data!).configuration, { 'sink.parallelism': '4' });
  });

  it('passes names, tokens and options that look like Jinja or Python through unchanged', async () => {
    const table = `default.main."odd {{ 7*7 }} {% if x %} {# c #} \\" ' ü 🌊"`;
    const spec: DagSpec = {
      ...SPEC,
      tableIdentifier: table,
      token: 'tok{{en}}{%x',
      configuration: { "k'{{": 'v"}}\n' },
      description: 'CREATE … """ {{ x }}',
    };
    const file = write(spec);
    const dag = await parsedDag(file, '3');
    assert.equal(dag.args.description, spec.description);
    const run = { airflow: 3, data_interval_end: '2024-05-01T11:00:00Z', run_after: '2024-05-01T11:00:00Z' } as const;
    const requests = await renderDagRequests(file, { airflow: '3' }, { run, xcom: { refresh: 'j1' } });
    const body = JSON.parse(requests.refresh!.data!);
    assert.deepEqual(body.tables, [table]);
    assert.deepEqual(body.configuration, { "k'{{": 'v"}}\n' });
    assert.match(requests.refresh!.data!, /^[\x20-\x7e]*$/, 'the body is plain ASCII');
    assert.equal(requests.refresh!.headers.Authorization, 'Bearer tok{{en}}{%x');
    assert.deepEqual(dagSpecOf(renderDagFile(spec, SETTINGS)), spec);
  });

  it('fails the run at once when the refresh job failed, and waits while it runs or waits for its sources', async () => {
    const file = write();
    const check = (status: string) =>
      callDagFunction(file, { airflow: '3' }, 'wait_for_refresh', 'response_check', {
        jobId: 'j1',
        status,
        error: 'disk full',
      });
    assert.deepEqual(await check('PENDING'), { returned: false });
    assert.deepEqual(await check('RUNNING'), { returned: false });
    assert.deepEqual(await check('WAITING'), { returned: false }, 'a gated refresh waiting for its sources');
    assert.deepEqual(await check('SUCCEEDED'), { returned: true });
    assert.deepEqual(await check('SKIPPED'), { returned: true }, 'a window skipped: its sources were not ready');
    assert.deepEqual(await check('FAILED'), {
      raised: {
        type: 'AirflowFailException',
        message: 'Freshet refresh job j1 of default.main.orders_hourly failed: disk full',
      },
    });
    assert.deepEqual(
      await callDagFunction(file, { airflow: '3' }, 'refresh', 'response_filter', { jobId: 'j1', clusterInfo: {} }),
      { returned: 'j1' },
    );
  });

  it('schedules in the table time zone, and sensors that poke rarely give their worker slot back', async () => {
    const dag = await parsedDag(
      write({ ...SPEC, timeZone: 'Europe/Berlin' }, { sensorPokeSeconds: 120, sensorTimeoutSeconds: 600 }),
      '2',
    );
    assert.equal(dag.args.start_date.tz, 'Europe/Berlin');
    const wait = dag.tasks.find((t) => t.task_id === 'wait_for_refresh')!;
    assert.deepEqual([wait.args.mode, wait.args.poke_interval, wait.args.timeout], ['reschedule', 120, 600]);
  });

  it('leaves out the table tag when the identifier is too long for an Airflow tag', async () => {
    const table = `default.main.${'t'.repeat(120)}`;
    const dag = await parsedDag(write({ ...SPEC, tableIdentifier: table, dagId: dagIdFor('freshet_', table) }), '3');
    assert.deepEqual(dag.args.tags, ['freshet']);
  });

  it('matches the sample DAG in examples/airflow, which loads on Airflow 2 and 3', async () => {
    const sample = path.join(REPO_ROOT, 'examples', 'airflow', 'sample-dag.py');
    const content = readFileSync(sample, 'utf8');
    const spec = dagSpecOf(content);
    assert.ok(spec, 'the sample carries its spec');
    assert.equal(renderDagFile(spec, SETTINGS), content, 'regenerate examples/airflow/sample-dag.py from its spec');
    assert.equal((await parsedDag(sample, '2')).dag_id, spec.dagId);
    assert.equal((await parsedDag(sample, '3')).dag_id, spec.dagId);
  });

  it('derives valid, distinct, stable DAG ids from table identifiers', () => {
    const ids = [
      'default.main.orders',
      'default.main.Orders',
      'default.main."or ders"',
      'default.main.or_ders',
      `default.main.${'x'.repeat(400)}`,
    ].map((t) => dagIdFor('freshet_', t));
    assert.equal(new Set(ids).size, ids.length);
    for (const id of ids) {
      assert.match(id, /^freshet_[a-z0-9_]+_[0-9a-f]{8}$/);
      assert.ok(id.length <= 250);
    }
    assert.equal(dagIdFor('freshet_', 'default.main.orders'), ids[0]);
    assert.match(ids[0]!, /^freshet_default_main_orders_/);
  });
});
