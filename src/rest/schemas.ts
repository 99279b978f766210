/** Request bodies of REST v3, validated with zod. */
import { z } from 'zod';

/** Schedulers that can send only flat bodies of strings send JSON maps and booleans as strings. */
const stringMap = z.preprocess(
  (value) => {
    if (typeof value !== 'string') return value;
    if (value.trim() === '') return {};
    try {
      return JSON.parse(value);
    } catch {
      return value;
    }
  },
  z.record(z.string(), z.union([z.string(), z.number(), z.boolean()]).transform(String), {
    error: 'expected an object of string values (or such an object as a JSON string)',
  }),
);

const flexibleBoolean = z.union([z.boolean(), z.enum(['true', 'false']).transform((v) => v === 'true')]);

export const statementBody = z
  .object({
    statement: z.string({ error: 'statement is required: the SQL text to run' }).min(1, 'statement must not be empty'),
    catalog: z.string().optional(),
    database: z.string().optional(),
    /** The client's name for the statement, for `DELETE /v3/statements/{id}` while it runs. */
    statementId: z
      .string()
      .regex(/^[A-Za-z0-9._-]{1,100}$/, 'statementId must be 1 to 100 letters, digits, dots, dashes or underscores')
      .optional(),
  })
  .strict();

export const refreshBody = z
  .object({
    tables: z.union([
      z.array(z.string().min(1)).min(1, 'tables must name at least one dynamic table'),
      z
        .string()
        .min(1, 'tables must name at least one dynamic table')
        .transform((s) =>
          s
            .split(',')
            .map((t) => t.trim())
            .filter((t) => t !== ''),
        ),
    ]),
    scheduleTime: z.string().min(1).optional(),
    timeZone: z.string().min(1).optional(),
    configuration: stringMap.optional(),
    dynamicOptions: stringMap.optional(),
    executionConfig: stringMap.optional(),
    isPeriodic: flexibleBoolean.optional(),
    staticPartitions: stringMap.optional(),
  })
  .strict();

export type RefreshBody = z.infer<typeof refreshBody>;

/** `POST /v3/dynamic-tables/{id}/backfill`: the range, as BACKFILL FROM … TO … takes it. */
export const backfillBody = z
  .object({
    from: z.string({ error: "from is required: a timestamp such as '2024-01-01 00:00:00'" }).min(1),
    to: z.string({ error: "to is required: a timestamp such as '2024-01-08 00:00:00'" }).min(1),
  })
  .strict();

/** Most steps a lineage request walks from its table, each way. */
export const MAX_LINEAGE_DEPTH = 10;

/** The query of `GET /v3/lineage`; a parameter given twice arrives as an array and is refused. */
export const lineageQuery = z
  .object({
    table: z
      .string({ error: 'table is required: the dynamic table (or source table) to start from' })
      .min(1, 'table must name a table'),
    depth: z
      .string({ error: `depth must be one whole number from 0 to ${MAX_LINEAGE_DEPTH}` })
      .regex(/^\d{1,3}$/, `depth must be a whole number from 0 to ${MAX_LINEAGE_DEPTH}`)
      .transform(Number)
      .pipe(z.number().max(MAX_LINEAGE_DEPTH, `depth must be at most ${MAX_LINEAGE_DEPTH}`))
      .default(3),
  })
  .strict();

/** A whole number from 0 to `max` in a query string. */
export const wholeNumber = (max: number) => {
  const why = `expected a whole number from 0 to ${max}`;
  return z
    .string({ error: why })
    .regex(/^[0-9]{1,16}$/, why)
    .transform(Number)
    .refine((n) => n <= max, why);
};

const upperEnum = <T extends readonly [string, ...string[]]>(values: T) =>
  z.preprocess(
    (value) => (typeof value === 'string' ? value.toUpperCase() : value),
    z.enum(values, { error: `expected one of ${values.join(', ')}` }),
  );

export const instant = z
  .string({ error: 'expected an ISO-8601 date-time with an offset, such as 2026-01-31T12:00:00Z' })
  .pipe(
    z.iso.datetime({
      offset: true,
      error: 'expected an ISO-8601 date-time with an offset, such as 2026-01-31T12:00:00Z or 2026-01-31T14:00:00+02:00',
    }),
  )
  .transform((text) => new Date(text));

const JOB_STATUSES = ['PENDING', 'WAITING', 'RUNNING', 'SUCCEEDED', 'FAILED', 'SKIPPED'] as const;
const REFRESH_STATES = [...JOB_STATUSES, 'UPSTREAM_FAILED', 'BLOCKED'] as const;
const TRIGGERS = ['SCHEDULED', 'MANUAL', 'CREATION', 'CONTINUOUS'] as const;

/** The query string of `GET /v3/jobs`. */
export const jobsQuery = z
  .object({
    status: upperEnum(JOB_STATUSES).optional(),
    table: z
      .string({ error: 'expected one dynamic table identifier' })
      .min(1, 'expected a table identifier')
      .optional(),
    trigger: upperEnum(TRIGGERS).optional(),
    since: instant.optional(),
    limit: wholeNumber(1000).optional(),
    offset: wholeNumber(Number.MAX_SAFE_INTEGER).optional(),
  })
  .strict();

/** The query string of `GET /v3/dynamic-tables/{id}/refreshes`. */
export const refreshesQuery = z
  .object({
    status: upperEnum(REFRESH_STATES).optional(),
    since: instant.optional(),
    limit: wholeNumber(1000).optional(),
    offset: wholeNumber(Number.MAX_SAFE_INTEGER).optional(),
  })
  .strict();

/** The body of `POST /v3/jobs/{jobId}/publish` and `…/discard` (optional as a whole). */
export const blockedResultBody = z
  .object({
    table: z
      .string({ error: 'expected one dynamic table identifier' })
      .min(1, 'expected a table identifier')
      .optional()
      .meta({ description: 'The table whose blocked result to decide on; needed only when the job blocked several.' }),
  })
  .strict();
