/**
 * The endpoints of the Partition Registry Freshet's registry grew from, with its parameter names (`source_name`,
 * `owner`, `provider_name`, `access_token`, `start`, `end`) in the query string or in a JSON or form body, and
 * real status codes (201, 200, 400, 403, 404, 409) instead of 200 with an error in the body. Unlike that registry,
 * registering, locking and unlocking a partition need the source's access token too (`access_token` or a bearer
 * token): anyone who can reach the gateway could otherwise mark any source ready.
 */
import type { Express, Request } from 'express';
import { forbidden, validationError } from '../errors';
import type { SourceRegistry } from '../manager/registry/source-registry';
import { bearerToken } from './auth';
import { authorizeSourceWrite, partitionView, readinessView, sourceView } from './registry-routes';
import { seedPartitionParams, seedProviderParams, seedReadinessParams, seedSourceParams } from './registry-schemas';

/** The query string and the body (JSON or form-encoded) together; the body wins. */
function params(req: Request): Record<string, unknown> {
  const raw = typeof req.body === 'string' ? req.body.trim() : '';
  let body: Record<string, unknown> = {};
  if (raw.startsWith('{')) {
    try {
      body = JSON.parse(raw) as Record<string, unknown>;
    } catch (error) {
      throw validationError(`The request body is not valid JSON: ${(error as Error).message}.`);
    }
  } else if (raw !== '') {
    body = Object.fromEntries(new URLSearchParams(raw));
  }
  return { ...(req.query as Record<string, unknown>), ...body };
}

/**
 * `2000-01-01 00:00:00+00:00` written into a URL unencoded arrives with a space for its `+` (Python's `str()` of
 * an aware datetime); the space before the offset can only have been a plus.
 */
function seedInstant(text: string): string {
  return text.replace(/(\d{2}:\d{2}:\d{2}(?:\.\d+)?) (\d{2}:?\d{2})$/, '$1+$2');
}

export function addRegistryCompatRoutes(app: Express, registry: SourceRegistry): void {
  app.post('/sources/register', async (req, res) => {
    const p = seedSourceParams.parse(params(req));
    const { source, accessToken } = await registry.registerSource({ name: p.source_name, owner: p.owner });
    res.status(201).json({ ...sourceView(source), source_name: source.name, accessToken, access_token: accessToken });
  });

  app.post('/providers/register', async (req, res) => {
    const p = seedProviderParams.parse(params(req));
    const token = p.access_token ?? bearerToken(req);
    let sourceName = p.source_name;
    if (sourceName === undefined) {
      // That registry names the source by its token alone.
      if (token === undefined) throw forbidden('access_token: send the access token of the source to provide.');
      const source = await registry.sourceOfToken(token);
      if (source === null) throw forbidden('access_token: it is not the access token of any registered source.');
      sourceName = source.name;
    }
    await authorizeSourceWrite(registry, req, res, sourceName, p.access_token);
    const { provider, created } = await registry.registerProvider({ name: p.provider_name, source: sourceName }, true);
    res.status(created ? 201 : 200).json({ ...provider, source_name: provider.source, provider_name: provider.name });
  });

  app.post('/partitions/register', async (req, res) => {
    const p = seedPartitionParams.parse(params(req));
    await authorizeSourceWrite(registry, req, res, p.source_name, p.access_token);
    const key = { provider: p.provider_name, start: seedInstant(p.start), end: seedInstant(p.end) };
    const { partition, created } = await registry.registerPartition(p.source_name, key);
    res.status(created ? 201 : 200).json(partitionView(partition));
  });

  for (const [path, event] of [
    ['lock', 'LOCK'],
    ['unlock', 'UNLOCK'],
  ] as const) {
    app.post(`/partitions/${path}`, async (req, res) => {
      const p = seedPartitionParams.parse(params(req));
      await authorizeSourceWrite(registry, req, res, p.source_name, p.access_token);
      const key = { provider: p.provider_name, start: seedInstant(p.start), end: seedInstant(p.end) };
      res.json({ ...partitionView(await registry.mark(p.source_name, key, event)), event });
    });
  }

  app.get('/sources/:name/check_readiness', async (req, res) => {
    const p = seedReadinessParams.parse(req.query);
    const answer = await registry.readiness(String(req.params.name), seedInstant(p.start), seedInstant(p.end));
    const message = answer.ready
      ? `Source ${answer.source} is ready for [${answer.start}, ${answer.end}).`
      : `Source ${answer.source} is not ready for [${answer.start}, ${answer.end}): ` +
        `${answer.gaps.length} gap(s), ${answer.locked.length} locked partition(s).`;
    res.json({ is_ready: answer.ready, message, ...readinessView(answer) });
  });
}
