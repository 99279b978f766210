import assert from 'node:assert/strict';
import { dolphinSchedulerFactory } from '../plugins/dolphinscheduler';
import { isFreshetError } from '../src/errors';
import { CONFORMANCE_RESCHEDULE, conformanceRequest, runSchedulerConformance } from '../src/scheduler/conformance';
import { DolphinSchedulerFake, type RecordedRequest } from './fakes/dolphinscheduler-fake';
import { dsOptions, dsTestContext, observeInFake, openDsScheduler } from './fakes/ds-harness';
import { loadSpec, matchEndpoint, requestProblems, type DsVersion } from './fakes/ds-spec';

/** Every way a recorded request strays from the derived endpoint list of `version`. */
function specViolations(version: DsVersion, requests: readonly RecordedRequest[]): string[] {
  const spec = loadSpec(version);
  const violations: string[] = [];
  for (const request of requests) {
    const where = `${request.method} ${request.path}`;
    const match = matchEndpoint(spec, request.method, request.path);
    if (match === null) {
      violations.push(`${where}: no such endpoint in DolphinScheduler ${version}`);
      continue;
    }
    const params = new Map([...Object.entries(request.query), ...Object.entries(request.form ?? {})]);
    violations.push(...requestProblems(match, params).map((problem) => `${where}: ${problem}`));
    for (const [name, value] of Object.entries(match.pathParams)) {
      // Class-level variables (projectCode) are not always bound by the method; their values still must be numbers.
      const declared = match.endpoint.params.find((p) => p.name === name && p.in === 'path');
      if (/long|int/i.test(declared?.javaType ?? 'long') && !/^\d+$/.test(value))
        violations.push(`${where}: path variable ${name}='${value}' is not a number`);
    }
    const hasBody = request.method === 'POST' || request.method === 'PUT';
    if (hasBody && !request.contentType?.startsWith('application/x-www-form-urlencoded')) {
      violations.push(
        `${where}: content type ${String(request.contentType)}, expected application/x-www-form-urlencoded`,
      );
    }
    if (hasBody && Object.keys(request.query).length > 0)
      violations.push(`${where}: parameters in the query string of a ${request.method}`);
    if (!hasBody && request.form !== null) violations.push(`${where}: a form body on a ${request.method}`);
  }
  return violations;
}

for (const version of ['3.1', '3.2', '3.3'] as const) {
  describe(`dolphinscheduler ${version} plugin on the fake`, () => {
    let fake: DolphinSchedulerFake;
    before(async () => {
      fake = await DolphinSchedulerFake.start({ version });
    });
    after(() => fake.close());

    runSchedulerConformance(`dolphinscheduler ${version}`, dolphinSchedulerFactory, {
      makeContext: () => dsTestContext(),
      options: () => dsOptions(fake, { projectName: 'freshet-conformance' }),
      observe: async (handler) => observeInFake(fake, handler),
      reset: async () => fake.reset(),
      // Handlers name workflows by numeric code; code 1 was never generated.
      missingHandler: (existing) => ({ ...existing, workflowCode: '1', scheduleId: 1 }),
    });

    describe('requests', () => {
      beforeEach(() => fake.reset());

      it(`sends only requests that DolphinScheduler ${version} declares, form-encoded, with every required parameter`, async () => {
        const scheduler = await openDsScheduler(fake, { environmentCode: 7, tenantCode: 'default' });
        let handler = await scheduler.createRefreshWorkflow({
          ...conformanceRequest(),
          callback: { ...conformanceRequest().callback, token: 'callback-token-0123456789' },
        });
        await scheduler.inspect(handler);
        await scheduler.listRefreshWorkflows();
        handler = await scheduler.modifyRefreshWorkflow(handler, { kind: 'suspend' });
        handler = await scheduler.modifyRefreshWorkflow(handler, { kind: 'suspend' });
        handler = await scheduler.modifyRefreshWorkflow(handler, {
          kind: 'reschedule',
          schedule: CONFORMANCE_RESCHEDULE,
        });
        handler = await scheduler.modifyRefreshWorkflow(handler, {
          kind: 'resume',
          dynamicOptions: { 'sink.parallelism': '2' },
        });
        handler = await scheduler.modifyRefreshWorkflow(handler, { kind: 'resume', dynamicOptions: {} });
        handler = await scheduler.modifyRefreshWorkflow(handler, {
          kind: 'reschedule',
          schedule: CONFORMANCE_RESCHEDULE,
        });
        await scheduler.deleteRefreshWorkflow(handler);
        await scheduler.deleteRefreshWorkflow(handler);
        await assert.rejects(
          scheduler.modifyRefreshWorkflow(handler, { kind: 'suspend' }),
          (e: unknown) => isFreshetError(e) && e.code === 'SCHEDULER_ERROR',
        );
        fake.breakOn((method, path) => method === 'POST' && path.endsWith('/schedules'));
        await assert.rejects(scheduler.createRefreshWorkflow(conformanceRequest()));

        assert.ok(fake.requests.length > 20, `only ${fake.requests.length} requests recorded`);
        assert.deepEqual(specViolations(version, fake.requests), []);
        for (const other of (['3.1', '3.2', '3.3'] as const).filter((v) => v !== version)) {
          assert.notDeepEqual(
            specViolations(other, fake.requests),
            [],
            `the same requests would not suit DolphinScheduler ${other}`,
          );
        }
        const refused = fake.requests.filter((r) => (r.response as { code?: number } | null)?.code !== 0);
        assert.deepEqual(
          refused.map(
            (r) => `${r.method} ${r.path.replace(/\d+/g, 'N')} → ${(r.response as { code?: number } | null)?.code}`,
          ),
          [
            // Deleting twice and modifying a deleted workflow: DolphinScheduler says it does not exist.
            `POST /projects/N/${version === '3.3' ? 'workflow' : 'process'}-definition/N/release → 50003`,
            `GET /projects/N/${version === '3.3' ? 'workflow' : 'process'}-definition/N → 50003`,
          ],
          'no request was refused except the two that look for a deleted workflow',
        );
      });
    });
  });
}
