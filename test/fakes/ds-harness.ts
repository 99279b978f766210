/** Shared set-up for tests that drive the DolphinScheduler plugin against the fake. */
import { dolphinSchedulerFactory } from '../../plugins/dolphinscheduler';
import { MemoryStateStore } from '../../src/scheduler/memory-state-store';
import type { RefreshHandler, SchedulerContext, WorkflowScheduler } from '../../src/scheduler/workflow-scheduler';
import type { DolphinSchedulerFake } from './dolphinscheduler-fake';

export interface LoggedLine {
  readonly level: 'info' | 'warn' | 'error';
  readonly message: string;
}

export function dsTestContext(logged: LoggedLine[] = [], now: () => Date = () => new Date()): SchedulerContext {
  return {
    gatewayUrl: 'http://127.0.0.1:8083',
    stateStore: new MemoryStateStore(),
    logger: {
      info: (message) => logged.push({ level: 'info', message }),
      warn: (message) => logged.push({ level: 'warn', message }),
      error: (message) => logged.push({ level: 'error', message }),
    },
    now,
    triggerRefresh: async () => undefined,
  };
}

/** Plugin options pointing at `fake`, as a user would write them. */
export function dsOptions(fake: DolphinSchedulerFake, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    baseUrl: fake.baseUrl,
    token: fake.token,
    projectName: 'freshet',
    version: fake.version,
    serverTimeZone: fake.serverTimeZone,
    ...extra,
  };
}

export async function openDsScheduler(
  fake: DolphinSchedulerFake,
  extra: Record<string, unknown> = {},
  context = dsTestContext(),
): Promise<WorkflowScheduler> {
  const scheduler = dolphinSchedulerFactory.create(
    dolphinSchedulerFactory.optionsSchema.parse(dsOptions(fake, extra)),
    context,
  );
  await scheduler.open();
  return scheduler;
}

/** What the fake itself says about a handler's workflow, independent of the plugin's inspect(). */
export function observeInFake(
  fake: DolphinSchedulerFake,
  handler: RefreshHandler,
): { exists: boolean; paused: boolean | null } {
  const workflow = fake.store.workflows.get(Number(handler.workflowCode));
  if (workflow === undefined) return { exists: false, paused: null };
  const schedule = fake.scheduleOf(workflow.code);
  return { exists: true, paused: !(workflow.releaseState === 'ONLINE' && schedule?.releaseState === 'ONLINE') };
}
