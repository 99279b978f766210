import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { httpRequest, HttpUnreachableError } from '../http-request';

/** The default gateway address: where `npm start` listens unless configured otherwise. */
export const DEFAULT_GATEWAY_URL = 'http://127.0.0.1:8083';

const rowsResultSchema = z.object({
  kind: z.literal('rows'),
  columns: z.array(z.string()),
  rows: z.array(z.array(z.unknown())),
  truncated: z.boolean().optional(),
  message: z.string().optional(),
});

const okResultSchema = z.object({
  kind: z.literal('ok'),
  message: z.string(),
  table: z.string().optional(),
  jobId: z.string().optional(),
});

const statementResultSchema = z.discriminatedUnion('kind', [rowsResultSchema, okResultSchema]);
const successBodySchema = z.object({ results: z.array(statementResultSchema) });

const errorBodySchema = z.object({
  error: z.object({
    code: z.string(),
    message: z.string(),
    line: z.number().optional(),
    column: z.number().optional(),
    details: z.unknown().optional(),
  }),
});

const partialDetailsSchema = z.object({
  statementIndex: z.number(),
  results: z.array(statementResultSchema),
});

/** A statement that returned rows (a query, SHOW, DESCRIBE). */
export type RowsResultJson = z.infer<typeof rowsResultSchema>;
/** A statement that returned an acknowledgement (DDL, DML, ALTER … REFRESH). */
export type OkResultJson = z.infer<typeof okResultSchema>;
/** One statement's result in a `POST /v3/statements` response (DESIGN.md §6). */
export type StatementResultJson = z.infer<typeof statementResultSchema>;
/** The `error` object of an error response (DESIGN.md §6). */
export type GatewayErrorJson = z.infer<typeof errorBodySchema>['error'];

/** What became of one `POST /v3/statements` request. */
export type StatementsOutcome =
  | { readonly kind: 'results'; readonly results: readonly StatementResultJson[] }
  | {
      readonly kind: 'error';
      readonly error: GatewayErrorJson;
      /** Results of the statements that completed before the failing one, in order. */
      readonly completed: readonly StatementResultJson[];
      /** 0-based index of the failing statement in the text sent, when the gateway says which one it was. */
      readonly statementIndex?: number;
    }
  /** No HTTP answer at all: refused, unknown host, reset, timed out. */
  | { readonly kind: 'unreachable'; readonly url: string; readonly reason: string };

export interface GatewayClientOptions {
  /** Base URL of the gateway, e.g. `http://127.0.0.1:8083`; a trailing slash is ignored. */
  readonly url: string;
  /** Bearer token; omitted when the gateway runs without auth. */
  readonly token?: string;
}

/** A thin REST client for the statements endpoint; it never throws for anything the gateway answers. */
export class GatewayClient {
  readonly url: string;
  readonly #headers: Readonly<Record<string, string>>;

  constructor(options: GatewayClientOptions) {
    this.url = options.url.replace(/\/+$/, '');
    this.#headers = {
      accept: 'application/json, text/plain, */*',
      'content-type': 'application/json',
      ...(options.token === undefined ? {} : { authorization: `Bearer ${options.token}` }),
    };
  }

  /**
   * Sends `text` (one or more `;`-separated statements) as one request, so that line and column numbers in
   * an error refer to `text` itself.
   */
  async execute(text: string, signal?: AbortSignal): Promise<StatementsOutcome> {
    let status: number;
    let body: string;
    // Named by the client, so that a cancel can name it while the answer is still to come.
    const statementId = randomUUID();
    const request = new AbortController();
    let giveUp: NodeJS.Timeout | undefined;
    const onCancel = () => {
      void this.#cancel(statementId).finally(() => {
        // The gateway answers a cancelled statement with CANCELLED; wait a little for that answer.
        giveUp = setTimeout(() => request.abort(), CANCEL_ANSWER_WAIT_MS);
      });
    };
    signal?.addEventListener('abort', onCancel, { once: true });
    try {
      // Every HTTP answer is a result to show the user, and a body that is not JSON must be reported as such.
      // No timeout: statements (a CREATE with its initial refresh) may legitimately run for a long time.
      const answer = await httpRequest({
        method: 'POST',
        url: `${this.url}/v3/statements`,
        headers: this.#headers,
        body: JSON.stringify({ statement: text, statementId }),
        signal: request.signal,
      });
      status = answer.status;
      body = answer.text;
    } catch (error) {
      return { kind: 'unreachable', url: this.url, reason: reasonOf(error) };
    } finally {
      signal?.removeEventListener('abort', onCancel);
      clearTimeout(giveUp);
    }
    return interpret(status, body, this.url);
  }

  /** `DELETE /v3/statements/{id}`: the gateway stops the statement on the engine. Failures are not reported. */
  async #cancel(statementId: string): Promise<void> {
    await httpRequest({
      method: 'DELETE',
      url: `${this.url}/v3/statements/${encodeURIComponent(statementId)}`,
      headers: this.#headers,
      timeoutMs: CANCEL_ANSWER_WAIT_MS,
    }).catch(() => undefined);
  }
}

/** How long a cancel waits for the gateway, then for its answer to the cancelled statement. */
const CANCEL_ANSWER_WAIT_MS = 3000;

function interpret(status: number, body: string, url: string): StatementsOutcome {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    return unexpected(status, body, url);
  }

  if (status >= 200 && status < 300) {
    const success = successBodySchema.safeParse(json);
    return success.success ? { kind: 'results', results: success.data.results } : unexpected(status, body, url);
  }
  const failure = errorBodySchema.safeParse(json);
  if (!failure.success) return unexpected(status, body, url);
  const partial = partialDetailsSchema.safeParse(failure.data.error.details);
  if (!partial.success) return { kind: 'error', error: failure.data.error, completed: [] };
  const { statementIndex, results } = partial.data;
  return { kind: 'error', error: failure.data.error, completed: results, statementIndex };
}

function unexpected(status: number, body: string, url: string): StatementsOutcome {
  const snippet = body.trim().replace(/\s+/g, ' ').slice(0, 200);
  return {
    kind: 'error',
    error: {
      code: 'UNEXPECTED_RESPONSE',
      message:
        `${url} answered HTTP ${status} with a body that is not a Freshet response` +
        `${snippet === '' ? '' : `: ${snippet}`}. Check that --url points at a Freshet gateway.`,
    },
    completed: [],
  };
}

function reasonOf(error: unknown): string {
  if (!(error instanceof HttpUnreachableError)) return error instanceof Error ? error.message : String(error);
  if (error.kind === 'cancelled') return 'cancelled';
  return error.code ?? error.reason;
}
