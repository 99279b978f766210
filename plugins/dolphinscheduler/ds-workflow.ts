/**
 * The workflow Freshet keeps in DolphinScheduler for one table: one HTTP task that POSTs the refresh callback
 * with a flat body of strings (3.3's HTTP task turns any nested body into a bodyless GET), and the handler that
 * names it.
 */
import type { RefreshHandler } from '../../src/plugin-api';
import type { DolphinSchedulerApi, DolphinSchedulerVersion } from './ds-paths';

/** What the HTTP task's body carries, before DolphinScheduler renders `$[…]`. */
export interface CallbackBody {
  readonly tables: string;
  readonly scheduleTime: string;
  readonly timeZone: string;
  readonly isPeriodic: 'true';
  /** RESUME WITH (…) options, as a JSON string. */
  readonly configuration?: string;
  readonly executionConfig?: string;
}

export interface HttpTaskSettings {
  readonly api: DolphinSchedulerApi;
  readonly taskCode: string;
  readonly tableIdentifier: string;
  /** The refresh URL with its `?wait=`. */
  readonly url: string;
  readonly bearerToken: string | null;
  readonly body: CallbackBody;
  readonly waitSeconds: number;
  readonly failRetryTimes: number;
  readonly workerGroup: string;
  readonly environmentCode: string | undefined;
}

/** DolphinScheduler renders this in its server's time zone from the time the schedule fired for. */
export const SCHEDULE_TIME_PLACEHOLDER = '$[yyyy-MM-dd HH:mm:ss]';

const TASK_NAME = 'refresh';
const DESCRIPTION_PREFIX = 'Freshet refreshes dynamic table ';
/** DolphinScheduler refuses descriptions longer than this (1400004). */
const MAX_DESCRIPTION_LENGTH = 255;

/** `freshet_<identifier>` with every character DolphinScheduler users would not expect in a name replaced by `_`. */
export function workflowNameOf(tableIdentifier: string): string {
  return `freshet_${tableIdentifier.replace(/[^A-Za-z0-9_]/g, '_')}`;
}

/** The description carries the identifier exactly, so that listed workflows map back to their tables. */
export function workflowDescriptionOf(tableIdentifier: string): string | null {
  const description = `${DESCRIPTION_PREFIX}${tableIdentifier}`;
  return [...description].length <= MAX_DESCRIPTION_LENGTH ? description : null;
}

export function tableIdentifierOf(description: unknown): string | null {
  if (typeof description !== 'string' || !description.startsWith(DESCRIPTION_PREFIX)) return null;
  const identifier = description.slice(DESCRIPTION_PREFIX.length);
  return identifier === '' ? null : identifier;
}

/** The refresh handler of a DolphinScheduler workflow. Codes are longs and travel as decimal strings. */
export interface DsHandler {
  readonly projectCode: string;
  readonly workflowCode: string;
  readonly scheduleId: number | null;
  readonly workflowName: string;
  readonly version: DolphinSchedulerVersion;
}

export function handlerOf(handler: DsHandler): RefreshHandler {
  return { ...handler };
}

/** The handler, or null when `handler` was not made by this plugin. */
export function parseHandler(handler: RefreshHandler): DsHandler | null {
  const { projectCode, workflowCode, scheduleId, workflowName, version } = handler;
  const project = decimalCode(projectCode);
  const workflow = decimalCode(workflowCode);
  if (project === null || workflow === null) return null;
  return {
    projectCode: project,
    workflowCode: workflow,
    scheduleId: typeof scheduleId === 'number' && Number.isSafeInteger(scheduleId) ? scheduleId : null,
    workflowName: typeof workflowName === 'string' ? workflowName : `workflow ${workflow}`,
    version: version === '3.1' || version === '3.3' ? version : '3.2',
  };
}

function decimalCode(value: unknown): string | null {
  if (typeof value === 'string' && /^\d+$/.test(value)) return value;
  return typeof value === 'number' && Number.isSafeInteger(value) ? String(value) : null;
}

/** The `taskDefinitionJson` entry of the refresh task. */
export function httpTaskDefinition(settings: HttpTaskSettings, version = 0): Record<string, unknown> {
  const { api } = settings;
  // 3.3 uses connectTimeout as its read timeout; both outlast the callback's ?wait=.
  const timeoutMs = (settings.waitSeconds + 60) * 1000;
  const headers =
    settings.bearerToken === null
      ? []
      : [{ prop: 'Authorization', httpParametersType: 'HEADERS', value: `Bearer ${settings.bearerToken}` }];
  const taskParams: Record<string, unknown> = {
    localParams: [],
    resourceList: [],
    url: settings.url,
    httpMethod: 'POST',
    httpParams: api.httpBody ? headers : [...headers, ...bodyParameters(settings.body)],
    ...(api.httpBody ? { httpBody: JSON.stringify(settings.body) } : {}),
    // The callback answers 200 only when the refresh succeeded (500 when it failed, 202 when still running).
    httpCheckCondition: 'STATUS_CODE_DEFAULT',
    condition: '',
    connectTimeout: timeoutMs,
    socketTimeout: timeoutMs,
  };
  return {
    code: Number(settings.taskCode),
    version,
    name: TASK_NAME,
    description: `POST the Freshet refresh callback for ${settings.tableIdentifier}`,
    taskType: 'HTTP',
    taskParams,
    flag: 'YES',
    ...(api.version === '3.1' ? {} : { isCache: 'NO' }),
    taskPriority: 'MEDIUM',
    workerGroup: settings.workerGroup,
    environmentCode: settings.environmentCode === undefined ? -1 : Number(settings.environmentCode),
    failRetryTimes: settings.failRetryTimes,
    failRetryInterval: 1,
    timeoutFlag: 'CLOSE',
    timeoutNotifyStrategy: 'WARN',
    timeout: 0,
    delayTime: 0,
    cpuQuota: -1,
    memoryMax: -1,
    taskExecuteType: 'BATCH',
    taskGroupId: 0,
    taskGroupPriority: 0,
  };
}

function bodyParameters(body: CallbackBody): Array<Record<string, string>> {
  return Object.entries(body).map(([prop, value]) => ({ prop, httpParametersType: 'BODY', value: String(value) }));
}

/** The `taskRelationJson` of a one-task workflow: the task is a root (`preTaskCode` 0). */
export function taskRelations(taskCode: string): Array<Record<string, unknown>> {
  const postTaskCode = Number(taskCode);
  return [
    {
      name: '',
      preTaskCode: 0,
      preTaskVersion: 0,
      postTaskCode,
      postTaskVersion: 0,
      conditionType: 'NONE',
      conditionParams: {},
    },
  ];
}

export function taskLocations(taskCode: string): Array<Record<string, unknown>> {
  return [{ taskCode: Number(taskCode), x: 120, y: 120 }];
}

/** The `configuration` value the task sends: a JSON string, or undefined for no options. */
export function configurationValue(options: Readonly<Record<string, string>>): string | undefined {
  return Object.keys(options).length === 0 ? undefined : JSON.stringify(options);
}

/**
 * The refresh task's `taskParams` with its body's `configuration` replaced (or removed); null when the task is
 * not the HTTP task Freshet made.
 */
export function withConfiguration(
  api: DolphinSchedulerApi,
  taskParams: unknown,
  configuration: string | undefined,
): { params: Record<string, unknown>; changed: boolean } | null {
  const params = typeof taskParams === 'string' ? safeJson(taskParams) : taskParams;
  if (typeof params !== 'object' || params === null || Array.isArray(params)) return null;
  const current = params as Record<string, unknown>;
  if (api.httpBody) {
    const body = typeof current.httpBody === 'string' ? safeJson(current.httpBody) : null;
    if (typeof body !== 'object' || body === null || Array.isArray(body)) return null;
    const record = { ...(body as Record<string, unknown>) };
    const changed = record.configuration !== configuration;
    if (configuration === undefined) delete record.configuration;
    else record.configuration = configuration;
    return { params: { ...current, httpBody: JSON.stringify(record) }, changed };
  }
  if (!Array.isArray(current.httpParams)) return null;
  const isConfiguration = (p: unknown) => {
    const property = p as { prop?: unknown; httpParametersType?: unknown };
    return property.prop === 'configuration' && property.httpParametersType === 'BODY';
  };
  const existing = current.httpParams.find(isConfiguration) as { value?: unknown } | undefined;
  const changed = existing?.value !== configuration;
  const others = current.httpParams.filter((p) => !isConfiguration(p));
  const added =
    configuration === undefined ? [] : [{ prop: 'configuration', httpParametersType: 'BODY', value: configuration }];
  const httpParams = [...others, ...added];
  return { params: { ...current, httpParams }, changed };
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}
