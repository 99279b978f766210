/** The JSON shapes the DolphinScheduler fake answers with, per release line (3.3 renamed process → workflow). */
import type { FakeProject, FakeSchedule, FakeStore, FakeWorkflow } from './ds-fake-store';
import type { DsVersion } from './ds-spec';

const renamed = (version: DsVersion) => version === '3.3';

export function projectView(project: FakeProject): Record<string, unknown> {
  return {
    id: project.id,
    userId: 1,
    userName: 'admin',
    code: project.code,
    name: project.name,
    description: project.description,
    createTime: project.createTime,
    updateTime: project.createTime,
    perm: 0,
    defCount: 0,
  };
}

export function workflowView(version: DsVersion, store: FakeStore, workflow: FakeWorkflow): Record<string, unknown> {
  const project = store.projects.get(workflow.projectCode);
  const schedule = store.schedulesOf(workflow.code)[0];
  return {
    id: workflow.id,
    code: workflow.code,
    name: workflow.name,
    version: workflow.version,
    releaseState: workflow.releaseState,
    projectCode: workflow.projectCode,
    description: workflow.description,
    globalParams: workflow.globalParams,
    globalParamList: [],
    globalParamMap: {},
    createTime: workflow.createTime,
    updateTime: workflow.updateTime,
    flag: 'YES',
    userId: 1,
    userName: 'admin',
    projectName: project?.name ?? null,
    locations: workflow.locations,
    scheduleReleaseState: schedule?.releaseState ?? null,
    timeout: workflow.timeout,
    modifyBy: 'admin',
    warningGroupId: null,
    executionType: workflow.executionType,
    ...(version === '3.1' ? { tenantCode: workflow.tenantCode } : {}),
  };
}

/** `GET …/{code}`: the workflow, its relations and its tasks. */
export function dagDataView(version: DsVersion, store: FakeStore, workflow: FakeWorkflow): Record<string, unknown> {
  const workflowKey = renamed(version) ? 'workflowDefinition' : 'processDefinition';
  const relationsKey = renamed(version) ? 'workflowTaskRelationList' : 'processTaskRelationList';
  const codeKey = renamed(version) ? 'workflowDefinitionCode' : 'processDefinitionCode';
  const versionKey = renamed(version) ? 'workflowDefinitionVersion' : 'processDefinitionVersion';
  return {
    [workflowKey]: workflowView(version, store, workflow),
    [relationsKey]: workflow.relations.map((relation, i) => ({
      id: i + 1,
      projectCode: workflow.projectCode,
      [codeKey]: workflow.code,
      [versionKey]: workflow.version,
      ...relation,
    })),
    taskDefinitionList: workflow.tasks.map((task) => ({
      ...task.definition,
      code: task.code,
      version: task.version,
      name: task.name,
      taskType: task.taskType,
      taskParams: task.taskParams,
      projectCode: workflow.projectCode,
      userId: 1,
      createTime: workflow.createTime,
      updateTime: workflow.updateTime,
    })),
  };
}

export function scheduleView(version: DsVersion, store: FakeStore, schedule: FakeSchedule): Record<string, unknown> {
  const workflow = store.workflows.get(schedule.workflowCode);
  const project = store.projects.get(schedule.projectCode);
  const prefix = renamed(version) ? 'workflow' : 'process';
  return {
    id: schedule.id,
    [`${prefix}DefinitionCode`]: schedule.workflowCode,
    [`${prefix}DefinitionName`]: workflow?.name ?? null,
    projectName: project?.name ?? null,
    definitionDescription: workflow?.description ?? null,
    startTime: schedule.startTime,
    endTime: schedule.endTime,
    timezoneId: schedule.timezoneId,
    crontab: schedule.crontab,
    failureStrategy: schedule.failureStrategy,
    warningType: schedule.warningType,
    createTime: schedule.createTime,
    updateTime: schedule.updateTime,
    userId: 1,
    userName: 'admin',
    releaseState: schedule.releaseState,
    warningGroupId: schedule.warningGroupId,
    [`${prefix}InstancePriority`]: schedule.priority,
    workerGroup: schedule.workerGroup,
    ...(version === '3.1' ? {} : { tenantCode: schedule.tenantCode }),
    environmentCode: schedule.environmentCode,
  };
}

/** PageInfo: `{totalList, total, totalPage, pageSize, currentPage, pageNo}`. */
export function pageOf<T>(items: readonly T[], pageNo: number, pageSize: number): Record<string, unknown> {
  const start = (pageNo - 1) * pageSize;
  return {
    totalList: items.slice(start, start + pageSize),
    total: items.length,
    totalPage: Math.ceil(items.length / pageSize),
    pageSize,
    currentPage: pageNo,
    pageNo: start,
  };
}
