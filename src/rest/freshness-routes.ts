/**
 * REST v3 routes of the freshness monitor: `GET /v3/freshness` (every table's state, worst first) and
 * `GET /v3/freshness/events` (the recorded transitions, newest first).
 */
import type { Express } from 'express';
import { z } from 'zod';
import type { DynamicTableManager } from '../manager/dynamic-table-manager';
import { instant, wholeNumber } from './schemas';

const freshnessQuery = z.object({}).strict();

export const eventsQuery = z
  .object({
    table: z
      .string({ error: 'expected one dynamic table identifier' })
      .min(1, 'expected a table identifier')
      .optional(),
    since: instant.optional(),
    limit: wholeNumber(1000).optional(),
  })
  .strict();

export function addFreshnessRoutes(app: Express, manager: DynamicTableManager): void {
  app.get('/v3/freshness', async (req, res) => {
    freshnessQuery.parse(req.query);
    const now = new Date();
    const tables = (await manager.freshness(now)).map(({ key: _key, ...shown }) => shown);
    res.json({ tables, checkedAt: now.toISOString() });
  });

  app.get('/v3/freshness/events', async (req, res) => {
    const { table, since, limit = 100 } = eventsQuery.parse(req.query);
    const events = await manager.freshnessEvents({
      ...(table !== undefined ? { table } : {}),
      ...(since !== undefined ? { since } : {}),
      limit,
    });
    res.json({ events: events.map(({ tableKey: _key, identifier, ...rest }) => ({ table: identifier, ...rest })) });
  });
}
