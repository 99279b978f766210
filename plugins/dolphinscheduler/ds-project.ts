/**
 * The project that holds the refresh workflows: its code (looked up by name, made on the first CREATE, looked up
 * again once DolphinScheduler no longer knows it) and the reads of its workflows and schedules.
 */
import type { ListedWorkflow } from '../../src/plugin-api';
import { type DolphinSchedulerClient, type FormValue, type HttpMethod, isRefusal } from './ds-client';
import type { DolphinSchedulerOptions } from './ds-options';
import { type DolphinSchedulerApi, DS_STATUS, dsPaths } from './ds-paths';
import { codeOf, findProject, idOf, listAll, type RawObject } from './ds-queries';
import { type DsHandler, handlerOf, tableIdentifierOf } from './ds-workflow';

/** A workflow as DolphinScheduler holds it now. */
export interface Located {
  readonly workflow: RawObject;
  readonly task: RawObject | null;
  readonly schedule: RawObject | null;
}

/** The refusals that mean a workflow is gone: it, or its whole project, was deleted. */
export const GONE = [DS_STATUS.WORKFLOW_NOT_EXIST, DS_STATUS.PROJECT_NOT_FOUND];

/** The configured project, shared by every call of one scheduler. */
export class DolphinSchedulerProject {
  readonly #options: DolphinSchedulerOptions;
  readonly #api: DolphinSchedulerApi;
  readonly #client: DolphinSchedulerClient;
  #code: string | null = null;

  constructor(options: DolphinSchedulerOptions, api: DolphinSchedulerApi, client: DolphinSchedulerClient) {
    this.#options = options;
    this.#api = api;
    this.#client = client;
  }

  /** Every workflow of the project that Freshet made, with its handler; none when the project does not exist. */
  async listWorkflows(): Promise<readonly ListedWorkflow[]> {
    const projectCode = await this.code(false);
    if (projectCode === null) return [];
    const project = this.#options.projectName;
    const workflows = await listAll(
      this.#client,
      dsPaths.workflows(this.#api, projectCode),
      `list the workflows of project ${project}`,
    );
    const schedules = await this.call<RawObject[] | null>(
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

  /** The workflow, its task and its schedule, or null when the workflow (or its project) is gone. */
  async locate(ds: DsHandler): Promise<Located | null> {
    let detail: RawObject;
    try {
      detail = await this.call<RawObject>(
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
    const page = await this.call<RawObject | null>(
      'GET',
      dsPaths.schedules(ds.projectCode),
      { [this.#api.scheduleWorkflowCode]: ds.workflowCode, pageNo: 1, pageSize: 10 },
      `read the schedule of workflow ${ds.workflowName}`,
    );
    const schedules = Array.isArray(page?.totalList) ? (page.totalList as RawObject[]) : [];
    return { workflow, task: tasks[0] ?? null, schedule: schedules[0] ?? null };
  }

  /** The code of the configured project, found by exact name (and created when `create` is set). */
  async code(create: true): Promise<string>;
  async code(create: false): Promise<string | null>;
  async code(create: boolean): Promise<string | null> {
    if (this.#code !== null) return this.#code;
    const name = this.#options.projectName;
    let project = await findProject(this.#client, name);
    if (project === null && create) {
      try {
        const params = { projectName: name, description: 'Refresh workflows of Freshet dynamic tables' };
        project = codeOf(
          (await this.call<RawObject>('POST', dsPaths.projects(), params, `create project ${name}`)).code,
          'project code',
        );
      } catch (error) {
        // Another gateway may have created it in the meantime.
        if (!isRefusal(error, DS_STATUS.PROJECT_ALREADY_EXISTS)) throw error;
        project = await findProject(this.#client, name);
        if (project === null) throw error;
      }
    }
    this.#code = project;
    return project;
  }

  /** One call; a refusal saying the project is gone makes the next {@link code} look it up again. */
  async call<T = unknown>(
    method: HttpMethod,
    path: string,
    params: Record<string, FormValue>,
    action: string,
  ): Promise<T> {
    try {
      return await this.#client.call<T>(method, path, params, action);
    } catch (error) {
      // A project deleted behind Freshet's back is looked up again on the next CREATE.
      if (isRefusal(error, DS_STATUS.PROJECT_NOT_FOUND)) this.#code = null;
      throw error;
    }
  }
}
