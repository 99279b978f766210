/**
 * The OpenAPI entries of the source registry's routes (registry-routes.ts, registry-compat-routes.ts) and the
 * schemas of what they answer (see src/rest/openapi.ts).
 */
import { z } from 'zod';
import type { RouteSpec } from './openapi-route-spec';
import {
  partitionBody,
  partitionEventBody,
  providerBody,
  readinessQuery,
  seedPartitionParams,
  seedProviderParams,
  seedReadinessParams,
  seedSourceParams,
  sourceBody,
  sourceDetailQuery,
} from './registry-schemas';

const instant = z.string().meta({ description: 'ISO-8601 date-time, UTC' });

const source = z
  .object({
    name: z.string(),
    owner: z.string(),
    catalog: z.string().nullable(),
    table: z.string().nullable(),
    timeZone: z.string(),
    kind: z.enum(['registered', 'dynamic']),
    options: z.record(z.string(), z.string()),
    createdAt: instant,
  })
  .meta({ id: 'Source' });

const provider = z.object({ source: z.string(), name: z.string(), createdAt: instant }).meta({ id: 'Provider' });

const partition = z
  .object({
    id: z.number().int(),
    source: z.string(),
    provider: z.string(),
    start: instant,
    end: instant,
    state: z.enum(['REGISTERED', 'LOCKED', 'READY']),
    stateSince: instant,
    createdAt: instant,
  })
  .meta({ id: 'Partition' });

const partitionEvent = partition.extend({ event: z.enum(['LOCK', 'UNLOCK']) });

const span = z.object({ start: instant, end: instant });

const readiness = z
  .object({
    source: z.string(),
    start: instant,
    end: instant,
    ready: z.boolean(),
    covered: z.array(span),
    gaps: z.array(span),
    locked: z.array(z.object({ start: instant, end: instant, provider: z.string(), since: instant })),
    readyThrough: instant.nullable(),
  })
  .meta({ id: 'Readiness' });

const sourceSummary = source.extend({
  providers: z.number().int(),
  partitions: z.number().int(),
  readyThrough: instant.nullable(),
});

const sourceDetail = source.extend({
  providers: z.array(provider),
  latestEvents: z.array(
    z.object({
      id: z.number().int(),
      partitionId: z.number().int(),
      event: z.enum(['LOCK', 'UNLOCK']),
      at: instant,
      provider: z.string(),
      start: instant,
      end: instant,
    }),
  ),
  readyThrough: instant.nullable(),
  partitions: z.object({
    items: z.array(partition),
    total: z.number().int(),
    nextOffset: z.number().int().optional(),
  }),
});

const registeredSource = source.extend({
  accessToken: z.string().meta({ description: "The source's access token: shown once, keep it." }),
});

const sourceName = z.object({ name: z.string() });
const json = (description: string, schema: z.ZodType) => ({ description, schema });

const V3_ROUTES: readonly RouteSpec[] = [
  {
    method: 'post',
    path: '/v3/sources',
    operationId: 'registerSource',
    summary: 'Register a source; answers its access token',
    tag: 'sources',
    access: 'scoped',
    body: sourceBody,
    responses: { 201: json('Registered.', registeredSource) },
    errors: ['ALREADY_EXISTS'],
  },
  {
    method: 'get',
    path: '/v3/sources',
    operationId: 'listSources',
    summary: 'Sources, with counts and how far each is ready',
    tag: 'sources',
    access: 'scoped',
    responses: { 200: json('Every source.', z.object({ sources: z.array(sourceSummary) })) },
    errors: [],
  },
  {
    method: 'get',
    path: '/v3/sources/:name',
    operationId: 'getSource',
    summary: 'A source: providers, a page of partitions, latest events',
    tag: 'sources',
    access: 'scoped',
    params: sourceName,
    query: sourceDetailQuery,
    responses: { 200: json('The source.', sourceDetail) },
    errors: ['NOT_FOUND'],
  },
  {
    method: 'delete',
    path: '/v3/sources/:name',
    operationId: 'deleteSource',
    summary: 'Delete a source (admin)',
    tag: 'sources',
    access: 'scoped',
    params: sourceName,
    responses: { 200: json('Deleted.', z.object({ name: z.string(), deleted: z.literal(true) })) },
    errors: ['NOT_FOUND', 'INVALID_STATE'],
  },
  {
    method: 'delete',
    path: '/v3/sources/:name/providers/:provider',
    operationId: 'deleteProvider',
    summary: 'Delete a provider of a source (admin)',
    tag: 'sources',
    access: 'scoped',
    params: z.object({ name: z.string(), provider: z.string() }),
    responses: {
      200: json('Deleted.', z.object({ source: z.string(), name: z.string(), deleted: z.literal(true) })),
    },
    errors: ['NOT_FOUND', 'INVALID_STATE'],
  },
  {
    method: 'post',
    path: '/v3/providers',
    operationId: 'registerProvider',
    summary: "Register a provider of a source (with the source's access token)",
    tag: 'sources',
    access: 'sourceToken',
    body: providerBody,
    responses: { 200: json('Already registered.', provider), 201: json('Registered.', provider) },
    errors: ['NOT_FOUND'],
  },
  {
    method: 'post',
    path: '/v3/sources/:name/partitions',
    operationId: 'registerPartition',
    summary: "Register a partition, optionally locked or ready (with the source's access token)",
    tag: 'sources',
    access: 'sourceToken',
    params: sourceName,
    body: partitionBody,
    responses: { 200: json('Already registered.', partition), 201: json('Registered.', partition) },
    errors: ['NOT_FOUND', 'INVALID_STATE'],
  },
  ...(['lock', 'unlock'] as const).map(
    (event): RouteSpec => ({
      method: 'post',
      path: `/v3/sources/:name/partitions/${event}`,
      operationId: `${event}Partition`,
      summary: `${event === 'lock' ? 'Lock a partition (being written)' : 'Unlock a partition (ready)'}`,
      tag: 'sources',
      access: 'sourceToken',
      params: sourceName,
      body: partitionEventBody,
      responses: { 200: json('The partition after the event.', partitionEvent) },
      errors: ['NOT_FOUND', 'INVALID_STATE'],
    }),
  ),
  {
    method: 'get',
    path: '/v3/sources/:name/readiness',
    operationId: 'getSourceReadiness',
    summary: 'Whether ready partitions cover [start, end)',
    tag: 'sources',
    access: 'scoped',
    params: sourceName,
    query: readinessQuery,
    responses: { 200: json('Covered parts, gaps and locks.', readiness) },
    errors: ['NOT_FOUND'],
  },
];

const COMPAT = 'The parameters may be sent in the query string, a JSON body or a form body (the body wins).';

const COMPAT_ROUTES: readonly RouteSpec[] = [
  {
    method: 'post',
    path: '/sources/register',
    operationId: 'compatRegisterSource',
    summary: 'Register a source (Partition Registry compatible)',
    description: COMPAT,
    tag: 'partition registry compatible',
    access: 'scoped',
    body: seedSourceParams,
    formBody: true,
    responses: {
      201: json('Registered.', registeredSource.extend({ source_name: z.string(), access_token: z.string() })),
    },
    errors: ['ALREADY_EXISTS'],
  },
  {
    method: 'post',
    path: '/providers/register',
    operationId: 'compatRegisterProvider',
    summary: 'Register a provider (Partition Registry compatible)',
    description: `${COMPAT} Without source_name, the access token names the source.`,
    tag: 'partition registry compatible',
    access: 'sourceToken',
    body: seedProviderParams,
    formBody: true,
    responses: {
      200: json('Already registered.', provider.extend({ source_name: z.string(), provider_name: z.string() })),
      201: json('Registered.', provider.extend({ source_name: z.string(), provider_name: z.string() })),
    },
    errors: ['NOT_FOUND'],
  },
  {
    method: 'post',
    path: '/partitions/register',
    operationId: 'compatRegisterPartition',
    summary: 'Register a partition (Partition Registry compatible)',
    description: COMPAT,
    tag: 'partition registry compatible',
    access: 'sourceToken',
    body: seedPartitionParams,
    formBody: true,
    responses: { 200: json('Already registered.', partition), 201: json('Registered.', partition) },
    errors: ['NOT_FOUND', 'INVALID_STATE'],
  },
  ...(['lock', 'unlock'] as const).map(
    (event): RouteSpec => ({
      method: 'post',
      path: `/partitions/${event}`,
      operationId: `compat${event === 'lock' ? 'Lock' : 'Unlock'}Partition`,
      summary: `${event === 'lock' ? 'Lock' : 'Unlock'} a partition (Partition Registry compatible)`,
      description: COMPAT,
      tag: 'partition registry compatible',
      access: 'sourceToken',
      body: seedPartitionParams,
      formBody: true,
      responses: { 200: json('The partition after the event.', partitionEvent) },
      errors: ['NOT_FOUND', 'INVALID_STATE'],
    }),
  ),
  {
    method: 'get',
    path: '/sources/:name/check_readiness',
    operationId: 'compatCheckReadiness',
    summary: 'Whether a source is ready for [start, end) (Partition Registry compatible)',
    tag: 'partition registry compatible',
    access: 'scoped',
    params: sourceName,
    query: seedReadinessParams,
    responses: {
      200: json(
        'Readiness, with is_ready and a message.',
        readiness.extend({ is_ready: z.boolean(), message: z.string() }),
      ),
    },
    errors: ['NOT_FOUND'],
  },
];

export const REGISTRY_ROUTES: readonly RouteSpec[] = [...V3_ROUTES, ...COMPAT_ROUTES];
