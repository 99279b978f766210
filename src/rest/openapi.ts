/**
 * The OpenAPI 3.1 document of the REST API (`GET /v3/openapi.json`, shown at `/docs`), generated from the zod
 * schemas the routes validate with and the response schemas in openapi-schemas.ts.
 *
 * Adding a route? Describe it too, or test/openapi.test.ts fails ("routes without a spec entry"):
 *   1. Write a {@link RouteSpec} next to the others of its module: in openapi-routes.ts for the routes of app.ts,
 *      openapi-registry-routes.ts for the source registry's, or an array exported by your own module.
 *   2. A new array goes into {@link ROUTE_SPECS} below.
 *   The path is written as express writes it (`/v3/dynamic-tables/:id`); `errors` lists the codes the route's own
 *   work can answer with. The codes every route may answer (INTERNAL, STORAGE_FULL), those of its access (401,
 *   403) and of a body (VALIDATION_ERROR, PAYLOAD_TOO_LARGE) are added here.
 *
 * Access to the document: like every route, open while the gateway has no tokens (only allowed on loopback);
 * otherwise any valid token, whatever its scopes (src/rest/auth.ts). `/docs` and its assets need no token: they
 * are swagger-ui's files and say nothing about this gateway; the page asks for a token when the document needs one.
 */
import { DATASET_ROUTES } from './openapi-dataset-routes';
import { PIPELINE_ROUTES } from './openapi-pipeline-routes';
import { OpenAPIRegistry, OpenApiGeneratorV31, type RouteConfig } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import { ERROR_STATUS, type ErrorCode } from '../errors';
import type { RouteSpec } from './openapi-route-spec';
import { errorEnvelope } from './openapi-schemas';
import { CORE_ROUTES } from './openapi-routes';
import { REGISTRY_ROUTES } from './openapi-registry-routes';

/** Every described route. */
export const ROUTE_SPECS: readonly RouteSpec[] = [
  ...CORE_ROUTES,
  ...REGISTRY_ROUTES,
  ...PIPELINE_ROUTES,
  ...DATASET_ROUTES,
];

/** `/v3/sources/:name` → `/v3/sources/{name}`. */
export function openApiPath(expressPath: string): string {
  return expressPath.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
}

/** Every code a route may answer with: its own, its access's, its body's, and those of any request. */
export function errorCodesOf(spec: RouteSpec): ErrorCode[] {
  const codes = new Set<ErrorCode>(spec.errors);
  if (spec.access === 'anyToken') codes.add('UNAUTHORIZED');
  if (spec.access === 'scoped') for (const code of ['UNAUTHORIZED', 'FORBIDDEN'] as const) codes.add(code);
  if (spec.access === 'sourceToken') codes.add('FORBIDDEN');
  if (spec.body !== undefined) for (const code of ['VALIDATION_ERROR', 'PAYLOAD_TOO_LARGE'] as const) codes.add(code);
  if (spec.query !== undefined) codes.add('VALIDATION_ERROR');
  for (const code of ['INTERNAL', 'STORAGE_FULL'] as const) codes.add(code);
  return [...codes];
}

/** The error codes of a route by HTTP status. */
export function errorStatuses(spec: RouteSpec): Map<number, [ErrorCode, ...ErrorCode[]]> {
  const byStatus = new Map<number, [ErrorCode, ...ErrorCode[]]>();
  for (const code of errorCodesOf(spec)) {
    const status = ERROR_STATUS[code];
    const codes = byStatus.get(status);
    if (codes) codes.push(code);
    else byStatus.set(status, [code]);
  }
  return byStatus;
}

/** The schema of a route's answer with `status`, as the document shows it; undefined for a status it never answers. */
export function responseSchemaOf(spec: RouteSpec, status: number): z.ZodType | undefined {
  const codes = errorStatuses(spec).get(status);
  const answer = spec.responses[status]?.schema;
  if (codes === undefined) return answer;
  // A status that is both an answer and an error (a waited refresh that failed: 500) may be either.
  return answer === undefined ? errorEnvelope(codes) : z.union([answer, errorEnvelope(codes)]);
}

function responsesOf(spec: RouteSpec): RouteConfig['responses'] {
  const statuses = new Set([...errorStatuses(spec).keys(), ...Object.keys(spec.responses).map(Number)]);
  const responses: RouteConfig['responses'] = {};
  for (const status of [...statuses].sort()) {
    const description = spec.responses[status]?.description ?? `Error: ${errorStatuses(spec).get(status)?.join(', ')}.`;
    const schema = responseSchemaOf(spec, status);
    const contentType = spec.responses[status]?.contentType ?? 'application/json';
    responses[status] = { description, content: { [contentType]: { schema } } };
  }
  return responses;
}

function register(registry: OpenAPIRegistry, spec: RouteSpec): void {
  const body = spec.body;
  registry.registerPath({
    method: spec.method,
    path: openApiPath(spec.path),
    operationId: spec.operationId,
    summary: spec.summary,
    ...(spec.description !== undefined ? { description: spec.description } : {}),
    tags: [spec.tag],
    security: spec.access === 'open' || spec.access === 'sourceToken' ? [] : [{ bearer: [] }],
    request: {
      ...(spec.params ? { params: spec.params } : {}),
      ...(spec.query ? { query: spec.query } : {}),
      ...(body
        ? {
            body: {
              required: true,
              content: {
                'application/json': { schema: body },
                ...(spec.formBody ? { 'application/x-www-form-urlencoded': { schema: body } } : {}),
              },
            },
          }
        : {}),
    },
    responses: responsesOf(spec),
  });
}

let cached: object | undefined;

/** The OpenAPI document of every route in {@link ROUTE_SPECS}, built once. */
export function openApiDocument(): object {
  if (cached) return cached;
  const registry = new OpenAPIRegistry();
  registry.registerComponent('securitySchemes', 'bearer', {
    type: 'http',
    scheme: 'bearer',
    description: 'A gateway token (scopes admin, operate, read, metrics, callback) or a source access token.',
  });
  for (const spec of ROUTE_SPECS) register(registry, spec);
  cached = new OpenApiGeneratorV31(registry.definitions).generateDocument({
    openapi: '3.1.0',
    info: {
      title: 'Freshet REST API',
      version: 'v3',
      description: 'Dynamic tables, refreshes, jobs and the source registry. Errors: `{error: {code, message}}`.',
    },
    security: [{ bearer: [] }],
  });
  return cached;
}
