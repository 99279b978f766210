/**
 * The Flink SQL Gateway REST API v3 as published in Flink's `rest_v3_sql_gateway.yml` (version
 * v3/2.4-SNAPSHOT; test/fakes/specs/README.md names the file and commit), transcribed by hand (no YAML parser
 * is installed), with the spec lines each entry comes from. Paths are served under `/v3` (the spec's paths are
 * relative to it). The fake refuses, and records as a violation, every request outside it: an unknown path or
 * method, a path parameter of the wrong format, a missing or unknown query parameter, a body that is not JSON,
 * has unknown fields (Flink reads bodies with a strict mapper) or fields of the wrong type.
 */

export type FieldType = 'string' | 'int64' | 'boolean' | 'stringMap';

export interface FlinkSpecOperation {
  readonly operationId: string;
  readonly method: 'GET' | 'POST' | 'DELETE';
  /** Path template under `/v3`, with `{name}` segments. */
  readonly path: string;
  readonly query: Readonly<Record<string, { readonly required: boolean; readonly values: readonly string[] }>>;
  /** The request body schema's fields; absent for an EmptyRequestBody. */
  readonly body?: { readonly schema: string; readonly fields: Readonly<Record<string, FieldType>> };
  /** Whether the fake answers this operation (the others are part of the spec but not modelled). */
  readonly modelled: boolean;
  readonly source: string;
}

export interface SpecViolation {
  readonly method: string;
  readonly path: string;
  readonly problem: string;
}

const SESSION = '/v3/sessions/{session_handle}';
const OPERATION = `${SESSION}/operations/{operation_handle}`;

export const FLINK_V3_OPERATIONS: readonly FlinkSpecOperation[] = [
  { operationId: 'getApiVersion', method: 'GET', path: '/v3/api_versions', query: {}, modelled: true, source: '11-22' },
  { operationId: 'getInfo', method: 'GET', path: '/v3/info', query: {}, modelled: true, source: '23-33' },
  {
    operationId: 'openSession',
    method: 'POST',
    path: '/v3/sessions',
    query: {},
    body: { schema: 'OpenSessionRequestBody', fields: { properties: 'stringMap', sessionName: 'string' } },
    modelled: true,
    source: '34-51, OpenSessionRequestBody 509-517',
  },
  { operationId: 'getSessionConfig', method: 'GET', path: SESSION, query: {}, modelled: true, source: '52-69' },
  { operationId: 'closeSession', method: 'DELETE', path: SESSION, query: {}, modelled: true, source: '70-86' },
  {
    operationId: 'completeStatement',
    method: 'GET',
    path: `${SESSION}/complete-statement`,
    query: {},
    body: { schema: 'CompleteStatementRequestBody', fields: { position: 'int64', statement: 'string' } },
    modelled: false,
    source: '87-109',
  },
  {
    operationId: 'configureSession',
    method: 'POST',
    path: `${SESSION}/configure-session`,
    query: {},
    body: { schema: 'ConfigureSessionRequestBody', fields: { executionTimeout: 'int64', statement: 'string' } },
    modelled: true,
    source: '110-130, ConfigureSessionRequestBody 352-360',
  },
  {
    operationId: 'triggerSession',
    method: 'POST',
    path: `${SESSION}/heartbeat`,
    query: {},
    modelled: true,
    source: '131-145',
  },
  {
    operationId: 'refreshMaterializedTable',
    method: 'POST',
    path: `${SESSION}/materialized-tables/{identifier}/refresh`,
    query: {},
    body: {
      schema: 'RefreshMaterializedTableRequestBody',
      fields: {
        dynamicOptions: 'stringMap',
        executionConfig: 'stringMap',
        isPeriodic: 'boolean',
        periodic: 'boolean',
        scheduleTime: 'string',
        staticPartitions: 'stringMap',
      },
    },
    modelled: false,
    source: '146-174',
  },
  {
    operationId: 'cancelOperation',
    method: 'POST',
    path: `${OPERATION}/cancel`,
    query: {},
    modelled: true,
    source: '175-198',
  },
  {
    operationId: 'closeOperation',
    method: 'DELETE',
    path: `${OPERATION}/close`,
    query: {},
    modelled: true,
    source: '199-222',
  },
  {
    operationId: 'fetchResults',
    method: 'GET',
    path: `${OPERATION}/result/{token}`,
    query: { rowFormat: { required: true, values: ['JSON', 'PLAIN_TEXT'] } },
    modelled: true,
    source: '223-260, RowFormat 654-658',
  },
  {
    operationId: 'getOperationStatus',
    method: 'GET',
    path: `${OPERATION}/status`,
    query: {},
    modelled: true,
    source: '261-284',
  },
  {
    operationId: 'executeStatement',
    method: 'POST',
    path: `${SESSION}/statements`,
    query: {},
    body: {
      schema: 'ExecuteStatementRequestBody',
      fields: { executionConfig: 'stringMap', executionTimeout: 'int64', statement: 'string' },
    },
    modelled: true,
    source: '285-307, ExecuteStatementRequestBody 375-386',
  },
];

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Formats of the path parameters (SessionHandle/OperationHandle: uuid; token: int64). */
const PARAMETER_FORMATS: Readonly<Record<string, (value: string) => boolean>> = {
  session_handle: (value) => UUID.test(value),
  operation_handle: (value) => UUID.test(value),
  token: (value) => /^\d+$/.test(value),
  identifier: (value) => value !== '',
};

export type OperationMatch =
  | { readonly operation: FlinkSpecOperation; readonly params: Readonly<Record<string, string>> }
  | { readonly operation: null; readonly status: 404 | 405; readonly problem: string };

function matchTemplate(template: string, path: string): Record<string, string> | null {
  const want = template.split('/');
  const got = path.split('/');
  if (want.length !== got.length) return null;
  const params: Record<string, string> = {};
  for (let index = 0; index < want.length; index += 1) {
    const segment = want[index] ?? '';
    const actual = got[index] ?? '';
    if (segment.startsWith('{')) params[segment.slice(1, -1)] = decodeURIComponent(actual);
    else if (segment !== actual) return null;
  }
  return params;
}

/** The spec operation a request is for, with its path parameters. */
export function matchOperation(method: string, path: string): OperationMatch {
  const candidates = FLINK_V3_OPERATIONS.map((operation) => ({
    operation,
    params: matchTemplate(operation.path, path),
  })).filter(
    (candidate): candidate is { operation: FlinkSpecOperation; params: Record<string, string> } =>
      candidate.params !== null,
  );
  if (candidates.length === 0)
    return { operation: null, status: 404, problem: `no operation in the spec has the path ${path}` };
  const found = candidates.find((candidate) => candidate.operation.method === method);
  if (!found)
    return {
      operation: null,
      status: 405,
      problem: `${path} takes ${candidates.map((c) => c.operation.method).join(', ')}, not ${method}`,
    };
  return found;
}

function fieldProblem(name: string, type: FieldType, value: unknown): string | null {
  const ok =
    type === 'string'
      ? typeof value === 'string'
      : type === 'boolean'
        ? typeof value === 'boolean'
        : type === 'int64'
          ? Number.isInteger(value)
          : typeof value === 'object' &&
            value !== null &&
            !Array.isArray(value) &&
            Object.values(value).every((item) => typeof item === 'string');
  return ok
    ? null
    : `field ${name} must be ${type === 'stringMap' ? 'an object of string values' : `a ${type}`}, got ${JSON.stringify(value)}`;
}

/** What is wrong with a request for `operation`; empty when it follows the spec. */
export function requestProblems(
  operation: FlinkSpecOperation,
  params: Readonly<Record<string, string>>,
  query: Readonly<Record<string, unknown>>,
  rawBody: string,
  contentType: string | undefined,
): string[] {
  const problems: string[] = [];
  for (const [name, value] of Object.entries(params)) {
    if (!(PARAMETER_FORMATS[name]?.(value) ?? true))
      problems.push(`path parameter ${name} has the wrong format: ${value}`);
  }
  for (const [name, rule] of Object.entries(operation.query)) {
    const value = query[name];
    if (value === undefined) {
      if (rule.required) problems.push(`query parameter ${name} is required`);
    } else if (typeof value !== 'string' || !rule.values.includes(value)) {
      problems.push(`query parameter ${name} must be one of ${rule.values.join(', ')}, got ${JSON.stringify(value)}`);
    }
  }
  for (const name of Object.keys(query)) {
    if (!(name in operation.query)) problems.push(`unknown query parameter ${name}`);
  }
  if (rawBody.trim() === '') return problems;
  if (!/^application\/json\b/i.test(contentType ?? ''))
    problems.push(`a request body must be sent as application/json, not ${contentType ?? 'without a content type'}`);
  let body: unknown;
  try {
    body = JSON.parse(rawBody);
  } catch {
    return [...problems, 'the request body is not JSON'];
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    return [...problems, 'the request body must be a JSON object'];
  const fields = operation.body?.fields ?? {};
  for (const [name, value] of Object.entries(body)) {
    const type = fields[name];
    if (type === undefined)
      problems.push(`unknown field ${name} in ${operation.body?.schema ?? 'an empty request body'}`);
    else if (value !== null) {
      const problem = fieldProblem(name, type, value);
      if (problem !== null) problems.push(problem);
    }
  }
  return problems;
}
