/** The fake's project, task-code and workflow-definition endpoints, with DolphinScheduler's checks and codes. */
import { returned, thrown, type DsRefusal, type FakeTask, type FakeWorkflow, type StatusName } from './ds-fake-store';
import {
  checkTenant,
  descriptionTooLong,
  enumeration,
  integer,
  optionalText,
  projectOf,
  stamp,
  text,
  type Route,
  type RouteContext,
} from './ds-fake-params';
import { dagDataView, pageOf, projectView, workflowView } from './ds-fake-views';

const EXECUTION_TYPES = ['PARALLEL', 'SERIAL_WAIT', 'SERIAL_DISCARD', 'SERIAL_PRIORITY'] as const;
const RELEASE_STATES = ['ONLINE', 'OFFLINE'] as const;

const isLegacy = (ctx: RouteContext) => ctx.version === '3.1';
const refuseByResult =
  (ctx: RouteContext) =>
  (status: StatusName, ...args: unknown[]) =>
    returned(ctx.version, status, ...args);
const refuseByException =
  (ctx: RouteContext) =>
  (status: StatusName, ...args: unknown[]) =>
    thrown(ctx.version, status, ...args);

function page(ctx: RouteContext): { pageNo: number; pageSize: number } {
  const pageNo = integer(ctx, 'pageNo');
  const pageSize = integer(ctx, 'pageSize');
  if (pageNo <= 0) throw returned(ctx.version, 'REQUEST_PARAMS_NOT_VALID_ERROR', 'pageNo');
  if (pageSize <= 0) throw returned(ctx.version, 'REQUEST_PARAMS_NOT_VALID_ERROR', 'pageSize');
  return { pageNo, pageSize };
}

function parseJsonArray(ctx: RouteContext, json: string): unknown[] {
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    // JSONUtils returns null and the service fails on it: the opaque message of issue #17944.
    throw thrown(ctx.version, 'REQUEST_PARAMS_NOT_VALID_ERROR');
  }
  if (!Array.isArray(value) || value.length === 0) throw thrown(ctx.version, 'DATA_IS_NOT_VALID', json);
  return value;
}

function httpParamsValid(ctx: RouteContext, params: Record<string, unknown>): boolean {
  if (typeof params.url !== 'string' || params.url === '') return false;
  if (ctx.version !== '3.3') return true;
  return ['GET', 'POST', 'PUT', 'DELETE'].includes(String(params.httpMethod)) && Number(params.connectTimeout) > 0;
}

function parseTasks(ctx: RouteContext, json: string): FakeTask[] {
  return parseJsonArray(ctx, json).map((entry) => {
    const definition = (entry ?? {}) as Record<string, unknown>;
    const name = String(definition.name ?? '');
    const rawParams = definition.taskParams;
    let taskParams: unknown = rawParams;
    if (typeof rawParams === 'string') {
      try {
        taskParams = JSON.parse(rawParams);
      } catch {
        taskParams = null;
      }
    }
    const params = (typeof taskParams === 'object' && taskParams !== null ? taskParams : {}) as Record<string, unknown>;
    const taskType = String(definition.taskType ?? '');
    if (taskParams === null || (taskType === 'HTTP' && !httpParamsValid(ctx, params))) {
      throw thrown(ctx.version, 'PROCESS_NODE_S_PARAMETER_INVALID', name);
    }
    const code = Number(definition.code);
    if (!Number.isSafeInteger(code) || code <= 0) throw thrown(ctx.version, 'REQUEST_PARAMS_NOT_VALID_ERROR');
    return { code, version: Number(definition.version ?? 1) || 1, name, taskType, taskParams: params, definition };
  });
}

function parseRelations(ctx: RouteContext, json: string, tasks: readonly FakeTask[]): Record<string, unknown>[] {
  const relations = parseJsonArray(ctx, json) as Record<string, unknown>[];
  const taskCodes = new Set(tasks.map((t) => t.code));
  const missing = relations.map((r) => Number(r.postTaskCode)).filter((code) => code !== 0 && !taskCodes.has(code));
  if (missing.length > 0) throw thrown(ctx.version, 'TASK_DEFINE_NOT_EXIST', missing.join(','));
  if (
    relations.some((r) => Number(r.postTaskCode) === 0) ||
    tasks.some((t) => !relations.some((r) => Number(r.postTaskCode) === t.code))
  ) {
    throw thrown(ctx.version, 'CHECK_PROCESS_TASK_RELATION_ERROR');
  }
  return relations;
}

function workflowOf(
  ctx: RouteContext,
  projectCode: number,
  refuse: (status: StatusName, ...args: unknown[]) => DsRefusal,
): FakeWorkflow {
  const code = integer(ctx, 'code');
  const workflow = ctx.store.workflows.get(code);
  if (workflow === undefined || workflow.projectCode !== projectCode)
    throw refuse('PROCESS_DEFINE_NOT_EXIST', String(code));
  return workflow;
}

/** The definition fields create and update share: checked first, applied only when everything passed. */
function definitionOf(ctx: RouteContext) {
  const description = optionalText(ctx, 'description');
  const tenantCode = isLegacy(ctx) ? text(ctx, 'tenantCode') : null;
  const executionType = enumeration(ctx, 'executionType', EXECUTION_TYPES, 'PARALLEL');
  const timeout = integer(ctx, 'timeout', 0);
  if (descriptionTooLong(description)) throw thrown(ctx.version, 'DESCRIPTION_TOO_LONG_ERROR');
  const tasks = parseTasks(ctx, text(ctx, 'taskDefinitionJson'));
  const relations = parseRelations(ctx, text(ctx, 'taskRelationJson'), tasks);
  if (tenantCode !== null) checkTenant(ctx, tenantCode, refuseByException(ctx));
  return {
    description: description ?? '',
    globalParams: optionalText(ctx, 'globalParams') ?? '[]',
    locations: optionalText(ctx, 'locations'),
    timeout,
    executionType,
    tenantCode,
    tasks,
    relations: relations.map((r) => ({ ...r })),
  };
}

export const WORKFLOW_ROUTES: Readonly<Record<string, Route>> = {
  createProject: {
    error: 'CREATE_PROJECT_ERROR',
    handle(ctx) {
      const name = text(ctx, 'projectName');
      const description = optionalText(ctx, 'description') ?? '';
      if (descriptionTooLong(description)) throw returned(ctx.version, 'DESCRIPTION_TOO_LONG_ERROR');
      if (ctx.store.projectByName(name) !== undefined) throw returned(ctx.version, 'PROJECT_ALREADY_EXISTS', name);
      const project = { id: ctx.store.nextId(), code: ctx.store.genCode(), name, description, createTime: stamp(ctx) };
      ctx.store.projects.set(project.code, project);
      return projectView(project);
    },
  },
  queryProjectListPaging: {
    error: 'LOGIN_USER_QUERY_PROJECT_LIST_PAGING_ERROR',
    handle(ctx) {
      const { pageNo, pageSize } = page(ctx);
      const search = (optionalText(ctx, 'searchVal') ?? '').toLowerCase();
      const projects = [...ctx.store.projects.values()].filter((p) => p.name.toLowerCase().includes(search));
      return pageOf(projects.map(projectView), pageNo, pageSize);
    },
  },
  genTaskCodeList: {
    error: 'LOGIN_USER_QUERY_PROJECT_LIST_PAGING_ERROR',
    handle(ctx) {
      const genNum = integer(ctx, 'genNum');
      if (genNum < 1 || genNum > 100) throw returned(ctx.version, 'DATA_IS_NOT_VALID', genNum);
      return Array.from({ length: genNum }, () => ctx.store.genCode());
    },
  },
  createProcessDefinition: {
    error: 'CREATE_PROCESS_DEFINITION_ERROR',
    handle(ctx) {
      const project = projectOf(ctx);
      const name = text(ctx, 'name');
      const definition = definitionOf(ctx);
      if (ctx.store.workflowsOf(project.code).some((w) => w.name === name))
        throw thrown(ctx.version, 'PROCESS_DEFINITION_NAME_EXIST', name);
      const workflow: FakeWorkflow = {
        id: ctx.store.nextId(),
        code: ctx.store.genCode(),
        projectCode: project.code,
        name,
        version: 1,
        releaseState: 'OFFLINE',
        createTime: stamp(ctx),
        updateTime: stamp(ctx),
        ...definition,
      };
      ctx.store.workflows.set(workflow.code, workflow);
      return workflowView(ctx.version, ctx.store, workflow);
    },
  },
  updateProcessDefinition: {
    error: 'UPDATE_PROCESS_DEFINITION_ERROR',
    handle(ctx) {
      const project = projectOf(ctx);
      const name = text(ctx, 'name');
      const releaseState = enumeration(ctx, 'releaseState', RELEASE_STATES, 'OFFLINE');
      const definition = definitionOf(ctx);
      const workflow = workflowOf(ctx, project.code, refuseByResult(ctx));
      if (workflow.releaseState === 'ONLINE')
        throw returned(ctx.version, 'PROCESS_DEFINE_NOT_ALLOWED_EDIT', workflow.name);
      if (name !== workflow.name && ctx.store.workflowsOf(project.code).some((w) => w.name === name)) {
        throw returned(ctx.version, 'PROCESS_DEFINITION_NAME_EXIST', name);
      }
      Object.assign(workflow, definition, {
        name,
        version: workflow.version + 1,
        updateTime: stamp(ctx),
        releaseState,
      });
      return workflowView(ctx.version, ctx.store, workflow);
    },
  },
  queryProcessDefinitionByCode: {
    error: 'QUERY_DETAIL_OF_PROCESS_DEFINITION_ERROR',
    handle(ctx) {
      const project = projectOf(ctx);
      return dagDataView(ctx.version, ctx.store, workflowOf(ctx, project.code, refuseByResult(ctx)));
    },
  },
  queryProcessDefinitionListPaging: {
    error: 'QUERY_PROCESS_DEFINITION_LIST',
    handle(ctx) {
      const project = projectOf(ctx, refuseByException(ctx));
      const { pageNo, pageSize } = page(ctx);
      const search = (optionalText(ctx, 'searchVal') ?? '').toLowerCase();
      const workflows = ctx.store.workflowsOf(project.code).filter((w) => w.name.toLowerCase().includes(search));
      return pageOf(
        workflows.map((w) => workflowView(ctx.version, ctx.store, w)),
        pageNo,
        pageSize,
      );
    },
  },
  queryProcessDefinitionList: {
    error: 'QUERY_PROCESS_DEFINITION_LIST',
    handle(ctx) {
      const project = projectOf(ctx);
      return ctx.store.workflowsOf(project.code).map((w) => dagDataView(ctx.version, ctx.store, w));
    },
  },
  releaseProcessDefinition: {
    error: 'RELEASE_PROCESS_DEFINITION_ERROR',
    handle(ctx) {
      const releaseState = enumeration(ctx, 'releaseState', RELEASE_STATES);
      const legacy = isLegacy(ctx);
      const project = projectOf(ctx, legacy ? refuseByResult(ctx) : refuseByException(ctx));
      // 3.2 names the missing workflow by its Long code, which MessageFormat prints with separators.
      const code = integer(ctx, 'code');
      const workflow = ctx.store.workflows.get(code);
      if (workflow === undefined || workflow.projectCode !== project.code) {
        throw legacy
          ? returned(ctx.version, 'PROCESS_DEFINE_NOT_EXIST', String(code))
          : thrown(ctx.version, 'PROCESS_DEFINE_NOT_EXIST', code);
      }
      workflow.releaseState = releaseState;
      if (releaseState === 'OFFLINE') {
        for (const schedule of ctx.store.schedulesOf(workflow.code)) schedule.releaseState = 'OFFLINE';
      }
      return legacy ? null : true;
    },
  },
  deleteProcessDefinitionByCode: {
    error: 'DELETE_PROCESS_DEFINE_BY_CODE_ERROR',
    handle(ctx) {
      const legacy = isLegacy(ctx);
      const code = integer(ctx, 'code');
      const workflow = ctx.store.workflows.get(code);
      // 3.2 and later look the workflow up by code alone, whatever project the path names.
      const projectCode = legacy ? projectOf(ctx).code : workflow?.projectCode;
      if (workflow === undefined || workflow.projectCode !== projectCode) {
        throw (legacy ? refuseByResult(ctx) : refuseByException(ctx))('PROCESS_DEFINE_NOT_EXIST', String(code));
      }
      if (workflow.releaseState === 'ONLINE') throw thrown(ctx.version, 'PROCESS_DEFINE_STATE_ONLINE', workflow.name);
      for (const schedule of ctx.store.schedulesOf(workflow.code)) {
        if (schedule.releaseState === 'ONLINE')
          throw (legacy ? refuseByResult(ctx) : refuseByException(ctx))('SCHEDULE_STATE_ONLINE', schedule.id);
        ctx.store.schedules.delete(schedule.id);
      }
      ctx.store.workflows.delete(workflow.code);
      return null;
    },
  },
};
