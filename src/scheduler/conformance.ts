/**
 * The scheduler conformance suite: the behaviour Freshet relies on from every {@link WorkflowScheduler}.
 * Built-in schedulers and third-party plugins run the same suite from a mocha test file:
 *
 * ```ts
 * runSchedulerConformance('my-scheduler', myFactory, { makeContext: () => …, options: () => ({ … }) });
 * ```
 *
 * It registers mocha tests, so it must be called where mocha's `describe` and `it` are defined.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { isFreshetError } from '../errors';
import type {
  CreateRefreshWorkflowRequest,
  RefreshHandler,
  RefreshSchedule,
  SchedulerContext,
  WorkflowScheduler,
  WorkflowSchedulerFactory,
} from './workflow-scheduler';

export interface ConformanceHarness {
  /** Builds the context the scheduler under test gets (state store, logger, triggerRefresh recorder…). */
  makeContext(): SchedulerContext;
  /** Options for the factory (validated through factory.optionsSchema). */
  options(): unknown;
  /**
   * Optional: reach into the fake/real scheduler to say whether a workflow exists and is paused, independent of
   * inspect().
   */
  observe?(handler: RefreshHandler): Promise<{ exists: boolean; paused: boolean | null }>;
  /** Optional clean-up between tests. */
  reset?(): Promise<void>;
  /**
   * Optional: a handler of the same shape as `existing` that names a workflow that never existed. By default
   * every string in `existing` gets a random suffix, which suits handlers that identify workflows by name or id
   * string; plugins whose handlers identify workflows by number supply their own.
   */
  missingHandler?(existing: RefreshHandler): RefreshHandler;
}

/** The schedule every conformance workflow starts with: FULL, every minute, in UTC. */
export const CONFORMANCE_SCHEDULE: RefreshSchedule = {
  quartzCron: '0 0/1 * * * ? *',
  unixCron: '* * * * *',
  freshness: { interval: 1, unit: 'MINUTE' },
  timeZone: 'UTC',
};

/** The schedule reschedule tests move to. */
export const CONFORMANCE_RESCHEDULE: RefreshSchedule = {
  quartzCron: '0 0/5 * * * ? *',
  unixCron: '*/5 * * * *',
  freshness: { interval: 5, unit: 'MINUTE' },
  timeZone: 'UTC',
};

/** A create request for a table no other conformance run uses. */
export function conformanceRequest(schedule: RefreshSchedule = CONFORMANCE_SCHEDULE): CreateRefreshWorkflowRequest {
  const table = `conformance_${randomBytes(4).toString('hex')}`;
  return {
    tableIdentifier: `default.main.${table}`,
    statement: `CREATE DYNAMIC TABLE ${table} FRESHNESS = INTERVAL '1' MINUTE REFRESH_MODE = FULL AS SELECT 1 AS x`,
    schedule,
    initConfig: {},
    executionConfig: {},
    callback: {
      refreshUrl: 'http://127.0.0.1:8083/v3/dynamic-tables/refresh',
      jobsUrl: 'http://127.0.0.1:8083/v3/jobs/',
      token: null,
    },
  };
}

/** Registers `scheduler conformance: <name>` with one mocha test per promise Freshet relies on. */
function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value as Record<string, unknown>)
      .sort(([x], [y]) => (x < y ? -1 : 1))
      .map(([k, v]) => [k, sortKeys(v)]),
  );
}

export function runSchedulerConformance(
  name: string,
  // biome-ignore lint/suspicious/noExplicitAny: a plugin's factory has options of its own type; the suite only passes them
  factory: WorkflowSchedulerFactory<any>,
  harness: ConformanceHarness,
): void {
  describe(`scheduler conformance: ${name}`, () => {
    let context: SchedulerContext;
    let schedulers: WorkflowScheduler[] = [];
    let created: Array<{ scheduler: WorkflowScheduler; handler: RefreshHandler }> = [];

    async function openScheduler(): Promise<WorkflowScheduler> {
      const scheduler = factory.create(factory.optionsSchema.parse(harness.options()), context);
      schedulers.push(scheduler);
      await scheduler.open();
      return scheduler;
    }

    async function create(scheduler: WorkflowScheduler, request = conformanceRequest()): Promise<RefreshHandler> {
      const handler = await scheduler.createRefreshWorkflow(request);
      created.push({ scheduler, handler });
      return handler;
    }

    async function assertState(
      scheduler: WorkflowScheduler,
      handler: RefreshHandler,
      expected: { exists: boolean; paused: boolean | null },
    ): Promise<void> {
      const inspection = await scheduler.inspect(handler);
      assert.deepEqual({ exists: inspection.exists, paused: inspection.paused }, expected, 'inspect()');
      if (harness.observe !== undefined) {
        assert.deepEqual(await harness.observe(handler), expected, 'harness.observe()');
      }
    }

    beforeEach(() => {
      context = harness.makeContext();
      schedulers = [];
      created = [];
    });

    afterEach(async () => {
      // Leave nothing behind in a shared fake or real scheduler, whatever the test did.
      const open = schedulers.at(-1);
      for (const { handler } of created) {
        await open?.deleteRefreshWorkflow(handler).catch(() => undefined);
      }
      for (const scheduler of schedulers) await scheduler.close().catch(() => undefined);
      await harness.reset?.();
    });

    it('accepts the harness options and rejects unknown or invalid ones', () => {
      const options = harness.options();
      assert.equal(factory.optionsSchema.safeParse(options).success, true, 'harness options rejected');
      const withUnknown = { ...(options as object), freshetConformanceUnknownOption: true };
      assert.equal(factory.optionsSchema.safeParse(withUnknown).success, false, 'an unknown option was accepted');
      assert.equal(factory.optionsSchema.safeParse(42).success, false, 'a number was accepted as options');
    });

    it('opens and closes', async () => {
      const scheduler = await openScheduler();
      await scheduler.close();
    });

    it('returns a JSON handler that still works after a round trip through JSON', async () => {
      const scheduler = await openScheduler();
      const handler = await create(scheduler);
      const roundTripped = JSON.parse(JSON.stringify(handler)) as RefreshHandler;
      assert.deepEqual(roundTripped, handler);
      await assertState(scheduler, roundTripped, { exists: true, paused: false });
      const suspended = await scheduler.modifyRefreshWorkflow(roundTripped, { kind: 'suspend' });
      await assertState(scheduler, suspended, { exists: true, paused: true });
    });

    it('inspects a new workflow as existing, running, with a schedule', async () => {
      const scheduler = await openScheduler();
      const handler = await create(scheduler);
      const inspection = await scheduler.inspect(handler);
      assert.equal(inspection.exists, true);
      assert.equal(inspection.paused, false);
      assert.equal(typeof inspection.schedule, 'string');
      assert.notEqual(inspection.schedule, '');
      await assertState(scheduler, handler, { exists: true, paused: false });
    });

    it('suspends a workflow', async () => {
      const scheduler = await openScheduler();
      const handler = await scheduler.modifyRefreshWorkflow(await create(scheduler), { kind: 'suspend' });
      await assertState(scheduler, handler, { exists: true, paused: true });
    });

    it('resumes a suspended workflow', async () => {
      const scheduler = await openScheduler();
      let handler = await create(scheduler);
      handler = await scheduler.modifyRefreshWorkflow(handler, { kind: 'suspend' });
      handler = await scheduler.modifyRefreshWorkflow(handler, { kind: 'resume', dynamicOptions: {} });
      await assertState(scheduler, handler, { exists: true, paused: false });
    });

    it('resumes with dynamic options', async () => {
      const scheduler = await openScheduler();
      let handler = await create(scheduler);
      handler = await scheduler.modifyRefreshWorkflow(handler, { kind: 'suspend' });
      handler = await scheduler.modifyRefreshWorkflow(handler, {
        kind: 'resume',
        dynamicOptions: { 'sink.parallelism': '4', 'table.exec.mini-batch.enabled': 'true' },
      });
      await assertState(scheduler, handler, { exists: true, paused: false });
    });

    it('reschedules, changing the inspected schedule and keeping the paused state', async () => {
      const scheduler = await openScheduler();
      const running = await create(scheduler);
      const runningBefore = (await scheduler.inspect(running)).schedule;
      const runningAfter = await scheduler.modifyRefreshWorkflow(running, {
        kind: 'reschedule',
        schedule: CONFORMANCE_RESCHEDULE,
      });
      assert.notEqual((await scheduler.inspect(runningAfter)).schedule, runningBefore);
      await assertState(scheduler, runningAfter, { exists: true, paused: false });

      let paused = await scheduler.modifyRefreshWorkflow(await create(scheduler), { kind: 'suspend' });
      const pausedBefore = (await scheduler.inspect(paused)).schedule;
      paused = await scheduler.modifyRefreshWorkflow(paused, { kind: 'reschedule', schedule: CONFORMANCE_RESCHEDULE });
      assert.notEqual((await scheduler.inspect(paused)).schedule, pausedBefore);
      await assertState(scheduler, paused, { exists: true, paused: true });
    });

    it('deletes a workflow', async () => {
      const scheduler = await openScheduler();
      const handler = await create(scheduler);
      await scheduler.deleteRefreshWorkflow(handler);
      await assertState(scheduler, handler, { exists: false, paused: null });
      assert.equal((await scheduler.inspect(handler)).schedule, null);
    });

    it('deletes a workflow twice without error', async () => {
      const scheduler = await openScheduler();
      const handler = await create(scheduler);
      await scheduler.deleteRefreshWorkflow(handler);
      await scheduler.deleteRefreshWorkflow(handler);
      await assertState(scheduler, handler, { exists: false, paused: null });
    });

    it('deletes a handler that never existed without error, leaving other workflows alone', async () => {
      const scheduler = await openScheduler();
      const existing = await create(scheduler);
      const missing = (harness.missingHandler ?? suffixStrings)(existing);
      assert.notDeepEqual(missing, existing, 'the missing handler must differ from the existing one');
      await scheduler.deleteRefreshWorkflow(missing);
      await assertState(scheduler, missing, { exists: false, paused: null });
      await assertState(scheduler, existing, { exists: true, paused: false });
    });

    it('rejects modifying a deleted workflow with SCHEDULER_ERROR', async () => {
      const scheduler = await openScheduler();
      const handler = await create(scheduler);
      await scheduler.deleteRefreshWorkflow(handler);
      const modifications = [
        { kind: 'suspend' },
        { kind: 'resume', dynamicOptions: {} },
        { kind: 'reschedule', schedule: CONFORMANCE_RESCHEDULE },
      ] as const;
      for (const modification of modifications) {
        await assert.rejects(
          scheduler.modifyRefreshWorkflow(handler, modification),
          (error: unknown) => isFreshetError(error) && error.code === 'SCHEDULER_ERROR',
          `${modification.kind} of a deleted workflow`,
        );
      }
    });

    it('lists the workflows it made, with their tables and paused state', async () => {
      const scheduler = await openScheduler();
      const a = await create(scheduler, { ...conformanceRequest(), tableIdentifier: 'default.main.conformance_a' });
      let b = await create(scheduler, { ...conformanceRequest(), tableIdentifier: 'default.main.conformance_b' });
      b = await scheduler.modifyRefreshWorkflow(b, { kind: 'suspend' });
      const listed = await scheduler.listRefreshWorkflows();
      const byTable = new Map(listed.map((w) => [w.tableIdentifier, w]));
      const listedA = byTable.get('default.main.conformance_a');
      const listedB = byTable.get('default.main.conformance_b');
      assert.ok(listedA && listedB, 'both workflows are listed with their tables');
      assert.equal(listedA.paused, false);
      assert.equal(listedB.paused, true);
      assert.equal((await scheduler.inspect(listedA.handler)).exists, true, 'listed handlers work');
      assert.deepEqual(
        sortKeys(listedB.handler),
        sortKeys(b),
        'a workflow is listed with the handler the plugin returned for it',
      );
      await scheduler.deleteRefreshWorkflow(a);
      const after = await scheduler.listRefreshWorkflows();
      assert.ok(
        !after.some((w) => w.tableIdentifier === 'default.main.conformance_a'),
        'a deleted workflow is not listed',
      );
    });

    it('keeps two workflows independent', async () => {
      const scheduler = await openScheduler();
      let first = await create(scheduler);
      const second = await create(scheduler);
      assert.notDeepEqual(first, second);
      first = await scheduler.modifyRefreshWorkflow(first, { kind: 'suspend' });
      await assertState(scheduler, second, { exists: true, paused: false });
      first = await scheduler.modifyRefreshWorkflow(first, { kind: 'reschedule', schedule: CONFORMANCE_RESCHEDULE });
      assert.notEqual((await scheduler.inspect(second)).schedule, (await scheduler.inspect(first)).schedule);
      await scheduler.deleteRefreshWorkflow(first);
      await assertState(scheduler, first, { exists: false, paused: null });
      await assertState(scheduler, second, { exists: true, paused: false });
    });

    it('keeps workflows across a close and a new instance on the same context', async () => {
      const first = await openScheduler();
      const handler = await first.modifyRefreshWorkflow(await create(first), { kind: 'suspend' });
      await first.close();
      const second = await openScheduler();
      await assertState(second, handler, { exists: true, paused: true });
    });
  });
}

function suffixStrings(handler: RefreshHandler): RefreshHandler {
  const suffix = `_missing_${randomBytes(4).toString('hex')}`;
  const rewrite = (value: unknown): unknown => {
    if (typeof value === 'string') return value + suffix;
    if (Array.isArray(value)) return value.map(rewrite);
    if (value !== null && typeof value === 'object') {
      return Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, rewrite(inner)]));
    }
    return value;
  };
  return rewrite(handler) as RefreshHandler;
}
