/**
 * The DolphinScheduler fake behaves as DolphinScheduler does where the plugin depends on it: these tests pin the
 * answers a real server gives (codes, HTTP statuses, messages) so that the plugin tests mean something.
 */
import assert from 'node:assert/strict';
import express from 'express';
import type { AddressInfo } from 'node:net';
import { DolphinSchedulerFake } from './fakes/dolphinscheduler-fake';
import { quartzProblem } from './fakes/ds-quartz';
import { renderPlaceholders } from './fakes/ds-http-task';
import type { DsVersion } from './fakes/ds-spec';
import { waitUntil } from './helpers/wait';

interface Answer {
  readonly status: number;
  readonly text: string;
  readonly json: { code: number; msg: string; data: any; success: boolean; failed: boolean } | null;
}

async function call(
  fake: DolphinSchedulerFake,
  method: string,
  path: string,
  params: Record<string, unknown> = {},
  headers: Record<string, string> = { token: fake.token },
): Promise<Answer> {
  const form = new URLSearchParams(
    Object.entries(params).map(([k, v]): [string, string] => [k, typeof v === 'string' ? v : JSON.stringify(v)]),
  );
  const inQuery = method === 'GET' || method === 'DELETE';
  const res = await fetch(`${fake.baseUrl}${path}${inQuery && [...form].length > 0 ? `?${form}` : ''}`, {
    method,
    headers: inQuery ? headers : { ...headers, 'content-type': 'application/x-www-form-urlencoded' },
    ...(inQuery ? {} : { body: form.toString() }),
  });
  const text = await res.text();
  let json = null;
  try {
    json = JSON.parse(text);
  } catch {
    json = null;
  }
  return { status: res.status, text, json };
}

function task(code: number, taskParams: Record<string, unknown>, failRetryTimes = 0) {
  return { code, version: 0, name: 'refresh', taskType: 'HTTP', taskParams, failRetryTimes };
}

/** Creates a project and an OFFLINE one-task workflow through the API; returns their codes. */
async function workflowWith(fake: DolphinSchedulerFake, taskParams: Record<string, unknown>, failRetryTimes = 0) {
  const project = (await call(fake, 'POST', '/projects', { projectName: `p${Math.random()}` })).json!.data
    .code as number;
  const [taskCode] = (await call(fake, 'GET', `/projects/${project}/task-definition/gen-task-codes`, { genNum: 1 }))
    .json!.data as number[];
  const segment = fake.version === '3.3' ? 'workflow-definition' : 'process-definition';
  const created = await call(fake, 'POST', `/projects/${project}/${segment}`, {
    name: 'wf',
    taskDefinitionJson: [task(taskCode!, taskParams, failRetryTimes)],
    taskRelationJson: [
      {
        name: '',
        preTaskCode: 0,
        preTaskVersion: 0,
        postTaskCode: taskCode,
        postTaskVersion: 0,
        conditionType: 'NONE',
        conditionParams: {},
      },
    ],
    ...(fake.version === '3.1' ? { tenantCode: 'default' } : {}),
  });
  assert.equal(created.json?.code, 0, created.text);
  return { project, code: created.json!.data.code as number, segment };
}

const SCHEDULE = {
  startTime: '2024-01-01 00:00:00',
  endTime: '2124-01-01 00:00:00',
  timezoneId: 'UTC',
  crontab: '0 0/5 * * * ? *',
};
const HTTP = (url: string, extra: Record<string, unknown> = {}) => ({
  url,
  httpMethod: 'POST',
  httpParams: [],
  httpCheckCondition: 'STATUS_CODE_DEFAULT',
  condition: '',
  connectTimeout: 5000,
  socketTimeout: 5000,
  ...extra,
});

describe('dolphinscheduler fake', () => {
  describe('authentication and envelope', () => {
    let fake: DolphinSchedulerFake;
    before(async () => (fake = await DolphinSchedulerFake.start()));
    after(() => fake.close());

    it('answers a missing, wrong or expired token with 401 and an empty body', async () => {
      for (const headers of [{}, { token: 'wrong' }] as Array<Record<string, string>>) {
        const answer = await call(fake, 'GET', '/projects', { pageNo: 1, pageSize: 10 }, headers);
        assert.deepEqual([answer.status, answer.text], [401, '']);
      }
      fake.expireToken();
      assert.equal((await call(fake, 'GET', '/projects', { pageNo: 1, pageSize: 10 })).status, 401);
      fake.expireToken(false);
    });

    it('keeps 201 for a duplicate project but answers 200 for a duplicate workflow name, in the envelope', async () => {
      assert.equal((await call(fake, 'POST', '/projects', { projectName: 'dup' })).status, 201);
      const again = await call(fake, 'POST', '/projects', { projectName: 'dup' });
      assert.deepEqual(
        [again.status, again.json],
        [201, { code: 10019, msg: 'project dup already exists', data: null, success: false, failed: true }],
      );
      const { project } = await workflowWith(fake, HTTP('http://127.0.0.1:1/x'));
      const wf = fake.store.workflowsOf(project)[0]!;
      const second = await call(fake, 'POST', `/projects/${project}/process-definition`, {
        name: wf.name,
        taskDefinitionJson: wf.tasks.map((t) => t.definition),
        taskRelationJson: wf.relations,
      });
      assert.deepEqual(
        [second.status, second.json?.code, second.json?.msg],
        [200, 10168, 'process definition name wf already exists'],
      );
    });

    it('reads parameters from form bodies only, as @RequestParam does', async () => {
      const res = await fetch(`${fake.baseUrl}/projects`, {
        method: 'POST',
        headers: { token: fake.token, 'content-type': 'application/json' },
        body: JSON.stringify({ projectName: 'json' }),
      });
      assert.deepEqual(await res.json(), {
        code: 10048,
        msg: 'create project error',
        data: null,
        success: false,
        failed: true,
      });
    });

    it('answers an unknown path with Spring 404 JSON and an opaque 10001 for an unreadable task list', async () => {
      const unknown = await call(fake, 'GET', '/nope');
      assert.deepEqual(
        [unknown.status, unknown.json?.code, (unknown.json as any)?.error],
        [404, undefined, 'Not Found'],
      );
      const project = (await call(fake, 'POST', '/projects', { projectName: 'bad-json' })).json!.data.code;
      const bad = await call(fake, 'POST', `/projects/${project}/process-definition`, {
        name: 'x',
        taskDefinitionJson: '[{',
        taskRelationJson: '[]',
      });
      assert.deepEqual([bad.json?.code, bad.json?.msg], [10001, 'request parameter {0} is not valid']);
    });
  });

  const lines: ReadonlyArray<{
    version: DsVersion;
    schedule50004Status: number;
    secondSchedule: 'refused' | 'accepted';
  }> = [
    { version: '3.1', schedule50004Status: 201, secondSchedule: 'accepted' },
    { version: '3.2', schedule50004Status: 200, secondSchedule: 'refused' },
    { version: '3.3', schedule50004Status: 200, secondSchedule: 'refused' },
  ];
  for (const { version, schedule50004Status, secondSchedule } of lines) {
    describe(`workflow and schedule state machine (${version})`, () => {
      let fake: DolphinSchedulerFake;
      before(async () => (fake = await DolphinSchedulerFake.start({ version })));
      after(() => fake.close());

      it('refuses what DolphinScheduler refuses, with its codes and statuses', async () => {
        const { project, code, segment } = await workflowWith(fake, HTTP('http://127.0.0.1:1/x'));
        const codeParam = version === '3.3' ? 'workflowDefinitionCode' : 'processDefinitionCode';
        const schedule = (cron = SCHEDULE) =>
          call(fake, 'POST', `/projects/${project}/schedules`, { [codeParam]: String(code), schedule: cron });
        const early = await schedule();
        assert.deepEqual([early.status, early.json?.code], [schedule50004Status, 50004], 'schedule before release');
        const noun = version === '3.3' ? 'workflow' : 'process';
        assert.equal(
          early.json?.msg,
          `${noun} definition ${code.toLocaleString('en-US')} ${noun} version 1 not online`,
          'thousands separators',
        );
        assert.equal(
          (await call(fake, 'POST', `/projects/${project}/${segment}/${code}/release`, { releaseState: 'ONLINE' })).json
            ?.code,
          0,
        );
        const badCron = await schedule({ ...SCHEDULE, crontab: '0 0/5 * * * * *' });
        assert.deepEqual([badCron.status, badCron.json?.code], [201, 10001], 'day-of-month and day-of-week both set');
        const made = await schedule();
        assert.equal(made.json?.code, 0);
        const id = made.json!.data.id as number;
        const second = await schedule();
        assert.equal(second.json?.code === 10204 ? 'refused' : 'accepted', secondSchedule);
        if (second.json?.code === 10204) assert.equal(second.status, 201);
        if (second.json?.code === 0) fake.store.schedules.delete(second.json.data.id);

        assert.equal((await call(fake, 'POST', `/projects/${project}/schedules/${id}/online`)).json?.code, 0);
        const repeated = await call(fake, 'POST', `/projects/${project}/schedules/${id}/online`);
        assert.equal(repeated.json?.code, version === '3.1' ? 10126 : 0, 'putting a schedule online twice');
        const update = await call(fake, 'PUT', `/projects/${project}/schedules/${id}`, {
          schedule: SCHEDULE,
          warningGroupId: '0',
        });
        assert.deepEqual([update.status, update.json?.code], [200, 10023], 'update of an ONLINE schedule');
        const edit = await call(fake, 'PUT', `/projects/${project}/${segment}/${code}`, {
          name: 'wf',
          taskDefinitionJson: '[]',
          taskRelationJson: '[]',
          tenantCode: 'default',
        });
        assert.equal(edit.json?.code, 50017, 'an empty task list is refused before the state is looked at');
        const remove = await call(fake, 'DELETE', `/projects/${project}/${segment}/${code}`);
        assert.deepEqual([remove.status, remove.json?.code], [200, 50021], 'delete of an ONLINE workflow');

        assert.equal(
          (await call(fake, 'POST', `/projects/${project}/${segment}/${code}/release`, { releaseState: 'OFFLINE' }))
            .json?.code,
          0,
        );
        assert.equal(fake.scheduleOf(code)?.releaseState, 'OFFLINE', 'the schedule goes offline with its workflow');
        const online = await call(fake, 'POST', `/projects/${project}/schedules/${id}/online`);
        assert.equal(online.json?.code, 50004, 'schedule online while the workflow is offline');
        const badUpdate = await call(fake, 'PUT', `/projects/${project}/schedules/${id}`, {
          schedule: { ...SCHEDULE, crontab: '0 0/5 * * *' },
          warningGroupId: '0',
        });
        assert.equal(badUpdate.json?.code, 10024);
        assert.equal((await call(fake, 'DELETE', `/projects/${project}/${segment}/${code}`)).json?.code, 0);
        assert.equal(fake.store.schedules.size, 0, 'deleting the workflow deletes its OFFLINE schedule');
      });
    });
  }

  it('validates Quartz expressions as cron-utils does', () => {
    for (const valid of [
      '0 0/5 * * * ? *',
      '0/10 * * * * ?',
      '0 0 0 ? * MON-FRI *',
      '0 0 12 L * ? 2030',
      '0 15 10 ? * 6#3',
      '0 0 0 1W JAN,JUL ?',
    ]) {
      assert.equal(quartzProblem(valid), null, valid);
    }
    for (const invalid of [
      '0 0/5 * * *',
      '0 0 0 * * * *',
      '0 0 0 ? * ?',
      '60 * * * * ?',
      '0 0 24 * * ?',
      '0 0 0 ? * 8',
      '0 ? * * * ? *',
      '0 0 0 * * ? 1969',
    ]) {
      assert.notEqual(quartzProblem(invalid), null, invalid);
    }
  });

  it('renders $[…] time expressions in the server time zone', () => {
    const at = new Date('2024-05-01T16:30:00Z');
    assert.equal(renderPlaceholders('$[yyyy-MM-dd HH:mm:ss]', at, 'Asia/Shanghai'), '2024-05-02 00:30:00');
    assert.equal(
      // biome-ignore lint/suspicious/noTemplateCurlyInString: ${system.datetime} is DolphinScheduler's placeholder
      renderPlaceholders('$[yyyyMMdd-1] $[HHmmss+1/24] ${system.datetime}', at, 'UTC'),
      '20240430 173000 20240501163000',
    );
  });

  describe('firing an HTTP task', () => {
    let receiver: ReturnType<ReturnType<typeof express>['listen']>;
    const received: Array<{ method: string; body: string; auth: string | undefined }> = [];
    let answer = 200;
    let url = '';
    before(async () => {
      const app = express();
      app.use(express.text({ type: () => true }));
      app.all('/cb', (req, res) => {
        received.push({
          method: req.method,
          body: typeof req.body === 'string' ? req.body : '',
          auth: req.get('authorization'),
        });
        res.status(answer).json({ ok: answer === 200 });
      });
      await new Promise<void>((resolve) => (receiver = app.listen(0, '127.0.0.1', () => resolve())));
      url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/cb`;
    });
    after(() => new Promise<void>((resolve) => receiver.close(() => resolve())));
    beforeEach(() => {
      received.length = 0;
      answer = 200;
    });

    async function fired(version: DsVersion, params: Record<string, unknown>, failRetryTimes = 0) {
      const fake = await DolphinSchedulerFake.start({ version });
      try {
        const { project, code, segment } = await workflowWith(fake, params, failRetryTimes);
        await call(fake, 'POST', `/projects/${project}/${segment}/${code}/release`, { releaseState: 'ONLINE' });
        const made = await call(fake, 'POST', `/projects/${project}/schedules`, {
          [version === '3.3' ? 'workflowDefinitionCode' : 'processDefinitionCode']: String(code),
          schedule: SCHEDULE,
        });
        await call(fake, 'POST', `/projects/${project}/schedules/${made.json!.data.id}/online`);
        return await fake.fire(code, new Date('2024-05-01T00:00:00Z'));
      } finally {
        await fake.close();
      }
    }

    it('turns a nested 3.3 body into a bodyless GET, but POSTs a flat one', async () => {
      await fired('3.3', HTTP(url, { httpBody: JSON.stringify({ tables: ['a', 'b'] }) }));
      await fired('3.3', HTTP(url, { httpBody: JSON.stringify({ tables: 'a,b', n: 1 }) }));
      assert.deepEqual(
        received.map((r) => [r.method, r.body]),
        [
          ['GET', ''],
          ['POST', '{"tables":"a,b","n":"1"}'],
        ],
      );
    });

    it('builds the 3.1 body from BODY parameters and sends headers', async () => {
      const httpParams = [
        { prop: 'scheduleTime', httpParametersType: 'BODY', value: '$[yyyy-MM-dd HH:mm:ss]' },
        { prop: 'Authorization', httpParametersType: 'HEADERS', value: 'Bearer t' },
      ];
      const instance = await fired('3.1', HTTP(url, { httpParams, httpBody: '{"ignored":"in 3.1"}' }));
      assert.equal(instance.state, 'SUCCESS');
      assert.deepEqual(received, [
        { method: 'POST', body: '{"scheduleTime":"2024-05-01 08:00:00"}', auth: 'Bearer t' },
      ]);
    });

    it('fires online schedules on a real timer when asked to, for whole-second fire times', async () => {
      const fake = await DolphinSchedulerFake.start({ version: '3.2', autoFire: true });
      try {
        const { project, code, segment } = await workflowWith(fake, HTTP(url, { httpBody: '{"a":"b"}' }));
        await call(fake, 'POST', `/projects/${project}/${segment}/${code}/release`, { releaseState: 'ONLINE' });
        const made = await call(fake, 'POST', `/projects/${project}/schedules`, {
          processDefinitionCode: String(code),
          schedule: { ...SCHEDULE, crontab: '0/1 * * * * ? *' },
        });
        await call(fake, 'POST', `/projects/${project}/schedules/${made.json!.data.id}/online`);
        await waitUntil(() => fake.taskInstancesOf(code).length >= 2, {
          timeoutMs: 5000,
          what: 'two scheduled task instances',
        });
        const times = fake.taskInstancesOf(code).map((t) => t.scheduleTime.getTime());
        assert.ok(times.length >= 2, `fired ${times.length} times`);
        assert.ok(times.every((t) => t % 1000 === 0));
      } finally {
        await fake.close();
      }
    });

    it('fails on a non-200 answer and retries failRetryTimes more times', async () => {
      answer = 500;
      const instance = await fired('3.2', HTTP(url, { httpBody: '{"a":"b"}' }), 2);
      assert.equal(instance.state, 'FAILURE');
      assert.deepEqual(
        instance.attempts.map((a) => a.status),
        [500, 500, 500],
      );
      answer = 202;
      assert.equal((await fired('3.2', HTTP(url, { httpBody: '{"a":"b"}' }))).state, 'FAILURE', '202 is not 200');
    });
  });
});
