/** The options of the Flink engine, checked once when the engine is built. */
import { z } from 'zod';
import { validationError } from '../../errors';

const properties = z.record(z.string(), z.string(), { error: 'must map names to string values' });

export const flinkEngineOptionsSchema = z
  .object({
    /** The Flink SQL Gateway's REST endpoint, without `/v3` (http://sql-gateway:8083). */
    url: z
      .url({
        protocol: /^https?$/,
        error: 'url must be the http(s) URL of the Flink SQL Gateway, such as http://sql-gateway:8083',
      })
      .transform((url) => url.replace(/\/+$/, ''))
      .refine((url) => !/\/v\d+$/.test(url), {
        error: 'url must not end with a REST API version such as /v3: give the endpoint, Freshet adds /v3',
      }),
    /** Catalog made current in every session (`USE CATALOG`); absent: the gateway's default catalog. */
    catalog: z.string().min(1).optional(),
    /** Database made current in every session (`USE`); absent: `default_database`. */
    database: z.string().min(1).optional(),
    /** Properties of every session Freshet opens (`rest.address`, `parallelism.default`, …). */
    sessionProperties: properties.default({}),
    /**
     * The `WITH (…)` options of tables Freshet creates. Empty suits catalogs that own their storage (Paimon);
     * the in-memory default catalog needs at least a `connector`.
     */
    tableOptions: properties.default({}),
    /** `execution.target` of the jobs Freshet submits, reported in the refresh's cluster info. */
    executionTarget: z.string().min(1).default('remote'),
    /** Longest pause between two checks of a running statement. */
    pollIntervalMs: z.number().int().min(10).default(500),
    /** Time limit of one REST call to the gateway. */
    requestTimeoutMs: z.number().int().positive().default(30_000),
    /** How often a session is kept alive while a statement runs (the gateway's idle timeout is 10 minutes by default). */
    heartbeatIntervalMs: z.number().int().positive().default(60_000),
  })
  .strict();

/** Options as given (defaults not yet applied). */
export type FlinkEngineOptionsInput = z.input<typeof flinkEngineOptionsSchema>;
export type FlinkEngineOptions = z.output<typeof flinkEngineOptionsSchema>;

/** The options with defaults applied; every problem is reported at once, as a VALIDATION_ERROR. */
export function parseFlinkEngineOptions(input: unknown): FlinkEngineOptions {
  const parsed = flinkEngineOptionsSchema.safeParse(input);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((issue) => `${issue.path.join('.') || 'options'}: ${issue.message}`);
  throw validationError(`Invalid options for the flink engine: ${problems.join('; ')}.`, { details: problems });
}
