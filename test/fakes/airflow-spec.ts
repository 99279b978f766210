/**
 * The part of Airflow's published REST specs that the fakes serve, transcribed by hand (no YAML parser is
 * installed), with the lines of the spec files each entry comes from: `v1.yaml` (Airflow 2.10, /api/v1),
 * `v2.yaml` (Airflow 3.2, /api/v2) and `simple-auth-manager/v2-simple-auth-manager-generated.yaml`
 * (POST /auth/token); test/fakes/specs/README.md names the published files and versions. The fakes reject, and record as
 * a violation, every request outside it: an unknown path or method, an unknown or mistyped query parameter, a
 * body that is missing or not JSON.
 */

export type ParameterType = 'integer' | 'boolean' | 'string' | 'string[]';

export interface SpecOperation {
  readonly method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';
  /** Path template with `{name}` segments. */
  readonly path: string;
  readonly query: Readonly<Record<string, ParameterType>>;
  /** Media types the request body may have; absent when the operation takes no body. */
  readonly body?: readonly string[];
  readonly authenticated: boolean;
  /** Where in the spec files this entry comes from. */
  readonly source: string;
}

export interface SpecViolation {
  readonly method: string;
  readonly path: string;
  readonly problem: string;
}

/** v1.yaml components/parameters: PageLimit 417-424, PageOffset 425-433, OrderBy 396-409, FilterTags 291-303,
 * OnlyActive 383-395, Paused 434-446, ReturnFields 454-463, UpdateMask 485-499. */
export const AIRFLOW_V1_OPERATIONS: readonly SpecOperation[] = [
  {
    method: 'GET',
    path: '/api/v1/dags',
    query: {
      limit: 'integer',
      offset: 'integer',
      order_by: 'string',
      tags: 'string[]',
      only_active: 'boolean',
      paused: 'boolean',
      fields: 'string[]',
      dag_id_pattern: 'string',
    },
    authenticated: true,
    source: 'v1.yaml 3822-3858 (get_dags)',
  },
  {
    method: 'GET',
    path: '/api/v1/dags/{dag_id}',
    query: { fields: 'string[]' },
    authenticated: true,
    source: 'v1.yaml 3936-3963 (get_dag)',
  },
  {
    method: 'PATCH',
    path: '/api/v1/dags/{dag_id}',
    query: { update_mask: 'string[]' },
    body: ['application/json'],
    authenticated: true,
    source: 'v1.yaml 3964-3992 (patch_dag; body schema DAG 929-1178, is_paused the only writable field)',
  },
  {
    method: 'DELETE',
    path: '/api/v1/dags/{dag_id}',
    query: {},
    authenticated: true,
    source: 'v1.yaml 3908-3935 (delete_dag: 204, 404, 409)',
  },
  {
    method: 'GET',
    path: '/api/v1/importErrors',
    query: { limit: 'integer', offset: 'integer', order_by: 'string' },
    authenticated: true,
    source: 'v1.yaml 5494-5515',
  },
  {
    method: 'PUT',
    path: '/api/v1/parseDagFile/{file_token}',
    query: {},
    authenticated: true,
    source: 'v1.yaml 5538-5558 (reparse_dag_file: 201)',
  },
  { method: 'GET', path: '/api/v1/health', query: {}, authenticated: false, source: 'v1.yaml 5474-5493' },
];

const V2_DAG_LIST_QUERY: Readonly<Record<string, ParameterType>> = {
  limit: 'integer',
  offset: 'integer',
  tags: 'string[]',
  tags_match_mode: 'string',
  owners: 'string[]',
  dag_id_pattern: 'string',
  dag_display_name_pattern: 'string',
  exclude_stale: 'boolean',
  paused: 'boolean',
  has_import_errors: 'boolean',
  last_dag_run_state: 'string',
  bundle_name: 'string',
  bundle_version: 'string',
  has_asset_schedule: 'boolean',
  asset_dependency: 'string',
  dag_run_start_date_gte: 'string',
  dag_run_start_date_gt: 'string',
  dag_run_start_date_lte: 'string',
  dag_run_start_date_lt: 'string',
  dag_run_end_date_gte: 'string',
  dag_run_end_date_gt: 'string',
  dag_run_end_date_lte: 'string',
  dag_run_end_date_lt: 'string',
  dag_run_state: 'string[]',
  order_by: 'string[]',
  is_favorite: 'boolean',
  timetable_type: 'string[]',
};

export const AIRFLOW_V2_OPERATIONS: readonly SpecOperation[] = [
  {
    method: 'POST',
    path: '/auth/token',
    query: {},
    body: ['application/json', 'application/x-www-form-urlencoded'],
    authenticated: false,
    source: 'simple-auth-manager/v2-simple-auth-manager-generated.yaml 8-68 (create_token: 201 {access_token})',
  },
  {
    method: 'GET',
    path: '/api/v2/dags',
    query: V2_DAG_LIST_QUERY,
    authenticated: true,
    source: 'v2.yaml 6011-6248 (get_dags)',
  },
  {
    method: 'GET',
    path: '/api/v2/dags/{dag_id}',
    query: {},
    authenticated: true,
    source: 'v2.yaml 6430-6482 (get_dag)',
  },
  {
    method: 'PATCH',
    path: '/api/v2/dags/{dag_id}',
    query: { update_mask: 'string[]' },
    body: ['application/json'],
    authenticated: true,
    source: 'v2.yaml 6483-6549 (patch_dag; DAGPatchBody 1297-1307: {is_paused} required, additionalProperties false)',
  },
  {
    method: 'DELETE',
    path: '/api/v2/dags/{dag_id}',
    query: {},
    authenticated: true,
    source: 'v2.yaml 6378-6429 (delete_dag; errata: answers 204)',
  },
  {
    method: 'GET',
    path: '/api/v2/importErrors',
    query: { limit: 'integer', offset: 'integer', order_by: 'string[]', filename_pattern: 'string' },
    authenticated: true,
    source: 'v2.yaml 11305-11381',
  },
  {
    method: 'PUT',
    path: '/api/v2/parseDagFile/{file_token}',
    query: {},
    authenticated: true,
    source: 'v2.yaml 11605-11651 (reparse_dag_file: 201)',
  },
  { method: 'GET', path: '/api/v2/monitor/health', query: {}, authenticated: false, source: 'v2.yaml 11592-11604' },
];

/** The operation a request is for, with its path parameters; null when the spec has no such operation. */
export function findOperation(
  operations: readonly SpecOperation[],
  method: string,
  requestPath: string,
): { operation: SpecOperation; params: Record<string, string> } | null {
  const segments = requestPath.split('/');
  for (const operation of operations) {
    if (operation.method !== method) continue;
    const template = operation.path.split('/');
    if (template.length !== segments.length) continue;
    const params: Record<string, string> = {};
    const matches = template.every((part, i) => {
      const actual = segments[i] as string;
      if (part.startsWith('{')) {
        params[part.slice(1, -1)] = decodeURIComponent(actual);
        return actual !== '';
      }
      return part === actual;
    });
    if (matches) return { operation, params };
  }
  return null;
}

/** What is wrong with a request's query and body against its operation; empty when nothing is. */
export function requestProblems(
  operation: SpecOperation,
  query: Readonly<Record<string, string | string[]>>,
  contentType: string | undefined,
  body: string,
): string[] {
  const problems: string[] = [];
  for (const [name, value] of Object.entries(query)) {
    const type = operation.query[name];
    if (type === undefined) {
      problems.push(`query parameter '${name}' is not in the spec (${operation.source})`);
      continue;
    }
    const values = Array.isArray(value) ? value : [value];
    if (values.length > 1 && type !== 'string[]')
      problems.push(`query parameter '${name}' is given ${values.length} times`);
    for (const v of values) {
      if (type === 'integer' && !/^\d+$/.test(v))
        problems.push(`query parameter '${name}' must be a non-negative integer, got '${v}'`);
      if (type === 'boolean' && !/^(true|false)$/.test(v))
        problems.push(`query parameter '${name}' must be true or false, got '${v}'`);
    }
  }
  if (operation.body === undefined) {
    if (body !== '') problems.push(`${operation.method} ${operation.path} takes no body`);
  } else {
    const mediaType = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
    if (!operation.body.includes(mediaType))
      problems.push(`the body must be ${operation.body.join(' or ')}, got '${contentType ?? '(no content type)'}'`);
    if (body === '') problems.push('the body is required');
  }
  return problems;
}
