/**
 * REST v3 of the source registry (DESIGN.md §10): sources, providers, partitions, locks and readiness. Writes to a
 * source's partitions, and registering its providers, are authorised by the source's access token (as a bearer
 * token or `accessToken` in the body), or by a gateway token with the admin scope; see src/rest/auth.ts.
 */
import type { Express, Request, Response } from 'express';
import { validationError } from '../errors';
import type { ReadinessAnswer, SourceRegistry } from '../manager/registry/source-registry';
import type { PartitionEventKind, PartitionRecord, SourceRecord } from '../model';
import { bearerToken, isGatewayAdmin } from './auth';
import {
  partitionBody,
  partitionEventBody,
  providerBody,
  readinessQuery,
  sourceBody,
  sourceDetailQuery,
} from './registry-schemas';

/** A source as REST shows it. */
export function sourceView(source: SourceRecord): Record<string, unknown> {
  const { catalogName, tableName, ...rest } = source;
  return { ...rest, catalog: catalogName, table: tableName };
}

export function partitionView(partition: PartitionRecord): Record<string, unknown> {
  return { ...partition };
}

export function readinessView(answer: ReadinessAnswer): Record<string, unknown> {
  const span = ([start, end]: readonly [string, string]) => ({ start, end });
  return {
    source: answer.source,
    start: answer.start,
    end: answer.end,
    ready: answer.ready,
    covered: answer.covered.map(span),
    gaps: answer.gaps.map(span),
    locked: answer.locked,
    readyThrough: answer.readyThrough,
  };
}

/**
 * Refuses a write to a source unless the caller holds its access token (`bodyToken`, else a bearer token that is
 * not one of the gateway's) or a gateway admin token. 404 for an unknown source.
 */
export async function authorizeSourceWrite(
  registry: SourceRegistry,
  req: Request,
  res: Response,
  source: string,
  bodyToken: string | undefined,
): Promise<void> {
  if (isGatewayAdmin(res)) {
    await registry.source(source);
    return;
  }
  await registry.checkToken(source, bodyToken ?? (res.locals.scopes === undefined ? bearerToken(req) : undefined));
}

/** Every body is read as JSON whatever it is labelled (some clients cannot set a content type). */
export function jsonObject(req: Request): unknown {
  const raw = typeof req.body === 'string' ? req.body : '';
  if (raw.trim() === '') throw validationError('The request body is empty; send a JSON object.');
  try {
    return JSON.parse(raw);
  } catch (error) {
    throw validationError(`The request body is not valid JSON: ${(error as Error).message}.`);
  }
}

export function addRegistryRoutes(app: Express, registry: SourceRegistry): void {
  app.post('/v3/sources', async (req, res) => {
    const body = sourceBody.parse(jsonObject(req));
    const { source, accessToken } = await registry.registerSource(body);
    res.status(201).json({ ...sourceView(source), accessToken });
  });

  app.get('/v3/sources', async (_req, res) => {
    res.json({ sources: (await registry.listSources()).map((s) => ({ ...sourceView(s) })) });
  });

  app.get('/v3/sources/:name', async (req, res) => {
    const { limit = 100, offset = 0, events = 20 } = sourceDetailQuery.parse(req.query);
    const detail = await registry.describeSource(String(req.params.name), { limit, offset, events });
    const { partitions, totalPartitions, ...source } = detail;
    res.json({
      ...sourceView(source),
      partitions: {
        items: partitions.map(partitionView),
        total: totalPartitions,
        ...(offset + limit < totalPartitions ? { nextOffset: offset + limit } : {}),
      },
    });
  });

  app.delete('/v3/sources/:name', async (req, res) => {
    const name = String(req.params.name);
    await registry.deleteSource(name);
    res.json({ name, deleted: true });
  });

  app.delete('/v3/sources/:name/providers/:provider', async (req, res) => {
    const source = String(req.params.name);
    const name = String(req.params.provider);
    await registry.deleteProvider(source, name);
    res.json({ source, name, deleted: true });
  });

  app.post('/v3/providers', async (req, res) => {
    const body = providerBody.parse(jsonObject(req));
    await authorizeSourceWrite(registry, req, res, body.source, body.accessToken);
    const { provider, created } = await registry.registerProvider({ name: body.name, source: body.source }, true);
    res.status(created ? 201 : 200).json(provider);
  });

  app.post('/v3/sources/:name/partitions', async (req, res) => {
    const source = String(req.params.name);
    const body = partitionBody.parse(jsonObject(req));
    await authorizeSourceWrite(registry, req, res, source, body.accessToken);
    const key = { provider: body.provider, start: body.start, end: body.end };
    const { partition, created } = await registry.registerPartition(source, key, body.state ?? null);
    res.status(created ? 201 : 200).json(partitionView(partition));
  });

  for (const [path, event] of [
    ['lock', 'LOCK'],
    ['unlock', 'UNLOCK'],
  ] as const) {
    app.post(`/v3/sources/:name/partitions/${path}`, async (req, res) => {
      const source = String(req.params.name);
      const body = partitionEventBody.parse(jsonObject(req));
      await authorizeSourceWrite(registry, req, res, source, body.accessToken);
      const key = { provider: body.provider, start: body.start, end: body.end };
      res.json({ ...partitionView(await registry.mark(source, key, event)), event: event as PartitionEventKind });
    });
  }

  app.get('/v3/sources/:name/readiness', async (req, res) => {
    const { start, end } = readinessQuery.parse(req.query);
    res.json(readinessView(await registry.readiness(String(req.params.name), start, end)));
  });
}
