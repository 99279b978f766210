/**
 * The OpenAPI entries (src/rest/openapi.ts) of the routes for pipelines: backfill, reflection and schema versions,
 * and the freshness monitor.
 */
import { z } from 'zod';
import { eventsQuery } from './freshness-routes';
import type { RouteSpec } from './openapi-route-spec';
import { backfillBody } from './schemas';

const json = (description: string, schema: z.ZodType) => ({ description, schema });
const tableId = z.object({ id: z.string().describe('The table as written in SQL, URL-encoded.') });

const freshnessCause = z.looseObject({ kind: z.string(), message: z.string() });
const freshnessRow = z.looseObject({
  table: z.string(),
  state: z.enum(['FRESH', 'WARN', 'STALE', 'UNKNOWN', 'PAUSED']),
  lagSeconds: z.number().nullable(),
  targetLagSeconds: z.number(),
  validThrough: z.string().nullable(),
  since: z.string().nullable(),
  cause: freshnessCause.nullable(),
});
const freshnessEvent = z.looseObject({ table: z.string(), state: z.string(), at: z.string() });
const schemaVersion = z.looseObject({
  version: z.string(),
  createdAt: z.string(),
  change: z.string(),
  columns: z.array(z.looseObject({ name: z.string(), type: z.string() })),
});

export const PIPELINE_ROUTES: readonly RouteSpec[] = [
  {
    method: 'get',
    path: '/metrics',
    operationId: 'getMetrics',
    summary: "The gateway's Prometheus metrics",
    description: 'Needs a token with the `metrics` (or `admin`) scope when tokens are configured.',
    tag: 'operations',
    access: 'scoped',
    responses: {
      200: {
        description: "Prometheus' text exposition format.",
        schema: z.string(),
        contentType: 'text/plain; version=0.0.4',
      },
    },
    errors: [],
  },
  {
    method: 'post',
    path: '/v3/dynamic-tables/:id/backfill',
    operationId: 'backfillDynamicTable',
    summary: 'One refresh job per window within [from, to) of a partitioned table',
    tag: 'refreshes',
    access: 'scoped',
    params: tableId,
    body: backfillBody,
    responses: {
      200: json(
        'The jobs, oldest window first.',
        z.looseObject({ message: z.string(), jobIds: z.array(z.string()), windows: z.array(z.looseObject({})) }),
      ),
    },
    errors: ['NOT_FOUND', 'INVALID_STATE'],
  },
  {
    method: 'post',
    path: '/v3/reflection/run',
    operationId: 'runReflection',
    summary: 'Re-read the schema of every dynamic table and source now',
    tag: 'reflection',
    access: 'scoped',
    responses: {
      200: json(
        'What the pass read and found.',
        z.looseObject({
          tablesReflected: z.number(),
          versionsCreated: z.array(z.looseObject({})),
          missing: z.array(z.string()),
          impacts: z.array(z.looseObject({})),
          errors: z.array(z.looseObject({})),
        }),
      ),
    },
    errors: [],
  },
  {
    method: 'get',
    path: '/v3/tables/:id/schema-versions',
    operationId: 'getSchemaVersions',
    summary: 'The schema versions of a reflected table, newest first',
    tag: 'reflection',
    access: 'scoped',
    params: tableId,
    responses: {
      200: json(
        'The versions, and whether the table is missing.',
        z.looseObject({ table: z.string(), missing: z.boolean(), versions: z.array(schemaVersion) }),
      ),
    },
    errors: ['NOT_FOUND'],
  },
  {
    method: 'get',
    path: '/v3/freshness',
    operationId: 'getFreshness',
    summary: "Every dynamic table's freshness state, worst first",
    tag: 'freshness',
    access: 'scoped',
    responses: {
      200: json('States with their causes.', z.looseObject({ tables: z.array(freshnessRow), checkedAt: z.string() })),
    },
    errors: [],
  },
  {
    method: 'get',
    path: '/v3/freshness/events',
    operationId: 'getFreshnessEvents',
    summary: 'Recorded freshness transitions, newest first',
    tag: 'freshness',
    access: 'scoped',
    query: eventsQuery,
    responses: { 200: json('The transitions.', z.looseObject({ events: z.array(freshnessEvent) })) },
    errors: ['NOT_FOUND'],
  },
];
