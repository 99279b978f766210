/** The form parameters of the calls that create or change a workflow and its schedule. */
import { DateTime } from 'luxon';
import type { CreateRefreshWorkflowRequest } from '../../src/plugin-api';
import type { FormValue } from './ds-client';
import type { DolphinSchedulerOptions } from './ds-options';
import type { DolphinSchedulerApi } from './ds-paths';
import { httpTaskDefinition, SCHEDULE_TIME_PLACEHOLDER, taskLocations, taskRelations } from './ds-workflow';

/** The refresh task of a new workflow: POST `refreshUrl?wait=…` with the table and the rendered fire time. */
export function refreshTaskFor(
  api: DolphinSchedulerApi,
  options: DolphinSchedulerOptions,
  request: CreateRefreshWorkflowRequest,
  taskCode: string,
): Record<string, unknown> {
  const url = new URL(request.callback.refreshUrl);
  url.searchParams.set('wait', String(options.callbackWaitSeconds));
  const executionConfig =
    Object.keys(request.executionConfig).length > 0 ? { executionConfig: JSON.stringify(request.executionConfig) } : {};
  return httpTaskDefinition({
    api,
    taskCode,
    tableIdentifier: request.tableIdentifier,
    url: url.toString(),
    bearerToken: request.callback.token,
    body: {
      tables: request.tableIdentifier,
      scheduleTime: SCHEDULE_TIME_PLACEHOLDER,
      // `$[…]` renders in the server's zone, whatever the schedule's timezoneId.
      timeZone: options.serverTimeZone,
      isPeriodic: 'true',
      ...executionConfig,
    },
    waitSeconds: options.callbackWaitSeconds,
    failRetryTimes: options.failRetryTimes,
    workerGroup: options.workerGroup,
    environmentCode: options.environmentCode,
  });
}

/** What workflow create and update share besides name and description. */
export function workflowParams(
  api: DolphinSchedulerApi,
  options: DolphinSchedulerOptions,
  taskCode: string,
  tasks: readonly Record<string, unknown>[],
): Record<string, FormValue> {
  return {
    globalParams: '[]',
    locations: JSON.stringify(taskLocations(taskCode)),
    timeout: 0,
    taskRelationJson: JSON.stringify(taskRelations(taskCode)),
    taskDefinitionJson: JSON.stringify(tasks),
    // A tick that comes while the previous refresh still runs is dropped; the next tick catches up.
    executionType: 'SERIAL_DISCARD',
    tenantCode: api.tenantOn === 'workflow' ? options.tenantCode : undefined,
  };
}

/** What schedule create and update share: the `schedule` JSON and the settings DolphinScheduler would default. */
export function scheduleParams(
  api: DolphinSchedulerApi,
  options: DolphinSchedulerOptions,
  now: Date,
  quartzCron: string,
  tableTimeZone: string,
): Record<string, FormValue> {
  // The api-server reads start and end in its own zone; a start a day back holds in every zone, and Quartz
  // starts at max(start, now) anyway.
  const serverNow = DateTime.fromJSDate(now, { zone: options.serverTimeZone });
  const schedule = {
    startTime: serverNow.minus({ days: 1 }).toFormat('yyyy-MM-dd HH:mm:ss'),
    endTime: serverNow.plus({ years: 100 }).toFormat('yyyy-MM-dd HH:mm:ss'),
    timezoneId: options.scheduleTimeZone ?? tableTimeZone,
    crontab: quartzCron,
  };
  return {
    schedule: JSON.stringify(schedule),
    warningType: 'NONE',
    // 3.1 fails a schedule update without it (10077).
    warningGroupId: 0,
    failureStrategy: 'END',
    workerGroup: options.workerGroup,
    environmentCode: options.environmentCode,
    [api.schedulePriority]: 'MEDIUM',
    tenantCode: api.tenantOn === 'schedule' ? options.tenantCode : undefined,
  };
}
