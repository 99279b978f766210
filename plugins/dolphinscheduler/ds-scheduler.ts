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
import { DolphinSchedulerClient, isRefusal, type FormValue, type HttpMethod } from './ds-client';
import type { DolphinSchedulerOptions } from './ds-options';
import { dolphinSchedulerApi, dsPaths, DS_STATUS, type DolphinSchedulerApi } from './ds-paths';
import { findProject, listAll, type RawObject } from './ds-queries';
import { refreshTaskFor, scheduleParams, workflowParams } from './ds-request-params';
import {
  configurationValue,
  handlerOf,
  parseHandler,
  tableIdentifierOf,
  withConfiguration,
  workflowDescriptionOf,
  workflowNameOf,
  type DsHandler,
} from './ds-workflow';

/** A workflow as DolphinScheduler holds it now. */
interface Located {
  readonly workflow: RawObject;
  readonly task: RawObject | null;
  readonly schedule: RawObject | null;
}

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

const GONE = [DS_STATUS.WORKFLOW_NOT_EXIST, DS_STATUS.PROJECT_NOT_FOUND];

type Lifecycle = 'new' | 'open' | 'closed';

/** The `dolphinscheduler` scheduler. Build it through `dolphinSchedulerFactory`. */
export class DolphinSchedulerScheduler implements WorkflowScheduler {
  readonly #options: DolphinSchedulerOptions;
  readonly #context: SchedulerContext;
  readonly #api: DolphinSchedulerApi;
  readonly #client: DolphinSchedulerClient;
  #projectCode: string | null = null;
  #lifecycle: Lifecycle = 'new';

  constructor(options: DolphinSchedulerOptions, context: SchedulerContext) {
    this.#options = Object.freeze({ ...options });
    this.#context = context;
    this.#api = dolphinSchedulerApi(options.version);
    this.#client = new DolphinSchedulerClient({
      baseUrl: options.baseUrl,
      token: options.token,
      timeoutMs: options.requestTimeoutMs,
    });
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
        `The table identifier ${request.tableIdentifier} is too long for a DolphinScheduler workflow description (255 characters).`,
      );
    }
    const projectCode = await this.#project(true);
    let made: DsHandler | null = null;
    try {
      const [code] = await this.#call<unknown[]>(
        'GET',
        dsPaths.genTaskCodes(projectCode),
        { genNum: 1 },
        `generate a task code for workflow ${name}`,
      );
      const taskCode = codeOf(code, 'task code');
      const task = refreshTaskFor(this.#api, this.#options, request, taskCode);
      const params = { name, description, ...workflowParams(this.#api, this.#options, taskCode, [task]) };
      const workflow = await this.#call<RawObject>(
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
      const schedule = await this.#call<RawObject>(
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
    const found = await this.#locate(ds);
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
        await this.#call(
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
    const found = ds === null ? null : await this.#locate(ds);
    if (found === null) return { exists: false, paused: null, schedule: null };
    const running = found.workflow.releaseState === 'ONLINE' && found.schedule?.releaseState === 'ONLINE';
    const crontab = found.schedule?.crontab;
    return { exists: true, paused: !running, schedule: typeof crontab === 'string' ? crontab : null };
  }

  async listRefreshWorkflows(): Promise<readonly ListedWorkflow[]> {
    this.#assertOpen();
    const projectCode = await this.#project(false);
    if (projectCode === null) return [];
    const project = this.#options.projectName;
    const workflows = await listAll(
      this.#client,
      dsPaths.workflows(this.#api, projectCode),
      `list the workflows of project ${project}`,
    );
    const schedules = await this.#call<RawObject[] | null>(
      'POST',
      dsPaths.allSchedules(projectCode),
      {},
      `list the schedules of project ${project}`,
    );
    const scheduleOf = new Map((schedules ?? []).map((s) => [String(s[this.#api.scheduleWorkflowCode]), s]));
    const listed: ListedWorkflow[] = [];
    for (const workflow of workflows) {
      const tableIdentifier = tableIdentifierOf(workflow.description);
      if (tableIdentifier === null) continue;
      const workflowCode = codeOf(workflow.code, 'workflow code');
      const schedule = scheduleOf.get(workflowCode);
      listed.push({
        tableIdentifier,
        handler: handlerOf({
          projectCode,
          workflowCode,
          scheduleId: schedule === undefined ? null : idOf(schedule),
          workflowName: String(workflow.name),
          version: this.#api.version,
        }),
        paused: !(workflow.releaseState === 'ONLINE' && schedule?.releaseState === 'ONLINE'),
      });
    }
    return listed;
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
        `The task of DolphinScheduler workflow ${ds.workflowName} is not the HTTP task Freshet made; recreate the table.`,
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
      await this.#call(
        'PUT',
        dsPaths.workflow(this.#api, ds.projectCode, ds.workflowCode),
        params,
        `update the task of workflow ${ds.workflowName}`,
      );
    }
    if (rewritten.changed || found.workflow.releaseState !== 'ONLINE') await this.#release(ds, 'ONLINE');
    if (!scheduleOnline) await this.#scheduleRelease(ds, scheduleId, 'online');
  }

  /** The workflow, its task and its schedule, or null when the workflow (or its project) is gone. */
  async #locate(ds: DsHandler): Promise<Located | null> {
    let detail: RawObject;
    try {
      detail = await this.#call<RawObject>(
        'GET',
        dsPaths.workflow(this.#api, ds.projectCode, ds.workflowCode),
        {},
        `read workflow ${ds.workflowName}`,
      );
    } catch (error) {
      if (isRefusal(error, ...GONE)) return null;
      throw error;
    }
    const workflow = (detail[this.#api.detailWorkflowKey] ?? {}) as RawObject;
    const tasks = Array.isArray(detail.taskDefinitionList) ? (detail.taskDefinitionList as RawObject[]) : [];
    const page = await this.#call<RawObject | null>(
      'GET',
      dsPaths.schedules(ds.projectCode),
      { [this.#api.scheduleWorkflowCode]: ds.workflowCode, pageNo: 1, pageSize: 10 },
      `read the schedule of workflow ${ds.workflowName}`,
    );
    const schedules = Array.isArray(page?.totalList) ? (page.totalList as RawObject[]) : [];
    return { workflow, task: tasks[0] ?? null, schedule: schedules[0] ?? null };
  }

  /** Releases OFFLINE (taking the schedule offline) and deletes; a workflow already gone is a success. */
  async #remove(ds: DsHandler): Promise<void> {
    try {
      await this.#release(ds, 'OFFLINE');
      await this.#call(
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
    return this.#call('POST', path, { releaseState }, `release workflow ${ds.workflowName} ${releaseState}`);
  }

  #scheduleRelease(ds: DsHandler, scheduleId: number, to: 'online' | 'offline'): Promise<unknown> {
    const path =
      to === 'online'
        ? dsPaths.scheduleOnline(ds.projectCode, scheduleId)
        : dsPaths.scheduleOffline(ds.projectCode, scheduleId);
    return this.#call('POST', path, {}, `put the schedule of workflow ${ds.workflowName} ${to}`);
  }

  #scheduleParams(schedule: RefreshSchedule): Record<string, FormValue> {
    return scheduleParams(this.#api, this.#options, this.#context.now(), schedule.quartzCron, schedule.timeZone);
  }

  /** The code of the configured project, found by exact name (and created when `create` is set). */
  async #project(create: true): Promise<string>;
  async #project(create: false): Promise<string | null>;
  async #project(create: boolean): Promise<string | null> {
    if (this.#projectCode !== null) return this.#projectCode;
    const name = this.#options.projectName;
    let project = await findProject(this.#client, name);
    if (project === null && create) {
      try {
        const params = { projectName: name, description: 'Refresh workflows of Freshet dynamic tables' };
        project = codeOf(
          (await this.#call<RawObject>('POST', dsPaths.projects(), params, `create project ${name}`)).code,
          'project code',
        );
      } catch (error) {
        // Another gateway may have created it in the meantime.
        if (!isRefusal(error, DS_STATUS.PROJECT_ALREADY_EXISTS)) throw error;
        project = await findProject(this.#client, name);
        if (project === null) throw error;
      }
    }
    this.#projectCode = project;
    return project;
  }

  async #call<T = unknown>(
    method: HttpMethod,
    path: string,
    params: Record<string, FormValue>,
    action: string,
  ): Promise<T> {
    try {
      return await this.#client.call<T>(method, path, params, action);
    } catch (error) {
      // A project deleted behind Freshet's back is looked up again on the next CREATE.
      if (isRefusal(error, DS_STATUS.PROJECT_NOT_FOUND)) this.#projectCode = null;
      throw error;
    }
  }

  #assertOpen(): void {
    if (this.#lifecycle !== 'open') {
      const state = this.#lifecycle === 'new' ? 'is not open yet; call open() first' : 'is closed';
      throw schedulerError(`The DolphinScheduler scheduler ${state}.`);
    }
  }
}

/** DolphinScheduler's codes are longs; today's stay below 2^53, so JSON numbers carry them exactly. */
function codeOf(value: unknown, what: string): string {
  if (typeof value === 'number' && Number.isSafeInteger(value)) return String(value);
  if (typeof value === 'string' && /^\d+$/.test(value)) return value;
  throw schedulerError(`DolphinScheduler answered without a usable ${what} (${JSON.stringify(value)}).`);
}

function idOf(schedule: RawObject): number {
  const id = schedule.id;
  if (typeof id === 'number' && Number.isSafeInteger(id)) return id;
  throw schedulerError(`DolphinScheduler answered without a schedule id (${JSON.stringify(schedule)}).`);
}

function pick(source: RawObject, keys: readonly string[]): RawObject {
  return Object.fromEntries(keys.filter((key) => source[key] !== undefined).map((key) => [key, source[key]]));
}
