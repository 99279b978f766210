/**
 * Zod schemas of what REST v3 answers, for the OpenAPI document (src/rest/openapi.ts). They follow the view types
 * of src/manager (table-view.ts, lineage-view.ts, scheduler-drift.ts, registry/) field for field; test/openapi.test.ts
 * parses real responses with them. Objects are open (extra fields allowed): a client must ignore fields it does not
 * know, so that a field added to a view breaks nobody.
 */
import { z } from 'zod';
import { ERROR_STATUS, type ErrorCode } from '../errors';

const instant = z.string().meta({ description: 'ISO-8601 date-time, UTC' });
const stringMap = z.record(z.string(), z.string());
const count = z.number().int();

export const ERROR_CODES = Object.keys(ERROR_STATUS) as [ErrorCode, ...ErrorCode[]];

/** The body of every error: `{error: {code, message, line?, column?, details?}}` (DESIGN.md §6). */
export const errorBody = z
  .object({
    code: z.enum(ERROR_CODES),
    message: z.string().meta({ description: 'What went wrong and what to fix.' }),
    line: count.optional().meta({ description: '1-based line in the SQL the client sent.' }),
    column: count.optional().meta({ description: '1-based column in the SQL the client sent.' }),
    details: z.unknown().optional().meta({ description: 'Validation issues, one per field, and the like.' }),
  })
  .meta({ id: 'ErrorBody' });

const envelopes = new Map<string, z.ZodObject>();

/** The error envelope, its code limited to `codes`: one named component per set of codes. */
export function errorEnvelope(codes: readonly [ErrorCode, ...ErrorCode[]]): z.ZodObject {
  const id = `Error_${codes.join('_')}`;
  let envelope = envelopes.get(id);
  if (envelope === undefined) {
    envelope = z.object({ error: errorBody.extend({ code: z.enum(codes) }) }).meta({ id });
    envelopes.set(id, envelope);
  }
  return envelope;
}

const waitingOn = z
  .object({
    start: instant,
    end: instant,
    until: instant,
    sources: z.array(
      z.object({
        source: z.string(),
        gaps: z.array(z.tuple([instant, instant])),
        locked: z.array(z.object({ start: instant, end: instant, provider: z.string() })),
        problem: z.string().optional(),
      }),
    ),
  })
  .meta({ id: 'WaitingOn', description: 'What a gated refresh waits (or waited) for.' });

const refreshAction = z.enum(['FULL', 'INCREMENTAL', 'NO_DATA']);

const guardReport = z
  .object({
    blocked: z.boolean(),
    results: z.array(
      z.object({
        guard: z
          .string()
          .meta({ description: '`allow_empty`, `min_rows`, `max_row_change_ratio`, …, `expect.<name>`.' }),
        verdict: z.enum(['PASSED', 'WARNED', 'BLOCKED']),
        observed: z.number().meta({ description: 'A row count, a ratio, or the rows breaking an expectation.' }),
        expected: z.string().meta({ description: 'What the guard asks for, as a person reads it.' }),
      }),
    ),
    rowsDropped: count.meta({ description: 'Rows DROP ROW expectations removed.' }),
  })
  .meta({ id: 'GuardReport', description: "How a refresh's result fared against the table's publish guards." });

const resolution = z.enum(['PUBLISHED', 'DISCARDED']);

const expectation = z.object({
  name: z.string(),
  condition: z.string(),
  onViolation: z.enum(['WARN', 'DROP_ROW', 'FAIL_REFRESH']),
});

const guards = z
  .object({
    allowEmpty: z.boolean(),
    minRows: count.nullable(),
    maxRowChangeRatio: z.number().nullable(),
    maxNullRatio: z.record(z.string(), z.number()),
    expectations: z.array(expectation),
  })
  .meta({ id: 'PublishGuards', description: "What refuses a refresh's result before it replaces the table." });

/** The answer of `POST /v3/jobs/{jobId}/publish` and `…/discard`. */
export const blockedResultAnswer = z
  .object({
    message: z.string(),
    jobId: z.string(),
    table: z.string(),
    partition: stringMap.nullable(),
    resolution,
    resolvedBy: z.string().nullable(),
    resolvedAt: instant,
    rowsWritten: count.optional(),
    rowsDeleted: count.optional(),
  })
  .meta({ id: 'BlockedResultDecision' });

export const refreshView = z
  .object({
    jobId: z.string(),
    table: z.string(),
    trigger: z.string(),
    scheduleTime: instant,
    partition: stringMap.nullable(),
    state: z.string(),
    rowsWritten: count.nullable().meta({ description: 'Rows inserted; -1 when the engine cannot tell.' }),
    rowsDeleted: count.nullable(),
    action: refreshAction.nullable(),
    actionDetail: z.string().nullable(),
    dataTimestamp: instant.nullable(),
    waitingOn: waitingOn.nullable(),
    errorCode: z.string().nullable(),
    guards: guardReport.nullable(),
    resolution: resolution.nullable(),
    resolvedBy: z.string().nullable(),
    resolvedAt: instant.nullable(),
    startedAt: instant.nullable(),
    finishedAt: instant.nullable(),
    error: z.string().nullable(),
  })
  .meta({ id: 'Refresh' });

const lastRefreshBrief = z.object({ state: z.string(), at: instant, error: z.string().nullable() });

export const tableSummary = z
  .object({
    identifier: z.string(),
    name: z.string(),
    engine: z.string(),
    refreshMode: z.string(),
    refreshStatus: z.string(),
    freshness: z.string(),
    validThrough: instant.nullable(),
    dataTimestamp: instant.nullable(),
    lagSeconds: count.nullable(),
    suspendedReason: z.string().nullable(),
    lastRefresh: lastRefreshBrief.nullable(),
    nextRun: instant
      .nullable()
      .meta({ description: 'When the schedule next fires; null when suspended or continuous.' }),
  })
  .meta({ id: 'TableSummary' });

const neighbour = z.object({ id: z.string(), kind: z.enum(['dynamic', 'source']) });

export const tableDetail = z
  .object({
    identifier: z.string(),
    location: z.object({ catalog: z.string(), database: z.string(), table: z.string(), engine: z.string() }),
    incremental: z.object({
      eligible: z.boolean(),
      shape: z.string().optional(),
      reason: z.string().optional(),
      detail: z.string(),
      applied: z.enum(['INCREMENTAL', 'FULL']),
      appliedReason: z.string().optional(),
    }),
    definitionQuery: z.string(),
    freshness: z.object({ interval: z.number(), unit: z.string(), text: z.string() }),
    logicalRefreshMode: z.string(),
    refreshMode: z.string(),
    refreshStatus: z.string(),
    partitionKeys: z.array(z.string()),
    options: stringMap,
    schema: z.array(z.object({ name: z.string(), type: z.string(), nullable: z.boolean() })),
    primaryKey: z.array(z.string()).nullable(),
    guards,
    comment: z.string().nullable(),
    sourceTables: z.array(z.string()),
    upstream: z.array(neighbour),
    downstream: z.array(neighbour),
    scheduler: z.object({
      type: z.string().nullable(),
      cron: z.string().nullable(),
      handler: z.unknown().meta({ description: "The scheduler's handle on the table's workflow (or job)." }),
      nextRun: instant
        .nullable()
        .meta({ description: 'When the schedule next fires; null when suspended or continuous.' }),
    }),
    validThrough: instant.optional(),
    dataTimestamp: instant.optional(),
    lagSeconds: count.optional(),
    lastRefresh: refreshView.extend({ at: instant }).optional(),
    suspendedReason: z.string().nullable(),
    availability: z
      .object({
        validThrough: instant.nullable(),
        readyThrough: instant.nullable(),
        minTemporalPartition: z.string().nullable(),
        maxTemporalPartition: z.string().nullable(),
        partitions: count.nullable(),
      })
      .meta({ description: 'How far its data is available (DESIGN.md §10).' }),
    schemaDrift: z
      .array(z.looseObject({}))
      .optional()
      .meta({ description: 'Changes of the tables it reads that affect it (ADDITIVE or BREAKING), oldest first.' }),
    createdAt: instant,
    updatedAt: instant,
  })
  .meta({ id: 'TableDetail' });

export const tablePage = z.object({
  tables: z.array(tableSummary),
  total: count,
  nextOffset: count.optional().meta({ description: 'The offset of the next page, when there is one.' }),
});

export const lineageView = z
  .object({
    nodes: z.array(
      z.object({
        id: z.string(),
        kind: z.enum(['dynamic', 'source']),
        catalog: z.string(),
        status: z.string().optional(),
        freshness: z.string().optional(),
        validThrough: instant.optional(),
        lagSeconds: count.optional(),
      }),
    ),
    edges: z.array(z.object({ from: z.string(), to: z.string() }).meta({ description: '`from` is read by `to`.' })),
  })
  .meta({ id: 'Lineage' });

const jobTable = z.object({
  table: z.string(),
  status: z.string(),
  partition: stringMap.optional(),
  rowsWritten: count.optional(),
  rowsDeleted: count.optional(),
  action: refreshAction.optional(),
  actionDetail: z.string().optional(),
  dataTimestamp: instant.optional(),
  waitingOn: waitingOn.optional(),
  errorCode: z.string().optional(),
  guards: guardReport.optional(),
  resolution: resolution.optional(),
  resolvedBy: z.string().optional(),
  resolvedAt: instant.optional(),
  startedAt: instant.optional(),
  finishedAt: instant.optional(),
  error: z.string().optional(),
});

export const jobDetail = z
  .object({
    jobId: z.string(),
    status: z.string(),
    trigger: z.string(),
    attempt: count,
    scheduleTime: instant,
    isPeriodic: z.boolean(),
    tables: z.array(jobTable),
    clusterInfo: stringMap,
    createdAt: instant,
    startedAt: instant.optional(),
    finishedAt: instant.optional(),
    error: z.string().optional(),
  })
  .meta({ id: 'Job' });

export const jobPage = z.object({ jobs: z.array(jobDetail), total: count });

export const refreshAnswer = z
  .object({
    jobId: z.string(),
    clusterInfo: stringMap,
    job: jobDetail.nullable().optional().meta({ description: 'With ?wait: the job as it stood when the wait ended.' }),
    error: errorBody.optional().meta({ description: 'With ?wait, when the refresh failed for want of storage.' }),
  })
  .meta({ id: 'RefreshAnswer' });

export const health = z.object({
  status: z.enum(['ok', 'degraded']),
  catalog: z.string(),
  engine: z.string(),
  scheduler: z.string(),
});

const statementResult = z
  .discriminatedUnion('kind', [
    z.object({
      kind: z.literal('rows'),
      columns: z.array(z.string()),
      rows: z.array(z.array(z.unknown())),
      truncated: z.boolean().optional(),
      message: z.string().optional(),
      table: tableDetail.optional(),
    }),
    z.object({
      kind: z.literal('ok'),
      message: z.string(),
      table: z.string().optional(),
      jobId: z.string().optional(),
      rowsAffected: count.optional(),
    }),
  ])
  .meta({ id: 'StatementResult' });

export const statementResults = z.object({ results: z.array(statementResult) });

export const statementCancel = z.object({ statementId: z.string(), status: z.literal('CANCELLING') });

export const driftReport = z
  .object({
    checkedAt: instant,
    scheduler: z.string(),
    tablesChecked: count,
    missing: z.array(z.object({ table: z.string() })),
    wronglyPaused: z.array(z.object({ table: z.string(), expectedPaused: z.boolean(), actualPaused: z.boolean() })),
    wrongSchedule: z.array(z.object({ table: z.string(), expected: z.string(), actual: z.string() })),
    extra: z.array(
      z.object({ tableIdentifier: z.string().nullable(), handler: z.unknown(), paused: z.boolean().nullable() }),
    ),
    orphansPending: z.array(z.object({ tableIdentifier: z.string(), reason: z.string().nullable() })),
    errors: z.array(z.object({ table: z.string().optional(), message: z.string() })),
    repaired: z.array(z.string()).optional(),
  })
  .meta({ id: 'DriftReport' });

/** Any JSON object: the OpenAPI document itself. */
export const anyObject = z.record(z.string(), z.unknown());
