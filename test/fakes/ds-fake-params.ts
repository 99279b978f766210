/** How the fake's routes read request parameters, failing as Spring's argument binding does. */
import { quartzProblem } from './ds-quartz';
import { dsDate, returned, type DsRefusal, type FakeProject, type FakeStore, type StatusName } from './ds-fake-store';
import type { DsVersion } from './ds-spec';

export interface RouteContext {
  readonly version: DsVersion;
  readonly store: FakeStore;
  readonly pathParams: Readonly<Record<string, string>>;
  readonly params: ReadonlyMap<string, string>;
  readonly now: Date;
  /** Tenants that exist besides `default`. */
  readonly tenants: ReadonlySet<string>;
}

export interface Route {
  /** The endpoint's `@ApiException` status: what a binding failure or an unexpected exception answers. */
  readonly error: StatusName;
  handle(ctx: RouteContext): unknown;
}

/** A parameter Spring could not bind (missing, not a number, not an enum constant). */
export class BindingFailure extends Error {}

export function text(ctx: RouteContext, name: string, fallback?: string): string {
  const value = ctx.pathParams[name] ?? ctx.params.get(name) ?? fallback;
  if (value === undefined) throw new BindingFailure(`Required request parameter '${name}' is not present`);
  return value;
}

export function optionalText(ctx: RouteContext, name: string): string | null {
  return ctx.pathParams[name] ?? ctx.params.get(name) ?? null;
}

export function integer(ctx: RouteContext, name: string, fallback?: number): number {
  const value = ctx.pathParams[name] ?? ctx.params.get(name);
  if (value === undefined) {
    if (fallback === undefined) throw new BindingFailure(`Required request parameter '${name}' is not present`);
    return fallback;
  }
  if (!/^-?\d+$/.test(value.trim()))
    throw new BindingFailure(`Failed to convert value '${value}' of '${name}' to a number`);
  return Number(value.trim());
}

export function enumeration<T extends string>(ctx: RouteContext, name: string, values: readonly T[], fallback?: T): T {
  const value = text(ctx, name, fallback);
  if (!(values as readonly string[]).includes(value)) throw new BindingFailure(`No enum constant ${name}.${value}`);
  return value as T;
}

/** The project the path names, or the refusal `hasProjectAndPerm` answers. */
export function projectOf(
  ctx: RouteContext,
  refuse: (status: StatusName, ...args: unknown[]) => DsRefusal = (s, ...a) => returned(ctx.version, s, ...a),
): FakeProject {
  const code = integer(ctx, 'projectCode');
  const project = ctx.store.projects.get(code);
  if (project === undefined) throw refuse('PROJECT_NOT_FOUND', code);
  return project;
}

export function descriptionTooLong(description: string | null): boolean {
  return description !== null && [...description].length > 255;
}

export interface ScheduleParam {
  readonly startTime: string;
  readonly endTime: string;
  readonly timezoneId: string;
  readonly crontab: string;
}

/**
 * The `schedule` JSON. Returns null where DolphinScheduler would hit a null (unparseable JSON or dates), which
 * its exception handler answers with the endpoint's error status.
 */
export function scheduleParamOf(json: string): ScheduleParam | null {
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    return null;
  }
  const { startTime, endTime, timezoneId, crontab } = (value ?? {}) as Record<string, unknown>;
  const dateForm = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/;
  if (typeof startTime !== 'string' || !dateForm.test(startTime)) return null;
  if (typeof endTime !== 'string' || !dateForm.test(endTime)) return null;
  return {
    startTime,
    endTime,
    timezoneId: typeof timezoneId === 'string' ? timezoneId : '',
    crontab: typeof crontab === 'string' ? crontab : '',
  };
}

/** The checks insertSchedule and updateSchedule share, as result-map refusals. */
export function scheduleParamProblem(
  version: DsVersion,
  param: ScheduleParam,
  cronStatus: StatusName,
): DsRefusal | null {
  if (param.startTime === param.endTime) return returned(version, 'SCHEDULE_START_TIME_END_TIME_SAME');
  if (param.startTime > param.endTime) return returned(version, 'START_TIME_BIGGER_THAN_END_TIME_ERROR');
  if (quartzProblem(param.crontab) !== null) return returned(version, cronStatus, param.crontab);
  return null;
}

export function checkTenant(
  ctx: RouteContext,
  tenantCode: string,
  refuse: (status: StatusName, ...args: unknown[]) => DsRefusal,
): void {
  if (tenantCode !== 'default' && !ctx.tenants.has(tenantCode)) throw refuse('TENANT_NOT_EXIST', tenantCode);
}

export function stamp(ctx: RouteContext): string {
  return dsDate(ctx.now);
}
