/** The fake's schedule endpoints: one Quartz schedule per workflow, online only while its workflow is. */
import { returned, thrown, type FakeSchedule, type StatusName } from './ds-fake-store';
import {
  checkTenant,
  enumeration,
  integer,
  optionalText,
  projectOf,
  scheduleParamOf,
  scheduleParamProblem,
  stamp,
  text,
  type Route,
  type RouteContext,
} from './ds-fake-params';
import { pageOf, scheduleView } from './ds-fake-views';

const WARNING_TYPES = ['NONE', 'SUCCESS', 'FAILURE', 'ALL'] as const;
const FAILURE_STRATEGIES = ['CONTINUE', 'END'] as const;
const PRIORITIES = ['HIGHEST', 'HIGH', 'MEDIUM', 'LOW', 'LOWEST'] as const;

const renamed = (ctx: RouteContext) => ctx.version === '3.3';
const workflowCodeParam = (ctx: RouteContext) => (renamed(ctx) ? 'workflowDefinitionCode' : 'processDefinitionCode');
const priorityParam = (ctx: RouteContext) => (renamed(ctx) ? 'workflowInstancePriority' : 'processInstancePriority');

/** The optional settings create and update share; `failureStrategy` defaults differ between the two. */
function settingsOf(
  ctx: RouteContext,
  defaultFailureStrategy: (typeof FAILURE_STRATEGIES)[number],
  warningGroupRequired: boolean,
) {
  return {
    warningType: enumeration(ctx, 'warningType', WARNING_TYPES, 'NONE'),
    // 3.1's update binds warningGroupId to an int without a default: leaving it out fails the call.
    warningGroupId: warningGroupRequired ? integer(ctx, 'warningGroupId') : integer(ctx, 'warningGroupId', 1),
    failureStrategy: enumeration(ctx, 'failureStrategy', FAILURE_STRATEGIES, defaultFailureStrategy),
    priority: enumeration(ctx, priorityParam(ctx), PRIORITIES, 'MEDIUM'),
    workerGroup: optionalText(ctx, 'workerGroup') ?? 'default',
    tenantCode: ctx.version === '3.1' ? 'default' : (optionalText(ctx, 'tenantCode') ?? 'default'),
    environmentCode: integer(ctx, 'environmentCode', -1),
  };
}

function scheduleOf(ctx: RouteContext, missing: StatusName | null): FakeSchedule | null {
  const id = integer(ctx, 'id');
  const schedule = ctx.store.schedules.get(id);
  if (schedule === undefined && missing !== null) throw thrown(ctx.version, missing, id);
  return schedule ?? null;
}

/** publishScheduleOnline / offlineSchedule: 3.1 refuses a missing schedule or a repeated state; later lines do nothing. */
function setRelease(ctx: RouteContext, to: 'ONLINE' | 'OFFLINE'): unknown {
  const legacy = ctx.version === '3.1';
  projectOf(ctx, (status, ...args) => thrown(ctx.version, status, ...args));
  const schedule = scheduleOf(ctx, legacy ? 'SCHEDULE_CRON_NOT_EXISTS' : null);
  if (schedule === null) return true;
  if (schedule.releaseState === to) {
    if (legacy) throw thrown(ctx.version, 'SCHEDULE_CRON_REALEASE_NEED_NOT_CHANGE', to);
    return true;
  }
  const workflow = ctx.store.workflows.get(schedule.workflowCode);
  if (workflow === undefined) throw thrown(ctx.version, 'PROCESS_DEFINE_NOT_EXIST', String(schedule.workflowCode));
  if (to === 'ONLINE' && workflow.releaseState !== 'ONLINE')
    throw thrown(ctx.version, 'PROCESS_DEFINE_NOT_RELEASE', workflow.name);
  schedule.releaseState = to;
  schedule.updateTime = stamp(ctx);
  return legacy ? null : true;
}

export const SCHEDULE_ROUTES: Readonly<Record<string, Route>> = {
  createSchedule: {
    error: 'CREATE_SCHEDULE_ERROR',
    handle(ctx) {
      const project = projectOf(ctx);
      const workflowCode = integer(ctx, workflowCodeParam(ctx));
      const scheduleJson = text(ctx, 'schedule');
      const settings = settingsOf(ctx, 'CONTINUE', false);
      const legacy = ctx.version === '3.1';
      const refuse = (status: StatusName, ...args: unknown[]) =>
        (legacy ? returned : thrown)(ctx.version, status, ...args);
      const workflow = ctx.store.workflows.get(workflowCode);
      // The service reads the workflow's version before checking it exists: a NullPointerException.
      if (workflow === undefined) throw thrown(ctx.version, 'CREATE_SCHEDULE_ERROR');
      if (workflow.projectCode !== project.code) throw refuse('PROCESS_DEFINE_NOT_EXIST', workflow.code);
      if (workflow.releaseState !== 'ONLINE')
        throw refuse('PROCESS_DEFINE_NOT_RELEASE', workflow.code, workflow.version);
      const existing = ctx.store.schedulesOf(workflow.code)[0];
      // 3.1 does not check: a second schedule for the same workflow is created.
      if (!legacy && existing !== undefined)
        throw returned(ctx.version, 'SCHEDULE_ALREADY_EXISTS', workflow.code, existing.id);
      if (!legacy) checkTenant(ctx, settings.tenantCode, (status, ...args) => thrown(ctx.version, status, ...args));
      const param = scheduleParamOf(scheduleJson);
      if (param === null) throw thrown(ctx.version, 'CREATE_SCHEDULE_ERROR');
      const problem = scheduleParamProblem(ctx.version, param, 'REQUEST_PARAMS_NOT_VALID_ERROR');
      if (problem !== null) throw problem;
      const schedule: FakeSchedule = {
        id: ctx.store.nextId(),
        workflowCode: workflow.code,
        projectCode: project.code,
        ...param,
        ...settings,
        releaseState: 'OFFLINE',
        createTime: stamp(ctx),
        updateTime: stamp(ctx),
      };
      ctx.store.schedules.set(schedule.id, schedule);
      return scheduleView(ctx.version, ctx.store, schedule);
    },
  },
  updateSchedule: {
    error: 'UPDATE_SCHEDULE_ERROR',
    handle(ctx) {
      const project = projectOf(ctx);
      const scheduleJson = text(ctx, 'schedule');
      const settings = settingsOf(ctx, 'END', ctx.version === '3.1');
      const id = integer(ctx, 'id');
      const schedule = ctx.store.schedules.get(id);
      if (schedule === undefined)
        throw returned(ctx.version, ctx.version === '3.1' ? 'SCHEDULE_CRON_NOT_EXISTS' : 'SCHEDULE_NOT_EXISTS', id);
      const workflow = ctx.store.workflows.get(schedule.workflowCode);
      if (workflow === undefined || workflow.projectCode !== project.code)
        throw returned(ctx.version, 'PROCESS_DEFINE_NOT_EXIST', String(schedule.workflowCode));
      if (schedule.releaseState === 'ONLINE') throw returned(ctx.version, 'SCHEDULE_CRON_ONLINE_FORBID_UPDATE');
      if (ctx.version !== '3.1')
        checkTenant(ctx, settings.tenantCode, (status, ...args) => thrown(ctx.version, status, ...args));
      const param = scheduleParamOf(scheduleJson);
      if (param === null) throw thrown(ctx.version, 'UPDATE_SCHEDULE_ERROR');
      const problem = scheduleParamProblem(ctx.version, param, 'SCHEDULE_CRON_CHECK_FAILED');
      if (problem !== null) throw problem;
      Object.assign(schedule, param, settings, { updateTime: stamp(ctx) });
      return scheduleView(ctx.version, ctx.store, schedule);
    },
  },
  publishScheduleOnline: { error: 'PUBLISH_SCHEDULE_ONLINE_ERROR', handle: (ctx) => setRelease(ctx, 'ONLINE') },
  offlineSchedule: { error: 'OFFLINE_SCHEDULE_ERROR', handle: (ctx) => setRelease(ctx, 'OFFLINE') },
  queryScheduleListPaging: {
    error: 'QUERY_SCHEDULE_LIST_PAGING_ERROR',
    handle(ctx) {
      const project = projectOf(ctx);
      const workflowCode =
        ctx.version === '3.1' ? integer(ctx, workflowCodeParam(ctx)) : integer(ctx, workflowCodeParam(ctx), 0);
      const pageNo = integer(ctx, 'pageNo');
      const pageSize = integer(ctx, 'pageSize');
      if (workflowCode !== 0) {
        const workflow = ctx.store.workflows.get(workflowCode);
        if (workflow === undefined || workflow.projectCode !== project.code)
          throw returned(ctx.version, 'PROCESS_DEFINE_NOT_EXIST', String(workflowCode));
      }
      const schedules = [...ctx.store.schedules.values()].filter(
        (s) => s.projectCode === project.code && (workflowCode === 0 || s.workflowCode === workflowCode),
      );
      return pageOf(
        schedules.map((s) => scheduleView(ctx.version, ctx.store, s)),
        pageNo,
        pageSize,
      );
    },
  },
  queryScheduleList: {
    error: 'QUERY_SCHEDULE_LIST_ERROR',
    handle(ctx) {
      const project = projectOf(ctx);
      return [...ctx.store.schedules.values()]
        .filter((s) => s.projectCode === project.code)
        .map((s) => scheduleView(ctx.version, ctx.store, s));
    },
  },
  deleteScheduleById: {
    error: 'DELETE_SCHEDULE_BY_ID_ERROR',
    handle(ctx) {
      const schedule = scheduleOf(ctx, 'SCHEDULE_NOT_EXISTS');
      if (schedule === null) return null;
      if (schedule.releaseState === 'ONLINE') throw thrown(ctx.version, 'SCHEDULE_STATE_ONLINE', schedule.id);
      ctx.store.schedules.delete(schedule.id);
      return null;
    },
  },
};
