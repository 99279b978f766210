/** The `scheduler.options` of the DolphinScheduler plugin, validated at start-up with every problem reported. */
import { z } from 'zod';
import { isValidTimeZone } from '../../src/plugin-api';

const timeZone = (what: string, missing: string) =>
  z
    .string({ error: missing })
    .refine(isValidTimeZone, { error: `${what} must be an IANA time zone such as 'UTC' or 'Asia/Shanghai'` });

/** The longest `?wait=` the gateway accepts by default (`refresh.maxWaitSeconds`). */
const GATEWAY_MAX_WAIT_SECONDS = 3600;

export const dolphinSchedulerOptionsSchema = z
  .object({
    /** The API root, context path included: `http://ds-api:12345/dolphinscheduler`. */
    baseUrl: z
      .url({
        protocol: /^https?$/,
        error: 'baseUrl must be an http(s) URL such as http://ds-api:12345/dolphinscheduler',
      })
      .transform((url) => url.replace(/\/+$/, '')),
    /** An access token (Security → Token Manage); sent as the `token` header. */
    token: z
      .string({ error: 'token is required: an access token created in DolphinScheduler' })
      .min(1, 'token must not be empty'),
    /** The project that holds Freshet's workflows; found by exact name, created when missing. */
    projectName: z.string({ error: 'projectName is required' }).min(1, 'projectName must not be empty').max(100),
    /** The DolphinScheduler release line: paths and parameter names differ between them. */
    version: z.enum(['3.1', '3.2', '3.3'], { error: "version must be '3.1', '3.2' or '3.3'" }).default('3.2'),
    /** The tenant the task runs as: on the workflow in 3.1, on the schedule from 3.2 on. */
    tenantCode: z.string().min(1).default('default'),
    workerGroup: z.string().min(1).default('default'),
    /** An environment code (a long) for the task and the schedule; none when omitted. */
    environmentCode: z
      .union([z.number().int(), z.string().regex(/^-?\d+$/, 'environmentCode must be an integer code')], {
        error: 'environmentCode must be an integer code',
      })
      .transform(String)
      .optional(),
    /**
     * The time zone of the DolphinScheduler master and worker processes (their `TZ`; the official images use
     * Asia/Shanghai). `$[yyyy-MM-dd HH:mm:ss]` renders the schedule time in it, so the callback names it. Required:
     * a wrong guess would shift every schedule time by hours without any error.
     */
    serverTimeZone: timeZone(
      'serverTimeZone',
      "serverTimeZone is required: the time zone DolphinScheduler's servers run in (TZ; 'Asia/Shanghai' in the " +
        'official images)',
    ),
    /** The Quartz schedule's `timezoneId`; defaults to the time zone of the table's schedule (the gateway's `timeZone`). */
    scheduleTimeZone: timeZone('scheduleTimeZone', 'scheduleTimeZone must be a string').optional(),
    /** How long one call to the DolphinScheduler API may take. */
    requestTimeoutMs: z.number().int().positive().max(600_000).default(30_000),
    /** How often DolphinScheduler retries a failed refresh task. */
    failRetryTimes: z.number().int().min(0).max(10).default(1),
    /** The `?wait=` the HTTP task sends: how long one task waits for the refresh to end (at most the gateway's `refresh.maxWaitSeconds`). */
    callbackWaitSeconds: z.number().int().min(1).max(GATEWAY_MAX_WAIT_SECONDS).default(1800),
  })
  .strict();

export type DolphinSchedulerOptions = z.infer<typeof dolphinSchedulerOptionsSchema>;
