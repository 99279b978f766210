/**
 * The yardstick for callback throughput: the cheapest express route that answers a refresh callback the way
 * Freshet does (`{jobId, clusterInfo}`), with no validation, catalog or engine behind it.
 */
import { randomUUID } from 'node:crypto';
import express, { type Express } from 'express';

export function createBareRefreshApp(): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.post('/v3/dynamic-tables/refresh', express.json(), (_req, res) => {
    res.json({ jobId: randomUUID(), clusterInfo: { engine: 'sqlite', catalog: 'default' } });
  });
  return app;
}
