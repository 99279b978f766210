/**
 * A faithful fake of Airflow 2 (`/api/v1`) or Airflow 3 (`/api/v2`) for tests: an express app on 127.0.0.1 that
 * serves the part of the published specs Freshet uses (see airflow-spec.ts), with a DAG processor that loads
 * the real DAG files from a folder (airflow-dag-processor.ts). Requests outside the spec are refused and kept
 * in `violations`; every request is kept in `requests`.
 *
 * Controls: stop()/start() close and reopen the listener (an outage), rotateJwtSecret() (an Airflow 3 API server
 * restarted with a new secret), advanceClock() (token expiry), processor.hold() / setParseDelay() (a slow or
 * stopped DAG processor), setRunningTasks() (DELETE answers 409).
 */
import { randomBytes } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express, { type Request, type Response } from 'express';
import { FakeDagProcessor, type FakeDag } from './airflow-dag-processor';
import { airflowV1 } from './airflow-fake-v1';
import { airflowV2 } from './airflow-fake-v2';
import type { FakeApi, FakeRequest, FakeResponse, FakeState } from './airflow-fake-types';
import { findOperation, requestProblems, type SpecViolation } from './airflow-spec';

export interface AirflowFakeOptions {
  /** The Airflow major version: 2 serves /api/v1, 3 serves /api/v2 and /auth/token. */
  readonly airflow: 2 | 3;
  readonly dagsFolder: string;
  readonly parseDelayMs?: number;
  readonly scanIntervalMs?: number;
  readonly username?: string;
  readonly password?: string;
  /** Airflow 3 `[api_auth] jwt_expiration_time`. */
  readonly tokenTtlSeconds?: number;
  /** `[core] dags_are_paused_at_creation` (true by default, as in Airflow). */
  readonly pausedAtCreation?: boolean;
  /** An Airflow 2 whose HTTP provider predates HttpOperator (only SimpleHttpOperator). */
  readonly legacyHttpProvider?: boolean;
  /** An Airflow without apache-airflow-providers-http: Freshet's DAG files fail to import. */
  readonly withoutHttpProvider?: boolean;
}

export interface RecordedRequest {
  readonly method: string;
  readonly path: string;
  readonly query: Readonly<Record<string, string | string[]>>;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly body: string;
  status: number;
}

export class AirflowFake {
  readonly requests: RecordedRequest[] = [];
  readonly violations: SpecViolation[] = [];
  readonly processor: FakeDagProcessor;
  readonly #api: FakeApi;
  readonly #state: FakeState;
  readonly #app: express.Express;
  #server: Server | null = null;
  #port = 0;
  #clockOffsetMs = 0;

  private constructor(readonly options: AirflowFakeOptions) {
    const now = () => new Date(Date.now() + this.#clockOffsetMs);
    this.processor = new FakeDagProcessor({
      folder: options.dagsFolder,
      airflow: options.airflow === 3 ? '3' : options.legacyHttpProvider ? '2-legacy-http' : '2',
      parseDelayMs: options.parseDelayMs ?? 150,
      scanIntervalMs: options.scanIntervalMs ?? 25,
      pausedAtCreation: options.pausedAtCreation ?? true,
      withoutHttpProvider: options.withoutHttpProvider ?? false,
      now,
    });
    this.#api = options.airflow === 3 ? airflowV2 : airflowV1;
    this.#state = {
      processor: this.processor,
      dagsFolder: options.dagsFolder,
      username: options.username ?? 'admin',
      password: options.password ?? 'admin',
      now,
      jwtSecret: randomBytes(16).toString('hex'),
      tokenTtlSeconds: options.tokenTtlSeconds ?? 86_400,
    };
    this.#app = express();
    this.#app.use(express.text({ type: () => true }));
    this.#app.use((req, res) => this.#serve(req, res));
  }

  static async start(options: AirflowFakeOptions): Promise<AirflowFake> {
    const fake = new AirflowFake(options);
    fake.processor.start();
    await fake.start();
    return fake;
  }

  get url(): string {
    return `http://127.0.0.1:${this.#port}`;
  }

  get username(): string {
    return this.#state.username;
  }

  get password(): string {
    return this.#state.password;
  }

  dag(dagId: string): FakeDag | undefined {
    return this.processor.dags.get(dagId);
  }

  /** Opens the listener, on the port it had before when there was one. */
  async start(): Promise<void> {
    if (this.#server) return;
    this.#server = await new Promise<Server>((resolve, reject) => {
      const server = this.#app.listen(this.#port, '127.0.0.1', () => resolve(server));
      server.once('error', reject);
    });
    this.#port = (this.#server.address() as AddressInfo).port;
  }

  /** Closes the listener and drops open connections: Airflow is unreachable until start(). */
  async stop(): Promise<void> {
    const server = this.#server;
    this.#server = null;
    if (!server) return;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }

  async close(): Promise<void> {
    await this.stop();
    await this.processor.stop();
  }

  /** Tokens signed before this answer 403 "Invalid JWT token", as after an API-server restart with a new secret. */
  rotateJwtSecret(): void {
    this.#state.jwtSecret = randomBytes(16).toString('hex');
  }

  advanceClock(seconds: number): void {
    this.#clockOffsetMs += seconds * 1000;
  }

  setRunningTasks(dagId: string, running: boolean): void {
    const dag = this.dag(dagId);
    if (!dag) throw new Error(`the fake has no DAG ${dagId}`);
    dag.runningTasks = running;
  }

  #serve(req: Request, res: Response): void {
    const body = typeof req.body === 'string' ? req.body : '';
    const query = { ...(req.query as Record<string, string | string[]>) };
    const recorded: RecordedRequest = {
      method: req.method,
      path: req.path,
      query,
      headers: req.headers,
      body,
      status: 0,
    };
    this.requests.push(recorded);
    const answer = this.#answer(req, body, query);
    recorded.status = answer.status;
    res.status(answer.status);
    for (const [name, value] of Object.entries(answer.headers ?? {})) res.setHeader(name, value);
    if (answer.body === undefined) res.end();
    else res.type(answer.contentType ?? 'application/json').send(JSON.stringify(answer.body));
  }

  #answer(req: Request, body: string, query: Record<string, string | string[]>): FakeResponse {
    const found = findOperation(this.#api.operations, req.method, req.path);
    const violate = (problems: string[]) =>
      this.violations.push(...problems.map((problem) => ({ method: req.method, path: req.path, problem })));
    if (found === null) {
      violate([`${req.method} ${req.path} is not in the spec`]);
      return this.#api.reject('unknown', []);
    }
    const contentType = req.headers['content-type'];
    const request: FakeRequest = {
      method: req.method,
      path: req.path,
      operation: found.operation,
      params: found.params,
      query,
      headers: req.headers,
      contentType,
      body,
    };
    const problems = requestProblems(found.operation, query, contentType, body);
    if (problems.length > 0) {
      violate(problems);
      return this.#api.reject(
        problems.some((p) => p.startsWith('the body must be')) ? 'media-type' : 'invalid',
        problems,
      );
    }
    if (found.operation.authenticated) {
      const refused = this.#api.authenticate(this.#state, request);
      if (refused) return refused;
    }
    return this.#api.handle(this.#state, request);
  }
}
