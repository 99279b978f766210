/**
 * Airflow 3.2's public API (`/api/v2`, spec v2.yaml with the errata of test/fakes/specs/README.md) and
 * SimpleAuthManager's `POST /auth/token` for the fake: JWT bearer auth, FastAPI `{detail}` errors, pydantic
 * 422s, DAGResponse.
 */
import type { FakeDag } from './airflow-dag-processor';
import { signJwt, verifyJwt } from './airflow-jwt';
import { AIRFLOW_V2_OPERATIONS } from './airflow-spec';
import {
  jsonObject,
  page,
  queryValues,
  sortedDags,
  type FakeApi,
  type FakeRequest,
  type FakeResponse,
  type FakeState,
} from './airflow-fake-types';

const detail = (status: number, text: string | Record<string, unknown>): FakeResponse => ({
  status,
  body: { detail: text },
});

const unprocessable = (
  issues: Array<{ type: string; loc: Array<string | number>; msg: string; input?: unknown }>,
): FakeResponse => ({
  status: 422,
  body: { detail: issues },
});

/** SQL LIKE (`%`, `_`) as Airflow 3's `*_pattern` parameters use it; `|` separates alternatives. */
function like(pattern: string, value: string): boolean {
  return pattern.split('|').some((alternative) => {
    const source = alternative
      .trim()
      .split('')
      .map((c) => (c === '%' ? '.*' : c === '_' ? '.' : c.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
      .join('');
    return new RegExp(`^${source}$`, 'i').test(value);
  });
}

function dagJson(state: FakeState, dag: FakeDag): Record<string, unknown> {
  const parsed = dag.lastParsedTime.toISOString();
  return {
    allowed_run_types: null,
    bundle_name: 'dags-folder',
    bundle_version: null,
    dag_display_name: dag.dagId,
    dag_id: dag.dagId,
    description: dag.description,
    file_token: state.processor.fileToken(dag.fileName),
    fileloc: `${state.dagsFolder}/${dag.fileName}`,
    has_import_errors: state.processor.importErrors.has(dag.fileName),
    has_task_concurrency_limits: false,
    is_paused: dag.paused,
    is_stale: !dag.active,
    last_expired: null,
    last_parse_duration: 0.05,
    last_parsed_time: parsed,
    max_active_runs: dag.maxActiveRuns,
    max_active_tasks: 16,
    max_consecutive_failed_dag_runs: 0,
    next_dagrun_data_interval_end: null,
    next_dagrun_data_interval_start: null,
    next_dagrun_logical_date: null,
    next_dagrun_run_after: null,
    owners: ['airflow'],
    relative_fileloc: dag.fileName,
    tags: dag.tags.map((name) => ({ name, dag_id: dag.dagId, dag_display_name: dag.dagId })),
    timetable_description: dag.schedule === null ? 'Never, external triggers only' : `Cron: ${dag.schedule}`,
    timetable_partitioned: false,
    timetable_summary: dag.schedule,
  };
}

const dagNotFound = (dagId: string) => detail(404, `Dag with id ${dagId} was not found`);

/** POST /auth/token: JSON or form `{username, password}` (LoginBody, additionalProperties false) → 201. */
function createToken(state: FakeState, request: FakeRequest): FakeResponse {
  const json = (request.contentType ?? '').toLowerCase().startsWith('application/json');
  const fields = json ? jsonObject(request.body) : Object.fromEntries(new URLSearchParams(request.body));
  if (fields === null)
    return unprocessable([
      {
        type: 'model_attributes_type',
        loc: ['body'],
        msg: 'Input should be a valid dictionary or object to extract fields from',
      },
    ]);
  const issues = [
    ...['username', 'password']
      .filter((k) => typeof fields[k] !== 'string')
      .map((k) => ({ type: 'missing', loc: ['body', k], msg: 'Field required' })),
    ...Object.keys(fields)
      .filter((k) => k !== 'username' && k !== 'password')
      .map((k) => ({ type: 'extra_forbidden', loc: ['body', k], msg: 'Extra inputs are not permitted' })),
  ];
  if (issues.length > 0) return unprocessable(issues);
  if (fields.username !== state.username || fields.password !== state.password)
    return detail(401, 'Invalid credentials');
  const now = Math.floor(state.now().getTime() / 1000);
  const claims = {
    sub: state.username,
    role: 'ADMIN',
    iat: now,
    nbf: now,
    exp: now + state.tokenTtlSeconds,
    aud: 'apache-airflow',
  };
  return { status: 201, body: { access_token: signJwt(claims, state.jwtSecret) } };
}

function patchDag(state: FakeState, request: FakeRequest, dagId: string): FakeResponse {
  const body = jsonObject(request.body);
  if (body === null)
    return unprocessable([
      {
        type: 'model_attributes_type',
        loc: ['body'],
        msg: 'Input should be a valid dictionary or object to extract fields from',
      },
    ]);
  const issues = [
    ...(typeof body.is_paused === 'boolean'
      ? []
      : [
          {
            type: body.is_paused === undefined ? 'missing' : 'bool_type',
            loc: ['body', 'is_paused'],
            msg: body.is_paused === undefined ? 'Field required' : 'Input should be a valid boolean',
            input: body.is_paused,
          },
        ]),
    ...Object.keys(body)
      .filter((k) => k !== 'is_paused')
      .map((k) => ({
        type: 'extra_forbidden',
        loc: ['body', k],
        msg: 'Extra inputs are not permitted',
        input: body[k],
      })),
  ];
  if (issues.length > 0) return unprocessable(issues);
  const mask = queryValues(request, 'update_mask');
  if (mask.length > 0 && (mask.length !== 1 || mask[0] !== 'is_paused'))
    return detail(400, 'Only `is_paused` field can be updated through the REST API');
  const dag = state.processor.dags.get(dagId);
  if (!dag) return dagNotFound(dagId);
  dag.paused = body.is_paused as boolean;
  return { status: 200, body: dagJson(state, dag) };
}

function handle(state: FakeState, request: FakeRequest): FakeResponse {
  const { processor } = state;
  const dagId = request.params.dag_id ?? '';
  const dag = processor.dags.get(dagId);
  switch (`${request.method} ${request.operation.path}`) {
    case 'POST /auth/token':
      return createToken(state, request);
    case 'GET /api/v2/monitor/health':
      return {
        status: 200,
        body: {
          metadatabase: { status: 'healthy' },
          scheduler: { status: 'healthy' },
          triggerer: { status: null },
          dag_processor: { status: 'healthy' },
        },
      };
    case 'GET /api/v2/dags': {
      const tags = queryValues(request, 'tags');
      const all = queryValues(request, 'tags_match_mode')[0] === 'all';
      const excludeStale = queryValues(request, 'exclude_stale')[0] !== 'false';
      const paused = queryValues(request, 'paused')[0];
      const pattern = queryValues(request, 'dag_id_pattern')[0];
      const dags = sortedDags(state).filter(
        (d) =>
          (!excludeStale || d.active) &&
          (tags.length === 0 || (all ? tags.every((t) => d.tags.includes(t)) : d.tags.some((t) => tags.includes(t)))) &&
          (paused === undefined || String(d.paused) === paused) &&
          (pattern === undefined || like(pattern, d.dagId)),
      );
      return {
        status: 200,
        body: { dags: page(dags, request, 50).map((d) => dagJson(state, d)), total_entries: dags.length },
      };
    }
    case 'GET /api/v2/dags/{dag_id}':
      return dag ? { status: 200, body: dagJson(state, dag) } : dagNotFound(dagId);
    case 'PATCH /api/v2/dags/{dag_id}':
      return patchDag(state, request, dagId);
    case 'DELETE /api/v2/dags/{dag_id}':
      if (!dag) return detail(404, `Dag with id: ${dagId} was not found`);
      if (dag.runningTasks) return detail(409, `Task instances of dag with id: '${dagId}' are still running`);
      processor.deleteDag(dagId);
      return { status: 204 };
    case 'GET /api/v2/importErrors': {
      const pattern = queryValues(request, 'filename_pattern')[0];
      const errors = [...processor.importErrors.values()]
        .filter((e) => pattern === undefined || like(pattern, e.fileName))
        .sort((a, b) => a.id - b.id);
      const items = page(errors, request, 50).map((e) => ({
        bundle_name: 'dags-folder',
        filename: e.fileName,
        import_error_id: e.id,
        stack_trace: e.stackTrace,
        timestamp: e.timestamp.toISOString(),
      }));
      return { status: 200, body: { import_errors: items, total_entries: errors.length } };
    }
    case 'PUT /api/v2/parseDagFile/{file_token}': {
      const file = processor.fileOfToken(request.params.file_token ?? '');
      if (file === null) return detail(404, 'File not found');
      processor.requestParse(file);
      return { status: 201, body: null };
    }
  }
  throw new Error(`no v2 handler for ${request.method} ${request.operation.path}`);
}

export const airflowV2: FakeApi = {
  operations: AIRFLOW_V2_OPERATIONS,
  reject(kind, problems) {
    if (kind === 'unknown') return detail(404, 'Not Found');
    if (kind === 'media-type') return detail(415, `Unsupported Media Type: ${problems.join('; ')}`);
    return unprocessable(problems.map((msg) => ({ type: 'value_error', loc: ['query'], msg })));
  },
  authenticate(state, request) {
    const header = String(request.headers.authorization ?? '');
    const match = /^Bearer (\S+)$/.exec(header);
    if (!match) return detail(401, 'Not authenticated');
    const verdict = verifyJwt(match[1] as string, state.jwtSecret, Math.floor(state.now().getTime() / 1000));
    if (verdict === 'expired') return detail(401, 'Token Expired');
    if (verdict === 'invalid') return detail(403, 'Invalid JWT token');
    return null;
  },
  handle,
};
