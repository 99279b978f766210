/**
 * The few Airflow REST calls the plugin needs, on Airflow 2 (`/api/v1`, basic auth) and Airflow 3 (`/api/v2`,
 * a JWT from `POST /auth/token`), with both versions' DAG objects read into one shape. Every failure is a
 * SCHEDULER_ERROR that carries Airflow's own message, the HTTP status and the operation.
 */
import {
  FreshetError,
  httpRequest,
  HttpUnreachableError,
  jsonOrText,
  type HttpAnswer,
  type HttpRequest,
} from '../../src/plugin-api';
import { airflowErrorMessage } from './airflow-errors';

export interface AirflowClientOptions {
  readonly apiVersion: 1 | 2;
  readonly baseUrl: string;
  readonly username: string;
  readonly password: string;
  readonly requestTimeoutMs: number;
}

/** A DAG as both API versions report it. */
export interface AirflowDag {
  readonly dagId: string;
  readonly paused: boolean;
  /** False once the DAG processor no longer finds the DAG in any file (v1 `is_active`, v2 `!is_stale`). */
  readonly active: boolean;
  /** The cron expression Airflow schedules by, or null for other schedules. */
  readonly schedule: string | null;
  readonly tags: readonly string[];
  readonly fileloc: string | null;
  readonly fileToken: string | null;
}

export interface AirflowImportError {
  readonly id: number;
  readonly filename: string;
  readonly timestamp: string;
  readonly stackTrace: string;
}

/** Airflow caps every page at `[api] maximum_page_limit`, 100 by default. */
const PAGE_SIZE = 100;

interface Call {
  readonly operation: string;
  readonly method: 'GET' | 'PATCH' | 'DELETE' | 'PUT' | 'POST';
  /** Path below `/api/v1` or `/api/v2`, with its query string. */
  readonly path: string;
  readonly body?: unknown;
  /** Statuses that are an answer rather than a failure (404 for "no such DAG"). */
  readonly accept?: readonly number[];
}

export class AirflowClient {
  readonly #options: AirflowClientOptions;
  #token: Promise<string> | null = null;

  constructor(options: AirflowClientOptions) {
    this.#options = Object.freeze({ ...options });
  }

  get apiRoot(): string {
    return `${this.#options.baseUrl}/api/v${this.#options.apiVersion}`;
  }

  /** The DAG, or null when Airflow has no DAG with this id. */
  async getDag(dagId: string): Promise<AirflowDag | null> {
    const { status, body } = await this.#call({
      operation: `read DAG ${dagId}`,
      method: 'GET',
      path: `/dags/${encodeURIComponent(dagId)}`,
      accept: [404],
    });
    return status === 404 ? null : this.#dagOf(body);
  }

  /** Pauses or unpauses; null when Airflow has no DAG with this id. */
  async setPaused(dagId: string, paused: boolean): Promise<AirflowDag | null> {
    const { status, body } = await this.#call({
      operation: `${paused ? 'pause' : 'unpause'} DAG ${dagId}`,
      method: 'PATCH',
      path: `/dags/${encodeURIComponent(dagId)}?update_mask=is_paused`,
      body: { is_paused: paused },
      accept: [404],
    });
    return status === 404 ? null : this.#dagOf(body);
  }

  /** Deletes the DAG's metadata; false when there was none. */
  async deleteDag(dagId: string): Promise<boolean> {
    const { status } = await this.#call({
      operation: `delete DAG ${dagId}`,
      method: 'DELETE',
      path: `/dags/${encodeURIComponent(dagId)}`,
      accept: [404],
    });
    return status !== 404;
  }

  /** Every active DAG carrying `tag`. */
  async listDags(tag: string): Promise<AirflowDag[]> {
    const dags: AirflowDag[] = [];
    for (let offset = 0; ; offset += PAGE_SIZE) {
      const query = `tags=${encodeURIComponent(tag)}&limit=${PAGE_SIZE}&offset=${offset}`;
      const { body } = await this.#call({
        operation: `list DAGs tagged ${tag}`,
        method: 'GET',
        path: `/dags?${query}`,
      });
      const page = arrayField(body, 'dags');
      dags.push(...page.map((dag) => this.#dagOf(dag)));
      if (page.length < PAGE_SIZE || dags.length >= numberField(body, 'total_entries', Infinity)) return dags;
    }
  }

  /** Import errors whose file has this base name (Airflow 2 reports absolute paths, Airflow 3 bundle-relative ones). */
  async importErrorsFor(fileName: string): Promise<AirflowImportError[]> {
    const found: AirflowImportError[] = [];
    // Airflow 3.2 filters by a LIKE pattern; earlier versions ignore the parameter, so the check below stays.
    const filter = this.#options.apiVersion === 2 ? `&filename_pattern=${encodeURIComponent(`%${fileName}`)}` : '';
    for (let offset = 0; ; offset += PAGE_SIZE) {
      const { body } = await this.#call({
        operation: `read import errors of ${fileName}`,
        method: 'GET',
        path: `/importErrors?limit=${PAGE_SIZE}&offset=${offset}${filter}`,
      });
      const page = arrayField(body, 'import_errors');
      for (const item of page) {
        const error = item as Record<string, unknown>;
        const filename = String(error.filename ?? '');
        if (filename.split(/[\\/]/).at(-1) !== fileName) continue;
        found.push({
          id: Number(error.import_error_id),
          filename,
          timestamp: String(error.timestamp ?? ''),
          stackTrace: String(error.stack_trace ?? ''),
        });
      }
      if (page.length < PAGE_SIZE || offset + PAGE_SIZE >= numberField(body, 'total_entries', Infinity)) return found;
    }
  }

  /** Asks the DAG processor to load a known file again now (Airflow 2.8+ and 3). */
  async requestReparse(fileToken: string): Promise<void> {
    await this.#call({
      operation: 'request a re-parse of a DAG file',
      method: 'PUT',
      path: `/parseDagFile/${encodeURIComponent(fileToken)}`,
    });
  }

  /** Checks that Airflow answers and accepts the credentials. */
  async checkAccess(): Promise<void> {
    await this.#call({ operation: 'check access', method: 'GET', path: '/dags?limit=1' });
  }

  #dagOf(body: unknown): AirflowDag {
    const dag = (body ?? {}) as Record<string, unknown>;
    const tags = Array.isArray(dag.tags) ? dag.tags.map((t) => String((t as { name?: unknown }).name)) : [];
    const v1Schedule = dag.schedule_interval as { __type?: unknown; value?: unknown } | null | undefined;
    const schedule =
      this.#options.apiVersion === 1
        ? v1Schedule?.__type === 'CronExpression' && typeof v1Schedule.value === 'string'
          ? v1Schedule.value
          : null
        : typeof dag.timetable_summary === 'string'
          ? dag.timetable_summary
          : null;
    return {
      dagId: String(dag.dag_id),
      paused: dag.is_paused === true,
      active: this.#options.apiVersion === 1 ? dag.is_active !== false : dag.is_stale !== true,
      schedule,
      tags,
      fileloc: typeof dag.fileloc === 'string' ? dag.fileloc : null,
      fileToken: typeof dag.file_token === 'string' ? dag.file_token : null,
    };
  }

  async #call(call: Call): Promise<{ status: number; body: unknown }> {
    let answer = await this.#send(call, await this.#authorization(call));
    if (this.#options.apiVersion === 2 && isRejectedToken(answer)) {
      // Tokens expire (401) and become invalid when the API server restarts with a new secret (403).
      this.#token = null;
      answer = await this.#send(call, await this.#authorization(call));
    }
    const body = jsonOrText(answer.text);
    if (answer.ok || call.accept?.includes(answer.status)) return { status: answer.status, body };
    throw this.#failure(call, answer.status, airflowErrorMessage(body, answer.statusText));
  }

  async #authorization(call: Call): Promise<string> {
    const { username, password } = this.#options;
    if (this.#options.apiVersion === 1) return `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
    this.#token ??= this.#login(call);
    const pending = this.#token;
    try {
      return `Bearer ${await pending}`;
    } catch (error) {
      if (this.#token === pending) this.#token = null;
      throw error;
    }
  }

  async #login(call: Call): Promise<string> {
    const answer = await this.#fetch(call, {
      method: 'POST',
      url: `${this.#options.baseUrl}/auth/token`,
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify({ username: this.#options.username, password: this.#options.password }),
    });
    const body = jsonOrText(answer.text);
    const token = (body as { access_token?: unknown } | null)?.access_token;
    if (answer.status === 201 && typeof token === 'string' && token !== '') return token;
    throw this.#failure(
      { ...call, operation: `log in as ${this.#options.username} (POST /auth/token) to ${call.operation}` },
      answer.status,
      airflowErrorMessage(body, answer.statusText),
    );
  }

  #send(call: Call, authorization: string): Promise<HttpAnswer> {
    const headers: Record<string, string> = { authorization, accept: 'application/json' };
    if (call.body !== undefined) headers['content-type'] = 'application/json';
    return this.#fetch(call, {
      method: call.method,
      url: `${this.apiRoot}${call.path}`,
      headers,
      ...(call.body === undefined ? {} : { body: JSON.stringify(call.body) }),
    });
  }

  async #fetch(call: Call, request: Omit<HttpRequest, 'timeoutMs' | 'retryOnConnectionFailure'>): Promise<HttpAnswer> {
    const timeoutMs = this.#options.requestTimeoutMs;
    try {
      // Every call is idempotent, so one more try after a connection failure is safe.
      return await httpRequest({ ...request, timeoutMs, retryOnConnectionFailure: true });
    } catch (error) {
      if (!(error instanceof HttpUnreachableError)) throw error;
      const reason = error.kind === 'timeout' ? `no answer within ${timeoutMs} ms` : error.reason;
      const { method, url } = request;
      throw new FreshetError(
        'SCHEDULER_ERROR',
        `Airflow at ${this.#options.baseUrl} cannot be reached to ${call.operation} (${method} ${url}): ${reason}`,
        { cause: error.cause, details: { operation: call.operation, url } },
      );
    }
  }

  #failure(call: Call, status: number, message: string): FreshetError {
    return new FreshetError('SCHEDULER_ERROR', `Airflow refused to ${call.operation} (HTTP ${status}): ${message}`, {
      details: { operation: call.operation, status, airflowMessage: message },
    });
  }
}

/** A v2 answer that means "log in again": 401 (missing or expired token) or 403 "Invalid JWT token". */
function isRejectedToken(answer: HttpAnswer): boolean {
  if (answer.status === 401) return true;
  if (answer.status !== 403) return false;
  const detail = airflowErrorMessage(jsonOrText(answer.text), '');
  return /invalid (jwt )?token|signature|expired/i.test(detail);
}

function arrayField(body: unknown, name: string): unknown[] {
  const value = (body as Record<string, unknown> | null)?.[name];
  return Array.isArray(value) ? value : [];
}

function numberField(body: unknown, name: string, fallback: number): number {
  const value = (body as Record<string, unknown> | null)?.[name];
  return typeof value === 'number' ? value : fallback;
}
