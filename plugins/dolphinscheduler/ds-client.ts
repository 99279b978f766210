/**
 * A small client for DolphinScheduler's v1 API: form-encoded requests (JSON values travel as strings inside form
 * fields), the `token` header, and the `{code, msg, data, success, failed}` envelope, whose `code` is checked on
 * every answer because DolphinScheduler reports most refusals with HTTP 200 or 201.
 */
import { FreshetError, httpRequest, HttpUnreachableError, schedulerError } from '../../src/plugin-api';

export type FormValue = string | number | undefined;
export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'DELETE';

/** DolphinScheduler answered with a non-zero status code; `dsCode` and `dsMessage` are its own. */
export class DolphinSchedulerRefusal extends FreshetError {
  constructor(
    readonly dsCode: number,
    readonly dsMessage: string,
    action: string,
  ) {
    super('SCHEDULER_ERROR', `DolphinScheduler refused to ${action}: ${dsMessage} (code ${dsCode})`, {
      details: { dolphinSchedulerCode: dsCode, dolphinSchedulerMessage: dsMessage },
    });
    this.name = 'DolphinSchedulerRefusal';
  }
}

export function isRefusal(error: unknown, ...codes: number[]): error is DolphinSchedulerRefusal {
  return error instanceof DolphinSchedulerRefusal && (codes.length === 0 || codes.includes(error.dsCode));
}

export interface DolphinSchedulerClientSettings {
  readonly baseUrl: string;
  readonly token: string;
  readonly timeoutMs: number;
}

interface Envelope {
  readonly code: number;
  readonly msg?: string;
  readonly data?: unknown;
}

export class DolphinSchedulerClient {
  readonly #settings: DolphinSchedulerClientSettings;

  constructor(settings: DolphinSchedulerClientSettings) {
    this.#settings = Object.freeze({ ...settings });
  }

  /**
   * Calls `method path` with `params` (query string for GET and DELETE, form body otherwise) and returns the
   * envelope's `data`. `action` completes "could not …" in error messages ("create workflow freshet_x").
   */
  async call<T = unknown>(
    method: HttpMethod,
    path: string,
    params: Readonly<Record<string, FormValue>>,
    action: string,
  ): Promise<T> {
    const form = new URLSearchParams();
    for (const [name, value] of Object.entries(params)) {
      if (value !== undefined) form.append(name, String(value));
    }
    const inQuery = method === 'GET' || method === 'DELETE';
    const query = inQuery && [...form.keys()].length > 0 ? `?${form.toString()}` : '';
    const url = `${this.#settings.baseUrl}${path}${query}`;
    const headers: Record<string, string> = { token: this.#settings.token, accept: 'application/json' };
    if (!inQuery) headers['content-type'] = 'application/x-www-form-urlencoded; charset=UTF-8';

    let answer: { status: number; text: string };
    try {
      answer = await httpRequest({
        method,
        url,
        headers,
        ...(inQuery ? {} : { body: form.toString() }),
        timeoutMs: this.#settings.timeoutMs,
      });
    } catch (error) {
      throw this.#unreachable(error, method, path, action);
    }
    return this.#unwrap<T>(answer.status, answer.text, method, path, action);
  }

  #unreachable(error: unknown, method: HttpMethod, path: string, action: string): unknown {
    if (!(error instanceof HttpUnreachableError)) return error;
    if (error.kind !== 'connection') {
      return schedulerError(
        `DolphinScheduler at ${this.#settings.baseUrl} did not answer within ${this.#settings.timeoutMs} ms when ` +
          `asked to ${action} (${method} ${path}).`,
        error.cause,
      );
    }
    return schedulerError(
      `Cannot reach DolphinScheduler at ${this.#settings.baseUrl} to ${action} (${method} ${path}): ${error.reason}`,
      error.cause,
    );
  }

  #unwrap<T>(status: number, text: string, method: HttpMethod, path: string, action: string): T {
    if (status === 401) {
      // The token interceptor answers 401 with an empty body for a missing, unknown or expired token.
      throw schedulerError(
        `DolphinScheduler rejected the access token when asked to ${action} (HTTP 401): the token is invalid or ` +
          `expired. ` +
          'Create a token with an expiry time in the future (Security → Token Manage) and set it as ' +
          'scheduler.options.token.',
      );
    }
    const envelope = parseEnvelope(text);
    if (envelope === null) {
      const snippet = text.trim() === '' ? 'an empty body' : `'${text.trim().slice(0, 200)}'`;
      throw schedulerError(
        `DolphinScheduler answered ${method} ${path} with HTTP ${status} and ${snippet} when asked to ${action}; ` +
          `check scheduler.options.baseUrl (${this.#settings.baseUrl}: it should end with /dolphinscheduler) and ` +
          `scheduler.options.version.`,
      );
    }
    if (envelope.code !== 0) throw new DolphinSchedulerRefusal(envelope.code, envelope.msg ?? '(no message)', action);
    if (status < 200 || status >= 300) {
      throw schedulerError(
        `DolphinScheduler answered HTTP ${status} when asked to ${action}: ${envelope.msg ?? '(no message)'}`,
      );
    }
    return envelope.data as T;
  }
}

function parseEnvelope(text: string): Envelope | null {
  try {
    const value: unknown = JSON.parse(text);
    if (typeof value !== 'object' || value === null) return null;
    const { code, msg } = value as Record<string, unknown>;
    if (typeof code !== 'number') return null;
    return { code, data: (value as Record<string, unknown>).data, ...(typeof msg === 'string' ? { msg } : {}) };
  } catch {
    return null;
  }
}
