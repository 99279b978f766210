/**
 * REST v3 routes of discovery (DESIGN.md §11): datasets, their profiles, search, discovery errors, running a
 * discoverer now and materialising a file dataset into a catalog.
 */
import type { Express, Request } from 'express';
import { z } from 'zod';
import { invalidState, validationError } from '../errors';
import type { DiscoveryService } from '../discovery/discovery-service';
import { SEMANTIC_TYPES } from '../discovery/profile-model';
import { wholeNumber } from './schemas';

const KINDS = ['source', 'dynamic_table', 'file'] as const;
const FRESHNESS_STATES = ['FRESH', 'WARN', 'STALE', 'UNKNOWN', 'PAUSED'] as const;

const timeText = z.union([z.iso.datetime({ offset: true }), z.iso.date()], {
  error: 'expected an ISO-8601 date (2024-01-31) or date-time with an offset (2024-01-31T12:00:00Z)',
});

export const datasetId = z.object({
  id: z.string().describe('The dataset id (`catalogs:default.main.orders`), URL-encoded.'),
});

export const datasetListQuery = z
  .object({
    kind: z.enum(KINDS).optional(),
    discoverer: z.string().min(1).optional(),
    limit: wholeNumber(1000).optional(),
    offset: wholeNumber(Number.MAX_SAFE_INTEGER).optional(),
  })
  .strict();

export const profilesQuery = z.object({ limit: wholeNumber(1000).optional() }).strict();

export const profileBody = z
  .object({
    /** Profile only the rows whose columns equal these values. */
    partition: z.record(z.string(), z.string()).optional(),
  })
  .strict();

export const searchBody = z
  .object({
    keywords: z.string().max(1000).optional(),
    kind: z.enum(KINDS).optional(),
    columns: z.array(z.string().min(1)).max(50).optional(),
    types: z.array(z.enum(SEMANTIC_TYPES)).max(20).optional(),
    catalog: z.string().min(1).optional(),
    freshness: z.array(z.enum(FRESHNESS_STATES)).optional(),
    temporal: z
      .object({ start: timeText, end: timeText })
      .strict()
      .refine((t) => Date.parse(t.start) <= Date.parse(t.end), 'temporal.start must not be after temporal.end')
      .optional(),
    page: z.number().int().min(1).max(10_000).optional(),
    size: z.number().int().min(1).max(100).optional(),
  })
  .strict();

export const errorsQuery = z
  .object({
    discoverer: z.string().min(1).optional(),
    dataset: z.string().min(1).optional(),
    limit: wholeNumber(1000).optional(),
  })
  .strict();

export const materializeBody = z
  .object({
    catalog: z.string().min(1).optional(),
    database: z.string().min(1).optional(),
    table: z.string().min(1).optional(),
    replace: z.boolean().optional(),
  })
  .strict();

export const discovererId = z.object({ id: z.string().describe('The discoverer id (`catalogs`, `files`, …).') });

/** A JSON body that may be left out entirely (then `{}`). */
function optionalJsonBody(req: Request): unknown {
  const raw = typeof req.body === 'string' ? req.body : '';
  if (raw.trim() === '') return {};
  try {
    return JSON.parse(raw);
  } catch (error) {
    throw validationError(`The request body is not valid JSON: ${(error as Error).message}.`);
  }
}

export function addDatasetRoutes(app: Express, discoveryOf: () => DiscoveryService | undefined): void {
  const discovery = () => {
    const service = discoveryOf();
    if (service === undefined) throw invalidState('Discovery does not run on this gateway.');
    return service;
  };

  app.get('/v3/datasets', async (req, res) => {
    const { kind, discoverer, limit = 100, offset = 0 } = datasetListQuery.parse(req.query);
    const page = await discovery().list({
      ...(kind !== undefined ? { kind } : {}),
      ...(discoverer !== undefined ? { discoverer } : {}),
      limit,
      offset,
    });
    res.json({ ...page, ...(offset + limit < page.total ? { nextOffset: offset + limit } : {}) });
  });

  app.post('/v3/datasets/search', async (req, res) => {
    res.json(await discovery().search(searchBody.parse(optionalJsonBody(req))));
  });

  app.get('/v3/datasets/:id', async (req, res) => {
    res.json(await discovery().detail(String(req.params.id)));
  });

  app.get('/v3/datasets/:id/profiles', async (req, res) => {
    const { limit = 20 } = profilesQuery.parse(req.query);
    res.json({ profiles: await discovery().profiles(String(req.params.id), limit) });
  });

  app.post('/v3/datasets/:id/profile', async (req, res) => {
    const { partition } = profileBody.parse(optionalJsonBody(req));
    res.json(await discovery().profile(String(req.params.id), partition ?? null));
  });

  app.post('/v3/datasets/:id/materialize', async (req, res) => {
    res.json(await discovery().materialize(String(req.params.id), materializeBody.parse(optionalJsonBody(req))));
  });

  app.get('/v3/discovery/errors', async (req, res) => {
    const { discoverer, dataset, limit = 100 } = errorsQuery.parse(req.query);
    const errors = await discovery().errors({
      ...(discoverer !== undefined ? { discoverer } : {}),
      ...(dataset !== undefined ? { dataset } : {}),
      limit,
    });
    res.json({ errors });
  });

  app.get('/v3/discoverers', (_req, res) => {
    res.json({ discoverers: discovery().discoverers() });
  });

  app.post('/v3/discoverers/:id/run', async (req, res) => {
    res.json(await discovery().runDiscoverer(String(req.params.id)));
  });
}
