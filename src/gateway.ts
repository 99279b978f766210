/**
 * Assembles a gateway from its configuration: catalog, engine, scheduler plugin, refresh runner, manager and
 * the REST app, and stops them in the reverse order.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Catalog } from './catalog/catalog';
import { airflowSchedulerFactory } from '../plugins/airflow';
import { dolphinSchedulerFactory } from '../plugins/dolphinscheduler';
import {
  durationSetting,
  loadConfig,
  type ConfigCheck,
  type FreshetConfig,
  type LoadConfigOptions,
} from './config/config';
import type { Engine } from './engine/engine';
import { createEngine } from './engine/engine-factory';
import { createLogger, type Logger } from './logger';
import { DynamicTableManager } from './manager/dynamic-table-manager';
import { hasDrift } from './manager/scheduler-drift';
import { StatementService } from './manager/statement-service';
import { RefreshRunner } from './refresh/refresh-runner';
import { startReplica } from './replica/replica';
import { createRestApp } from './rest/app';
import { SchedulerRegistry } from './scheduler/registry';
import type { SchedulerContext, WorkflowScheduler } from './scheduler/workflow-scheduler';

export interface Gateway {
  /** Base URL the gateway listens on (`http://127.0.0.1:8083`). */
  readonly url: string;
  readonly manager: DynamicTableManager;
  close(): Promise<void>;
}

/** What `scheduler.type` names without a module path: the embedded scheduler and the plugins shipped with Freshet. */
export const BUILT_IN_SCHEDULERS = new SchedulerRegistry([airflowSchedulerFactory, dolphinSchedulerFactory]);

/**
 * The configuration a gateway starts with: {@link loadConfig} plus the scheduler plugin and its options, every
 * problem listed in one ConfigError.
 */
export function loadGatewayConfig(options: LoadConfigOptions = {}): FreshetConfig {
  const schedulerCheck: ConfigCheck = (input) => BUILT_IN_SCHEDULERS.problems(input.scheduler);
  return loadConfig({ ...options, checks: [...(options.checks ?? []), schedulerCheck] });
}

export async function startGateway(config: FreshetConfig, logger: Logger = createLogger(config.logLevel)): Promise<Gateway> {
  const thresholdSeconds = durationSetting(config.refresh.freshnessThreshold);
  const continuousSeconds = durationSetting(config.refresh.defaultFreshnessContinuous);
  const fullSeconds = durationSetting(config.refresh.defaultFreshnessFull);
  const { factory, options } = BUILT_IN_SCHEDULERS.resolve(config.scheduler.type, config.scheduler.options);

  const catalog = new Catalog(config.catalog.url, config.dataDir);
  await catalog.open();
  const engines = await openEngines(config);
  const defaultCatalog = config.defaultCatalog ?? config.engine.catalogName;
  const defaultEngine = [...engines].find(([name]) => name.toLowerCase() === defaultCatalog.toLowerCase())?.[1] as Engine;

  const host = config.server.host;
  // The real port is known only after listen(); the callback URL is read lazily through this holder.
  const address = { url: config.server.publicUrl ?? `http://${host.includes(':') ? `[${host}]` : host}:${config.server.port}` };
  const replica = await startReplica(catalog, config.replica, logger);
  // The manager decides how each table is refreshed; it is made below, before any job can run.
  const runner = new RefreshRunner(
    catalog,
    (refresh, configuration) => (manager as DynamicTableManager).performRefresh(refresh, configuration),
    { engine: defaultEngine.name, catalog: defaultCatalog },
    logger,
    replica,
  );
  let manager: DynamicTableManager | undefined;
  const context: SchedulerContext = {
    get gatewayUrl() {
      return address.url;
    },
    stateStore: catalog.pluginStateStore(factory.identifier),
    logger,
    now: () => new Date(),
    leadership: replica.leadership,
    triggerRefresh: async (request) => {
      if (!manager) throw new Error('The gateway is not ready yet.');
      await manager.requestRefresh({ tables: request.tables, scheduleTime: request.scheduleTime, configuration: request.configuration, isPeriodic: true });
    },
  };
  const scheduler: WorkflowScheduler = factory.create(options, context);
  manager = new DynamicTableManager(
    catalog,
    engines,
    scheduler,
    runner,
    {
      defaultCatalog,
      timeZone: config.timeZone,
      thresholdSeconds,
      defaultFreshness: { continuousSeconds, fullSeconds },
      statementWaitMs: config.refresh.createWaitSeconds * 1000,
      schedulerType: factory.identifier,
      get callback() {
        return { refreshUrl: `${address.url}/v3/dynamic-tables/refresh`, jobsUrl: `${address.url}/v3/jobs/` };
      },
      authEnabled: config.auth.tokens.length > 0,
      isLeader: replica.isLeader,
    },
    logger,
  );
  await manager.open();
  await scheduler.open();

  const ready = manager;
  const statements = new StatementService(manager, catalog, config.statements.rowLimit);
  const app = createRestApp({
    manager,
    statements,
    schedulerType: factory.identifier,
    bodyLimitBytes: config.server.bodyLimitBytes,
    maxWaitSeconds: config.refresh.maxWaitSeconds,
    tokens: config.auth.tokens,
    isCallbackToken: (token) => ready.isCallbackToken(token),
    logger,
  });
  const server: Server = await new Promise((resolve, reject) => {
    const s = app.listen(config.server.port, host, () => resolve(s));
    s.once('error', reject);
  });
  const port = (server.address() as AddressInfo).port;
  if (config.server.publicUrl === undefined) address.url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  logger.info('Freshet gateway listening', { url: address.url, scheduler: factory.identifier, dataDir: config.dataDir });

  const driftTimer = startDriftChecks(ready, config.scheduler.driftCheckSeconds, logger);
  let closing: Promise<void> | null = null;
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    manager: ready,
    close: () =>
      (closing ??= (async () => {
        if (driftTimer) clearInterval(driftTimer);
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        });
        await scheduler.close();
        await ready.close();
        await runner.close();
        await replica.close();
        for (const engine of engines.values()) await engine.close();
        await catalog.close();
      })()),
  };
}

/** Runs the drift check periodically and logs what it finds; repairing is left to an operator's request. */
function startDriftChecks(manager: DynamicTableManager, seconds: number, logger: Logger): NodeJS.Timeout | null {
  if (seconds <= 0) return null;
  let running = false;
  const timer = setInterval(() => {
    if (running) return;
    running = true;
    manager
      .checkDrift(false)
      .then((report) => {
        if (hasDrift(report) || report.errors.length > 0) logger.warn('scheduler drift found; POST /v3/scheduler/drift/repair repairs it', { report });
      })
      .catch((error: unknown) => logger.warn('scheduler drift check failed', { error: (error as Error).message }))
      .finally(() => {
        running = false;
      });
  }, seconds * 1000);
  timer.unref();
  return timer;
}

/** One engine per catalog: the default SQLite one (unless `catalogs` redefines it) and every configured catalog. */
async function openEngines(config: FreshetConfig): Promise<Map<string, Engine>> {
  const specs = new Map<string, string>([[config.engine.catalogName, `sqlite:${config.engine.path}`]]);
  for (const [name, { url }] of Object.entries(config.catalogs)) {
    for (const existing of [...specs.keys()]) if (existing.toLowerCase() === name.toLowerCase()) specs.delete(existing);
    specs.set(name, url);
  }
  const engines = new Map<string, Engine>();
  try {
    for (const [name, url] of specs) {
      const engine = engineForUrl(url, config);
      await engine.open();
      engines.set(name, engine);
    }
  } catch (error) {
    for (const engine of engines.values()) await engine.close().catch(() => undefined);
    throw error;
  }
  return engines;
}

function engineForUrl(url: string, config: FreshetConfig): Engine {
  return createEngine(url, { baseDir: config.dataDir });
}
