/**
 * Airflow 2.10's stable REST API (`/api/v1`, spec v1.yaml) for the fake: basic auth, RFC 7807 problem+json
 * errors (`application/problem+json`, `detail` may be null), the DAG object of v1.yaml 929-1178.
 */
import type { FakeDag } from './airflow-dag-processor';
import { AIRFLOW_V1_OPERATIONS } from './airflow-spec';
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

const ERRORS = 'https://airflow.apache.org/docs/apache-airflow/2.10.0/stable-rest-api-ref.html#section/Errors/';

function problem(
  status: number,
  title: string,
  detail: string | null,
  kind: string,
  headers?: Record<string, string>,
): FakeResponse {
  return {
    status,
    contentType: 'application/problem+json',
    body: { detail, status, title, type: `${ERRORS}${kind}` },
    ...(headers ? { headers } : {}),
  };
}

const dagNotFound = (dagId: string) =>
  problem(404, 'DAG not found', `The DAG with dag_id: \`${dagId}\` was not found`, 'NotFound');

function dagJson(state: FakeState, dag: FakeDag): Record<string, unknown> {
  return {
    dag_display_name: dag.dagId,
    dag_id: dag.dagId,
    default_view: 'grid',
    description: dag.description,
    file_token: state.processor.fileToken(dag.fileName),
    fileloc: `${state.dagsFolder}/${dag.fileName}`,
    has_import_errors: state.processor.importErrors.has(dag.fileName),
    has_task_concurrency_limits: false,
    is_active: dag.active,
    is_paused: dag.paused,
    is_subdag: false,
    last_expired: null,
    last_parsed_time: dag.lastParsedTime.toISOString(),
    last_pickled: null,
    max_active_runs: dag.maxActiveRuns,
    max_active_tasks: 16,
    max_consecutive_failed_dag_runs: 0,
    next_dagrun: null,
    next_dagrun_create_after: null,
    next_dagrun_data_interval_end: null,
    next_dagrun_data_interval_start: null,
    owners: ['airflow'],
    pickle_id: null,
    root_dag_id: null,
    schedule_interval: dag.schedule === null ? null : { __type: 'CronExpression', value: dag.schedule },
    scheduler_lock: null,
    tags: dag.tags.map((name) => ({ name })),
    timetable_description: dag.schedule,
  };
}

function handle(state: FakeState, request: FakeRequest): FakeResponse {
  const { processor } = state;
  const dagId = request.params.dag_id ?? '';
  const dag = processor.dags.get(dagId);
  switch (`${request.method} ${request.operation.path}`) {
    case 'GET /api/v1/health':
      return {
        status: 200,
        body: {
          metadatabase: { status: 'healthy' },
          scheduler: { status: 'healthy', latest_scheduler_heartbeat: state.now().toISOString() },
        },
      };
    case 'GET /api/v1/dags': {
      const tags = queryValues(request, 'tags');
      const onlyActive = queryValues(request, 'only_active')[0] !== 'false';
      const paused = queryValues(request, 'paused')[0];
      const pattern = queryValues(request, 'dag_id_pattern')[0]?.toLowerCase();
      const dags = sortedDags(state).filter(
        (d) =>
          (!onlyActive || d.active) &&
          (tags.length === 0 || d.tags.some((t) => tags.includes(t))) &&
          (paused === undefined || String(d.paused) === paused) &&
          (pattern === undefined || d.dagId.toLowerCase().includes(pattern)),
      );
      return {
        status: 200,
        body: { dags: page(dags, request, 100).map((d) => dagJson(state, d)), total_entries: dags.length },
      };
    }
    case 'GET /api/v1/dags/{dag_id}':
      return dag ? { status: 200, body: dagJson(state, dag) } : dagNotFound(dagId);
    case 'PATCH /api/v1/dags/{dag_id}': {
      const mask = queryValues(request, 'update_mask').flatMap((m) => m.split(','));
      if (mask.length > 0 && mask.some((field) => field !== 'is_paused')) {
        return problem(400, 'Bad Request', 'Only `is_paused` field can be updated through the REST API', 'BadRequest');
      }
      const body = jsonObject(request.body);
      const unknown = Object.keys(body ?? {}).filter((k) => k !== 'is_paused');
      if (body === null || typeof body.is_paused !== 'boolean' || unknown.length > 0) {
        const field = unknown[0] ?? 'is_paused';
        return problem(
          400,
          'Bad Request',
          `{'${field}': ['${unknown.length > 0 ? 'Unknown field.' : 'Not a valid boolean.'}']}`,
          'BadRequest',
        );
      }
      if (!dag) return dagNotFound(dagId);
      dag.paused = body.is_paused;
      return { status: 200, body: dagJson(state, dag) };
    }
    case 'DELETE /api/v1/dags/{dag_id}':
      if (!dag) return dagNotFound(dagId);
      if (dag.runningTasks)
        return problem(409, 'Conflict', `Task instances of dag with id: '${dagId}' are still running`, 'AlreadyExists');
      processor.deleteDag(dagId);
      return { status: 204 };
    case 'GET /api/v1/importErrors': {
      const errors = [...processor.importErrors.values()].sort((a, b) => a.id - b.id);
      const items = page(errors, request, 100).map((e) => ({
        filename: `${state.dagsFolder}/${e.fileName}`,
        import_error_id: e.id,
        stack_trace: e.stackTrace,
        timestamp: e.timestamp.toISOString(),
      }));
      return { status: 200, body: { import_errors: items, total_entries: errors.length } };
    }
    case 'PUT /api/v1/parseDagFile/{file_token}': {
      const file = processor.fileOfToken(request.params.file_token ?? '');
      if (file === null) return problem(404, 'File not found', 'The file was not found', 'NotFound');
      processor.requestParse(file);
      return { status: 201 };
    }
  }
  throw new Error(`no v1 handler for ${request.method} ${request.operation.path}`);
}

export const airflowV1: FakeApi = {
  operations: AIRFLOW_V1_OPERATIONS,
  reject(kind, problems) {
    if (kind === 'unknown')
      return problem(404, 'Not Found', 'The requested URL was not found on the server.', 'NotFound');
    if (kind === 'media-type')
      return problem(
        415,
        'Unsupported Media Type',
        `Invalid Content-type, expected JSON data: ${problems.join('; ')}`,
        'UnsupportedMediaType',
      );
    return problem(400, 'Bad Request', problems.join('; '), 'BadRequest');
  },
  authenticate(state, request) {
    const header = String(request.headers.authorization ?? '');
    const [scheme, encoded] = header.split(' ');
    const given = scheme === 'Basic' && encoded ? Buffer.from(encoded, 'base64').toString('utf8') : null;
    if (given === `${state.username}:${state.password}`) return null;
    // check_authentication raises Unauthenticated(headers=basic auth's WWW-Authenticate): problem+json, detail None.
    return problem(401, 'Unauthorized', null, 'Unauthenticated', { 'www-authenticate': 'Basic' });
  },
  handle,
};
