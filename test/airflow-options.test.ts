import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ConfigError } from '../src/config/config';
import { loadGatewayConfig } from '../src/gateway';
import { findSchedulerFactory, parseSchedulerOptions } from '../src/scheduler/registry';
import { airflowSchedulerFactory } from '../plugins/airflow';

const PLUGIN_PATH = path.join(__dirname, '..', 'plugins', 'airflow');

describe('airflow scheduler options', () => {
  let folder: string;

  before(() => {
    folder = mkdtempSync(path.join(os.tmpdir(), 'freshet-airflow-options-'));
  });

  after(() => rmSync(folder, { recursive: true, force: true }));

  const minimal = () => ({
    apiVersion: 2,
    baseUrl: 'http://airflow:8080/',
    username: 'admin',
    password: 'secret',
    dagsFolder: folder,
  });

  it('fills in the defaults', () => {
    assert.deepEqual(parseSchedulerOptions(airflowSchedulerFactory, minimal()), {
      apiVersion: 2,
      baseUrl: 'http://airflow:8080',
      username: 'admin',
      password: 'secret',
      dagsFolder: folder,
      dagIdPrefix: 'freshet_',
      parseTimeoutSeconds: 600,
      pollIntervalMs: 2000,
      requestTimeoutMs: 30000,
      sensorPokeSeconds: 30,
      sensorTimeoutSeconds: 3600,
    });
  });

  it('is found by module path, under its identifier', () => {
    assert.equal(findSchedulerFactory(PLUGIN_PATH).identifier, 'airflow');
  });

  it('reports every invalid option in one error that names the plugin', () => {
    const options = {
      apiVersion: 3,
      baseUrl: 'ftp://airflow',
      password: '',
      dagsFolder: path.join(folder, 'missing'),
      parseTimeoutSeconds: -1,
      httpConnectionId: 'has space',
      sensorPokeSeconds: 0,
      dagIdPrefix: 'bad-prefix',
      retries: 3,
    };
    assert.throws(
      () => parseSchedulerOptions(airflowSchedulerFactory, options),
      (error: Error) => {
        assert.match(error.message, /^Invalid options for scheduler 'airflow':/);
        for (const expected of [
          /scheduler\.options\.apiVersion: apiVersion must be 1 \(Airflow 2\.x, \/api\/v1\) or 2 \(Airflow 3\.x, \/api\/v2\)/,
          /scheduler\.options\.baseUrl: baseUrl must be an http\(s\) URL/,
          /scheduler\.options\.username: username is required/,
          /scheduler\.options\.password: password must not be empty/,
          /scheduler\.options\.dagsFolder: .*missing does not exist/,
          /scheduler\.options\.parseTimeoutSeconds: /,
          /scheduler\.options\.httpConnectionId: httpConnectionId may hold only/,
          /scheduler\.options\.sensorPokeSeconds: /,
          /scheduler\.options\.dagIdPrefix: dagIdPrefix may hold only/,
          /retries/,
        ]) {
          assert.match(error.message, expected);
        }
        return true;
      },
    );
  });

  it('refuses a DAGs folder that is a file, and a base URL that already holds the API path', () => {
    const file = path.join(folder, 'a-file');
    writeFileSync(file, '');
    assert.throws(
      () =>
        parseSchedulerOptions(airflowSchedulerFactory, {
          ...minimal(),
          dagsFolder: file,
          baseUrl: 'http://airflow:8080/api/v1',
        }),
      (error: Error) => {
        assert.match(error.message, /scheduler\.options\.dagsFolder: .*a-file is not a directory/);
        assert.match(error.message, /baseUrl must not end with \/api\/v1 or \/api\/v2/);
        return true;
      },
    );
  });

  it('lists the plugin problems among the configuration problems at start-up', () => {
    assert.throws(
      () =>
        loadGatewayConfig({
          env: {},
          overrides: {
            scheduler: { type: PLUGIN_PATH, options: { apiVersion: 1, baseUrl: 'nope' } },
            logLevel: 'loud' as never,
          },
        }),
      (error: unknown) => {
        assert.ok(error instanceof ConfigError);
        assert.ok(error.problems.some((p) => p.startsWith('logLevel')));
        const plugin = error.problems.find((p) => p.startsWith("Invalid options for scheduler 'airflow'"));
        assert.ok(plugin, error.message);
        for (const option of ['baseUrl', 'username', 'password', 'dagsFolder'])
          assert.ok(plugin.includes(`scheduler.options.${option}`), plugin);
        return true;
      },
    );
  });
});
