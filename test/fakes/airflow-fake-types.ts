/** What the fake's version modules (v1: Airflow 2, v2: Airflow 3) share with the server around them. */
import type { FakeDagProcessor } from './airflow-dag-processor';
import type { SpecOperation } from './airflow-spec';

export interface FakeState {
  readonly processor: FakeDagProcessor;
  readonly dagsFolder: string;
  readonly username: string;
  readonly password: string;
  /** The fake's clock (tests move it to expire tokens). */
  now(): Date;
  /** Airflow 3: `[api_auth] jwt_secret`; tests rotate it to simulate a restart with a new secret. */
  jwtSecret: string;
  readonly tokenTtlSeconds: number;
}

export interface FakeRequest {
  readonly method: string;
  readonly path: string;
  readonly operation: SpecOperation;
  readonly params: Readonly<Record<string, string>>;
  readonly query: Readonly<Record<string, string | string[]>>;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly contentType: string | undefined;
  readonly body: string;
}

export interface FakeResponse {
  readonly status: number;
  readonly body?: unknown;
  /** Defaults to application/json. */
  readonly contentType?: string;
  readonly headers?: Readonly<Record<string, string>>;
}

/** One API version of the fake. */
export interface FakeApi {
  readonly operations: readonly SpecOperation[];
  /** The answer to a request outside the spec: `kind` says what part of it is wrong. */
  reject(kind: 'unknown' | 'media-type' | 'invalid', problems: readonly string[]): FakeResponse;
  /** Null when the request may proceed; otherwise the 401/403 answer. */
  authenticate(state: FakeState, request: FakeRequest): FakeResponse | null;
  handle(state: FakeState, request: FakeRequest): FakeResponse;
}

/** A query parameter's values (repeated parameters are arrays). */
export function queryValues(request: FakeRequest, name: string): string[] {
  const value = request.query[name];
  return value === undefined ? [] : Array.isArray(value) ? value : [value];
}

/** Airflow caps every page at `[api] maximum_page_limit` (100). */
export function page<T>(items: readonly T[], request: FakeRequest, defaultLimit: number): T[] {
  const limit = Math.min(Number(queryValues(request, 'limit')[0] ?? defaultLimit), 100);
  const offset = Number(queryValues(request, 'offset')[0] ?? 0);
  return items.slice(offset, offset + limit);
}

/** The JSON body as an object, or null when it is not a JSON object. */
export function jsonObject(body: string): Record<string, unknown> | null {
  try {
    const value: unknown = JSON.parse(body);
    return value !== null && typeof value === 'object' && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : null;
  } catch {
    return null;
  }
}

export const sortedDags = (state: FakeState) =>
  [...state.processor.dags.values()].sort((a, b) => a.dagId.localeCompare(b.dagId));
