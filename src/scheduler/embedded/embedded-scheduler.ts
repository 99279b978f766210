/**
 * The embedded workflow scheduler: runs every workflow on one in-process timer and fires refreshes through
 * {@link SchedulerContext.triggerRefresh}. Unlike Flink's embedded Quartz scheduler (in-memory job store, lost
 * on restart, one fire per missed tick), workflows persist in the plugin state store and a restart after
 * downtime fires one catch-up per table, for the latest missed tick.
 *
 * Delivery is at most once per tick: a tick's time is persisted as `lastFireTime` before its refresh is
 * triggered, so a crash between the two skips that one tick rather than running it twice. The next tick
 * repairs the staleness, and skipping is the safer side for partitioned refreshes, whose partition derives
 * from the schedule time.
 *
 * When several gateways share the catalog ({@link SchedulerContext.leadership}), every one of them accepts
 * create, modify and delete (they only write the state store), but only the leader's timer fires. The leader
 * re-reads the state store when it gains the lease and every few seconds, and re-reads each workflow right
 * before firing it, so it sees what other gateways wrote and never fires a tick a previous leader already fired.
 */
import { randomUUID } from 'node:crypto';
import { messageOf, schedulerError } from '../../errors';
import { nextFireTime, previousFireTime, quartzToCronParser } from '../../freshness/cron';
import { requireTimeZone } from '../../freshness/schedule-time';
import type {
  CreateRefreshWorkflowRequest,
  ListedWorkflow,
  RefreshHandler,
  SchedulerContext,
  WorkflowInspection,
  WorkflowModification,
  WorkflowScheduler,
} from '../workflow-scheduler';
import {
  describeHandler,
  handlerOf,
  isWorkflowKey,
  parseWorkflowRecord,
  workflowIdOf,
  workflowKey,
  workflowNameOf,
  type WorkflowRecord,
} from './embedded-workflow-record';
import { realTimers, type CancelTimer, type SchedulerTimers } from './embedded-timers';

/** setTimeout fires at once (with a warning) for delays above this; longer waits re-arm when it expires. */
const MAX_TIMER_DELAY_MS = 2 ** 31 - 1;

/** With a shared state store: how often the leader re-reads it, i.e. how late it may see a workflow created elsewhere. */
const SHARED_RELOAD_MS = 2000;

interface ScheduledWorkflow {
  readonly record: WorkflowRecord;
  /** Epoch ms of the first tick after `lastFireTime`; null when paused or the CRON cannot be evaluated. */
  readonly dueAt: number | null;
}

type Lifecycle = 'new' | 'open' | 'closed';

/**
 * The `embedded` scheduler. Build it through `embeddedSchedulerFactory`; tests construct it directly to give it
 * timers of their own, together with the context's `now()`.
 */
export class EmbeddedScheduler implements WorkflowScheduler {
  readonly #context: SchedulerContext;
  readonly #timers: SchedulerTimers;
  readonly #workflows = new Map<string, ScheduledWorkflow>();
  readonly #inFlight = new Set<Promise<void>>();
  #lifecycle: Lifecycle = 'new';
  #cancelTimer: CancelTimer | undefined;
  #cancelReload: CancelTimer | undefined;
  #stopFollowingLeadership: (() => void) | undefined;
  /** State changes and fires run one at a time, in call order, so a fire never races a modification. */
  #queue: Promise<unknown> = Promise.resolve();

  constructor(context: SchedulerContext, timers: SchedulerTimers = realTimers) {
    this.#context = context;
    this.#timers = timers;
  }

  /** Loads the persisted workflows and arms the timer; overdue workflows fire their catch-up right after. */
  async open(): Promise<void> {
    if (this.#lifecycle === 'open') return;
    if (this.#lifecycle === 'closed') {
      throw schedulerError('The embedded scheduler was closed; create a new instance to open it again.');
    }
    await this.#reload();
    this.#lifecycle = 'open';
    const leadership = this.#context.leadership;
    if (leadership !== undefined) {
      this.#stopFollowingLeadership = leadership.onChange((leader) => {
        if (leader) this.#refreshFromStore();
        else this.#disarm();
      });
      this.#cancelReload = this.#timers.every(SHARED_RELOAD_MS, () => {
        if (leadership.isLeader()) this.#refreshFromStore();
      });
    }
    this.#arm();
  }

  /** Replaces the workflows held in memory by the ones in the state store. */
  async #reload(): Promise<void> {
    const seen = new Set<string>();
    for (const { key, value } of await this.#context.stateStore.list()) {
      if (!isWorkflowKey(key)) continue;
      const record = parseWorkflowRecord(value);
      if (record === null) {
        this.#context.logger.warn('Ignoring an unreadable embedded workflow record.', { key });
        continue;
      }
      seen.add(record.workflowId);
      const known = this.#workflows.get(record.workflowId)?.record;
      if (known === undefined || JSON.stringify(known) !== JSON.stringify(record)) this.#remember(record);
    }
    for (const workflowId of [...this.#workflows.keys()]) if (!seen.has(workflowId)) this.#workflows.delete(workflowId);
  }

  /** Re-reads the shared state store in turn with other operations, then re-arms. */
  #refreshFromStore(): void {
    this.#enqueue(async () => {
      if (this.#lifecycle !== 'open') return;
      await this.#reload();
      this.#arm();
    }).catch((error: unknown) => {
      this.#context.logger.error('Embedded scheduler could not re-read its workflows.', { error: messageOf(error) });
    });
  }

  #isLeader(): boolean {
    return this.#context.leadership?.isLeader() ?? true;
  }

  /** Stops the timer and waits for refreshes already triggered to be accepted or fail. */
  async close(): Promise<void> {
    if (this.#lifecycle === 'closed') return;
    this.#lifecycle = 'closed';
    this.#disarm();
    this.#stopFollowingLeadership?.();
    this.#cancelReload?.();
    await this.#queue;
    await Promise.allSettled([...this.#inFlight]);
  }

  createRefreshWorkflow(request: CreateRefreshWorkflowRequest): Promise<RefreshHandler> {
    return this.#serially(async () => {
      const { quartzCron, timeZone } = request.schedule;
      assertRunnableSchedule(quartzCron, timeZone);
      const duplicate = [...this.#workflows.values()].find((w) => w.record.tableIdentifier === request.tableIdentifier);
      if (duplicate !== undefined) {
        this.#context.logger.warn('Table already has an embedded workflow; creating another one.', {
          table: request.tableIdentifier,
          existingWorkflowId: duplicate.record.workflowId,
        });
      }
      const now = this.#context.now().toISOString();
      const record: WorkflowRecord = {
        workflowId: randomUUID(),
        tableIdentifier: request.tableIdentifier,
        quartzCron,
        timeZone,
        paused: false,
        dynamicOptions: {},
        // Ticks before the workflow existed are not owed to anyone.
        lastFireTime: now,
        createdAt: now,
      };
      await this.#save(record);
      this.#arm();
      this.#context.logger.info('Created embedded workflow.', {
        workflow: workflowNameOf(record.tableIdentifier),
        workflowId: record.workflowId,
        cron: quartzCron,
        timeZone,
      });
      return handlerOf(record);
    });
  }

  modifyRefreshWorkflow(handler: RefreshHandler, modification: WorkflowModification): Promise<RefreshHandler> {
    return this.#serially(async () => {
      const current = await this.#current(handler);
      if (current === undefined) throw schedulerError(`Embedded workflow ${describeHandler(handler)} does not exist.`);
      const now = this.#context.now().toISOString();
      let record: WorkflowRecord;
      switch (modification.kind) {
        case 'suspend':
          record = { ...current, paused: true };
          break;
        case 'resume':
          // Ticks missed while paused are not replayed: the table resumes on its next tick from now.
          record = {
            ...current,
            paused: false,
            dynamicOptions: { ...modification.dynamicOptions },
            lastFireTime: current.paused ? now : current.lastFireTime,
          };
          break;
        case 'reschedule': {
          const { quartzCron, timeZone } = modification.schedule;
          assertRunnableSchedule(quartzCron, timeZone);
          // The new CRON counts from now, so a change of schedule does not itself trigger a refresh.
          record = { ...current, quartzCron, timeZone, lastFireTime: now };
          break;
        }
      }
      await this.#save(record);
      this.#arm();
      return handlerOf(record);
    });
  }

  deleteRefreshWorkflow(handler: RefreshHandler): Promise<void> {
    return this.#serially(async () => {
      const workflowId = workflowIdOf(handler);
      if (workflowId === null) return;
      await this.#context.stateStore.delete(workflowKey(workflowId));
      this.#workflows.delete(workflowId);
      this.#arm();
    });
  }

  async inspect(handler: RefreshHandler): Promise<WorkflowInspection> {
    this.#assertOpen();
    const record = await this.#current(handler);
    if (record === undefined) return { exists: false, paused: null, schedule: null };
    return { exists: true, paused: record.paused, schedule: record.quartzCron };
  }

  async listRefreshWorkflows(): Promise<readonly ListedWorkflow[]> {
    this.#assertOpen();
    if (this.#context.leadership !== undefined) await this.#serially(() => this.#reload());
    return [...this.#workflows.values()].map(({ record }) => ({
      tableIdentifier: record.tableIdentifier,
      handler: handlerOf(record),
      paused: record.paused,
    }));
  }

  /** The workflow a handler names; read from the state store when other gateways may have changed it. */
  async #current(handler: RefreshHandler): Promise<WorkflowRecord | undefined> {
    const workflowId = workflowIdOf(handler);
    if (workflowId === null) return undefined;
    if (this.#context.leadership === undefined) return this.#workflows.get(workflowId)?.record;
    const record = parseWorkflowRecord(await this.#context.stateStore.get(workflowKey(workflowId)));
    if (record === null) {
      this.#workflows.delete(workflowId);
      return undefined;
    }
    this.#remember(record);
    return record;
  }

  async #save(record: WorkflowRecord): Promise<void> {
    await this.#context.stateStore.put(workflowKey(record.workflowId), record);
    this.#remember(record);
  }

  #remember(record: WorkflowRecord): void {
    this.#workflows.set(record.workflowId, { record, dueAt: this.#dueAt(record) });
  }

  #dueAt(record: WorkflowRecord): number | null {
    if (record.paused) return null;
    try {
      return nextFireTime(record.quartzCron, new Date(record.lastFireTime), record.timeZone).getTime();
    } catch (error) {
      this.#context.logger.error('Embedded workflow has a schedule that cannot be evaluated; it will not fire.', {
        workflowId: record.workflowId,
        cron: record.quartzCron,
        timeZone: record.timeZone,
        error: messageOf(error),
      });
      return null;
    }
  }

  /** Points the one timer at the earliest due workflow (now, if one is overdue). */
  #arm(): void {
    this.#disarm();
    if (this.#lifecycle !== 'open' || !this.#isLeader()) return;
    let earliest = Infinity;
    for (const { dueAt } of this.#workflows.values()) {
      if (dueAt !== null && dueAt < earliest) earliest = dueAt;
    }
    if (earliest === Infinity) return;
    const delay = Math.min(Math.max(earliest - this.#context.now().getTime(), 0), MAX_TIMER_DELAY_MS);
    this.#cancelTimer = this.#timers.after(delay, () => {
      this.#cancelTimer = undefined;
      this.#enqueue(() => this.#fireDue()).catch((error: unknown) => {
        this.#context.logger.error('Embedded scheduler failed to fire due workflows.', { error: messageOf(error) });
      });
    });
  }

  #disarm(): void {
    this.#cancelTimer?.();
    this.#cancelTimer = undefined;
  }

  /**
   * Fires every workflow whose next tick has come, once, for the latest tick at or before now: a timer that
   * fires late or a gateway that was down for hours gives one refresh per table, not one per missed tick.
   */
  async #fireDue(): Promise<void> {
    const now = this.#context.now();
    for (const { record: held, dueAt: heldDueAt } of [...this.#workflows.values()]) {
      if (this.#lifecycle !== 'open' || !this.#isLeader()) return;
      if (heldDueAt === null || heldDueAt > now.getTime()) continue;
      // Another gateway may have paused, changed, deleted or (as the previous leader) fired it meanwhile.
      const record = this.#context.leadership === undefined ? held : await this.#current(handlerOf(held));
      if (record === undefined || !this.#isLeader()) continue;
      const dueAt = record === held ? heldDueAt : this.#dueAt(record);
      if (dueAt === null || dueAt > now.getTime()) continue;
      // Never null here: the tick at dueAt is itself at or before now.
      const scheduleTime = previousFireTime(record.quartzCron, now, record.timeZone) ?? new Date(dueAt);
      const fired: WorkflowRecord = { ...record, lastFireTime: scheduleTime.toISOString() };
      try {
        await this.#save(fired);
      } catch (error) {
        // Firing anyway keeps the table fresh; a duplicate after a crash is absorbed by the refresh endpoint,
        // which is idempotent on (tables, schedule time).
        this.#remember(fired);
        this.#context.logger.error('Could not persist the fire time of an embedded workflow; firing anyway.', {
          workflowId: record.workflowId,
          error: messageOf(error),
        });
      }
      if (scheduleTime.getTime() > dueAt) {
        this.#context.logger.info('Embedded workflow missed ticks; firing one catch-up refresh.', {
          table: record.tableIdentifier,
          missedSince: new Date(dueAt).toISOString(),
          scheduleTime: scheduleTime.toISOString(),
        });
      }
      this.#trigger(fired, scheduleTime);
    }
    this.#arm();
  }

  #trigger(record: WorkflowRecord, scheduleTime: Date): void {
    const refresh = Promise.resolve()
      .then(() =>
        this.#context.triggerRefresh({
          tables: [record.tableIdentifier],
          scheduleTime,
          configuration: record.dynamicOptions,
        }),
      )
      .catch((error: unknown) => {
        this.#context.logger.error('Embedded workflow could not trigger its refresh.', {
          table: record.tableIdentifier,
          scheduleTime: scheduleTime.toISOString(),
          error: messageOf(error),
        });
      })
      .finally(() => this.#inFlight.delete(refresh));
    this.#inFlight.add(refresh);
  }

  /** Runs a caller's operation in turn; it fails when the scheduler is not open by the time its turn comes. */
  #serially<T>(task: () => Promise<T>): Promise<T> {
    return this.#enqueue(() => {
      this.#assertOpen();
      return task();
    });
  }

  #enqueue<T>(task: () => Promise<T>): Promise<T> {
    const result = this.#queue.then(task);
    this.#queue = result.catch(() => undefined);
    return result;
  }

  #assertOpen(): void {
    if (this.#lifecycle !== 'open') {
      throw schedulerError(
        this.#lifecycle === 'new'
          ? 'The embedded scheduler is not open yet; call open() first.'
          : 'The embedded scheduler is closed.',
      );
    }
  }
}

/** Rejects, before anything is stored, a schedule the timer could not evaluate. */
function assertRunnableSchedule(quartzCron: string, timeZone: string): void {
  try {
    requireTimeZone(timeZone);
    quartzToCronParser(quartzCron);
  } catch (error) {
    throw schedulerError(`The embedded scheduler cannot run this schedule: ${messageOf(error)}`, error);
  }
}
