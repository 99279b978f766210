/**
 * REST v3: translates HTTP into calls on the gateway's services and errors into HTTP. It decides nothing.
 */
import { randomUUID } from 'node:crypto';
import express, { type Express, type Request, type RequestHandler } from 'express';
import { type ErrorCode, httpStatusOf, isStorageFullMessage, notFound, validationError } from '../errors';
import type { Logger } from '../logger';
import type { DiscoveryService } from '../discovery/discovery-service';
import type { DynamicTableManager } from '../manager/dynamic-table-manager';
import type { StatementService } from '../manager/statement-service';
import type { JobDetail } from '../manager/table-view';
import { authenticate, callerScopes, type TokenGrant } from './auth';
import { addConsole } from './console-routes';
import { errorHandler, sendError } from './error-handler';
import { addDatasetRoutes } from './dataset-routes';
import { addFreshnessRoutes } from './freshness-routes';
import { addHistoryRoutes } from './history-routes';
import { addDocsPage, addOpenApiRoute } from './openapi-docs';
import { addMetricsRoute, requestMetrics } from './metrics-routes';
import { addRegistryCompatRoutes } from './registry-compat-routes';
import { addRegistryRoutes } from './registry-routes';
import { addReflectionRoutes } from './reflection-routes';
import { addBlockedResultRoutes } from './blocked-result-routes';
import { jsonBody } from './request-body';
import { backfillBody, lineageQuery, refreshBody, statementBody } from './schemas';

export interface RestDependencies {
  readonly manager: DynamicTableManager;
  /** Discovery, dataset profiles and search; its routes answer INVALID_STATE without it. */
  readonly discovery?: DiscoveryService;
  readonly statements: StatementService;
  readonly schedulerType: string;
  readonly bodyLimitBytes: number;
  readonly maxWaitSeconds: number;
  readonly tokens: readonly TokenGrant[];
  /** Recognises callback tokens minted for workflows. */
  readonly isCallbackToken: (token: string) => Promise<boolean>;
  readonly logger: Logger;
}

function intParam(req: Request, name: string, fallback: number, max: number): number {
  const raw = req.query[name];
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (typeof raw !== 'string' || !Number.isInteger(value) || value < 0 || value > max) {
    throw validationError(`Query parameter ${name} must be a whole number from 0 to ${max}; got '${String(raw)}'.`);
  }
  return value;
}

/** Why storage is full, when the health checks say it is. */
async function storageFullReason(manager: DynamicTableManager): Promise<string | undefined> {
  const checks = await manager.health();
  return [checks.catalog, checks.engine].find((check) => check.startsWith('full: '))?.slice('full: '.length);
}

/**
 * The status of a job waited for: 200 succeeded (or skipped: its sources were not ready), 500 failed, 202 still
 * running or waiting. A refresh that failed for want of
 * storage is the gateway's condition (507, with the STORAGE_FULL error), not a bug.
 */
function waitedStatus(detail: JobDetail | null): [number, { error?: { code: ErrorCode; message: string } }] {
  if (detail?.status === 'SUCCEEDED' || detail?.status === 'SKIPPED') return [200, {}];
  if (detail?.status !== 'FAILED') return [202, {}];
  const full = [detail.error, ...detail.tables.map((t) => t.error)].find((message) => isStorageFullMessage(message));
  if (full === undefined) return [500, {}];
  return [httpStatusOf('STORAGE_FULL'), { error: { code: 'STORAGE_FULL', message: full } }];
}

/** Logs each request's method, path, status and time at debug level: an operator turns it on to find slow calls. */
function requestTiming(logger: Logger): RequestHandler {
  return (req, res, next) => {
    const started = performance.now();
    res.once('close', () =>
      logger.debug('request', {
        method: req.method,
        path: req.path,
        status: res.statusCode,
        durationMs: Math.round(performance.now() - started),
      }),
    );
    next();
  };
}

/** What users read about dynamic tables (the list, one table, the lineage around a table), and backfills. */
function addTableRoutes(app: Express, manager: DynamicTableManager): void {
  app.get('/v3/dynamic-tables', async (req, res) => {
    const limit = intParam(req, 'limit', 100, 1000);
    const offset = intParam(req, 'offset', 0, Number.MAX_SAFE_INTEGER);
    const page = await manager.summaries(offset, limit);
    res.json({
      tables: page.tables,
      total: page.total,
      ...(offset + limit < page.total ? { nextOffset: offset + limit } : {}),
    });
  });

  app.get('/v3/dynamic-tables/:id', async (req, res) => {
    res.json(await manager.detail(await manager.getTable(String(req.params.id))));
  });

  app.post('/v3/dynamic-tables/:id/backfill', async (req, res) => {
    const outcome = await manager.backfill(String(req.params.id), backfillBody.parse(jsonBody(req)));
    const windows = outcome.windows ?? [];
    res.json({ message: outcome.message, jobIds: windows.map((w) => w.jobId), windows });
  });

  app.get('/v3/lineage', async (req, res) => {
    const query = lineageQuery.parse(req.query);
    res.json(await manager.lineage(query.table, query.depth));
  });
}

/**
 * `POST /v3/statements` runs a script under an id (the client's `statementId`, else a new one), reported in the
 * `Freshet-Statement-Id` header; `DELETE /v3/statements/{id}` cancels it while it runs.
 */
function statementRoutes(app: Express, statements: StatementService): void {
  app.post('/v3/statements', async (req, res) => {
    const body = statementBody.parse(jsonBody(req));
    const where = { catalog: body.catalog, database: body.database };
    const id = body.statementId ?? randomUUID();
    res.setHeader('Freshet-Statement-Id', id);
    // A client that goes away before its answer cancels its statements ('close' before the response ends).
    const gone = new AbortController();
    res.on('close', () => {
      if (!res.writableFinished) gone.abort();
    });
    const control = { id, signal: gone.signal };
    res.json({ results: await statements.executeScript(body.statement, where, callerScopes(res), control) });
  });

  app.delete('/v3/statements/:id', (req, res) => {
    const id = String(req.params.id);
    statements.cancel(id);
    res.status(202).json({ statementId: id, status: 'CANCELLING' });
  });
}

export function createRestApp(deps: RestDependencies): Express {
  const { manager, statements } = deps;
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.use(requestTiming(deps.logger));
  app.use(requestMetrics(manager.metrics.registry));
  app.use(express.text({ type: () => true, limit: deps.bodyLimitBytes, defaultCharset: 'utf-8' }));
  addDocsPage(app);
  addConsole(app);
  app.use(authenticate(deps.tokens, deps.isCallbackToken));
  addOpenApiRoute(app);

  app.get('/health', async (_req, res) => {
    const checks = await manager.health();
    const ok = checks.catalog === 'ok' && checks.engine === 'ok';
    res.status(ok ? 200 : 503).json({ status: ok ? 'ok' : 'degraded', ...checks, scheduler: deps.schedulerType });
  });

  statementRoutes(app, statements);

  app.post('/v3/dynamic-tables/refresh', async (req, res) => {
    const waitSeconds = req.query.wait === undefined ? null : Number(req.query.wait);
    if (
      waitSeconds !== null &&
      (!Number.isFinite(waitSeconds) || waitSeconds < 0 || waitSeconds > deps.maxWaitSeconds)
    ) {
      throw validationError(
        `Query parameter wait must be a number of seconds from 0 to ${deps.maxWaitSeconds}; got ` +
          `'${String(req.query.wait)}'.`,
      );
    }
    const body = refreshBody.parse(jsonBody(req));
    const job = await manager.requestRefresh({
      tables: body.tables,
      ...(body.scheduleTime !== undefined ? { scheduleTime: body.scheduleTime } : {}),
      ...(body.timeZone !== undefined ? { timeZone: body.timeZone } : {}),
      configuration: { ...body.dynamicOptions, ...body.configuration },
      // A scheduler's call (the seed's `{tables, scheduleTime, configuration}`) is periodic without saying so.
      isPeriodic: body.isPeriodic ?? body.scheduleTime !== undefined,
      ...(body.staticPartitions !== undefined ? { staticPartitions: body.staticPartitions } : {}),
    });
    if (waitSeconds === null) {
      res.json({ jobId: job.jobId, clusterInfo: job.clusterInfo });
      return;
    }
    await manager.waitForJob(job.jobId, waitSeconds * 1000);
    const detail = await manager.job(job.jobId);
    const [status, error] = waitedStatus(detail);
    res.status(status).json({ jobId: job.jobId, clusterInfo: job.clusterInfo, job: detail, ...error });
  });

  app.get('/v3/jobs/:jobId', async (req, res) => {
    const detail = await manager.job(String(req.params.jobId));
    if (!detail) throw notFound(`Refresh job ${String(req.params.jobId)} does not exist.`);
    res.json(detail);
  });

  addTableRoutes(app, manager);
  addHistoryRoutes(app, manager);
  addBlockedResultRoutes(app, manager);
  addFreshnessRoutes(app, manager);
  addRegistryRoutes(app, manager.registry);
  addRegistryCompatRoutes(app, manager.registry);
  addReflectionRoutes(app, manager);
  addDatasetRoutes(app, () => deps.discovery);
  addMetricsRoute(app, manager.metrics);

  app.get('/v3/scheduler/drift', async (_req, res) => {
    res.json(await manager.checkDrift(false));
  });

  app.post('/v3/scheduler/drift/repair', async (_req, res) => {
    res.json(await manager.checkDrift(true));
  });

  app.use((req, res) =>
    sendError(res, 'NOT_FOUND', `There is no ${req.method} ${req.path}; see the REST API in README.md.`),
  );
  app.use(errorHandler(deps.logger, () => storageFullReason(manager)));
  return app;
}
