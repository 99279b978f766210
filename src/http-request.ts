/**
 * One HTTP exchange over fetch, read to the end as text: what the scheduler plugins and the `freshet sql` client
 * share. Every answer is returned, whatever its status, so that each caller words a refusal its own way; only the
 * absence of an answer is thrown, as an {@link HttpUnreachableError} that says why.
 */
import { messageOf } from './errors';

export interface HttpRequest {
  readonly method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  readonly url: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string;
  /** Gives up on an attempt after this long (waiting for the answer and reading it); no limit when omitted. */
  readonly timeoutMs?: number;
  /** Cancels the request. */
  readonly signal?: AbortSignal;
  /**
   * Tries once more when the connection fails (not after a timeout or a cancel). Only for idempotent calls: it
   * gets past a kept-alive connection the server had just closed, which fetch reports without trying a new one.
   */
  readonly retryOnConnectionFailure?: boolean;
}

/** An HTTP answer, of any status, with its body read as text. */
export interface HttpAnswer {
  readonly status: number;
  readonly statusText: string;
  /** Status 200 to 299. */
  readonly ok: boolean;
  readonly text: string;
}

/**
 * Why no answer came: `timeout` (none within `timeoutMs`), `cancelled` (the caller's signal) or `connection`
 * (refused, unknown host, reset…).
 */
export type HttpFailureKind = 'timeout' | 'cancelled' | 'connection';

/** The request got no answer; `cause` is the error fetch threw. */
export class HttpUnreachableError extends Error {
  constructor(
    readonly kind: HttpFailureKind,
    /** The system error code of a connection failure (`ECONNREFUSED`, `ENOTFOUND`…), when there is one. */
    readonly code: string | undefined,
    /** fetch's message and, for a connection failure, the message of its cause. */
    readonly reason: string,
    cause: unknown,
  ) {
    super(reason, { cause });
    this.name = 'HttpUnreachableError';
  }
}

/** Sends `request` and reads the whole answer; throws {@link HttpUnreachableError} when there is none. */
export async function httpRequest(request: HttpRequest): Promise<HttpAnswer> {
  try {
    return await attempt(request);
  } catch (error) {
    const failure = unreachable(error, request);
    if (failure.kind !== 'connection' || request.retryOnConnectionFailure !== true) throw failure;
  }
  try {
    return await attempt(request);
  } catch (error) {
    throw unreachable(error, request);
  }
}

/** A body as JSON; null when it is empty and the text itself when it is not JSON. */
export function jsonOrText(text: string): unknown {
  if (text === '') return null;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

async function attempt(request: HttpRequest): Promise<HttpAnswer> {
  const timeout = request.timeoutMs === undefined ? undefined : AbortSignal.timeout(request.timeoutMs);
  const present = [request.signal, timeout].filter((signal): signal is AbortSignal => signal !== undefined);
  const response = await fetch(request.url, {
    method: request.method,
    ...(request.headers === undefined ? {} : { headers: { ...request.headers } }),
    ...(request.body === undefined ? {} : { body: request.body }),
    ...(present.length === 0 ? {} : { signal: present.length === 1 ? present[0] : AbortSignal.any(present) }),
  });
  const text = await response.text();
  return { status: response.status, statusText: response.statusText, ok: response.ok, text };
}

function unreachable(error: unknown, request: HttpRequest): HttpUnreachableError {
  const name = (error as { name?: unknown } | null)?.name;
  if (request.signal?.aborted === true) {
    return new HttpUnreachableError('cancelled', undefined, messageOf(error), error);
  }
  if (name === 'TimeoutError' || name === 'AbortError') {
    return new HttpUnreachableError('timeout', undefined, messageOf(error), error);
  }
  // fetch says only "fetch failed"; what happened (ECONNREFUSED, ENOTFOUND…) is in its cause.
  const cause = (error as { cause?: unknown } | null)?.cause;
  const code = (cause as { code?: unknown } | null | undefined)?.code;
  const reason = cause === undefined ? messageOf(error) : `${messageOf(error)}: ${messageOf(cause)}`;
  return new HttpUnreachableError('connection', typeof code === 'string' ? code : undefined, reason, error);
}
