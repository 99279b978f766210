/**
 * A faithful fake of the Flink SQL Gateway's REST API v3 for tests: an express app on 127.0.0.1 serving the
 * spec's operations (flink-spec.ts) with Flink's session and operation life cycle:
 *
 * - a session lives until it is closed or idle longer than `sessionIdleTimeoutMs`; every call on an unknown
 *   session fails as Flink's does (`Session '<id>' does not exist.`, HTTP 500, in the handler's error shape);
 * - a statement becomes an operation that is RUNNING, then FINISHED, ERROR or CANCELED, then CLOSED (and
 *   forgotten) when closed; closing twice is fine (Flink's OperationManager ignores it);
 * - results are NOT_READY while the operation runs, the statement's exception once it failed, and pages by
 *   token once it finished: token N (the next) or N−1 (a repeat), anything else fails, EOS ends the pages;
 * - INSERT submits a job; with `table.dml-sync = true` the operation waits for the job.
 *
 * Requests outside the spec are answered 400/404/405 and kept in `violations`; misuse of the life cycle that
 * Flink answers with an error (statements on a closed session, tokens out of order, …) is kept in `misuses`.
 * Controls: tables and rows, jobs, sessions, recorded requests, failNextStatement / failNextJob, stop/start.
 */
import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express, { type Request, type Response } from 'express';
import {
  type FakeColumn,
  FakeCatalogs,
  type FakeTable,
  type SessionScope,
  type FakeView,
  logicalTypeJson,
  normalizeType,
  resolveId,
} from './flink-fake-catalog';
import {
  type ErrorBody,
  JavaThrowable,
  internalServerError,
  java,
  restHandlerError,
  wrapping,
} from './flink-fake-errors';
import { type FakeJob, FakeJobs } from './flink-fake-jobs';
import { type FakeResult, executeStatement, isConfiguringStatement } from './flink-fake-sql';
import { type SpecViolation, matchOperation, requestProblems } from './flink-spec';

export interface FlinkGatewayFakeOptions {
  /** How long a batch job runs before it writes its rows and finishes. Default 20 ms. */
  readonly jobDurationMs?: number;
  /** How long a new operation stays RUNNING before its statement runs. Default 5 ms. */
  readonly statementDelayMs?: number;
  /** Rows per result page. Default 100. */
  readonly pageSize?: number;
  /** `sql-gateway.session.idle-timeout`. Default 10 minutes. */
  readonly sessionIdleTimeoutMs?: number;
  readonly flinkVersion?: string;
}

export interface RecordedRequest {
  readonly method: string;
  readonly path: string;
  readonly query: Readonly<Record<string, unknown>>;
  readonly body: unknown;
  readonly operationId: string | null;
  status: number;
}

/** Every session the fake opened, kept after it ends. */
export interface SessionRecord {
  readonly handle: string;
  readonly name: string;
  readonly properties: Readonly<Record<string, string>>;
  /** Statements run in it, configure-session statements included, in order. */
  readonly statements: string[];
  heartbeats: number;
  end: 'open' | 'closed' | 'expired';
}

type OperationStatus = 'RUNNING' | 'FINISHED' | 'ERROR' | 'CANCELED' | 'CLOSED';

/** Flink's OperationStatus#isValidStatusTransition, for the states the fake uses. */
const TRANSITIONS: Readonly<Record<OperationStatus, readonly OperationStatus[]>> = {
  RUNNING: ['FINISHED', 'ERROR', 'CANCELED', 'CLOSED'],
  FINISHED: ['CLOSED'],
  ERROR: ['CLOSED'],
  CANCELED: ['CLOSED'],
  CLOSED: [],
};

interface FakeOperation {
  readonly handle: string;
  readonly statement: string;
  status: OperationStatus;
  result: FakeResult | null;
  error: JavaThrowable | null;
  job: FakeJob | null;
  /** The token of the next page (ResultFetcher's currentToken). */
  nextToken: number;
}

interface FakeSession {
  readonly record: SessionRecord;
  readonly scope: SessionScope;
  readonly operations: Map<string, FakeOperation>;
  lastAccess: number;
}

interface Reply {
  readonly status: number;
  readonly body: unknown;
}

/** An error answer; `misuse` when it answers a client breaking the life cycle rather than a failing statement. */
class Failure extends Error {
  constructor(
    readonly reply: Reply,
    readonly misuse: boolean,
  ) {
    super('gateway failure');
  }
}

const ok = (body: unknown): Reply => ({ status: 200, body });
const fail500 = (body: ErrorBody, misuse = true) => new Failure({ status: 500, body }, misuse);

export class FlinkGatewayFake {
  readonly requests: RecordedRequest[] = [];
  readonly violations: SpecViolation[] = [];
  readonly misuses: string[] = [];
  readonly sessions: SessionRecord[] = [];
  readonly catalogs = new FakeCatalogs();
  readonly #jobs: FakeJobs;
  readonly #live = new Map<string, FakeSession>();
  readonly #timers = new Set<NodeJS.Timeout>();
  readonly #app: express.Express;
  readonly #options: { -readonly [K in keyof FlinkGatewayFakeOptions]-?: FlinkGatewayFakeOptions[K] };
  #failNextStatement: string | null = null;
  #server: Server | null = null;
  #port = 0;

  private constructor(options: FlinkGatewayFakeOptions) {
    this.#options = {
      jobDurationMs: options.jobDurationMs ?? 20,
      statementDelayMs: options.statementDelayMs ?? 5,
      pageSize: options.pageSize ?? 100,
      sessionIdleTimeoutMs: options.sessionIdleTimeoutMs ?? 600_000,
      flinkVersion: options.flinkVersion ?? '1.20.1',
    };
    this.#jobs = new FakeJobs(this.#options.jobDurationMs);
    this.#app = express();
    this.#app.use(express.text({ type: () => true, limit: '10mb' }));
    this.#app.use((req, res) => this.#serve(req, res));
  }

  static async start(options: FlinkGatewayFakeOptions = {}): Promise<FlinkGatewayFake> {
    const fake = new FlinkGatewayFake(options);
    await fake.start();
    return fake;
  }

  get url(): string {
    return `http://127.0.0.1:${this.#port}`;
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

  /** Closes the listener and drops open connections: the gateway is unreachable until start(). */
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
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
    this.#jobs.dispose();
  }

  // ---- controls ------------------------------------------------------------------------------------------

  /** Sessions neither closed nor expired. */
  get openSessions(): number {
    return this.#live.size;
  }

  get jobs(): readonly FakeJob[] {
    return this.#jobs.list();
  }

  /** Every statement run, in order. */
  get statements(): string[] {
    return this.sessions.flatMap((session) => session.statements);
  }

  set jobDurationMs(ms: number) {
    this.#jobs.durationMs = ms;
  }

  set pageSize(rows: number) {
    this.#options.pageSize = rows;
  }

  /** The next statement fails as Flink's validator would, with this message. */
  failNextStatement(message: string): void {
    this.#failNextStatement = message;
  }

  /** The next job fails at runtime with this root cause. */
  failNextJob(message: string): void {
    this.#jobs.failNext(message);
  }

  addDatabase(catalog: string, database: string): void {
    this.catalogs.addDatabase(catalog, database);
  }

  /** Creates a table (`name`, `db.name` or `cat.db.name`) with rows. */
  createTable(
    name: string,
    columns: readonly { readonly name: string; readonly type: string; readonly nullable?: boolean }[],
    options: {
      rows?: readonly (readonly unknown[])[];
      partitionKeys?: readonly string[];
      primaryKey?: readonly string[];
    } = {},
  ): void {
    const table: FakeTable = {
      kind: 'table',
      id: this.#id(name),
      columns: columns.map((column) => ({
        name: column.name,
        type: normalizeType(column.type),
        nullable: column.nullable ?? true,
      })),
      primaryKey: options.primaryKey ? [...options.primaryKey] : null,
      partitionKeys: [...(options.partitionKeys ?? [])],
      options: {},
      rows: (options.rows ?? []).map((row) => [...row]),
    };
    this.catalogs.put(table);
  }

  table(name: string): FakeTable | FakeView | undefined {
    return this.catalogs.get(this.#id(name));
  }

  /** A table's rows as objects by column name. */
  rowsOf(name: string): Record<string, unknown>[] {
    const table = this.table(name);
    if (table?.kind !== 'table') throw new Error(`the fake has no table ${name}`);
    return table.rows.map((row) => Object.fromEntries(table.columns.map((column, index) => [column.name, row[index]])));
  }

  #id(name: string) {
    return resolveId(name.split('.'), {
      currentCatalog: 'default_catalog',
      currentDatabase: 'default_database',
      temporaryViews: new Map(),
    });
  }

  // ---- HTTP ------------------------------------------------------------------------------------------------

  #serve(req: Request, res: Response): void {
    const rawBody = typeof req.body === 'string' ? req.body : '';
    let body: unknown = null;
    try {
      body = rawBody.trim() === '' ? null : JSON.parse(rawBody);
    } catch {
      body = rawBody;
    }
    const query = req.query as Record<string, unknown>;
    const match = matchOperation(req.method, req.path);
    const recorded: RecordedRequest = {
      method: req.method,
      path: req.path,
      query,
      body,
      operationId: match.operation?.operationId ?? null,
      status: 0,
    };
    this.requests.push(recorded);
    const reply = this.#reply(req, match, rawBody, body);
    recorded.status = reply.status;
    res.status(reply.status).json(reply.body);
  }

  #reply(req: Request, match: ReturnType<typeof matchOperation>, rawBody: string, body: unknown): Reply {
    const violation = (problem: string) => this.violations.push({ method: req.method, path: req.path, problem });
    if (match.operation === null) {
      violation(match.problem);
      return {
        status: match.status,
        body: { errors: [match.status === 404 ? `Not found: ${req.path}` : 'Method not allowed.'] },
      };
    }
    const problems = requestProblems(
      match.operation,
      match.params,
      req.query as Record<string, unknown>,
      rawBody,
      req.get('content-type'),
    );
    if (problems.length > 0) {
      problems.forEach(violation);
      return { status: 400, body: { errors: [`Request did not match expected format: ${problems.join('; ')}`] } };
    }
    if (!match.operation.modelled) {
      violation(`${match.operation.operationId} is in the spec but not modelled by the fake`);
      return {
        status: 500,
        body: internalServerError(java.unsupported(`${match.operation.operationId} is not modelled by the fake.`)),
      };
    }
    this.#expireIdleSessions();
    const fields = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
    const { session_handle: sessionHandle = '', operation_handle: operationHandle = '', token = '0' } = match.params;
    try {
      switch (match.operation.operationId) {
        case 'getApiVersion':
          return ok({ versions: ['V1', 'V2', 'V3'] });
        case 'getInfo':
          return ok({ productName: 'Apache Flink', version: this.#options.flinkVersion });
        case 'openSession':
          return this.#openSession(fields);
        case 'getSessionConfig':
          return ok({ properties: { ...this.#session(sessionHandle, 'getSessionConfig', 'rest').record.properties } });
        case 'closeSession':
          return this.#closeSession(sessionHandle);
        case 'configureSession':
          return this.#configureSession(sessionHandle, fields);
        case 'triggerSession':
          this.#session(sessionHandle, 'getSession', 'internal').record.heartbeats += 1;
          return ok({});
        case 'executeStatement':
          return this.#executeStatement(sessionHandle, fields);
        case 'getOperationStatus':
          return ok({ status: this.#operation(sessionHandle, operationHandle, 'getOperationInfo').status });
        case 'cancelOperation':
          return this.#cancelOperation(sessionHandle, operationHandle);
        case 'closeOperation':
          return this.#closeOperation(sessionHandle, operationHandle);
        case 'fetchResults':
          return this.#fetchResults(sessionHandle, operationHandle, Number(token), String(req.query.rowFormat));
        default:
          return {
            status: 500,
            body: internalServerError(java.unsupported(`${match.operation.operationId} is not modelled by the fake.`)),
          };
      }
    } catch (error) {
      if (error instanceof Failure) {
        if (error.misuse)
          this.misuses.push(`${req.method} ${req.path}: ${JSON.stringify(error.reply.body).slice(0, 300)}`);
        return error.reply;
      }
      throw error;
    }
  }

  #expireIdleSessions(): void {
    const now = Date.now();
    for (const [handle, session] of this.#live) {
      if (now - session.lastAccess > this.#options.sessionIdleTimeoutMs) {
        session.record.end = 'expired';
        this.#live.delete(handle);
      }
    }
  }

  /** The session, touched; a missing one fails the way the calling handler reports service errors. */
  #session(handle: string, serviceMethod: string, shape: 'rest' | 'internal'): FakeSession {
    const session = this.#live.get(handle);
    if (session !== undefined) {
      session.lastAccess = Date.now();
      return session;
    }
    const failure = java.sqlGateway(
      `Failed to ${serviceMethod}.`,
      java.sqlGateway(`Session '${handle}' does not exist.`),
    );
    throw fail500(shape === 'rest' ? restHandlerError(failure) : internalServerError(failure));
  }

  #operation(sessionHandle: string, operationHandle: string, serviceMethod: string): FakeOperation {
    const session = this.#session(sessionHandle, serviceMethod, 'rest');
    const operation = session.operations.get(operationHandle);
    if (operation !== undefined) return operation;
    const missing = java.sqlGateway(
      `Can not find the submitted operation in the OperationManager with the ${operationHandle}.`,
    );
    throw fail500(restHandlerError(java.sqlGateway(`Failed to ${serviceMethod}.`, missing)));
  }

  #transition(operation: FakeOperation, to: OperationStatus): void {
    if (!TRANSITIONS[operation.status].includes(to)) {
      throw fail500(
        restHandlerError(
          java.sqlGateway(
            `Failed to convert the Operation Status from ${operation.status} to ${to} for ${operation.handle}.`,
          ),
        ),
      );
    }
    operation.status = to;
  }

  #openSession(fields: Record<string, unknown>): Reply {
    const handle = randomUUID();
    const properties = { ...((fields.properties ?? {}) as Record<string, string>) };
    const record: SessionRecord = {
      handle,
      name: String(fields.sessionName ?? ''),
      properties,
      statements: [],
      heartbeats: 0,
      end: 'open',
    };
    this.sessions.push(record);
    this.#live.set(handle, {
      record,
      scope: { currentCatalog: 'default_catalog', currentDatabase: 'default_database', temporaryViews: new Map() },
      operations: new Map(),
      lastAccess: Date.now(),
    });
    return ok({ sessionHandle: handle });
  }

  #closeSession(handle: string): Reply {
    const session = this.#session(handle, 'closeSession', 'rest');
    for (const operation of session.operations.values()) operation.status = 'CLOSED';
    session.record.end = 'closed';
    this.#live.delete(handle);
    return ok({ status: 'CLOSED' });
  }

  #context(session: FakeSession, operation: string, executionConfig: Readonly<Record<string, string>>) {
    return {
      catalogs: this.catalogs,
      jobs: this.#jobs,
      scope: session.scope,
      properties: { ...session.record.properties, ...executionConfig },
      operation,
    };
  }

  #configureSession(handle: string, fields: Record<string, unknown>): Reply {
    const session = this.#session(handle, 'configure session', 'internal');
    const statement = String(fields.statement ?? '');
    session.record.statements.push(statement);
    try {
      if (!isConfiguringStatement(statement)) {
        throw java.unsupported(
          `Unsupported statement for configuring session:${statement}\nThe configureSession API only supports to execute statement of type ` +
            'CREATE TABLE, DROP TABLE, ALTER TABLE, CREATE DATABASE, DROP DATABASE, ALTER DATABASE, CREATE FUNCTION, DROP FUNCTION, ' +
            'ALTER FUNCTION, CREATE CATALOG, DROP CATALOG, USE CATALOG, USE [CATALOG.]DATABASE, CREATE VIEW, DROP VIEW, LOAD MODULE, ' +
            'UNLOAD MODULE, USE MODULE, ADD JAR.',
        );
      }
      executeStatement(statement, this.#context(session, 'configure-session', {}));
    } catch (error) {
      const cause = error instanceof JavaThrowable ? error : java.runtime(String(error));
      throw fail500(internalServerError(java.sqlGateway('Failed to configure session.', cause)), false);
    }
    return ok({});
  }

  #executeStatement(handle: string, fields: Record<string, unknown>): Reply {
    const session = this.#session(handle, 'execute statement', 'internal');
    if (typeof fields.statement !== 'string') {
      this.violations.push({
        method: 'POST',
        path: `/v3/sessions/${handle}/statements`,
        problem: 'statement is required (Flink fails with a NullPointerException without it)',
      });
      throw fail500(
        internalServerError(
          java.sqlGateway('Failed to execute statement.', java.runtime('java.lang.NullPointerException')),
        ),
      );
    }
    const operation: FakeOperation = {
      handle: randomUUID(),
      statement: fields.statement,
      status: 'RUNNING',
      result: null,
      error: null,
      job: null,
      nextToken: 0,
    };
    session.operations.set(operation.handle, operation);
    session.record.statements.push(operation.statement);
    const failure = this.#failNextStatement;
    this.#failNextStatement = null;
    const config = (fields.executionConfig ?? {}) as Record<string, string>;
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      if (operation.status !== 'RUNNING') return;
      if (failure !== null) {
        this.#fail(operation, java.validation(failure));
        return;
      }
      this.#run(session, operation, config);
    }, this.#options.statementDelayMs);
    this.#timers.add(timer);
    return ok({ operationHandle: operation.handle });
  }

  #run(session: FakeSession, operation: FakeOperation, executionConfig: Readonly<Record<string, string>>): void {
    const context = this.#context(session, operation.handle, executionConfig);
    try {
      const outcome = executeStatement(operation.statement, context);
      if (outcome.kind === 'result') {
        this.#finish(operation, outcome.result);
        return;
      }
      const job = outcome.job;
      operation.job = job;
      const submitted: FakeResult = {
        columns: [{ name: 'job id', type: 'STRING', nullable: true }],
        rows: [[job.id]],
        resultKind: 'SUCCESS_WITH_CONTENT',
        isQueryResult: false,
        jobId: job.id,
      };
      if ((context.properties['table.dml-sync'] ?? 'false').toLowerCase() !== 'true') {
        this.#finish(operation, submitted);
        return;
      }
      void job.ended.then((ended) => {
        if (operation.status !== 'RUNNING') return;
        if (ended.status === 'FINISHED') this.#finish(operation, submitted);
        else {
          const cause = ended.failure ?? java.jobCancellation('Job was cancelled.');
          this.#fail(
            operation,
            java.table('Fail to wait execution finish.', java.jobExecution('Job execution failed.', cause)),
          );
        }
      });
    } catch (error) {
      this.#fail(operation, error instanceof JavaThrowable ? error : java.runtime(String(error)));
    }
  }

  #finish(operation: FakeOperation, result: FakeResult): void {
    operation.result = result;
    this.#transition(operation, 'FINISHED');
  }

  #fail(operation: FakeOperation, cause: JavaThrowable): void {
    operation.error = java.sqlExecution(`Failed to execute the operation ${operation.handle}.`, cause);
    this.#transition(operation, 'ERROR');
  }

  #cancelOperation(sessionHandle: string, operationHandle: string): Reply {
    const operation = this.#operation(sessionHandle, operationHandle, 'cancelOperation');
    this.#transition(operation, 'CANCELED');
    // Interrupting a statement that waits for its job (table.dml-sync) cancels the job (TableEnvironmentImpl).
    if (operation.job !== null) this.#jobs.stop(operation.job.id);
    return ok({ status: 'CANCELED' });
  }

  #closeOperation(sessionHandle: string, operationHandle: string): Reply {
    const session = this.#session(sessionHandle, 'closeOperation', 'rest');
    const operation = session.operations.get(operationHandle);
    if (operation !== undefined) {
      this.#transition(operation, 'CLOSED');
      session.operations.delete(operationHandle);
    }
    return ok({ status: 'CLOSED' });
  }

  #fetchResults(sessionHandle: string, operationHandle: string, token: number, rowFormat: string): Reply {
    const failed = (cause: JavaThrowable, misuse = true) =>
      fail500(internalServerError(wrapping(java.sqlGateway('Failed to fetchResults.', cause))), misuse);
    const session = this.#live.get(sessionHandle);
    if (session === undefined) throw failed(java.sqlGateway(`Session '${sessionHandle}' does not exist.`));
    session.lastAccess = Date.now();
    const operation = session.operations.get(operationHandle);
    if (operation === undefined)
      throw failed(
        java.sqlGateway(`Can not find the submitted operation in the OperationManager with the ${operationHandle}.`),
      );
    const uri = (next: number) =>
      `/v3/sessions/${sessionHandle}/operations/${operationHandle}/result/${next}?rowFormat=${rowFormat}`;
    if (operation.status === 'RUNNING') return ok({ resultType: 'NOT_READY', nextResultUri: uri(token) });
    if (operation.status === 'ERROR' && operation.error !== null) throw failed(operation.error, false);
    if (operation.status !== 'FINISHED' || operation.result === null) {
      throw failed(java.sqlGateway(`Can not fetch results from the ${operationHandle} in ${operation.status} status.`));
    }
    if (token === operation.nextToken) {
      operation.nextToken += 1;
    } else if (token !== operation.nextToken - 1) {
      const expected =
        operation.nextToken === 0
          ? 'Expecting token to be 0'
          : `Expecting token to be ${operation.nextToken} or ${operation.nextToken - 1}`;
      throw failed(java.illegalArgument(`${expected}, but found ${token}.`));
    }
    const result = operation.result;
    const pageSize = this.#options.pageSize;
    const pages = Math.max(1, Math.ceil(result.rows.length / pageSize));
    const eos = token >= pages;
    const rows = eos ? [] : result.rows.slice(token * pageSize, (token + 1) * pageSize);
    const field = (value: unknown) => (rowFormat === 'PLAIN_TEXT' && value !== null ? String(value) : value);
    return ok({
      resultType: eos ? 'EOS' : 'PAYLOAD',
      isQueryResult: result.isQueryResult,
      ...(result.jobId === null ? {} : { jobID: result.jobId }),
      resultKind: result.resultKind,
      results: {
        columns: result.columns.map((column: FakeColumn) => ({
          name: column.name,
          logicalType: logicalTypeJson(column),
          comment: null,
        })),
        rowFormat,
        data: rows.map((row) => ({ kind: 'INSERT', fields: row.map(field) })),
      },
      ...(eos ? {} : { nextResultUri: uri(token + 1) }),
    });
  }
}
