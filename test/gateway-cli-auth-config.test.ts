import { strict as assert } from 'node:assert';
import { execFile } from 'node:child_process';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { ConfigError, loadConfig } from '../src/config/config';
import { loadGatewayConfig } from '../src/gateway';
import { TestGateway } from './helpers/gateway';

const run = promisify(execFile);
const CLI = path.resolve(__dirname, '..', 'src', 'cli', 'main.js');
const EXAMPLES = path.resolve(__dirname, '..', '..', 'examples');

async function freshet(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [CLI, ...args], { env: { ...process.env, ...env } });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('freshet sql against a real gateway', () => {
  let gw: TestGateway;
  before(async () => {
    gw = await TestGateway.start();
  });
  after(() => gw.close());

  it('runs the quick start script with -f and prints the dynamic table', async () => {
    const out = await freshet(['sql', '--url', gw.url, '-f', path.join(EXAMPLES, 'quickstart.sql')]);
    assert.equal(out.code, 0, out.stderr);
    assert.match(
      out.stdout,
      /Dynamic table default\.main\.spend created \(FULL refresh, CRON 0 0 0\/1 \* \* \? \*\); initial refresh SUCCEEDED/,
    );
    assert.match(out.stdout, /customer \| total \| orders\n-+\+-+\+-+\nada +\| +15 \| +2\nbob +\| +7 \| +1\n2 rows/);
    assert.match(out.stdout, /default\.main\.big_spenders \| CONTINUOUS/);
  });

  it('runs statements with -e and reports an error with its position and exit code 1', async () => {
    const ok = await freshet(['sql', '--url', gw.url, '-e', 'SELECT customer FROM spend ORDER BY customer;']);
    assert.equal(ok.code, 0);
    assert.match(ok.stdout, /ada\nbob/);
    const bad = await freshet(['sql', '--url', gw.url, '-e', 'SELECT 1;\nALTER DYNAMIC TABLE spend FLY;']);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /ERROR \[PARSE_ERROR\] \(line 2, column 27\)/);
  });
});

describe('auth', () => {
  const admin = 'admin-token-0123456789';
  const callback = 'callback-token-0123456789';
  let gw: TestGateway;
  before(async () => {
    gw = await TestGateway.start({
      auth: {
        tokens: [
          { token: admin, scopes: ['admin'] },
          { token: callback, scopes: ['callback'] },
        ],
      },
    });
    await gw.request(
      'POST',
      '/v3/statements',
      { statement: 'CREATE DYNAMIC TABLE t AS SELECT 1 AS x' },
      { authorization: `Bearer ${admin}` },
    );
  });
  after(() => gw.close());

  it('answers 401 without a token and 403 for a callback token outside its scope', async () => {
    const none = await gw.refresh({ tables: ['t'] });
    assert.equal(none.status, 401);
    assert.equal(none.body.error.code, 'UNAUTHORIZED');
    const wrong = await gw.request(
      'POST',
      '/v3/dynamic-tables/refresh',
      { tables: ['t'] },
      { authorization: 'Bearer not-a-token' },
    );
    assert.equal(wrong.status, 401);
    const outside = await gw.request(
      'POST',
      '/v3/statements',
      { statement: 'SELECT 1' },
      { authorization: `Bearer ${callback}` },
    );
    assert.equal(outside.status, 403);
    assert.equal(outside.body.error.code, 'FORBIDDEN');
  });

  it('lets a callback token refresh and read its job, and leaves /health open', async () => {
    const res = await gw.request(
      'POST',
      '/v3/dynamic-tables/refresh?wait=10',
      { tables: ['t'] },
      { authorization: `Bearer ${callback}` },
    );
    assert.equal(res.status, 200);
    const job = await gw.request('GET', `/v3/jobs/${res.body.jobId}`, undefined, {
      authorization: `Bearer ${callback}`,
    });
    assert.equal(job.body.status, 'SUCCEEDED');
    assert.equal((await gw.request('GET', '/health')).status, 200);
  });
});

describe('configuration', () => {
  it('reports every problem at once', () => {
    assert.throws(
      () =>
        loadConfig({
          env: { FRESHET_PORT: 'eighty', FRESHET_LOG_LEVEL: 'chatty' },
          overrides: { statements: { rowLimit: -1 } },
        }),
      (error: unknown) => {
        assert.ok(error instanceof ConfigError);
        assert.equal(error.problems.length, 3, error.message);
        assert.match(error.message, /FRESHET_PORT/);
        assert.match(error.message, /logLevel/);
        assert.match(error.message, /statements\.rowLimit/);
        return true;
      },
    );
  });

  it('refuses to listen beyond loopback without tokens, and names an unknown scheduler', async () => {
    assert.throws(
      () =>
        loadGatewayConfig({
          env: {},
          overrides: {
            logLevel: 'silent',
            server: { host: '0.0.0.0', port: 0 },
            scheduler: { type: 'no-such-scheduler' },
          },
        }),
      (error: unknown) => {
        assert.ok(error instanceof ConfigError);
        assert.match(error.message, /without auth tokens is refused/);
        assert.match(error.message, /scheduler\.type 'no-such-scheduler'/);
        return true;
      },
    );
  });

  it('freshet config prints the effective configuration with secrets masked', async () => {
    const out = await freshet(['config'], {
      FRESHET_AUTH_TOKENS: JSON.stringify([{ token: 'super-secret-token-value', scopes: ['admin'] }]),
    });
    assert.equal(out.code, 0, out.stderr);
    const printed = JSON.parse(out.stdout);
    assert.equal(printed.server.port, 8083);
    assert.equal(printed.auth.tokens[0].token, '****');
    assert.doesNotMatch(out.stdout, /super-secret/);
  });

  it('freshet start with a bad DolphinScheduler configuration lists every problem and names the plugin', async () => {
    const out = await freshet(['start'], {
      FRESHET_SCHEDULER_TYPE: 'dolphinscheduler',
      FRESHET_SCHEDULER_OPTIONS: '{"baseUrl": "nope", "version": "9"}',
    });
    assert.equal(out.code, 1);
    assert.match(out.stderr, /Invalid options for scheduler 'dolphinscheduler'/);
    for (const option of ['baseUrl', 'token', 'projectName', 'version', 'serverTimeZone'])
      assert.match(out.stderr, new RegExp(`scheduler\\.options\\.${option}`));
  });

  it('freshet start with a bad Airflow configuration lists every problem and names the plugin', async () => {
    const out = await freshet(['start'], {
      FRESHET_SCHEDULER_TYPE: 'airflow',
      FRESHET_SCHEDULER_OPTIONS: '{"apiVersion": 7, "dagsFolder": "/no/such/folder"}',
    });
    assert.equal(out.code, 1);
    assert.match(out.stderr, /Invalid options for scheduler 'airflow'/);
    for (const option of ['apiVersion', 'baseUrl', 'dagsFolder'])
      assert.match(out.stderr, new RegExp(`scheduler\\.options\\.${option}`));
  });

  it('freshet start exits with one message listing every problem', async () => {
    const out = await freshet(['start'], {
      FRESHET_PORT: '-5',
      FRESHET_FRESHNESS_THRESHOLD: 'soon',
      FRESHET_SCHEDULER_TYPE: 'embedded',
      FRESHET_SCHEDULER_OPTIONS: '{"bogus": 1}',
    });
    assert.equal(out.code, 1);
    assert.match(out.stderr, /^Invalid configuration:/);
    assert.match(out.stderr, /server\.port/);
    assert.match(out.stderr, /refresh\.freshnessThreshold/);
    assert.match(out.stderr, /Invalid options for scheduler 'embedded'/);
  });
});
