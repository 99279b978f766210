/** The OpenAPI entries (src/rest/openapi.ts) of discovery's routes (dataset-routes.ts). */
import { z } from 'zod';
import {
  datasetId,
  datasetListQuery,
  discovererId,
  errorsQuery,
  materializeBody,
  profileBody,
  profilesQuery,
  searchBody,
} from './dataset-routes';
import type { RouteSpec } from './openapi-route-spec';

const json = (description: string, schema: z.ZodType) => ({ description, schema });

const column = z.looseObject({
  name: z.string(),
  type: z.string().nullable(),
  semanticType: z.string().nullable(),
  semanticTypes: z.array(z.string()),
});
const coverage = z.looseObject({ column: z.string(), start: z.string(), end: z.string(), resolution: z.string() });

const datasetResult = z.looseObject({
  id: z.string(),
  kind: z.enum(['source', 'dynamic_table', 'file']),
  name: z.string(),
  description: z.string().nullable(),
  columns: z.array(column),
  rowCount: z.number().nullable(),
  temporalCoverage: z.array(coverage),
  freshness: z.string().nullable().meta({ description: "A dynamic table's freshness state; null otherwise." }),
  location: z.record(z.string(), z.string()),
  status: z.enum(['pending', 'profiled', 'empty', 'too_big', 'error', 'unprofilable']),
});

const profileRecord = z.looseObject({
  id: z.number(),
  datasetId: z.string(),
  profiledAt: z.string(),
  rowCount: z.number(),
  profiledRows: z.number(),
  sampled: z.boolean(),
  durationMs: z.number(),
  trigger: z.string(),
  profile: z.looseObject({ columns: z.array(z.looseObject({ name: z.string(), semanticType: z.string() })) }),
});

const discoveryError = z.looseObject({
  discoverer: z.string(),
  datasetId: z.string().nullable(),
  stage: z.string(),
  message: z.string(),
  occurrences: z.number(),
  at: z.string(),
});

export const DATASET_ROUTES: readonly RouteSpec[] = [
  {
    method: 'get',
    path: '/v3/datasets',
    operationId: 'listDatasets',
    summary: 'Discovered datasets by name',
    tag: 'discovery',
    access: 'scoped',
    query: datasetListQuery,
    responses: {
      200: json(
        'A page of datasets.',
        z.looseObject({ datasets: z.array(datasetResult), total: z.number(), nextOffset: z.number().optional() }),
      ),
    },
    errors: ['INVALID_STATE'],
  },
  {
    method: 'post',
    path: '/v3/datasets/search',
    operationId: 'searchDatasets',
    summary: 'Datasets ranked by keywords, with filters',
    description:
      'Keywords are matched against names, descriptions, keywords, columns and query texts. `types` keeps datasets ' +
      'with a column of each semantic type, `temporal` those whose temporal coverage overlaps the interval. ' +
      'Discoverers that answer queries are asked first, up to `discovery.queryDeadlineMs`.',
    tag: 'discovery',
    access: 'scoped',
    body: searchBody,
    responses: {
      200: json(
        'The page asked for, best first, and how many match.',
        z.looseObject({ results: z.array(datasetResult.extend({ score: z.number() })), total: z.number() }),
      ),
    },
    errors: ['INVALID_STATE'],
  },
  {
    method: 'get',
    path: '/v3/datasets/:id',
    operationId: 'getDataset',
    summary: 'A dataset: schema, newest profile, availability, lineage and errors',
    tag: 'discovery',
    access: 'scoped',
    params: datasetId,
    responses: {
      200: json(
        'The dataset.',
        datasetResult.extend({
          profile: profileRecord.nullable(),
          lineage: z.looseObject({ upstream: z.array(z.string()), downstream: z.array(z.string()) }),
          errors: z.array(discoveryError),
        }),
      ),
    },
    errors: ['NOT_FOUND', 'INVALID_STATE'],
  },
  {
    method: 'get',
    path: '/v3/datasets/:id/profiles',
    operationId: 'getDatasetProfiles',
    summary: "A dataset's profiles, newest first",
    tag: 'discovery',
    access: 'scoped',
    params: datasetId,
    query: profilesQuery,
    responses: { 200: json('The profiles.', z.looseObject({ profiles: z.array(profileRecord) })) },
    errors: ['NOT_FOUND', 'INVALID_STATE'],
  },
  {
    method: 'post',
    path: '/v3/datasets/:id/profile',
    operationId: 'profileDataset',
    summary: 'Profile a dataset (or one partition of a table) now',
    description: 'Needs the operate scope. The body may be empty.',
    tag: 'discovery',
    access: 'scoped',
    params: datasetId,
    body: profileBody,
    responses: { 200: json('The new profile, as stored.', profileRecord) },
    errors: ['NOT_FOUND', 'INVALID_STATE', 'ENGINE_ERROR', 'CANCELLED'],
  },
  {
    method: 'post',
    path: '/v3/datasets/:id/materialize',
    operationId: 'materializeDataset',
    summary: 'Load a file dataset into a catalog as a source table',
    description:
      'Streams the file in batches into a new table (or replaces one with `replace: true`), all rows or none. ' +
      'A malformed row is answered VALIDATION_ERROR with its line. Needs the admin scope.',
    tag: 'discovery',
    access: 'scoped',
    params: datasetId,
    body: materializeBody,
    responses: {
      200: json(
        'The table and what was loaded.',
        z.looseObject({
          dataset: z.string(),
          table: z.string(),
          rows: z.number(),
          columns: z.array(z.looseObject({ name: z.string(), type: z.string() })),
          sourceDataset: z.string().nullable(),
        }),
      ),
    },
    errors: ['NOT_FOUND', 'ALREADY_EXISTS', 'INVALID_STATE', 'ENGINE_ERROR'],
  },
  {
    method: 'get',
    path: '/v3/discovery/errors',
    operationId: 'getDiscoveryErrors',
    summary: 'What discoverers and the profiler failed at, newest first',
    tag: 'discovery',
    access: 'scoped',
    query: errorsQuery,
    responses: { 200: json('The errors.', z.looseObject({ errors: z.array(discoveryError) })) },
    errors: ['INVALID_STATE'],
  },
  {
    method: 'get',
    path: '/v3/discoverers',
    operationId: 'listDiscoverers',
    summary: 'The configured discoverers',
    tag: 'discovery',
    access: 'scoped',
    responses: {
      200: json(
        'Each discoverer: id, type, schedule and whether it answers searches.',
        z.looseObject({
          discoverers: z.array(
            z.looseObject({ id: z.string(), type: z.string(), scheduleSeconds: z.number().nullable() }),
          ),
        }),
      ),
    },
    errors: ['INVALID_STATE'],
  },
  {
    method: 'post',
    path: '/v3/discoverers/:id/run',
    operationId: 'runDiscoverer',
    summary: 'Run a discoverer now and wait for it',
    description: 'Needs the operate scope. A failed run is answered 200 with its error, and recorded.',
    tag: 'discovery',
    access: 'scoped',
    params: discovererId,
    responses: {
      200: json(
        'What the run did.',
        z.looseObject({
          discoverer: z.string(),
          published: z.number(),
          removed: z.number(),
          error: z.string().nullable(),
        }),
      ),
    },
    errors: ['NOT_FOUND', 'INVALID_STATE'],
  },
];
