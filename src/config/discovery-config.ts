/** The `discovery` section of the configuration: discoverers, and how datasets are profiled (DESIGN.md §11). */
import { z } from 'zod';

/** One discoverer: `type` is a built-in (`catalogs`, `files`), a module path or a package name. */
const discovererEntrySchema = z
  .object({
    type: z.string().min(1),
    /** Names the discoverer in dataset ids, errors and `POST /v3/discoverers/{id}/run`; its type by default. */
    id: z
      .string()
      .regex(/^[A-Za-z0-9_-]{1,64}$/, 'a discoverer id is 1 to 64 letters, digits, _ or -')
      .optional(),
    options: z.record(z.string(), z.unknown()).default({}),
    /** How often `discover` runs (a duration), or `manual`: only on `POST /v3/discoverers/{id}/run`. */
    schedule: z.union([z.string().min(1), z.number().int().positive(), z.literal('manual')]).default('1 hour'),
    enabled: z.boolean().default(true),
  })
  .strict();

export const discoverySchema = z
  .object({
    /** The built-in `catalogs` discoverer runs unless listed with `enabled: false`. */
    discoverers: z.array(discovererEntrySchema).default([]),
    profile: z
      .object({
        /** Rows profiled exactly; a larger dataset is profiled on a seeded sample of about this many rows. */
        sampleRows: z.number().int().positive().default(100_000),
        /** The sample's seed: the same data gives the same sample. */
        seed: z.number().int().min(0).max(2_147_483_647).default(1),
        /** Profiles computed at the same time, at most. */
        concurrency: z.number().int().min(1).max(64).default(2),
        /** Profiles kept per dataset (the newest). */
        keep: z.number().int().positive().default(50),
        /** A file larger than this is recorded but marked too big to profile. */
        maxFileBytes: z
          .number()
          .int()
          .positive()
          .default(4 * 1024 ** 3),
      })
      .strict()
      .prefault({}),
    /** How long a search waits for discoverers that answer queries on demand. */
    queryDeadlineMs: z.number().int().min(0).max(60_000).default(2000),
    /** How long after start the scheduled discoverers first run (start-up and early requests go first). */
    firstRunSeconds: z.number().min(0).default(30),
  })
  .strict()
  .prefault({});
