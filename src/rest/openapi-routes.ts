/** The OpenAPI entries of the routes of app.ts and history-routes.ts (see src/rest/openapi.ts). */
import { z } from 'zod';
import type { RouteSpec } from './openapi-route-spec';
import {
  anyObject,
  blockedResultAnswer,
  driftReport,
  health,
  jobDetail,
  jobPage,
  lineageView,
  refreshAnswer,
  refreshView,
  statementCancel,
  statementResults,
  tableDetail,
  tablePage,
} from './openapi-schemas';
import { blockedResultBody, jobsQuery, lineageQuery, refreshBody, refreshesQuery, statementBody } from './schemas';

const tableId = z.object({
  id: z.string().meta({
    description: 'The identifier as written in SQL (`catalog.database.name`, any prefix optional), URL-encoded.',
    example: 'main.default.orders_daily',
  }),
});

const page = z
  .object({
    limit: z.string().regex(/^\d+$/).optional().meta({ description: 'At most this many (0 to 1000, default 100).' }),
    offset: z.string().regex(/^\d+$/).optional().meta({ description: 'Skip this many (default 0).' }),
  })
  .strict();

const waitQuery = z
  .object({
    wait: z
      .string()
      .optional()
      .meta({
        description:
          'Seconds to wait for the job to end (up to refresh.maxWaitSeconds): 200 if it succeeded, 500 with ' +
          'the job if it failed, 202 if it still runs.',
      }),
  })
  .strict();

/** What a SQL statement can fail with, from parsing to the engine. */
const STATEMENT_ERRORS = [
  'PARSE_ERROR',
  'VALIDATION_ERROR',
  'FORBIDDEN',
  'NOT_FOUND',
  'ALREADY_EXISTS',
  'INVALID_STATE',
  'STATEMENT_TIMEOUT',
  'CANCELLED',
  'SCHEDULER_ERROR',
  'ENGINE_ERROR',
] as const;

const json = (description: string, schema: z.ZodType) => ({ description, schema });

export const CORE_ROUTES: readonly RouteSpec[] = [
  {
    method: 'get',
    path: '/health',
    operationId: 'getHealth',
    summary: 'Whether the catalog and the engines answer',
    tag: 'gateway',
    access: 'open',
    responses: { 200: json('All answer.', health), 503: json('Something does not answer.', health) },
    errors: [],
  },
  {
    method: 'get',
    path: '/v3/openapi.json',
    operationId: 'getOpenApiDocument',
    summary: 'This document',
    tag: 'gateway',
    access: 'anyToken',
    responses: { 200: json('The OpenAPI 3.1 document.', anyObject) },
    errors: [],
  },
  {
    method: 'post',
    path: '/v3/statements',
    operationId: 'runStatements',
    summary: 'Run SQL: one or more statements separated by `;`',
    description:
      'The statement id (the `statementId` sent, else a new one) is in the `Freshet-Statement-Id` header. The ' +
      "token's scopes decide statement by statement (read: SELECT, SHOW, DESCRIBE, EXPLAIN).",
    tag: 'statements',
    access: 'scoped',
    body: statementBody,
    responses: { 200: json('One result per statement.', statementResults) },
    errors: STATEMENT_ERRORS,
  },
  {
    method: 'delete',
    path: '/v3/statements/:id',
    operationId: 'cancelStatement',
    summary: 'Cancel a running statement',
    tag: 'statements',
    access: 'scoped',
    params: z.object({ id: z.string() }),
    responses: { 202: json('Cancelling (a statement that is not running is left alone).', statementCancel) },
    errors: [],
  },
  {
    method: 'post',
    path: '/v3/dynamic-tables/refresh',
    operationId: 'refreshTables',
    summary: 'Refresh dynamic tables (what a scheduler workflow calls)',
    description: '`tables` may be one comma-separated string; a body of any content type is read as JSON.',
    tag: 'refreshes',
    access: 'scoped',
    query: waitQuery,
    body: refreshBody,
    responses: {
      200: json('The job (with ?wait: it succeeded).', refreshAnswer),
      202: json('With ?wait: the job still runs.', refreshAnswer),
      500: json('With ?wait: the job failed.', refreshAnswer),
      507: json('With ?wait: the job failed for want of storage.', refreshAnswer),
    },
    errors: ['VALIDATION_ERROR', 'NOT_FOUND', 'INVALID_STATE', 'SCHEDULER_ERROR', 'ENGINE_ERROR'],
  },
  {
    method: 'get',
    path: '/v3/jobs/:jobId',
    operationId: 'getJob',
    summary: 'A refresh job',
    tag: 'refreshes',
    access: 'scoped',
    params: z.object({ jobId: z.string() }),
    responses: { 200: json('The job and its tables.', jobDetail) },
    errors: ['NOT_FOUND'],
  },
  {
    method: 'post',
    path: '/v3/jobs/:jobId/publish',
    operationId: 'publishBlockedResult',
    summary: 'Publish a result a publish guard blocked, past its guards (admin)',
    description:
      "Replaces the table's rows (or the partition's) by the blocked result, under the table's lock, and records " +
      'the refresh PUBLISHED with who did it. 409 INVALID_STATE (`details.reason`: NOTHING_BLOCKED, ' +
      'ALREADY_RESOLVED or SUPERSEDED) when there is nothing to publish.',
    tag: 'refreshes',
    access: 'scoped',
    params: z.object({ jobId: z.string() }),
    body: blockedResultBody,
    responses: { 200: json('What was published.', blockedResultAnswer) },
    errors: ['NOT_FOUND', 'VALIDATION_ERROR', 'INVALID_STATE', 'ENGINE_ERROR'],
  },
  {
    method: 'post',
    path: '/v3/jobs/:jobId/discard',
    operationId: 'discardBlockedResult',
    summary: 'Discard a result a publish guard blocked (admin)',
    description:
      'Drops the blocked result; the table keeps its rows. Recorded DISCARDED with who did it. 409 INVALID_STATE ' +
      '(`details.reason`: NOTHING_BLOCKED, ALREADY_RESOLVED or SUPERSEDED) when there is nothing to discard.',
    tag: 'refreshes',
    access: 'scoped',
    params: z.object({ jobId: z.string() }),
    body: blockedResultBody,
    responses: { 200: json('What was discarded.', blockedResultAnswer) },
    errors: ['NOT_FOUND', 'VALIDATION_ERROR', 'INVALID_STATE', 'ENGINE_ERROR'],
  },
  {
    method: 'get',
    path: '/v3/jobs',
    operationId: 'listJobs',
    summary: 'Refresh jobs, newest first',
    tag: 'refreshes',
    access: 'scoped',
    query: jobsQuery,
    responses: { 200: json('A page of jobs and how many match.', jobPage) },
    errors: ['NOT_FOUND'],
  },
  {
    method: 'get',
    path: '/v3/dynamic-tables',
    operationId: 'listDynamicTables',
    summary: 'Dynamic tables, a page at a time',
    tag: 'dynamic tables',
    access: 'scoped',
    query: page,
    responses: { 200: json('A page of tables.', tablePage) },
    errors: [],
  },
  {
    method: 'get',
    path: '/v3/dynamic-tables/:id',
    operationId: 'getDynamicTable',
    summary: 'A dynamic table: definition, freshness, status, schedule, lineage',
    tag: 'dynamic tables',
    access: 'scoped',
    params: tableId,
    responses: { 200: json('The table.', tableDetail) },
    errors: ['NOT_FOUND', 'VALIDATION_ERROR'],
  },
  {
    method: 'get',
    path: '/v3/dynamic-tables/:id/refreshes',
    operationId: 'listRefreshes',
    summary: "A dynamic table's refreshes, newest first",
    tag: 'dynamic tables',
    access: 'scoped',
    params: tableId,
    query: refreshesQuery,
    responses: { 200: json('The refreshes.', z.object({ refreshes: z.array(refreshView) })) },
    errors: ['NOT_FOUND'],
  },
  {
    method: 'get',
    path: '/v3/lineage',
    operationId: 'getLineage',
    summary: 'The tables within `depth` steps of one, upstream and downstream',
    tag: 'dynamic tables',
    access: 'scoped',
    query: lineageQuery,
    responses: { 200: json('Nodes and edges.', lineageView) },
    errors: ['NOT_FOUND'],
  },
  {
    method: 'get',
    path: '/v3/scheduler/drift',
    operationId: 'checkSchedulerDrift',
    summary: "Compare the scheduler's workflows with the catalog",
    tag: 'scheduler',
    access: 'scoped',
    responses: { 200: json('What differs.', driftReport) },
    errors: ['SCHEDULER_ERROR'],
  },
  {
    method: 'post',
    path: '/v3/scheduler/drift/repair',
    operationId: 'repairSchedulerDrift',
    summary: "Make the scheduler's workflows match the catalog (admin)",
    tag: 'scheduler',
    access: 'scoped',
    responses: { 200: json('What differed and what was done.', driftReport) },
    errors: ['SCHEDULER_ERROR'],
  },
];
