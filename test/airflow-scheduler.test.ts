import assert from 'node:assert/strict';
import { existsSync, readdirSync, rmSync } from 'node:fs';
import * as path from 'node:path';
import { type FreshetError, isFreshetError } from '../src/errors';
import { conformanceRequest } from '../src/scheduler/conformance';
import { MemoryStateStore } from '../src/scheduler/memory-state-store';
import type { RefreshHandler, WorkflowScheduler } from '../src/scheduler/workflow-scheduler';
import { airflowSchedulerFactory } from '../plugins/airflow';
import type { AirflowFakeOptions } from './fakes/airflow-fake';
import {
  observeFake,
  pluginOptions,
  schedulerContext,
  startFakeAirflow,
  type FakeAirflowSetup,
} from './fakes/airflow-harness';
import { sleep, waitUntil } from './helpers/wait';

/** Asserts a SCHEDULER_ERROR and returns it for further checks. */
async function schedulerFailure(promise: Promise<unknown>): Promise<FreshetError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(isFreshetError(error), `expected a FreshetError, got ${String(error)}`);
    assert.equal(error.code, 'SCHEDULER_ERROR', error.message);
    return error;
  }
  return assert.fail('expected a SCHEDULER_ERROR');
}

const SECONDLY = {
  quartzCron: '0/30 * * * * ? *',
  unixCron: null,
  freshness: { interval: 30, unit: 'SECOND' as const },
  timeZone: 'UTC',
};

for (const airflow of [2, 3] as const) {
  describe(`airflow ${airflow} scheduler`, () => {
    const setups: FakeAirflowSetup[] = [];
    const schedulers: WorkflowScheduler[] = [];

    async function open(
      fakeOptions: Omit<AirflowFakeOptions, 'dagsFolder' | 'airflow'> = {},
      options: Record<string, unknown> = {},
      store = new MemoryStateStore(),
    ) {
      const setup = await startFakeAirflow({ airflow, parseDelayMs: 100, ...fakeOptions });
      setups.push(setup);
      const recording = schedulerContext(store);
      const scheduler = airflowSchedulerFactory.create(
        airflowSchedulerFactory.optionsSchema.parse(pluginOptions(setup, options)),
        recording.context,
      );
      schedulers.push(scheduler);
      await scheduler.open();
      return { setup, scheduler, fake: setup.fake, logs: recording.logs };
    }

    afterEach(async () => {
      for (const scheduler of schedulers.splice(0)) await scheduler.close();
      for (const setup of setups.splice(0)) {
        assert.deepEqual(setup.fake.violations, [], 'every request is in the published spec');
        await setup.close();
      }
    });

    it('refuses a second-level schedule, saying Airflow has minute granularity, and writes nothing', async () => {
      const { scheduler, setup } = await open();
      await assert.rejects(scheduler.createRefreshWorkflow(conformanceRequest(SECONDLY)), (error: unknown) => {
        assert.ok(isFreshetError(error));
        assert.equal(error.code, 'VALIDATION_ERROR');
        assert.match(error.message, /minute granularity/);
        assert.match(error.message, /FULL freshness of 1 minute or more/);
        return true;
      });
      assert.deepEqual(readdirSync(setup.dagsFolder), []);
    });

    it('writes the DAG file, waits for Airflow to load it and unpauses it through the API', async () => {
      const { scheduler, setup, fake } = await open({ pausedAtCreation: true });
      const handler = await scheduler.createRefreshWorkflow(conformanceRequest());
      assert.deepEqual(Object.keys(handler).sort(), ['apiVersion', 'dagId', 'fileName']);
      assert.equal(handler.apiVersion, airflow === 3 ? 2 : 1);
      assert.ok(existsSync(path.join(setup.dagsFolder, String(handler.fileName))));
      assert.deepEqual(observeFake(setup, handler), { exists: true, paused: false });
      const unpause = fake.requests.find((r) => r.method === 'PATCH');
      assert.deepEqual(unpause?.query, { update_mask: 'is_paused' });
      assert.deepEqual(JSON.parse(unpause!.body), { is_paused: false });
      assert.match(String(unpause?.headers['content-type']), /^application\/json/);
      assert.deepEqual(readdirSync(setup.dagsFolder), [handler.fileName], 'no temporary file is left behind');
    });

    it("fails a create with Airflow's import error for the file, and removes the file", async () => {
      const { scheduler, setup, fake } = await open({ withoutHttpProvider: true });
      const request = conformanceRequest();
      const error = await schedulerFailure(scheduler.createRefreshWorkflow(request));
      assert.match(
        error.message,
        /could not load the DAG file .*freshet_default_main_conformance_[0-9a-f]+_[0-9a-f]{8}\.py/,
      );
      assert.match(error.message, /No module named 'airflow.providers.http'/);
      assert.equal((error.details as { orphanHandler?: unknown } | undefined)?.orphanHandler, undefined);
      assert.deepEqual(readdirSync(setup.dagsFolder), []);
      assert.equal(fake.processor.dags.size, 0);
    });

    it('gives up when Airflow does not load the file in time, naming the folder, and removes the file', async () => {
      const { scheduler, setup, fake } = await open({}, { parseTimeoutSeconds: 0.3 });
      fake.processor.hold(true);
      const error = await schedulerFailure(scheduler.createRefreshWorkflow(conformanceRequest()));
      assert.match(error.message, /did not load DAG .* within 0\.3 s/);
      assert.ok(error.message.includes(setup.dagsFolder));
      assert.deepEqual(readdirSync(setup.dagsFolder), []);
    });

    it('names the URL when Airflow cannot be reached, before writing anything', async () => {
      const { scheduler, setup, fake } = await open();
      await fake.stop();
      const error = await schedulerFailure(scheduler.createRefreshWorkflow(conformanceRequest()));
      assert.ok(error.message.includes(`Airflow at ${fake.url} cannot be reached`), error.message);
      assert.match(error.message, /ECONNREFUSED/);
      assert.deepEqual(readdirSync(setup.dagsFolder), []);
    });

    it('reports the DAG it could not remove when Airflow goes away in the middle of a create', async () => {
      const { scheduler, setup, fake } = await open({ parseDelayMs: 400 });
      const creating = scheduler.createRefreshWorkflow(conformanceRequest());
      await waitUntil(() => readdirSync(setup.dagsFolder).length > 0, { intervalMs: 10, what: 'the DAG file' });
      await fake.stop();
      const error = await schedulerFailure(creating);
      const orphan = (error.details as { orphanHandler?: RefreshHandler }).orphanHandler;
      assert.match(String(orphan?.dagId), /^freshet_default_main_conformance_/);
      assert.match(error.message, /Removing DAG .* failed too/);
      assert.deepEqual(readdirSync(setup.dagsFolder), [], 'the file goes even when Airflow is away');
      await fake.start();
      await scheduler.deleteRefreshWorkflow(orphan!);
      assert.deepEqual(observeFake(setup, orphan!), { exists: false, paused: null });
    });

    it("carries Airflow's refusal to delete a DAG whose tasks still run, and deletes it once they stop", async () => {
      const { scheduler, setup, fake } = await open();
      const handler = await scheduler.createRefreshWorkflow(conformanceRequest());
      fake.setRunningTasks(String(handler.dagId), true);
      const error = await schedulerFailure(scheduler.deleteRefreshWorkflow(handler));
      assert.match(error.message, /HTTP 409/);
      assert.ok(
        error.message.includes(`Task instances of dag with id: '${String(handler.dagId)}' are still running`),
        error.message,
      );
      assert.deepEqual(error.details, {
        operation: `delete DAG ${String(handler.dagId)}`,
        status: 409,
        airflowMessage: `Task instances of dag with id: '${String(handler.dagId)}' are still running`,
      });
      assert.equal(fake.dag(String(handler.dagId))?.paused, true, 'the DAG was paused first');
      fake.setRunningTasks(String(handler.dagId), false);
      await scheduler.deleteRefreshWorkflow(handler);
      assert.equal(fake.dag(String(handler.dagId)), undefined);
      assert.deepEqual(readdirSync(setup.dagsFolder), []);
    });

    it('does not let a DAG come back: the file goes before the DAG is deleted', async () => {
      const { scheduler, setup, fake } = await open();
      const handler = await scheduler.createRefreshWorkflow(conformanceRequest());
      await scheduler.deleteRefreshWorkflow(handler);
      await sleep(300);
      await fake.processor.scan();
      assert.deepEqual(observeFake(setup, handler), { exists: false, paused: null });
      assert.equal(fake.dag(String(handler.dagId)), undefined);
    });

    it('counts a DAG whose file was removed behind its back as gone', async () => {
      const { scheduler, setup } = await open();
      const handler = await scheduler.createRefreshWorkflow(conformanceRequest());
      rmSync(path.join(setup.dagsFolder, String(handler.fileName)));
      assert.deepEqual(await scheduler.inspect(handler), { exists: false, paused: null, schedule: null });
      await schedulerFailure(scheduler.modifyRefreshWorkflow(handler, { kind: 'resume', dynamicOptions: {} }));
      assert.deepEqual(readdirSync(setup.dagsFolder), [], 'a resume does not bring the file back');
    });

    it('reports wrong credentials with the words Airflow used', async () => {
      const { scheduler, fake } = await open({}, { password: 'wrong' });
      const error = await schedulerFailure(
        scheduler
          .inspect({ dagId: 'freshet_x', fileName: 'freshet_x.py', apiVersion: 1 })
          .then(() => scheduler.listRefreshWorkflows()),
      );
      assert.match(error.message, airflow === 3 ? /HTTP 401\): Invalid credentials/ : /HTTP 401\): Unauthorized/);
      assert.equal((error.details as { status: number }).status, 401);
      assert.equal(fake.requests.at(-1)?.status, 401);
    });

    it('lists only its own DAGs, with tables too long for a tag taken from its state', async () => {
      const store = new MemoryStateStore();
      const { scheduler, setup, fake } = await open({}, {}, store);
      const longTable = `default.main.${'l'.repeat(100)}`;
      const long = await scheduler.createRefreshWorkflow({ ...conformanceRequest(), tableIdentifier: longTable });
      const other = airflowSchedulerFactory.create(
        airflowSchedulerFactory.optionsSchema.parse(pluginOptions(setup, { dagIdPrefix: 'other_' })),
        schedulerContext().context,
      );
      schedulers.push(other);
      await other.open();
      await other.createRefreshWorkflow(conformanceRequest());
      const listed = await scheduler.listRefreshWorkflows();
      assert.deepEqual(listed, [{ tableIdentifier: longTable, handler: long, paused: false }]);
      assert.equal(fake.processor.dags.size, 2);
    });
  });
}

describe('airflow 3 scheduler tokens', () => {
  let setup: FakeAirflowSetup;
  let scheduler: WorkflowScheduler;

  beforeEach(async () => {
    setup = await startFakeAirflow({ airflow: 3, parseDelayMs: 50, tokenTtlSeconds: 3600 });
    scheduler = airflowSchedulerFactory.create(
      airflowSchedulerFactory.optionsSchema.parse(pluginOptions(setup)),
      schedulerContext().context,
    );
    await scheduler.open();
  });

  afterEach(async () => {
    await scheduler.close();
    assert.deepEqual(setup.fake.violations, []);
    await setup.close();
  });

  const logins = () => setup.fake.requests.filter((r) => r.path === '/auth/token');

  it('logs in once and reuses the token', async () => {
    const handler = await scheduler.createRefreshWorkflow(conformanceRequest());
    await scheduler.inspect(handler);
    assert.equal(logins().length, 1);
    assert.deepEqual(JSON.parse(logins()[0]!.body), { username: 'admin', password: 'admin' });
    assert.equal(logins()[0]!.status, 201);
  });

  it('logs in again when the token has expired (401) and carries on', async () => {
    const handler = await scheduler.createRefreshWorkflow(conformanceRequest());
    setup.fake.advanceClock(3601);
    assert.equal((await scheduler.inspect(handler)).exists, true);
    assert.equal(logins().length, 2);
    assert.ok(setup.fake.requests.some((r) => r.status === 401));
  });

  it('logs in again when the API server restarted with a new secret (403 Invalid JWT token) and carries on', async () => {
    const handler = await scheduler.createRefreshWorkflow(conformanceRequest());
    setup.fake.rotateJwtSecret();
    const suspended = await scheduler.modifyRefreshWorkflow(handler, { kind: 'suspend' });
    assert.deepEqual(observeFake(setup, suspended), { exists: true, paused: true });
    assert.equal(logins().length, 2);
    assert.ok(setup.fake.requests.some((r) => r.status === 403));
  });
});
