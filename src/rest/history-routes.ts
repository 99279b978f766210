/** REST v3 routes that find jobs and refreshes: `GET /v3/jobs` and `GET /v3/dynamic-tables/{id}/refreshes`. */
import type { Express } from 'express';
import type { DynamicTableManager } from '../manager/dynamic-table-manager';
import { jobsQuery, refreshesQuery } from './schemas';

export function addHistoryRoutes(app: Express, manager: DynamicTableManager): void {
  app.get('/v3/jobs', async (req, res) => {
    const { table, status, trigger, since, limit = 100, offset = 0 } = jobsQuery.parse(req.query);
    const page = await manager.jobs({
      ...(table !== undefined ? { table } : {}),
      ...(status !== undefined ? { status } : {}),
      ...(trigger !== undefined ? { trigger } : {}),
      ...(since !== undefined ? { since } : {}),
      limit,
      offset,
    });
    res.json(page);
  });

  app.get('/v3/dynamic-tables/:id/refreshes', async (req, res) => {
    const { status, since, limit = 50, offset = 0 } = refreshesQuery.parse(req.query);
    const query = { ...(status !== undefined ? { status } : {}), ...(since !== undefined ? { since } : {}) };
    res.json({ refreshes: await manager.refreshHistory(String(req.params.id), { ...query, limit, offset }) });
  });
}
