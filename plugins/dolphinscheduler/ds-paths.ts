/**
 * Where the 3.1, 3.2 and 3.3 lines of DolphinScheduler differ for the calls Freshet makes: 3.3 renamed process
 * definitions to workflow definitions (paths, parameters and response keys), the tenant moved from the workflow
 * (3.1) to the schedule (3.2), and only 3.2 and later read the HTTP task's `httpBody`.
 */
export type DolphinSchedulerVersion = '3.1' | '3.2' | '3.3';

export interface DolphinSchedulerApi {
  readonly version: DolphinSchedulerVersion;
  /** The path segment of workflow definitions under a project. */
  readonly workflowSegment: 'process-definition' | 'workflow-definition';
  /** The schedule parameter (and schedule response key) naming the workflow. */
  readonly scheduleWorkflowCode: 'processDefinitionCode' | 'workflowDefinitionCode';
  readonly schedulePriority: 'processInstancePriority' | 'workflowInstancePriority';
  /** The keys of a workflow's detail (DagData). */
  readonly detailWorkflowKey: 'processDefinition' | 'workflowDefinition';
  /** Where `tenantCode` goes. */
  readonly tenantOn: 'workflow' | 'schedule';
  /** 3.1's HTTP task has no `httpBody`: its JSON body is built from BODY parameters. */
  readonly httpBody: boolean;
  /** 3.1 refuses (10126) to put a schedule into the release state it already has. */
  readonly rejectsRepeatedScheduleRelease: boolean;
}

const API: Readonly<Record<DolphinSchedulerVersion, DolphinSchedulerApi>> = {
  '3.1': {
    version: '3.1',
    workflowSegment: 'process-definition',
    scheduleWorkflowCode: 'processDefinitionCode',
    schedulePriority: 'processInstancePriority',
    detailWorkflowKey: 'processDefinition',
    tenantOn: 'workflow',
    httpBody: false,
    rejectsRepeatedScheduleRelease: true,
  },
  '3.2': {
    version: '3.2',
    workflowSegment: 'process-definition',
    scheduleWorkflowCode: 'processDefinitionCode',
    schedulePriority: 'processInstancePriority',
    detailWorkflowKey: 'processDefinition',
    tenantOn: 'schedule',
    httpBody: true,
    rejectsRepeatedScheduleRelease: false,
  },
  '3.3': {
    version: '3.3',
    workflowSegment: 'workflow-definition',
    scheduleWorkflowCode: 'workflowDefinitionCode',
    schedulePriority: 'workflowInstancePriority',
    detailWorkflowKey: 'workflowDefinition',
    tenantOn: 'schedule',
    httpBody: true,
    rejectsRepeatedScheduleRelease: false,
  },
};

export function dolphinSchedulerApi(version: DolphinSchedulerVersion): DolphinSchedulerApi {
  return API[version];
}

/** Paths relative to the API root (`…/dolphinscheduler`). Codes are longs, carried as decimal strings. */
export const dsPaths = {
  projects: () => '/projects',
  genTaskCodes: (projectCode: string) => `/projects/${projectCode}/task-definition/gen-task-codes`,
  workflows: (api: DolphinSchedulerApi, projectCode: string) => `/projects/${projectCode}/${api.workflowSegment}`,
  workflow: (api: DolphinSchedulerApi, projectCode: string, code: string) =>
    `/projects/${projectCode}/${api.workflowSegment}/${code}`,
  release: (api: DolphinSchedulerApi, projectCode: string, code: string) =>
    `/projects/${projectCode}/${api.workflowSegment}/${code}/release`,
  schedules: (projectCode: string) => `/projects/${projectCode}/schedules`,
  allSchedules: (projectCode: string) => `/projects/${projectCode}/schedules/list`,
  schedule: (projectCode: string, id: number) => `/projects/${projectCode}/schedules/${id}`,
  scheduleOnline: (projectCode: string, id: number) => `/projects/${projectCode}/schedules/${id}/online`,
  scheduleOffline: (projectCode: string, id: number) => `/projects/${projectCode}/schedules/${id}/offline`,
} as const;

/** DolphinScheduler's status codes that Freshet reacts to. */
export const DS_STATUS = {
  PROJECT_NOT_FOUND: 10018,
  PROJECT_ALREADY_EXISTS: 10019,
  WORKFLOW_NOT_EXIST: 50003,
} as const;
