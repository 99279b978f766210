import assert from 'node:assert/strict';
import * as path from 'node:path';
import { dolphinSchedulerFactory, schedulerFactory } from '../plugins/dolphinscheduler';
import { type FreshetError, isFreshetError } from '../src/errors';
import { loadGatewayConfig } from '../src/gateway';
import { conformanceRequest } from '../src/scheduler/conformance';
import { findSchedulerFactory, parseSchedulerOptions } from '../src/scheduler/registry';
import type {
  CreateRefreshWorkflowRequest,
  RefreshHandler,
  WorkflowScheduler,
} from '../src/scheduler/workflow-scheduler';
import { DolphinSchedulerFake } from './fakes/dolphinscheduler-fake';
import { dsTestContext, openDsScheduler } from './fakes/ds-harness';

const PLUGIN_PATH = path.join(__dirname, '..', 'plugins', 'dolphinscheduler');

function request(table: string, overrides: Partial<CreateRefreshWorkflowRequest> = {}): CreateRefreshWorkflowRequest {
  const base = conformanceRequest();
  return {
    ...base,
    tableIdentifier: `default.main.${table}`,
    schedule: { ...base.schedule, quartzCron: '0 0/5 * * * ? *', timeZone: 'Europe/Berlin' },
    callback: { ...base.callback, token: 'callback-token-0123456789' },
    ...overrides,
  };
}

/** Rejects with a SCHEDULER_ERROR whose message matches `pattern`; returns the error. */
async function schedulerFailure(promise: Promise<unknown>, pattern: RegExp): Promise<FreshetError> {
  let caught: unknown;
  await assert.rejects(promise, (error: unknown) => {
    caught = error;
    return true;
  });
  assert.ok(isFreshetError(caught), `expected a FreshetError, got ${String(caught)}`);
  assert.equal(caught.code, 'SCHEDULER_ERROR');
  assert.match(caught.message, pattern);
  return caught;
}

describe('dolphinscheduler plugin', () => {
  for (const version of ['3.1', '3.2', '3.3'] as const) {
    describe(`the workflow it makes in DolphinScheduler ${version}`, () => {
      let fake: DolphinSchedulerFake;
      let handler: RefreshHandler;
      before(async () => {
        fake = await DolphinSchedulerFake.start({ version, tenants: ['etl'] });
        const scheduler = await openDsScheduler(fake, {
          failRetryTimes: 3,
          callbackWaitSeconds: 120,
          tenantCode: 'etl',
          workerGroup: 'default',
        });
        handler = await scheduler.createRefreshWorkflow(request('orders'));
      });
      after(() => fake.close());

      it('is one ONLINE workflow named after the table, with an ONLINE schedule on the table CRON', () => {
        const [workflow, ...others] = fake.workflows();
        assert.equal(others.length, 0);
        assert.equal(workflow?.name, 'freshet_default_main_orders');
        assert.equal(workflow?.description, 'Freshet refreshes dynamic table default.main.orders');
        assert.equal(workflow?.releaseState, 'ONLINE');
        assert.equal(workflow?.executionType, 'SERIAL_DISCARD');
        const schedule = fake.scheduleOf(workflow!.code);
        assert.equal(schedule?.crontab, '0 0/5 * * * ? *');
        assert.equal(schedule?.timezoneId, 'Europe/Berlin', 'the table time zone when scheduleTimeZone is not set');
        assert.equal(schedule?.releaseState, 'ONLINE');
        assert.deepEqual(handler, {
          projectCode: String(workflow!.projectCode),
          workflowCode: String(workflow!.code),
          scheduleId: schedule!.id,
          workflowName: 'freshet_default_main_orders',
          version,
        });
      });

      it('holds one HTTP task that POSTs a flat body of strings to the callback with ?wait= and the bearer token', () => {
        const [task, ...others] = fake.workflows()[0]!.tasks;
        assert.equal(others.length, 0);
        assert.equal(task?.taskType, 'HTTP');
        assert.equal(task?.definition.failRetryTimes, 3);
        const params = task!.taskParams;
        assert.equal(params.url, 'http://127.0.0.1:8083/v3/dynamic-tables/refresh?wait=120');
        assert.equal(params.httpMethod, 'POST');
        assert.equal(params.httpCheckCondition, 'STATUS_CODE_DEFAULT');
        assert.ok(
          Number(params.connectTimeout) > 120_000 && Number(params.socketTimeout) > 120_000,
          'timeouts outlast the wait',
        );
        const properties = params.httpParams as Array<{ prop: string; httpParametersType: string; value: string }>;
        assert.deepEqual(
          properties.filter((p) => p.httpParametersType === 'HEADERS'),
          [{ prop: 'Authorization', httpParametersType: 'HEADERS', value: 'Bearer callback-token-0123456789' }],
        );
        const body =
          version === '3.1'
            ? Object.fromEntries(
                properties.filter((p) => p.httpParametersType === 'BODY').map((p) => [p.prop, p.value]),
              )
            : JSON.parse(String(params.httpBody));
        assert.deepEqual(body, {
          tables: 'default.main.orders',
          scheduleTime: '$[yyyy-MM-dd HH:mm:ss]',
          timeZone: 'Asia/Shanghai',
          isPeriodic: 'true',
        });
        assert.equal(version === '3.1', params.httpBody === undefined, 'only 3.2 and later have httpBody');
      });

      it(`puts the tenant where DolphinScheduler ${version} wants it`, () => {
        const workflowCreate = fake.requests.find((r) => r.method === 'POST' && /definition$/.test(r.path));
        const scheduleCreate = fake.requests.find((r) => r.method === 'POST' && r.path.endsWith('/schedules'));
        assert.equal(workflowCreate?.form?.tenantCode, version === '3.1' ? 'etl' : undefined);
        assert.equal(scheduleCreate?.form?.tenantCode, version === '3.1' ? undefined : 'etl');
      });
    });
  }

  describe('against DolphinScheduler 3.2', () => {
    let fake: DolphinSchedulerFake;
    let scheduler: WorkflowScheduler;
    beforeEach(async () => {
      fake = await DolphinSchedulerFake.start({ version: '3.2' });
      scheduler = await openDsScheduler(fake);
    });
    afterEach(() => fake.close());

    it('finds its project by exact name and creates it only when missing', async () => {
      await openDsScheduler(fake, { projectName: 'freshet-staging' }).then((s) =>
        s.createRefreshWorkflow(request('a')),
      );
      await scheduler.createRefreshWorkflow(request('b'));
      await (await openDsScheduler(fake)).createRefreshWorkflow(request('c'));
      const projects = [...fake.store.projects.values()];
      assert.deepEqual(projects.map((p) => p.name).sort(), ['freshet', 'freshet-staging']);
      const freshet = projects.find((p) => p.name === 'freshet')!;
      assert.deepEqual(
        fake.store
          .workflowsOf(freshet.code)
          .map((w) => w.name)
          .sort(),
        ['freshet_default_main_b', 'freshet_default_main_c'],
      );
    });

    it('uses scheduleTimeZone for the Quartz schedule when it is set', async () => {
      const utc = await openDsScheduler(fake, { scheduleTimeZone: 'UTC' });
      const handler = await utc.createRefreshWorkflow(request('t'));
      assert.equal(fake.scheduleOf(String(handler.workflowCode))?.timezoneId, 'UTC');
    });

    it("carries DolphinScheduler's own message and code when it refuses, and leaves nothing half-made", async () => {
      await scheduler.createRefreshWorkflow(request('twice'));
      await schedulerFailure(
        scheduler.createRefreshWorkflow(request('twice')),
        /^DolphinScheduler refused to create workflow freshet_default_main_twice: process definition name freshet_default_main_twice already exists \(code 10168\)$/,
      );
      assert.equal(fake.workflows().length, 1);
    });

    it('removes the workflow it made when a later step fails', async () => {
      fake.breakOn((method, p) => method === 'POST' && p.endsWith('/schedules'));
      const error = await schedulerFailure(
        scheduler.createRefreshWorkflow(request('half')),
        /create the schedule of workflow freshet_default_main_half/,
      );
      assert.equal((error.details as { orphanHandler?: unknown } | undefined)?.orphanHandler, undefined);
      assert.deepEqual(fake.workflows(), []);
    });

    it('reports the half-made workflow as an orphan when it cannot remove it either', async () => {
      fake.breakOn((method, p) => method === 'POST' && p.endsWith('/schedules'), 'outage');
      const error = await schedulerFailure(
        scheduler.createRefreshWorkflow(request('orphan')),
        /could not be removed either/,
      );
      const orphan = (error.details as { orphanHandler: RefreshHandler }).orphanHandler;
      await fake.start();
      assert.deepEqual(
        fake.workflows().map((w) => String(w.code)),
        [orphan.workflowCode],
      );
      await scheduler.deleteRefreshWorkflow(orphan);
      assert.deepEqual(fake.workflows(), []);
    });

    it('says the token is invalid or expired when DolphinScheduler answers 401', async () => {
      fake.expireToken();
      await schedulerFailure(
        scheduler.createRefreshWorkflow(request('t')),
        /rejected the access token .*the token is invalid or expired/,
      );
    });

    it('names the URL when DolphinScheduler cannot be reached, and tells a hung server from a down one', async () => {
      await fake.stop();
      await schedulerFailure(
        scheduler.createRefreshWorkflow(request('t')),
        new RegExp(`Cannot reach DolphinScheduler at ${fake.baseUrl.replace(/[/.]/g, '\\$&')}`),
      );
      await fake.start();
      fake.breakOn(() => true, 'hang');
      const impatient = await openDsScheduler(fake, { requestTimeoutMs: 200 });
      await schedulerFailure(impatient.createRefreshWorkflow(request('t')), /did not answer within 200 ms/);
    });

    it('points at baseUrl when the address is not the API root', async () => {
      const wrong = await openDsScheduler(fake, { baseUrl: fake.baseUrl.replace('/dolphinscheduler', '') });
      await schedulerFailure(
        wrong.createRefreshWorkflow(request('t')),
        /HTTP 404 .*it should end with \/dolphinscheduler/,
      );
    });

    it('rewrites the task body on RESUME WITH options, keeping the workflow, and drops them on a plain RESUME', async () => {
      let handler = await scheduler.createRefreshWorkflow(request('opts'));
      handler = await scheduler.modifyRefreshWorkflow(handler, { kind: 'suspend' });
      handler = await scheduler.modifyRefreshWorkflow(handler, {
        kind: 'resume',
        dynamicOptions: { 'sink.parallelism': '4' },
      });
      const bodyOf = () => JSON.parse(String(fake.workflows()[0]!.tasks[0]!.taskParams.httpBody));
      assert.equal(bodyOf().configuration, '{"sink.parallelism":"4"}', 'a JSON string: the body stays flat');
      assert.equal(fake.workflows().length, 1);
      assert.equal(String(fake.workflows()[0]!.code), handler.workflowCode);
      assert.deepEqual(await scheduler.inspect(handler), { exists: true, paused: false, schedule: '0 0/5 * * * ? *' });
      handler = await scheduler.modifyRefreshWorkflow(handler, { kind: 'resume', dynamicOptions: {} });
      assert.equal(bodyOf().configuration, undefined);
      assert.equal(bodyOf().tables, 'default.main.opts');
    });

    it('lists only the workflows Freshet made', async () => {
      await scheduler.createRefreshWorkflow(request('mine'));
      const project = fake.store.projectByName('freshet')!;
      const template = fake.workflows()[0]!;
      fake.store.workflows.set(1, { ...template, code: 1, name: 'user_etl', description: 'nightly ETL' });
      const listed = await scheduler.listRefreshWorkflows();
      assert.deepEqual(
        listed.map((w) => [w.tableIdentifier, w.paused, w.handler.projectCode]),
        [['default.main.mine', false, String(project.code)]],
      );
      assert.deepEqual(await (await openDsScheduler(fake, { projectName: 'nobody' })).listRefreshWorkflows(), []);
    });
  });

  describe('options', () => {
    it('is found by module path under both export names', () => {
      assert.equal(schedulerFactory, dolphinSchedulerFactory);
      assert.equal(findSchedulerFactory(PLUGIN_PATH), dolphinSchedulerFactory);
      assert.equal(dolphinSchedulerFactory.identifier, 'dolphinscheduler');
    });

    it('reports every invalid option in one error naming the plugin', () => {
      const bad = {
        baseUrl: 'ftp://ds',
        token: '',
        version: '3.4',
        serverTimeZone: 'Mars/Olympus',
        failRetryTimes: -1,
        callbackWaitSeconds: 7200,
        colour: 'blue',
      };
      assert.throws(
        () => parseSchedulerOptions(dolphinSchedulerFactory, bad),
        (error: Error) => {
          assert.match(error.message, /^Invalid options for scheduler 'dolphinscheduler':/);
          for (const key of [
            'baseUrl',
            'token',
            'projectName',
            'version',
            'serverTimeZone',
            'failRetryTimes',
            'callbackWaitSeconds',
          ]) {
            assert.match(error.message, new RegExp(`scheduler\\.options\\.${key}: `), `no problem reported for ${key}`);
          }
          assert.match(error.message, /Unrecognized key: "colour"/);
          return true;
        },
      );
    });

    it('asks for serverTimeZone instead of guessing it', () => {
      const parsed = dolphinSchedulerFactory.optionsSchema.safeParse({
        baseUrl: 'http://ds:12345/dolphinscheduler',
        token: 't',
        projectName: 'p',
      });
      assert.equal(parsed.success, false);
      assert.match(
        JSON.stringify(parsed.error?.issues),
        /serverTimeZone is required: the time zone DolphinScheduler's servers run in/,
      );
    });

    it('stops the gateway configuration with the plugin problems among the others', () => {
      assert.throws(
        () =>
          loadGatewayConfig({
            env: {},
            overrides: {
              logLevel: 'silent',
              scheduler: { type: PLUGIN_PATH, options: { baseUrl: 'http://ds:12345/dolphinscheduler', token: 't' } },
            },
          }),
        /Invalid options for scheduler 'dolphinscheduler':\n\s+- scheduler\.options\.projectName: .*\n\s+- scheduler\.options\.serverTimeZone: /,
      );
    });

    it('defaults to DolphinScheduler 3.2, the default tenant and a 30-minute wait', () => {
      const options = dolphinSchedulerFactory.optionsSchema.parse({
        baseUrl: 'http://ds:12345/dolphinscheduler/',
        token: 't',
        projectName: 'p',
        serverTimeZone: 'Asia/Shanghai',
      });
      assert.equal(options.baseUrl, 'http://ds:12345/dolphinscheduler');
      assert.equal(options.version, '3.2');
      assert.equal(options.tenantCode, 'default');
      assert.equal(options.callbackWaitSeconds, 1800);
      assert.equal(options.scheduleTimeZone, undefined);
      assert.ok(dolphinSchedulerFactory.create(options, dsTestContext()));
    });
  });
});
