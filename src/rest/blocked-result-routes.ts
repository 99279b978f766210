/** REST v3 routes that decide on results a publish guard blocked: `POST /v3/jobs/{jobId}/publish` and `…/discard`. */
import type { Express } from 'express';
import type { DynamicTableManager } from '../manager/dynamic-table-manager';
import { callerName } from './auth';
import { optionalJsonBody } from './request-body';
import { blockedResultBody } from './schemas';

export function addBlockedResultRoutes(app: Express, manager: DynamicTableManager): void {
  app.post('/v3/jobs/:jobId/publish', async (req, res) => {
    const { table } = blockedResultBody.parse(optionalJsonBody(req));
    const request = {
      jobId: String(req.params.jobId),
      actor: callerName(res),
      ...(table === undefined ? {} : { table }),
    };
    res.json(await manager.publishBlocked(request));
  });

  app.post('/v3/jobs/:jobId/discard', async (req, res) => {
    const { table } = blockedResultBody.parse(optionalJsonBody(req));
    const request = {
      jobId: String(req.params.jobId),
      actor: callerName(res),
      ...(table === undefined ? {} : { table }),
    };
    res.json(await manager.discardBlocked(request));
  });
}
