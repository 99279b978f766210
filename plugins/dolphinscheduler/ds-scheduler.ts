/**
 * The DolphinScheduler scheduler plugin: one workflow per FULL table, holding one HTTP task that calls the
 * refresh endpoint, released ONLINE and run by a Quartz schedule. SUSPEND and RESUME take the schedule offline
 * and online; RESUME WITH (…) rewrites the task's body; DROP releases the workflow OFFLINE (which takes its
 * schedule offline) and deletes it, schedule included.
 *
 * Nothing is kept in the gateway besides the handler: every change reads the workflow and its schedule from
 * DolphinScheduler first, so that a schedule recreated in its UI, or a state that is already right, is respected.
 */
import {
  type CreateRefreshWorkflowRequest,
  FreshetError,
  type ListedWorkflow,
  messageOf,
  type RefreshHandler,
  type RefreshSchedule,
  type SchedulerContext,
  schedulerError,
  validationError,
  type WorkflowInspection,
  type WorkflowModification,
  type WorkflowScheduler,
} from '../../src/plugin-api';
import { DolphinSchedulerClient, type FormValue, isRefusal } from './ds-client';
import type { DolphinSchedulerOptions } from './ds-options';
import { type DolphinSchedulerApi, dolphinSchedulerApi, dsPaths } from './ds-paths';
import { DolphinSchedulerProject, GONE, type Located } from './ds-project';
import { codeOf, idOf, type RawObject } from './ds-queries';
import { refreshTaskFor, scheduleParams, workflowParams } from './ds-request-params';
import {
  configurationValue,
  handlerOf,
  parseHandler,
  withConfiguration,
  workflowDescriptionOf,
  workflowNameOf,
  type DsHandler,
} from './ds-workflow';

/** The task fields Freshet sends back when it rewrites its task (the detail also holds ids, users and dates). */
const TASK_KEYS = [
  'code',
  'version',
  'name',
  'description',
  'taskType',
  'taskParams',
  'flag',
  'isCache',
  'taskPriority',
  'workerGroup',
  'environmentCode',
  'failRetryTimes',
  'failRetryInterval',
  'timeoutFlag',
  'timeoutNotifyStrategy',
  'timeout',
  'delayTime',
  'cpuQuota',
  'memoryMax',
  'taskExecuteType',
  'taskGroupId',
  'taskGroupPriority',
];

type Lifecycle = 'new' | 'open' | 'closed';

/** The `dolphinscheduler` scheduler. Build it through `dolphinSchedulerFactory`. */
export class DolphinSchedulerScheduler implements WorkflowScheduler {
  readonly #options: DolphinSchedulerOptions;
  readonly #context: SchedulerContext;
  readonly #api: DolphinSchedulerApi;
  readonly #project: DolphinSchedulerProject;
  #lifecycle: Lifecycle = 'new';

  constructor(options: DolphinSchedulerOptions, context: SchedulerContext) {
    this.#options = Object.freeze({ ...options });
    this.#context = context;
    this.#api = dolphinSchedulerApi(options.version);
    const client = new DolphinSchedulerClient({
      baseUrl: options.baseUrl,
      token: options.token,
      timeoutMs: options.requestTimeoutMs,
    });
    this.#project = new DolphinSchedulerProject(this.#options, this.#api, client);
  }

  /** Does not call DolphinScheduler: the gateway starts while it is down, and CREATE reports the outage. */
  async open(): Promise<void> {
    if (this.#lifecycle === 'closed')
      throw schedulerError('The DolphinScheduler scheduler was closed; create a new instance.');
    this.#lifecycle = 'open';
  }

  async close(): Promise<void> {
    this.#lifecycle = 'closed';
  }

  async createRefreshWorkflow(request: CreateRefreshWorkflowRequest): Promise<RefreshHandler> {
    this.#assertOpen();
    const name = workflowNameOf(request.tableIdentifier);
    const description = workflowDescriptionOf(request.tableIdentifier);
    if (description === null) {
      throw validationError(
        `The table identifier ${request.tableIdentifier} is too long for a DolphinScheduler workflow description ` +
          `(255 characters).`,
      );
    }
    const projectCode = await this.#project.code(true);
    let made: DsHandler | null = null;
    try {
      const [code] = await this.#project.call<unknown[]>(
        'GET',
        dsPaths.genTaskCodes(projectCode),
        { genNum: 1 },
        `generate a task code for workflow ${name}`,
      );
      const taskCode = codeOf(code, 'task code');
      const task = refreshTaskFor(this.#api, this.#options, request, taskCode);
      const params = { name, description, ...workflowParams(this.#api, this.#options, taskCode, [task]) };
      const workflow = await this.#project.call<RawObject>(
        'POST',
        dsPaths.workflows(this.#api, projectCode),
        params,
        `create workflow ${name}`,
      );
      made = {
        projectCode,
        workflowCode: codeOf(workflow.code, 'workflow code'),
        scheduleId: null,
        workflowName: name,
        version: this.#api.version,
      };
      await this.#release(made, 'ONLINE');
      const schedule = await this.#project.call<RawObject>(
        'POST',
        dsPaths.schedules(projectCode),
        { [this.#api.scheduleWorkflowCode]: made.workflowCode, ...this.#scheduleParams(request.schedule) },
        `create the schedule of workflow ${name}`,
      );
      made = { ...made, scheduleId: idOf(schedule) };
      await this.#scheduleRelease(made, idOf(schedule), 'online');
      this.#context.logger.info('Created DolphinScheduler workflow.', {
        workflow: name,
        workflowCode: made.workflowCode,
        projectCode,
      });
      return handlerOf(made);
    } catch (error) {
      if (made !== null) await this.#undoCreate(made, error);
      throw error;
    }
  }

  async modifyRefreshWorkflow(handler: RefreshHandler, modification: WorkflowModification): Promise<RefreshHandler> {
    this.#assertOpen();
    const ds = parseHandler(handler);
    if (ds === null)
      throw schedulerError(`The handler ${JSON.stringify(handler)} does not name a DolphinScheduler workflow.`);
    const found = await this.#project.locate(ds);
    const named = `DolphinScheduler workflow ${ds.workflowName} (code ${ds.workflowCode})`;
    if (found === null) throw schedulerError(`${named} does not exist in project ${ds.projectCode}.`);
    if (found.schedule === null) throw schedulerError(`${named} has no schedule.`);
    const scheduleId = idOf(found.schedule);
    const scheduleOnline = found.schedule.releaseState === 'ONLINE';
    switch (modification.kind) {
      case 'suspend':
        if (scheduleOnline) await this.#scheduleRelease(ds, scheduleId, 'offline');
        break;
      case 'resume':
        await this.#resume(ds, found, scheduleId, modification.dynamicOptions);
        break;
      case 'reschedule':
        // An ONLINE schedule cannot be updated (10023); a paused one stays paused.
        if (scheduleOnline) await this.#scheduleRelease(ds, scheduleId, 'offline');
        await this.#project.call(
          'PUT',
          dsPaths.schedule(ds.projectCode, scheduleId),
          this.#scheduleParams(modification.schedule),
          `update the schedule of workflow ${ds.workflowName}`,
        );
        if (scheduleOnline) await this.#scheduleRelease(ds, scheduleId, 'online');
        break;
    }
    return handlerOf({ ...ds, scheduleId });
  }

  async deleteRefreshWorkflow(handler: RefreshHandler): Promise<void> {
    this.#assertOpen();
    const ds = parseHandler(handler);
    if (ds !== null) await this.#remove(ds);
  }

  async inspect(handler: RefreshHandler): Promise<WorkflowInspection> {
    this.#assertOpen();
    const ds = parseHandler(handler);
    const found = ds === null ? null : await this.#project.locate(ds);
    if (found === null) return { exists: false, paused: null, schedule: null };
    const running = found.workflow.releaseState === 'ONLINE' && found.schedule?.releaseState === 'ONLINE';
    const crontab = found.schedule?.crontab;
    return { exists: true, paused: !running, schedule: typeof crontab === 'string' ? crontab : null };
  }

  async listRefreshWorkflows(): Promise<readonly ListedWorkflow[]> {
    this.#assertOpen();
    return this.#project.listWorkflows();
  }

  /** Rewrites the task's `configuration` when it changes (an ONLINE workflow cannot be edited: 50008), then goes online. */
  async #resume(
    ds: DsHandler,
    found: Located,
    scheduleId: number,
    dynamicOptions: Readonly<Record<string, string>>,
  ): Promise<void> {
    const rewritten = withConfiguration(this.#api, found.task?.taskParams, configurationValue(dynamicOptions));
    if (found.task === null || rewritten === null) {
      throw schedulerError(
        `The task of DolphinScheduler workflow ${ds.workflowName} is not the HTTP task Freshet made; recreate the ` +
          `table.`,
      );
    }
    let scheduleOnline = found.schedule?.releaseState === 'ONLINE';
    if (rewritten.changed) {
      // Releasing the workflow OFFLINE takes its schedule offline too.
      await this.#release(ds, 'OFFLINE');
      scheduleOnline = false;
      const task = { ...pick(found.task, TASK_KEYS), taskParams: rewritten.params };
      const params = {
        name: String(found.workflow.name ?? ds.workflowName),
        description: typeof found.workflow.description === 'string' ? found.workflow.description : undefined,
        ...workflowParams(this.#api, this.#options, String(found.task.code), [task]),
      };
      await this.#project.call(
        'PUT',
        dsPaths.workflow(this.#api, ds.projectCode, ds.workflowCode),
        params,
        `update the task of workflow ${ds.workflowName}`,
      );
    }
    if (rewritten.changed || found.workflow.releaseState !== 'ONLINE') await this.#release(ds, 'ONLINE');
    if (!scheduleOnline) await this.#scheduleRelease(ds, scheduleId, 'online');
  }

  /** Releases OFFLINE (taking the schedule offline) and deletes; a workflow already gone is a success. */
  async #remove(ds: DsHandler): Promise<void> {
    try {
      await this.#release(ds, 'OFFLINE');
      await this.#project.call(
        'DELETE',
        dsPaths.workflow(this.#api, ds.projectCode, ds.workflowCode),
        {},
        `delete workflow ${ds.workflowName}`,
      );
      this.#context.logger.info('Deleted DolphinScheduler workflow.', {
        workflow: ds.workflowName,
        workflowCode: ds.workflowCode,
      });
    } catch (error) {
      if (!isRefusal(error, ...GONE)) throw error;
    }
  }

  /** Removes what a failed create made; when that fails too, reports the leftover as an orphan. */
  async #undoCreate(made: DsHandler, error: unknown): Promise<never> {
    try {
      await this.#remove(made);
    } catch (undoError) {
      const where = `${made.workflowName} (code ${made.workflowCode}, project ${made.projectCode})`;
      this.#context.logger.error('Could not remove a half-made DolphinScheduler workflow.', {
        workflow: where,
        error: messageOf(undoError),
      });
      throw new FreshetError(
        'SCHEDULER_ERROR',
        `${messageOf(error)} The half-made workflow ${where} could not be removed either: ${messageOf(undoError)}`,
        {
          details: { orphanHandler: handlerOf(made) },
          cause: error,
        },
      );
    }
    throw error;
  }

  #release(ds: DsHandler, releaseState: 'ONLINE' | 'OFFLINE'): Promise<unknown> {
    const path = dsPaths.release(this.#api, ds.projectCode, ds.workflowCode);
    return this.#project.call('POST', path, { releaseState }, `release workflow ${ds.workflowName} ${releaseState}`);
  }

  #scheduleRelease(ds: DsHandler, scheduleId: number, to: 'online' | 'offline'): Promise<unknown> {
    const path =
      to === 'online'
        ? dsPaths.scheduleOnline(ds.projectCode, scheduleId)
        : dsPaths.scheduleOffline(ds.projectCode, scheduleId);
    return this.#project.call('POST', path, {}, `put the schedule of workflow ${ds.workflowName} ${to}`);
  }

  #scheduleParams(schedule: RefreshSchedule): Record<string, FormValue> {
    return scheduleParams(this.#api, this.#options, this.#context.now(), schedule.quartzCron, schedule.timeZone);
  }

  #assertOpen(): void {
    if (this.#lifecycle !== 'open') {
      const state = this.#lifecycle === 'new' ? 'is not open yet; call open() first' : 'is closed';
      throw schedulerError(`The DolphinScheduler scheduler ${state}.`);
    }
  }
}

function pick(source: RawObject, keys: readonly string[]): RawObject {
  return Object.fromEntries(keys.filter((key) => source[key] !== undefined).map((key) => [key, source[key]]));
}
