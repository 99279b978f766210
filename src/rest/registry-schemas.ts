/** Request bodies and query strings of the source registry's REST routes (DESIGN.md §10), validated with zod. */
import { z } from 'zod';

const name = (what: string) =>
  z
    .string({ error: `expected ${what} as a string` })
    .min(1, `${what} must not be empty`)
    .max(255, `${what} may have at most 255 characters`)
    .regex(/^\S+$/, `${what} must not contain whitespace`);

const instantText = (what: string) =>
  z
    .string({ error: `${what} is required: an ISO-8601 date-time such as 2026-01-31T00:00:00Z` })
    .min(1, `${what} must not be empty`);

const token = z.string({ error: 'expected the access token as a string' }).min(1).optional();

export const sourceBody = z
  .object({
    name: name('the source name'),
    owner: name('the owner'),
    catalog: z.string().min(1).max(128).nullable().optional(),
    table: z.string().min(1).max(255).nullable().optional(),
    timeZone: z.string().min(1).optional(),
    options: z.record(z.string(), z.string({ error: 'expected an option value as a string' })).optional(),
  })
  .strict();

export const providerBody = z
  .object({ name: name('the provider name'), source: name('the source name'), accessToken: token })
  .strict();

export const partitionBody = z
  .object({
    provider: name('the provider name'),
    start: instantText('start'),
    end: instantText('end'),
    state: z
      .enum(['locked', 'ready'], { error: 'expected locked or ready (leave it out to register without an event)' })
      .optional(),
    accessToken: token,
  })
  .strict();

export const partitionEventBody = z
  .object({
    provider: name('the provider name'),
    start: instantText('start'),
    end: instantText('end'),
    accessToken: token,
  })
  .strict();

export const readinessQuery = z.object({ start: instantText('start'), end: instantText('end') }).strict();

/** A whole number from 0 to `max` in a query string. */
const wholeNumber = (max: number) => {
  const why = `expected a whole number from 0 to ${max}`;
  return z
    .string({ error: why })
    .regex(/^[0-9]{1,16}$/, why)
    .transform(Number)
    .refine((n) => n <= max, why);
};

export const sourceDetailQuery = z
  .object({
    limit: wholeNumber(1000).optional(),
    offset: wholeNumber(Number.MAX_SAFE_INTEGER).optional(),
    events: wholeNumber(1000).optional(),
  })
  .strict();

// ---- the surface of the registry Freshet grew from: its parameter names, in the query string or the body ----

const seedToken = z.string().min(1).optional();

export const seedSourceParams = z.object({ source_name: name('source_name'), owner: name('owner') }).strict();

export const seedProviderParams = z
  .object({
    provider_name: name('provider_name'),
    access_token: seedToken,
    source_name: name('source_name').optional(),
  })
  .strict();

export const seedPartitionParams = z
  .object({
    source_name: name('source_name'),
    provider_name: name('provider_name'),
    start: instantText('start'),
    end: instantText('end'),
    access_token: seedToken,
  })
  .strict();

export const seedReadinessParams = z
  .object({ start: instantText('start'), end: instantText('end'), source_name: z.string().optional() })
  .strict();
