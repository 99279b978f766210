import assert from 'node:assert/strict';
import { isFreshetError } from '../src/errors';
import { runSchedulerConformance, conformanceRequest } from '../src/scheduler/conformance';
import { embeddedSchedulerFactory } from '../src/scheduler/embedded/embedded-factory';
import { EmbeddedScheduler } from '../src/scheduler/embedded/embedded-scheduler';
import { parseWorkflowRecord, workflowKey } from '../src/scheduler/embedded/embedded-workflow-record';
import { MemoryStateStore } from '../src/scheduler/memory-state-store';
import type {
  RefreshHandler,
  RefreshSchedule,
  ScheduledRefresh,
  SchedulerContext,
  WorkflowScheduler,
} from '../src/scheduler/workflow-scheduler';
import { FakeClock } from './helpers/fake-clock';
import { sleep } from './helpers/wait';

interface TestContext {
  readonly context: SchedulerContext;
  readonly fires: ScheduledRefresh[];
  readonly errors: string[];
  /** The clock the scheduler reads and waits on; the real one when absent. */
  readonly clock?: FakeClock;
}

function makeTestContext(
  stateStore: MemoryStateStore,
  options: { clock?: FakeClock; now?: () => Date; triggerRefresh?: (request: ScheduledRefresh) => Promise<void> } = {},
): TestContext {
  const fires: ScheduledRefresh[] = [];
  const errors: string[] = [];
  const context: SchedulerContext = {
    gatewayUrl: 'http://127.0.0.1:8083',
    stateStore,
    logger: { info: () => undefined, warn: () => undefined, error: (message) => errors.push(message) },
    now: options.clock?.now ?? options.now ?? (() => new Date()),
    triggerRefresh: async (request) => {
      fires.push(request);
      await options.triggerRefresh?.(request);
    },
  };
  return { context, fires, errors, clock: options.clock };
}

function schedule(quartzCron: string, timeZone = 'UTC'): RefreshSchedule {
  return { quartzCron, unixCron: null, freshness: { interval: 1, unit: 'SECOND' }, timeZone };
}

const EVERY_SECOND = schedule('0/1 * * * * ? *');
const EVERY_MINUTE = schedule('0 0/1 * * * ? *');

/** A clock the test moves by hand; unless told, it starts between two whole seconds, as a real start would. */
const fakeClock = (start = '2024-01-01T00:00:00.250Z') => new FakeClock(start);

describe('embedded scheduler', () => {
  let store = new MemoryStateStore();

  runSchedulerConformance('embedded', embeddedSchedulerFactory, {
    makeContext: () => makeTestContext(store).context,
    options: () => ({}),
    observe: async (handler: RefreshHandler) => {
      const record = parseWorkflowRecord(await store.get(workflowKey(String(handler.workflowId))));
      return record === null ? { exists: false, paused: null } : { exists: true, paused: record.paused };
    },
    reset: async () => {
      store = new MemoryStateStore();
    },
  });

  describe('firing', () => {
    const open: WorkflowScheduler[] = [];

    async function openScheduler(test: TestContext): Promise<WorkflowScheduler> {
      const scheduler =
        test.clock === undefined
          ? embeddedSchedulerFactory.create({}, test.context)
          : new EmbeddedScheduler(test.context, test.clock);
      open.push(scheduler);
      await scheduler.open();
      return scheduler;
    }

    afterEach(async () => {
      for (const scheduler of open.splice(0)) await scheduler.close();
    });

    it('fires a 1-second workflow on whole seconds with its table identifier', async () => {
      const clock = fakeClock();
      const test = makeTestContext(new MemoryStateStore(), { clock });
      const scheduler = await openScheduler(test);
      const request = conformanceRequest(EVERY_SECOND);
      const createdAt = clock.now().getTime();
      const handler = await scheduler.createRefreshWorkflow(request);
      assert.match(String(handler.workflowId), /^[0-9a-f-]{36}$/);
      assert.equal(handler.workflowName, `freshet_refresh_${request.tableIdentifier}`);

      await clock.advanceUntil(() => test.fires.length >= 2, 3500);
      const [first] = test.fires;
      assert.deepEqual(first?.tables, [request.tableIdentifier]);
      assert.deepEqual(first?.configuration, {});
      const [firstTime = NaN, secondTime = NaN] = test.fires.map((fire) => fire.scheduleTime.getTime());
      assert.equal(firstTime % 1000, 0, 'schedule times are whole seconds');
      assert.ok(firstTime > createdAt, 'no tick from before the workflow existed');
      assert.equal(secondTime - firstTime, 1000);
    });

    it('does not fire a suspended workflow', async () => {
      const clock = fakeClock();
      const test = makeTestContext(new MemoryStateStore(), { clock });
      const scheduler = await openScheduler(test);
      const handler = await scheduler.createRefreshWorkflow(conformanceRequest(EVERY_SECOND));
      await scheduler.modifyRefreshWorkflow(handler, { kind: 'suspend' });
      const firedBeforeSuspend = test.fires.length;
      await clock.advance(1200);
      assert.equal(test.fires.length, firedBeforeSuspend);
    });

    it('passes the options given on resume as the refresh configuration', async () => {
      const clock = fakeClock();
      const test = makeTestContext(new MemoryStateStore(), { clock });
      const scheduler = await openScheduler(test);
      let handler = await scheduler.createRefreshWorkflow(conformanceRequest(EVERY_SECOND));
      handler = await scheduler.modifyRefreshWorkflow(handler, { kind: 'suspend' });
      await scheduler.modifyRefreshWorkflow(handler, { kind: 'resume', dynamicOptions: { 'sink.parallelism': '4' } });
      const firedBeforeResume = test.fires.length;
      await clock.advanceUntil(() => test.fires.length > firedBeforeResume, 2500);
      assert.deepEqual(test.fires.at(-1)?.configuration, { 'sink.parallelism': '4' });
    });

    it('does not replay the ticks missed while suspended', async () => {
      const clock = fakeClock('2024-01-01T00:00:30Z');
      const test = makeTestContext(new MemoryStateStore(), { clock });
      const scheduler = await openScheduler(test);
      let handler = await scheduler.createRefreshWorkflow(conformanceRequest(EVERY_MINUTE));
      handler = await scheduler.modifyRefreshWorkflow(handler, { kind: 'suspend' });
      clock.set('2024-01-01T00:10:30Z');
      await scheduler.modifyRefreshWorkflow(handler, { kind: 'resume', dynamicOptions: {} });
      await clock.advance(200);
      assert.deepEqual(test.fires, []);
    });

    it('fires one catch-up, for the latest missed tick, after a restart', async () => {
      const store = new MemoryStateStore();
      const clock = fakeClock('2024-01-01T00:00:30Z');
      const before = makeTestContext(store, { clock });
      const request = conformanceRequest(EVERY_MINUTE);
      const handler = await (await openScheduler(before)).createRefreshWorkflow(request);
      await open.pop()!.close();

      clock.set('2024-01-01T00:05:30Z');
      const after = makeTestContext(store, { clock });
      await openScheduler(after);
      await clock.advanceUntil(() => after.fires.length > 0, 1000);
      await clock.advance(200);
      assert.deepEqual(
        after.fires.map((fire) => ({ tables: fire.tables, scheduleTime: fire.scheduleTime.toISOString() })),
        [{ tables: [request.tableIdentifier], scheduleTime: '2024-01-01T00:05:00.000Z' }],
      );
      const record = parseWorkflowRecord(await store.get(workflowKey(String(handler.workflowId))));
      assert.equal(record?.lastFireTime, '2024-01-01T00:05:00.000Z');

      const again = makeTestContext(store, { clock });
      await openScheduler(again);
      await clock.advance(200);
      assert.deepEqual(again.fires, [], 'a tick already fired is not fired again by the next instance');
    });

    it('does not catch up ticks from before the workflow was created', async () => {
      const store = new MemoryStateStore();
      const clock = fakeClock('2024-01-01T00:00:30Z');
      const before = makeTestContext(store, { clock });
      await (await openScheduler(before)).createRefreshWorkflow(conformanceRequest(EVERY_MINUTE));
      await open.pop()!.close();

      clock.set('2024-01-01T00:00:59Z');
      const after = makeTestContext(store, { clock });
      await openScheduler(after);
      await clock.advance(200);
      assert.deepEqual([...before.fires, ...after.fires], []);
    });

    it('fires on the new schedule after a reschedule', async () => {
      const clock = fakeClock();
      const test = makeTestContext(new MemoryStateStore(), { clock });
      const scheduler = await openScheduler(test);
      const hourly = schedule('0 0 0/1 * * ? *');
      const handler = await scheduler.createRefreshWorkflow(conformanceRequest(hourly));
      await scheduler.modifyRefreshWorkflow(handler, { kind: 'reschedule', schedule: EVERY_SECOND });
      assert.equal((await scheduler.inspect(handler)).schedule, EVERY_SECOND.quartzCron);
      await clock.advanceUntil(() => test.fires.length > 0, 2500);
    });

    it('stops firing once closed', async () => {
      const clock = fakeClock();
      const test = makeTestContext(new MemoryStateStore(), { clock });
      const scheduler = await openScheduler(test);
      await scheduler.createRefreshWorkflow(conformanceRequest(EVERY_SECOND));
      await clock.advanceUntil(() => test.fires.length > 0, 2500);
      await scheduler.close();
      const firedBeforeClose = test.fires.length;
      await clock.advance(1200);
      assert.equal(test.fires.length, firedBeforeClose);
    });

    it('keeps firing after a refresh fails, and logs the failure', async () => {
      let calls = 0;
      const clock = fakeClock();
      const test = makeTestContext(new MemoryStateStore(), {
        clock,
        triggerRefresh: async () => {
          calls += 1;
          if (calls === 1) throw new Error('gateway busy');
        },
      });
      const scheduler = await openScheduler(test);
      await scheduler.createRefreshWorkflow(conformanceRequest(EVERY_SECOND));
      await clock.advanceUntil(() => test.fires.length >= 2, 3500);
      assert.equal(test.errors.length, 1);
    });

    it('waits for refreshes in flight when closing', async () => {
      let release = () => undefined as undefined;
      let settled = false;
      const clock = fakeClock();
      const test = makeTestContext(new MemoryStateStore(), {
        clock,
        triggerRefresh: () =>
          new Promise<void>((resolve) => {
            release = () => {
              settled = true;
              resolve();
            };
          }),
      });
      const scheduler = await openScheduler(test);
      await scheduler.createRefreshWorkflow(conformanceRequest(EVERY_SECOND));
      await clock.advanceUntil(() => test.fires.length > 0, 2500);
      // The refresh settles on the real clock: close() must wait for it, not for the scheduler's own clock.
      setTimeout(() => release(), 100);
      await scheduler.close();
      assert.equal(settled, true);
    });

    it('waits for a far-off tick without overflowing the timer', async () => {
      const warnings: Error[] = [];
      const onWarning = (warning: Error) => warnings.push(warning);
      process.on('warning', onWarning);
      try {
        // Node's real timers, since the overflow is theirs; the time is fixed, almost a year before the tick.
        const test = makeTestContext(new MemoryStateStore(), { now: () => new Date('2024-01-02T00:00:00Z') });
        const scheduler = await openScheduler(test);
        await scheduler.createRefreshWorkflow(conformanceRequest(schedule('0 0 0 1 1 ? *')));
        await sleep(200);
        assert.deepEqual(test.fires, []);
        assert.deepEqual(
          warnings.filter((w) => w.name === 'TimeoutOverflowWarning'),
          [],
        );
      } finally {
        process.off('warning', onWarning);
      }
    });

    it('names the workflow when asked to modify one that does not exist', async () => {
      const scheduler = await openScheduler(makeTestContext(new MemoryStateStore()));
      const handler = await scheduler.createRefreshWorkflow(conformanceRequest());
      await scheduler.deleteRefreshWorkflow(handler);
      await assert.rejects(scheduler.modifyRefreshWorkflow(handler, { kind: 'suspend' }), (error: unknown) => {
        assert.ok(isFreshetError(error));
        assert.equal(error.code, 'SCHEDULER_ERROR');
        assert.equal(error.message, `Embedded workflow ${String(handler.workflowName)} does not exist.`);
        return true;
      });
    });

    it('rejects a schedule it cannot evaluate', async () => {
      const scheduler = await openScheduler(makeTestContext(new MemoryStateStore()));
      const onMars = conformanceRequest(schedule('0 0/1 * * * ? *', 'Mars/Olympus'));
      await assert.rejects(scheduler.createRefreshWorkflow(onMars), /time zone 'Mars\/Olympus'/);
      const in2030 = conformanceRequest(schedule('0 0 0 1 1 ? 2030'));
      await assert.rejects(scheduler.createRefreshWorkflow(in2030), /year '\*' or absent/);
    });
  });
});
