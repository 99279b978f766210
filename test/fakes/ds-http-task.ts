/**
 * DolphinScheduler's HTTP task, as its worker runs it in each release line:
 *
 * - 3.1: the body is a JSON object of the BODY parameters (there is no `httpBody`); PARAMETER entries go to the
 *   query string; every parameter and the URL have their placeholders rendered.
 * - 3.2: a non-empty `httpBody` (placeholders rendered) is the body; otherwise as 3.1.
 * - 3.3: the URL is sent as written; the body is `httpBody` read as a map of strings and written back as JSON:
 *   a nested value makes that map null and the request a bodyless GET; PARAMETER entries are dropped for POST;
 *   `connectTimeout` is also the read timeout.
 *
 * Success: STATUS_CODE_DEFAULT wants 200, STATUS_CODE_CUSTOM the `condition`, BODY_(NOT_)CONTAINS a substring.
 */
import { DateTime } from 'luxon';
import type { TaskAttempt } from './ds-fake-store';
import type { DsVersion } from './ds-spec';

export interface HttpTaskContext {
  readonly version: DsVersion;
  /** The time the schedule fired for: `system.datetime`. */
  readonly scheduleTime: Date;
  /** The zone `$[…]` renders in: the worker's default time zone. */
  readonly serverTimeZone: string;
}

interface HttpProperty {
  readonly prop: string;
  readonly httpParametersType: string;
  readonly value: string;
}

interface PreparedRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: Record<string, string>;
  readonly body: string | null;
  readonly timeoutMs: number;
}

/** Renders `$[yyyy-MM-dd HH:mm:ss]`-style time expressions (with `±N` days or `±N/24` hours) and `${system.*}` dates. */
export function renderPlaceholders(text: string, at: Date, zone: string): string {
  const time = DateTime.fromJSDate(at, { zone });
  return text
    .replace(/\$\[([^\]]+)\]/g, (_match, expression: string) => {
      const [, pattern = '', offset] = /^(.*?)([+-]\d+(?:\/\d+)*)?$/.exec(expression) ?? [];
      let shifted = time;
      if (offset !== undefined) {
        const [amount = 0, ...divisors] = offset.split('/').map(Number);
        const days = divisors.reduce((value, divisor) => value / divisor, amount);
        shifted = time.plus({ milliseconds: Math.round(days * 86_400_000) });
      }
      return shifted.toFormat(pattern);
    })
    .replace(/\$\{system\.datetime\}/g, time.toFormat('yyyyMMddHHmmss'))
    .replace(/\$\{system\.biz\.curdate\}/g, time.toFormat('yyyyMMdd'))
    .replace(/\$\{system\.biz\.date\}/g, time.minus({ days: 1 }).toFormat('yyyyMMdd'));
}

function propertiesOf(params: Record<string, unknown>): HttpProperty[] {
  return Array.isArray(params.httpParams) ? (params.httpParams as HttpProperty[]) : [];
}

function prepare(params: Record<string, unknown>, ctx: HttpTaskContext): PreparedRequest {
  const render = (text: string) => renderPlaceholders(text, ctx.scheduleTime, ctx.serverTimeZone);
  const method = String(params.httpMethod ?? 'GET');
  if (ctx.version === '3.3') {
    const properties = propertiesOf(params);
    const headers: Record<string, string> = {};
    for (const p of properties) {
      if (p.httpParametersType === 'HEADERS' && p.prop.toLowerCase() !== 'content-type')
        headers[render(p.prop)] = render(p.value);
    }
    const contentType =
      properties.find((p) => p.httpParametersType === 'HEADERS' && p.prop.toLowerCase() === 'content-type')?.value ??
      'application/json';
    const url = new URL(String(params.url));
    let body: string | null = null;
    if (method === 'GET') {
      for (const p of properties)
        if (p.httpParametersType === 'PARAMETER') url.searchParams.append(render(p.prop), render(p.value));
    } else if (method === 'POST' || method === 'PUT') {
      const map = stringMapOf(render(String(params.httpBody ?? '')));
      if (map !== null) {
        body = JSON.stringify(map);
        headers['content-type'] = `${contentType}; charset=utf-8`;
      }
    }
    // OkHttp's Request.Builder is a GET until a body is attached.
    const sent = body === null && method !== 'DELETE' ? 'GET' : method;
    return { method: sent, url: url.toString(), headers, body, timeoutMs: Number(params.connectTimeout) };
  }
  const properties = propertiesOf(params).map((p) => JSON.parse(render(JSON.stringify(p))) as HttpProperty);
  const url = new URL(render(String(params.url)));
  const headers: Record<string, string> = {};
  const bodyMap: Record<string, string> = {};
  for (const p of properties) {
    if (p.httpParametersType === 'PARAMETER') url.searchParams.append(p.prop, p.value);
    else if (p.httpParametersType === 'BODY') bodyMap[p.prop] = p.value;
  }
  const httpBody = ctx.version === '3.2' && typeof params.httpBody === 'string' ? render(params.httpBody) : '';
  let body: string | null = null;
  if (httpBody !== '') body = httpBody;
  else if (properties.length > 0) body = JSON.stringify(bodyMap);
  if (body !== null) headers['content-type'] = 'application/json; charset=UTF-8';
  for (const p of properties) if (p.httpParametersType === 'HEADERS') headers[p.prop] = p.value;
  return {
    method,
    url: url.toString(),
    headers,
    body: method === 'GET' || method === 'HEAD' ? null : body,
    timeoutMs: Number(params.socketTimeout),
  };
}

/** Jackson's `Map<String, String>`: scalars become strings; any nested value fails the whole map (null). */
function stringMapOf(json: string): Record<string, string | null> | null {
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    return null;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return null;
  const map: Record<string, string | null> = {};
  for (const [key, entry] of Object.entries(value)) {
    if (entry !== null && typeof entry === 'object') return null;
    map[key] = entry === null ? null : String(entry);
  }
  return map;
}

function judged(params: Record<string, unknown>, version: DsVersion, status: number, body: string): boolean {
  const condition = String(params.condition ?? '');
  // 3.3's OkHttp helper replaces the body of any non-200 answer with a description of it.
  const seen =
    version === '3.3' && status !== 200 ? `Request execute failed, httpCode: ${status}, httpBody: ${body}` : body;
  switch (params.httpCheckCondition ?? 'STATUS_CODE_DEFAULT') {
    case 'BODY_CONTAINS':
      return seen !== '' && seen.includes(condition);
    case 'BODY_NOT_CONTAINS':
      return seen !== '' && !seen.includes(condition);
    case 'STATUS_CODE_CUSTOM':
      return String(status) === condition;
    default:
      return status === 200;
  }
}

/** One execution of the task: the request sent and whether DolphinScheduler would count it a success. */
export async function runHttpTask(params: Record<string, unknown>, ctx: HttpTaskContext): Promise<TaskAttempt> {
  let request: PreparedRequest;
  try {
    request = prepare(params, ctx);
  } catch (error) {
    return {
      method: String(params.httpMethod),
      url: String(params.url),
      headers: {},
      body: null,
      status: null,
      responseBody: null,
      error: (error as Error).message,
      success: false,
    };
  }
  const base = { method: request.method, url: request.url, headers: request.headers, body: request.body };
  try {
    const response = await fetch(request.url, {
      method: request.method,
      headers: request.headers,
      ...(request.body === null ? {} : { body: request.body }),
      ...(request.timeoutMs > 0 ? { signal: AbortSignal.timeout(request.timeoutMs) } : {}),
    });
    const responseBody = await response.text();
    return {
      ...base,
      status: response.status,
      responseBody,
      error: null,
      success: judged(params, ctx.version, response.status, responseBody),
    };
  } catch (error) {
    const cause = (error as { cause?: { message?: string } }).cause?.message;
    return { ...base, status: null, responseBody: null, error: cause ?? (error as Error).message, success: false };
  }
}
