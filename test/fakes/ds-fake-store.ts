/**
 * What the DolphinScheduler fake holds (projects, workflows, schedules, task instances) and how it words its
 * refusals: DolphinScheduler's status codes and English messages, formatted as Java's MessageFormat does
 * (numbers with thousands separators, strings as they are).
 */
import type { DsVersion } from './ds-spec';

export type ReleaseState = 'ONLINE' | 'OFFLINE';

export interface FakeProject {
  readonly id: number;
  readonly code: number;
  readonly name: string;
  readonly description: string;
  readonly createTime: string;
}

export interface FakeTask {
  readonly code: number;
  readonly version: number;
  readonly name: string;
  readonly taskType: string;
  readonly taskParams: Record<string, unknown>;
  /** Every other field as the client sent it. */
  readonly definition: Record<string, unknown>;
}

export interface FakeWorkflow {
  readonly id: number;
  readonly code: number;
  projectCode: number;
  name: string;
  description: string;
  version: number;
  releaseState: ReleaseState;
  globalParams: string;
  locations: string | null;
  timeout: number;
  executionType: string;
  tenantCode: string | null;
  tasks: FakeTask[];
  relations: Record<string, unknown>[];
  readonly createTime: string;
  updateTime: string;
}

export interface FakeSchedule {
  readonly id: number;
  readonly workflowCode: number;
  readonly projectCode: number;
  startTime: string;
  endTime: string;
  timezoneId: string;
  crontab: string;
  failureStrategy: string;
  warningType: string;
  warningGroupId: number;
  priority: string;
  workerGroup: string;
  tenantCode: string;
  environmentCode: number;
  releaseState: ReleaseState;
  readonly createTime: string;
  updateTime: string;
}

/** One try of an HTTP task: the request DolphinScheduler sent and what came back. */
export interface TaskAttempt {
  readonly method: string;
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string | null;
  readonly status: number | null;
  readonly responseBody: string | null;
  readonly error: string | null;
  readonly success: boolean;
}

export interface TaskInstance {
  readonly id: number;
  readonly workflowCode: number;
  readonly taskCode: number;
  readonly taskName: string;
  /** The time the schedule fired for. */
  readonly scheduleTime: Date;
  readonly state: 'SUCCESS' | 'FAILURE';
  readonly attempts: readonly TaskAttempt[];
}

/** 2021-01-01T00:00:00Z, the epoch of DolphinScheduler's CodeGenerateUtils. */
const CODE_EPOCH = Date.UTC(2021, 0, 1);

export class FakeStore {
  readonly projects = new Map<number, FakeProject>();
  readonly workflows = new Map<number, FakeWorkflow>();
  readonly schedules = new Map<number, FakeSchedule>();
  readonly taskInstances: TaskInstance[] = [];
  #nextId = 1;
  #lastCode = 0;

  nextId(): number {
    return this.#nextId++;
  }

  /** Like CodeGenerateUtils: milliseconds since 2021 shifted left by 10 bits; unique, increasing, above 2^40. */
  genCode(): number {
    const code = Math.max((Date.now() - CODE_EPOCH) * 1024, this.#lastCode + 1);
    this.#lastCode = code;
    return code;
  }

  projectByName(name: string): FakeProject | undefined {
    return [...this.projects.values()].find((p) => p.name === name);
  }

  workflowsOf(projectCode: number): FakeWorkflow[] {
    return [...this.workflows.values()].filter((w) => w.projectCode === projectCode);
  }

  schedulesOf(workflowCode: number): FakeSchedule[] {
    return [...this.schedules.values()].filter((s) => s.workflowCode === workflowCode);
  }

  clear(): void {
    this.projects.clear();
    this.workflows.clear();
    this.schedules.clear();
    this.taskInstances.length = 0;
  }
}

export type StatusName = keyof typeof STATUS;

/** DolphinScheduler's Status enum (the entries the fake uses), with 3.2.2's English messages. */
export const STATUS = {
  SUCCESS: [0, 'success'],
  INTERNAL_SERVER_ERROR_ARGS: [10000, 'Internal Server Error: {0}'],
  REQUEST_PARAMS_NOT_VALID_ERROR: [10001, 'request parameter {0} is not valid'],
  TENANT_NOT_EXIST: [10017, 'tenant [{0}] not exists'],
  PROJECT_NOT_FOUND: [10018, 'project {0} not found '],
  PROJECT_ALREADY_EXISTS: [10019, 'project {0} already exists'],
  SCHEDULE_CRON_NOT_EXISTS: [10022, 'scheduler crontab {0} does not exist'],
  SCHEDULE_CRON_ONLINE_FORBID_UPDATE: [10023, 'online status does not allow update operations'],
  SCHEDULE_CRON_CHECK_FAILED: [10024, 'scheduler crontab expression validation failure: {0}'],
  CREATE_PROJECT_ERROR: [10048, 'create project error'],
  LOGIN_USER_QUERY_PROJECT_LIST_PAGING_ERROR: [10049, 'login user query project list paging error'],
  CREATE_SCHEDULE_ERROR: [10076, 'create schedule error'],
  UPDATE_SCHEDULE_ERROR: [10077, 'update schedule error'],
  PUBLISH_SCHEDULE_ONLINE_ERROR: [10078, 'publish schedule online error'],
  OFFLINE_SCHEDULE_ERROR: [10079, 'offline schedule error'],
  QUERY_SCHEDULE_LIST_PAGING_ERROR: [10080, 'query schedule list paging error'],
  QUERY_SCHEDULE_LIST_ERROR: [10081, 'query schedule list error'],
  CREATE_PROCESS_DEFINITION_ERROR: [10105, 'create process definition error'],
  UPDATE_PROCESS_DEFINITION_ERROR: [10107, 'update process definition error'],
  RELEASE_PROCESS_DEFINITION_ERROR: [10108, 'release process definition error'],
  QUERY_DETAIL_OF_PROCESS_DEFINITION_ERROR: [10109, 'query detail of process definition error'],
  QUERY_PROCESS_DEFINITION_LIST: [10110, 'query process definition list'],
  SCHEDULE_CRON_REALEASE_NEED_NOT_CHANGE: [10126, 'schedule release is already {0}'],
  SCHEDULE_START_TIME_END_TIME_SAME: [10141, 'The start time must not be the same as the end'],
  PROCESS_DEFINITION_NAME_EXIST: [10168, 'process definition name {0} already exists'],
  SCHEDULE_NOT_EXISTS: [10203, 'schedule {0} does not exist'],
  SCHEDULE_ALREADY_EXISTS: [10204, 'workflow {0} schedule {1} already exist, please update or delete it'],
  PROCESS_DEFINE_NOT_EXIST: [50003, 'process definition {0} does not exist'],
  PROCESS_DEFINE_NOT_RELEASE: [50004, 'process definition {0} process version {1} not online'],
  PROCESS_DEFINE_NOT_ALLOWED_EDIT: [50008, 'process definition {0} does not allow edit'],
  DATA_IS_NOT_VALID: [50017, 'data {0} not valid'],
  PROCESS_NODE_S_PARAMETER_INVALID: [50020, 'process node {0} parameter invalid'],
  PROCESS_DEFINE_STATE_ONLINE: [50021, 'process definition [{0}] is already online'],
  DELETE_PROCESS_DEFINE_BY_CODE_ERROR: [50022, 'delete process definition by code error'],
  SCHEDULE_STATE_ONLINE: [50023, 'the status of schedule {0} is already online'],
  DELETE_SCHEDULE_BY_ID_ERROR: [50024, 'delete schedule by id error'],
  TASK_DEFINE_NOT_EXIST: [50030, 'task definition [{0}] does not exist'],
  CHECK_PROCESS_TASK_RELATION_ERROR: [50036, 'check process task relation error'],
  START_TIME_BIGGER_THAN_END_TIME_ERROR: [80003, 'start time bigger than end time error'],
  DESCRIPTION_TOO_LONG_ERROR: [1400004, 'description is too long error'],
} as const satisfies Record<string, readonly [number, string]>;

/** A refusal the way DolphinScheduler answers it: an envelope with `code` and `msg`, under an HTTP status. */
export class DsRefusal extends Error {
  constructor(
    readonly code: number,
    message: string,
    /** null: the endpoint's success status (a result map returned); 200: a ServiceException. */
    readonly httpStatus: number | null,
  ) {
    super(message);
  }
}

/** A ServiceException: ApiExceptionHandler answers it with HTTP 200. */
export function thrown(version: DsVersion, status: StatusName, ...args: unknown[]): DsRefusal {
  const [code, template] = STATUS[status];
  return new DsRefusal(code, formatMessage(version, template, args), 200);
}

/** A status put into the result map: the endpoint keeps its success status (201 for creations). */
export function returned(version: DsVersion, status: StatusName, ...args: unknown[]): DsRefusal {
  const [code, template] = STATUS[status];
  return new DsRefusal(code, formatMessage(version, template, args), null);
}

function formatMessage(version: DsVersion, template: string, args: readonly unknown[]): string {
  const text = template.replace(/\{(\d+)\}/g, (placeholder, index: string) => {
    if (Number(index) >= args.length) return placeholder;
    const arg = args[Number(index)];
    return typeof arg === 'number' ? arg.toLocaleString('en-US', { maximumFractionDigits: 3 }) : String(arg);
  });
  // 3.3 renamed process definitions to workflow definitions, in messages too.
  if (version !== '3.3') return text;
  return text
    .replace(/process definition/g, 'workflow definition')
    .replace(/process version/g, 'workflow version')
    .replace(/process node/g, 'workflow node')
    .replace(/check process task/g, 'check workflow task');
}

/** `yyyy-MM-dd HH:mm:ss` in UTC, as the api-server's Jackson writes dates. */
export function dsDate(at: Date): string {
  return at.toISOString().slice(0, 19).replace('T', ' ');
}
