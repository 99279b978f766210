/**
 * A faithful fake of DolphinScheduler's v1 REST API (3.1, 3.2 or 3.3 line) for tests: an express app on
 * 127.0.0.1 that routes by the endpoint lists derived from DolphinScheduler's controllers, enforces the `token`
 * header (401 with an empty body), reads form-encoded parameters, answers in the `{code, msg, data, success,
 * failed}` envelope with DolphinScheduler's codes, statuses and messages, and keeps the workflow / schedule state
 * machine. It also fires schedules: `fire()` runs a workflow's HTTP task as a worker would.
 *
 * Test controls: stop/start (an outage), breakOn (drop one request, or drop it and stop), expireToken, reset,
 * the recorded requests and the state.
 */
import express, { type Request, type Response } from 'express';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { nextFireTime } from '../../src/freshness/cron';
import { BindingFailure, type Route, type RouteContext } from './ds-fake-params';
import { SCHEDULE_ROUTES } from './ds-fake-schedule-routes';
import {
  DsRefusal,
  FakeStore,
  STATUS,
  thrown,
  type FakeSchedule,
  type FakeWorkflow,
  type TaskAttempt,
  type TaskInstance,
} from './ds-fake-store';
import { WORKFLOW_ROUTES } from './ds-fake-workflow-routes';
import { runHttpTask } from './ds-http-task';
import {
  loadSpec,
  matchEndpoint,
  requestProblems,
  successStatusOf,
  type DsVersion,
  type SpecEndpoint,
} from './ds-spec';

export interface DolphinSchedulerFakeOptions {
  readonly version?: DsVersion;
  /** The zone `$[…]` placeholders render in (the DolphinScheduler servers' TZ). */
  readonly serverTimeZone?: string;
  readonly token?: string;
  /** Tenants that exist besides `default`. */
  readonly tenants?: readonly string[];
  /** Fire online schedules on a real timer too. */
  readonly autoFire?: boolean;
}

export interface RecordedRequest {
  readonly method: string;
  /** The path below the context path `/dolphinscheduler`. */
  readonly path: string;
  readonly contentType: string | null;
  readonly query: Readonly<Record<string, string>>;
  /** Form body parameters; null when the body was not form-encoded (or empty). */
  readonly form: Readonly<Record<string, string>> | null;
  readonly endpoint: SpecEndpoint | null;
  status: number;
  response: unknown;
}

const CONTEXT_PATH = '/dolphinscheduler';
const ROUTES: Readonly<Record<string, Route>> = { ...WORKFLOW_ROUTES, ...SCHEDULE_ROUTES };

/** drop: the connection is cut; outage: cut, and the fake stops listening; hang: never answered. */
type BreakMode = 'drop' | 'outage' | 'hang';

export class DolphinSchedulerFake {
  readonly version: DsVersion;
  readonly serverTimeZone: string;
  readonly token: string;
  readonly store = new FakeStore();
  readonly requests: RecordedRequest[] = [];
  readonly #spec: readonly SpecEndpoint[];
  readonly #tenants: ReadonlySet<string>;
  readonly #app = express();
  #server: Server | null = null;
  #port = 0;
  #tokenExpired = false;
  #breaks: Array<{ match: (method: string, path: string) => boolean; mode: BreakMode }> = [];
  #timer: NodeJS.Timeout | undefined;
  readonly #lastAutoFire = new Map<number, number>();

  private constructor(options: DolphinSchedulerFakeOptions) {
    this.version = options.version ?? '3.2';
    this.serverTimeZone = options.serverTimeZone ?? 'Asia/Shanghai';
    this.token = options.token ?? 'fake-dolphinscheduler-token-0123456789';
    this.#tenants = new Set(options.tenants ?? []);
    this.#spec = loadSpec(this.version);
    this.#app.disable('x-powered-by');
    this.#app.use(express.raw({ type: () => true, limit: '16mb' }));
    this.#app.use((req, res) => this.#handle(req, res));
    if (options.autoFire) {
      this.#timer = setInterval(() => void this.#autoFire(), 200);
      this.#timer.unref();
    }
  }

  static async start(options: DolphinSchedulerFakeOptions = {}): Promise<DolphinSchedulerFake> {
    const fake = new DolphinSchedulerFake(options);
    await fake.start();
    return fake;
  }

  /** `http://127.0.0.1:<port>/dolphinscheduler`, the plugin's `baseUrl`. */
  get baseUrl(): string {
    return `http://127.0.0.1:${this.#port}${CONTEXT_PATH}`;
  }

  /** Listens (again, on the same port after a stop). */
  async start(): Promise<void> {
    if (this.#server !== null) return;
    await new Promise<void>((resolve, reject) => {
      const server = this.#app.listen(this.#port, '127.0.0.1', (error?: Error) => (error ? reject(error) : resolve()));
      server.on('error', reject);
      this.#server = server;
    });
    this.#port = (this.#server!.address() as AddressInfo).port;
  }

  /** Closes the listener and every open connection: the next request is refused. */
  async stop(): Promise<void> {
    const server = this.#server;
    if (server === null) return;
    this.#server = null;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeAllConnections();
    await closed;
  }

  async close(): Promise<void> {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    await this.stop();
  }

  /** From now on the token is refused as an expired one is (401, empty body). */
  expireToken(expired = true): void {
    this.#tokenExpired = expired;
  }

  /** The next request matching `match` is broken (see {@link BreakMode}). */
  breakOn(match: (method: string, path: string) => boolean, mode: BreakMode = 'drop'): void {
    this.#breaks.push({ match, mode });
  }

  reset(): void {
    this.store.clear();
    this.requests.length = 0;
    this.#breaks = [];
    this.#tokenExpired = false;
  }

  workflows(): FakeWorkflow[] {
    return [...this.store.workflows.values()];
  }

  scheduleOf(workflowCode: number | string): FakeSchedule | undefined {
    return this.store.schedulesOf(Number(workflowCode))[0];
  }

  taskInstancesOf(workflowCode: number | string): TaskInstance[] {
    return this.store.taskInstances.filter((t) => t.workflowCode === Number(workflowCode));
  }

  /**
   * Fires the workflow's schedule for `at` as Quartz would: runs its HTTP task (retrying `failRetryTimes` more
   * times) and records the task instance. Refuses when DolphinScheduler would not fire: workflow or schedule offline.
   */
  async fire(workflowCode: number | string, at: Date = new Date()): Promise<TaskInstance> {
    const workflow = this.store.workflows.get(Number(workflowCode));
    if (workflow === undefined) throw new Error(`The fake holds no workflow ${String(workflowCode)}.`);
    const schedule = this.scheduleOf(workflow.code);
    if (workflow.releaseState !== 'ONLINE' || schedule?.releaseState !== 'ONLINE') {
      throw new Error(
        `Workflow ${workflow.name} would not fire: workflow ${workflow.releaseState}, schedule ${schedule?.releaseState ?? 'missing'}.`,
      );
    }
    return this.#run(workflow, at);
  }

  async #run(workflow: FakeWorkflow, at: Date): Promise<TaskInstance> {
    const task = workflow.tasks[0];
    if (task === undefined) throw new Error(`Workflow ${workflow.name} has no task.`);
    const attempts: TaskAttempt[] = [];
    const tries = 1 + Math.max(0, Number(task.definition.failRetryTimes ?? 0));
    for (let i = 0; i < tries; i += 1) {
      const attempt =
        task.taskType === 'HTTP'
          ? await runHttpTask(task.taskParams, {
              version: this.version,
              scheduleTime: at,
              serverTimeZone: this.serverTimeZone,
            })
          : {
              method: '',
              url: '',
              headers: {},
              body: null,
              status: null,
              responseBody: null,
              error: `the fake runs HTTP tasks only, not ${task.taskType}`,
              success: false,
            };
      attempts.push(attempt);
      if (attempt.success) break;
    }
    const instance: TaskInstance = {
      id: this.store.nextId(),
      workflowCode: workflow.code,
      taskCode: task.code,
      taskName: task.name,
      scheduleTime: at,
      state: attempts.at(-1)?.success ? 'SUCCESS' : 'FAILURE',
      attempts,
    };
    this.store.taskInstances.push(instance);
    return instance;
  }

  async #autoFire(): Promise<void> {
    const now = Date.now();
    for (const schedule of this.store.schedules.values()) {
      const workflow = this.store.workflows.get(schedule.workflowCode);
      if (schedule.releaseState !== 'ONLINE' || workflow?.releaseState !== 'ONLINE') {
        this.#lastAutoFire.delete(schedule.id);
        continue;
      }
      const since = this.#lastAutoFire.get(schedule.id) ?? now;
      this.#lastAutoFire.set(schedule.id, since);
      let due: Date;
      try {
        due = nextFireTime(schedule.crontab, new Date(since), schedule.timezoneId || 'UTC');
      } catch {
        continue;
      }
      if (due.getTime() > now) continue;
      this.#lastAutoFire.set(schedule.id, due.getTime());
      void this.#run(workflow, due);
    }
  }

  #handle(req: Request, res: Response): void {
    const url = new URL(req.originalUrl, 'http://fake');
    const pending = this.#breaks.findIndex((b) => b.match(req.method, url.pathname.slice(CONTEXT_PATH.length)));
    if (pending >= 0) {
      const [broken] = this.#breaks.splice(pending, 1);
      if (broken?.mode === 'hang') return;
      req.socket.destroy();
      if (broken?.mode === 'outage') void this.stop();
      return;
    }
    if (!url.pathname.startsWith(`${CONTEXT_PATH}/`)) {
      res
        .status(404)
        .json({ timestamp: new Date().toISOString(), status: 404, error: 'Not Found', path: url.pathname });
      return;
    }
    const path = url.pathname.slice(CONTEXT_PATH.length);
    const contentType = req.get('content-type') ?? null;
    const body = Buffer.isBuffer(req.body) ? req.body.toString('utf8') : '';
    const form =
      contentType?.startsWith('application/x-www-form-urlencoded') && body !== ''
        ? Object.fromEntries(new URLSearchParams(body))
        : null;
    const query = Object.fromEntries(url.searchParams);
    const match = matchEndpoint(this.#spec, req.method, path);
    const recorded: RecordedRequest = {
      method: req.method,
      path,
      contentType,
      query,
      form,
      endpoint: match?.endpoint ?? null,
      status: 0,
      response: null,
    };
    this.requests.push(recorded);
    const send = (status: number, response: unknown) => {
      recorded.status = status;
      recorded.response = response;
      if (response === null) res.status(status).end();
      else res.status(status).json(response);
    };
    // The token interceptor answers a missing, unknown or expired token with a bare 401.
    if (req.get('token') !== this.token || this.#tokenExpired) {
      send(401, null);
      return;
    }
    if (match === null) {
      send(404, {
        timestamp: new Date().toISOString(),
        status: 404,
        error: 'Not Found',
        path: `${CONTEXT_PATH}${path}`,
      });
      return;
    }
    const key = match.endpoint.javaMethod.replace(/WorkflowDefinition/g, 'ProcessDefinition');
    const route = ROUTES[key];
    if (route === undefined) {
      send(
        501,
        envelope(
          STATUS.INTERNAL_SERVER_ERROR_ARGS[0],
          `Internal Server Error: the fake does not implement ${key}`,
          null,
        ),
      );
      return;
    }
    const params = new Map([...Object.entries(query), ...Object.entries(form ?? {})]);
    const ctx: RouteContext = {
      version: this.version,
      store: this.store,
      pathParams: match.pathParams,
      params,
      now: new Date(),
      tenants: this.#tenants,
    };
    const success = successStatusOf(match.endpoint);
    try {
      const missing = requestProblems(match, params).filter((p) => p.startsWith('missing'));
      if (missing.length > 0) throw new BindingFailure(missing.join('; '));
      send(success, envelope(0, 'success', route.handle(ctx) ?? null));
    } catch (error) {
      if (error instanceof DsRefusal) {
        send(error.httpStatus ?? success, envelope(error.code, error.message, null));
        return;
      }
      const refusal =
        error instanceof BindingFailure
          ? thrown(this.version, route.error)
          : thrown(this.version, 'INTERNAL_SERVER_ERROR_ARGS', (error as Error).message);
      send(200, envelope(refusal.code, refusal.message, null));
    }
  }
}

function envelope(code: number, msg: string, data: unknown): Record<string, unknown> {
  return { code, msg, data, success: code === 0, failed: code !== 0 };
}
