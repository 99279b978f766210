/** REST v3 routes of reflection: a table's schema versions, and a reflection pass on demand. */
import type { Express } from 'express';
import type { DynamicTableManager } from '../manager/dynamic-table-manager';

export function addReflectionRoutes(app: Express, manager: DynamicTableManager): void {
  app.get('/v3/tables/:id/schema-versions', async (req, res) => {
    res.json(await manager.schemaHistory(String(req.params.id)));
  });

  app.post('/v3/reflection/run', async (_req, res) => {
    res.json(await manager.runReflection());
  });
}
