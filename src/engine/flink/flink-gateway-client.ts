/**
 * A client of the Flink SQL Gateway REST API v3 (`rest_v3_sql_gateway.yml`): sessions, statements and their
 * operations, results paged by token. A statement is submitted, its operation polled until it leaves the
 * running states (with session heartbeats while it runs), its results fetched by following `nextResultUri`
 * until EOS, and the operation closed.
 *
 * Result bodies are read as the gateway serialises them, which differs from the generated spec in three names
 * (the spec documents the Java getters): `isQueryResult` (spec: `queryResult`), `results.columns`
 * (spec: `columnInfos`) and rows as `{kind, fields}` (spec: `RowData {arity, rowKind}`).
 */
import { engineError, messageOf } from '../../errors';
import { type StatementContext, gatewayFailure } from './flink-errors';

export interface FlinkGatewayClientOptions {
  /** The REST endpoint, without `/v3`. */
  readonly url: string;
  readonly requestTimeoutMs: number;
  /** Longest pause between two status checks of a running operation. */
  readonly pollIntervalMs: number;
  readonly heartbeatIntervalMs: number;
}

export interface FlinkColumn {
  readonly name: string;
  /** The logical type root (`VARCHAR`, `INTEGER`, …); empty when the gateway did not say. */
  readonly typeRoot: string;
}

/** What one statement produced. */
export interface FlinkResult {
  readonly resultKind: 'SUCCESS' | 'SUCCESS_WITH_CONTENT';
  readonly isQueryResult: boolean;
  /** The job the statement submitted (INSERT, SELECT), as the gateway reports it. */
  readonly jobId: string | null;
  readonly columns: readonly FlinkColumn[];
  readonly rows: readonly (readonly unknown[])[];
  /** More rows existed than the row limit allowed; the rest were not fetched. */
  readonly truncated: boolean;
}

export interface StatementOptions {
  /** Most rows fetched; the operation is closed once they are read. Default: all. */
  readonly rowLimit?: number;
  /** See {@link StatementContext.clientLineOffset}. Default null. */
  readonly clientLineOffset?: number | null;
}

/** Operation states in which a statement is still working (OperationStatus in Flink). */
const WORKING = new Set(['INITIALIZED', 'PENDING', 'RUNNING']);

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

interface Call {
  readonly method: 'GET' | 'POST' | 'DELETE';
  /** Path below the endpoint, starting with `/v3/`, with its query string. */
  readonly path: string;
  readonly body?: unknown;
  /** What the call does, for messages (`open a session`). */
  readonly action: string;
  readonly clientLineOffset?: number | null;
}

function causeText(error: unknown): string {
  if (error instanceof Error && error.name === 'TimeoutError') return 'no answer in time';
  const cause = error instanceof Error ? (error.cause as { code?: unknown; message?: unknown } | undefined) : undefined;
  if (cause && typeof cause.code === 'string')
    return `${cause.code}${typeof cause.message === 'string' ? ` (${cause.message})` : ''}`;
  return messageOf(error);
}

function errorsOf(body: unknown, fallback: string): string[] {
  const errors = (body as { errors?: unknown } | null)?.errors;
  if (Array.isArray(errors) && errors.length > 0) return errors.map(String);
  return [typeof body === 'string' && body !== '' ? body : fallback];
}

const record = (value: unknown): Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};

export class FlinkGatewayClient {
  readonly #options: Readonly<FlinkGatewayClientOptions>;

  constructor(options: FlinkGatewayClientOptions) {
    this.#options = Object.freeze({ ...options });
  }

  get url(): string {
    return this.#options.url;
  }

  get options(): Readonly<FlinkGatewayClientOptions> {
    return this.#options;
  }

  /** `GET /v3/info`: product name and version; fails when the gateway does not serve REST API v3. */
  async info(): Promise<{ productName: string; version: string }> {
    const body = record(
      await this.call({
        method: 'GET',
        path: '/v3/info',
        action: 'describe itself (GET /v3/info; Freshet needs a gateway that serves REST API v3)',
      }),
    );
    return { productName: String(body.productName ?? ''), version: String(body.version ?? '') };
  }

  /** Opens a session with these properties; close it with {@link FlinkSession.close}. */
  async openSession(properties: Readonly<Record<string, string>>, sessionName: string): Promise<FlinkSession> {
    const body = record(
      await this.call({
        method: 'POST',
        path: '/v3/sessions',
        body: { properties, sessionName },
        action: 'open a session',
      }),
    );
    const handle = body.sessionHandle;
    if (typeof handle !== 'string' || handle === '') {
      throw engineError(`The Flink SQL Gateway at ${this.url} opened a session without a handle.`);
    }
    return new FlinkSession(this, handle);
  }

  /** Runs `work` in a new session that is closed afterwards, also when `work` fails. */
  async withSession<T>(
    properties: Readonly<Record<string, string>>,
    sessionName: string,
    work: (session: FlinkSession) => Promise<T>,
  ): Promise<T> {
    const session = await this.openSession(properties, sessionName);
    try {
      return await work(session);
    } finally {
      await session.close();
    }
  }

  /** One REST call; the parsed JSON body of a 2xx answer, a FreshetError otherwise. */
  async call(call: Call): Promise<unknown> {
    const { url, requestTimeoutMs } = this.#options;
    let response: Response;
    try {
      response = await fetch(`${url}${call.path}`, {
        method: call.method,
        headers:
          call.body === undefined
            ? { accept: 'application/json' }
            : { accept: 'application/json', 'content-type': 'application/json' },
        body: call.body === undefined ? undefined : JSON.stringify(call.body),
        signal: AbortSignal.timeout(requestTimeoutMs),
      });
    } catch (error) {
      throw engineError(
        `The Flink SQL Gateway at ${url} is unreachable (${call.method} ${call.path.replace(/\?.*$/, '')}, to ` +
          `${call.action}): ${causeText(error)}`,
        error,
      );
    }
    const text = await response.text().catch(() => '');
    let body: unknown = text;
    try {
      body = text === '' ? null : JSON.parse(text);
    } catch {
      // a proxy's HTML error page, kept as text for the message
    }
    if (response.ok) return body;
    const context: StatementContext = { url, action: call.action, clientLineOffset: call.clientLineOffset ?? null };
    throw gatewayFailure(errorsOf(body, `${response.status} ${response.statusText}`), response.status, context);
  }
}

/** An open session. Statements run one at a time, each as an operation that is closed once read. */
export class FlinkSession {
  readonly #client: FlinkGatewayClient;
  readonly handle: string;
  #lastHeartbeat = Date.now();
  #closed = false;

  constructor(client: FlinkGatewayClient, handle: string) {
    this.#client = client;
    this.handle = handle;
  }

  get #base(): string {
    return `/v3/sessions/${encodeURIComponent(this.handle)}`;
  }

  /** `POST …/configure-session`: runs a session-configuring statement (USE, CREATE VIEW, …) synchronously. */
  async configure(statement: string): Promise<void> {
    await this.#client.call({
      method: 'POST',
      path: `${this.#base}/configure-session`,
      body: { statement },
      action: `configure the session with ${statement}`,
    });
  }

  /** Runs one statement to its end and reads its results. */
  async execute(statement: string, options: StatementOptions = {}): Promise<FlinkResult> {
    const clientLineOffset = options.clientLineOffset ?? null;
    const submitted = record(
      await this.#client.call({
        method: 'POST',
        path: `${this.#base}/statements`,
        body: { statement },
        action: 'accept a statement',
        clientLineOffset,
      }),
    );
    const operation = submitted.operationHandle;
    if (typeof operation !== 'string' || operation === '') {
      throw engineError(
        `The Flink SQL Gateway at ${this.#client.url} accepted a statement without an operation handle.`,
      );
    }
    const operationPath = `${this.#base}/operations/${encodeURIComponent(operation)}`;
    try {
      const status = await this.#awaitOperation(operationPath);
      if (status !== 'FINISHED' && status !== 'ERROR') {
        throw engineError(`The Flink SQL Gateway at ${this.#client.url} ended the statement's operation as ${status}.`);
      }
      // For an operation in ERROR, fetching its result answers with the statement's exception.
      const result = await this.#fetchResults(
        operationPath,
        options.rowLimit ?? Number.POSITIVE_INFINITY,
        clientLineOffset,
      );
      if (status === 'ERROR')
        throw engineError(
          `The Flink SQL Gateway at ${this.#client.url} ended the statement in ERROR without saying why.`,
        );
      return result;
    } finally {
      await this.#client
        .call({ method: 'DELETE', path: `${operationPath}/close`, action: 'close an operation' })
        .catch(() => undefined); // closing the session releases it anyway
    }
  }

  /** `POST …/heartbeat`: keeps the session from reaching the gateway's idle timeout. */
  async heartbeat(): Promise<void> {
    this.#lastHeartbeat = Date.now();
    await this.#client.call({ method: 'POST', path: `${this.#base}/heartbeat`, action: 'keep a session alive' });
  }

  /** `DELETE /v3/sessions/{handle}`; failures are ignored (the gateway drops idle sessions by itself). */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#client.call({ method: 'DELETE', path: this.#base, action: 'close a session' }).catch(() => undefined);
  }

  /** Polls the operation's status, quickly at first, then every `pollIntervalMs`; the first state it leaves the running states in. */
  async #awaitOperation(operationPath: string): Promise<string> {
    const { pollIntervalMs, heartbeatIntervalMs } = this.#client.options;
    for (let pause = 5; ; pause = Math.min(pause * 2, pollIntervalMs)) {
      const body = record(
        await this.#client.call({
          method: 'GET',
          path: `${operationPath}/status`,
          action: 'report the status of a statement',
        }),
      );
      const status = String(body.status ?? '').toUpperCase();
      if (!WORKING.has(status)) return status;
      if (Date.now() - this.#lastHeartbeat >= heartbeatIntervalMs) await this.heartbeat();
      await sleep(pause);
    }
  }

  async #fetchResults(operationPath: string, rowLimit: number, clientLineOffset: number | null): Promise<FlinkResult> {
    const rows: unknown[][] = [];
    let columns: FlinkColumn[] = [];
    let resultKind: FlinkResult['resultKind'] = 'SUCCESS';
    let isQueryResult = false;
    let jobId: string | null = null;
    let truncated = false;
    let next: string | null = `${operationPath}/result/0?rowFormat=JSON`;
    for (let pause = 5; next !== null; ) {
      const page = record(
        await this.#client.call({
          method: 'GET',
          path: next,
          action: 'return the results of a statement',
          clientLineOffset,
        }),
      );
      const resultType = String(page.resultType ?? '');
      const uri = page.nextResultUri;
      next = typeof uri === 'string' && uri.startsWith('/') ? uri : null;
      if (resultType === 'NOT_READY') {
        await sleep(pause);
        pause = Math.min(pause * 2, this.#client.options.pollIntervalMs);
        continue;
      }
      if (typeof page.jobID === 'string' && page.jobID !== '') jobId = page.jobID;
      if (page.resultKind === 'SUCCESS_WITH_CONTENT') resultKind = 'SUCCESS_WITH_CONTENT';
      isQueryResult = page.isQueryResult === true || page.queryResult === true;
      const results = record(page.results);
      const pageColumns = results.columns ?? results.columnInfos;
      if (Array.isArray(pageColumns) && pageColumns.length > 0) columns = pageColumns.map(columnOf);
      applyChanges(rows, Array.isArray(results.data) ? results.data : []);
      if (resultType === 'EOS') break;
      if (rows.length > rowLimit) {
        truncated = true;
        break;
      }
    }
    if (rows.length > rowLimit) {
      truncated = true;
      rows.length = rowLimit;
    }
    return { resultKind, isQueryResult, jobId, columns, rows, truncated };
  }
}

function columnOf(value: unknown): FlinkColumn {
  const column = record(value);
  const type = record(column.logicalType);
  return { name: String(column.name ?? ''), typeRoot: String(type.type ?? type.typeRoot ?? '') };
}

/**
 * Adds a page of rows. Streaming queries answer with a changelog: an UPDATE_BEFORE or DELETE row retracts
 * an identical earlier row, so what is kept is the query's current result.
 */
function applyChanges(rows: unknown[][], data: readonly unknown[]): void {
  for (const item of data) {
    const row = record(item);
    const fields = Array.isArray(row.fields) ? (row.fields as unknown[]) : [];
    const kind = String(row.kind ?? row.rowKind ?? 'INSERT');
    if (kind === 'UPDATE_BEFORE' || kind === 'DELETE') {
      const key = JSON.stringify(fields);
      for (let index = rows.length - 1; index >= 0; index -= 1) {
        if (JSON.stringify(rows[index]) === key) {
          rows.splice(index, 1);
          break;
        }
      }
    } else {
      rows.push(fields);
    }
  }
}
