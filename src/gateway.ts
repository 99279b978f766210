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
import { createEngine } from './engine/registry';
import { DiscoveryStatements } from './discovery/dataset-statements';
import { DiscoveryService } from './discovery/discovery-service';
import { DiscovererRegistry, type ResolvedDiscoverer } from './discovery/registry';
import { createLogger, type Logger } from './logger';
import { DynamicTableManager, type ManagerSettings } from './manager/dynamic-table-manager';
import { Namespaces } from './manager/namespaces';
import { CatchUp } from './manager/catch-up';
import { RefreshRequests } from './manager/refresh-requests';
import { RefreshStrategy } from './manager/refresh-strategy';
import { TableLookup } from './manager/table-lookup';
import { hasDrift } from './manager/scheduler-drift';
import { StatementService } from './manager/statement-service';
import { RefreshRunner } from './refresh/refresh-runner';
import { SourceRegistry } from './manager/registry/source-registry';
import { TableWindows } from './manager/registry/table-windows';
import { startReplica } from './replica/replica';
import { createRestApp } from './rest/app';
import { SchedulerRegistry } from './scheduler/registry';
import type { SchedulerContext, WorkflowScheduler, WorkflowSchedulerFactory } from './scheduler/workflow-scheduler';

export interface Gateway {
  /** Base URL the gateway listens on (`http://127.0.0.1:8083`). */
  readonly url: string;
  readonly manager: DynamicTableManager;
  /** Discovered datasets, their profiles and search (DESIGN.md §11). */
  readonly discovery: DiscoveryService;
  close(): Promise<void>;
}

/** What `scheduler.type` names without a module path: the embedded scheduler and the plugins shipped with Freshet. */
export const BUILT_IN_SCHEDULERS = new SchedulerRegistry([airflowSchedulerFactory, dolphinSchedulerFactory]);

/** What `discovery.discoverers[].type` names without a module path: the discoverers shipped with Freshet. */
export const BUILT_IN_DISCOVERERS = new DiscovererRegistry();

/**
 * The configuration a gateway starts with: {@link loadConfig} plus the scheduler plugin, the discoverers and their
 * options, every problem listed in one ConfigError.
 */
export function loadGatewayConfig(options: LoadConfigOptions = {}): FreshetConfig {
  const schedulerCheck: ConfigCheck = (input) => BUILT_IN_SCHEDULERS.problems(input.scheduler);
  const discoveryCheck: ConfigCheck = (input) => BUILT_IN_DISCOVERERS.problems(input.discovery);
  return loadConfig({ ...options, checks: [...(options.checks ?? []), schedulerCheck, discoveryCheck] });
}

export async function startGateway(
  config: FreshetConfig,
  logger: Logger = createLogger(config.logLevel, undefined, config.logFormat),
): Promise<Gateway> {
  // Whatever has been opened is closed again, newest first, when a later step of start-up fails.
  const opened: Array<() => Promise<void>> = [];
  const closeOpened = async () => {
    for (const close of opened.reverse()) await close().catch(() => undefined);
  };
  try {
    return await assemble(config, logger, opened);
  } catch (error) {
    await closeOpened();
    throw error;
  }
}

type Closers = Array<() => Promise<void>>;

async function assemble(config: FreshetConfig, logger: Logger, opened: Closers): Promise<Gateway> {
  const scheduler = BUILT_IN_SCHEDULERS.resolve(config.scheduler.type, config.scheduler.options);
  const discoverers = BUILT_IN_DISCOVERERS.resolveAll(config.discovery);
  const { catalog, namespaces } = await openData(config, opened);
  const host = config.server.host;
  // The real port is known only after listen(); the callback URL is read lazily through this holder.
  const address = { url: config.server.publicUrl ?? urlOf(host, config.server.port) };
  const { manager, discovery } = await startManager(config, logger, opened, {
    catalog,
    namespaces,
    scheduler,
    address,
    discoverers,
  });

  const app = createRestApp({
    manager,
    discovery,
    statements: new StatementService(manager, config.statements, new DiscoveryStatements(discovery)),
    schedulerType: scheduler.factory.identifier,
    bodyLimitBytes: config.server.bodyLimitBytes,
    maxWaitSeconds: config.refresh.maxWaitSeconds,
    tokens: config.auth.tokens,
    isCallbackToken: (token) => manager.isCallbackToken(token),
    logger,
  });
  const server = await listen(app, config.server.port, host);
  const port = (server.address() as AddressInfo).port;
  if (config.server.publicUrl === undefined) address.url = urlOf(host, port);
  logger.info('Freshet gateway listening', {
    url: address.url,
    scheduler: scheduler.factory.identifier,
    dataDir: config.dataDir,
  });

  const driftTimer = startDriftChecks(manager, config.scheduler.driftCheckSeconds, logger);
  opened.push(async () => {
    if (driftTimer) clearInterval(driftTimer);
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  });
  let closing: Promise<void> | null = null;
  return {
    url: urlOf(host, port),
    manager,
    discovery,
    close: () =>
      (closing ??= (async () => {
        logger.info('Freshet gateway stopping', { url: address.url });
        for (const close of opened.reverse()) await close();
        logger.info('Freshet gateway stopped', { url: address.url });
      })()),
  };
}

/** The catalog and one engine per configured catalog, opened. */
async function openData(config: FreshetConfig, opened: Closers) {
  const catalog = new Catalog(config.catalog.url, config.dataDir);
  opened.push(() => catalog.close());
  await catalog.open();
  const engines = await openEngines(config);
  opened.push(async () => {
    for (const engine of engines.values()) await engine.close();
  });
  const namespaces = new Namespaces(engines, config.defaultCatalog ?? config.engine.catalogName);
  return { catalog, namespaces };
}

/**
 * The replica's leases, the refresh runner (calling the refresh strategy), the scheduler plugin (calling refresh
 * requests) and the manager over them, opened in that order.
 */
async function startManager(
  config: FreshetConfig,
  logger: Logger,
  opened: Closers,
  parts: {
    catalog: Catalog;
    namespaces: Namespaces;
    scheduler: { factory: WorkflowSchedulerFactory<unknown>; options: unknown };
    address: { readonly url: string };
    discoverers: readonly ResolvedDiscoverer[];
  },
): Promise<{ manager: DynamicTableManager; discovery: DiscoveryService }> {
  const { catalog, namespaces, address } = parts;
  const replica = await startReplica(catalog, config.replica, logger);
  opened.push(() => replica.close());
  const strategy = new RefreshStrategy(namespaces);
  const defaultCatalog = config.defaultCatalog ?? config.engine.catalogName;
  const runner = new RefreshRunner(
    { tables: catalog.tables, jobs: catalog.jobs, leases: catalog.leases, shared: catalog.shared },
    strategy,
    { engine: namespaces.engineOf(defaultCatalog).name, catalog: defaultCatalog },
    logger,
    replica,
    undefined,
    { waitSeconds: config.refresh.upstreamWaitSeconds, timeZone: config.timeZone },
  );
  opened.push(() => runner.close());
  const catchUp = new CatchUp(catalog.jobs, config.refresh.maxCatchUpWindows, config.timeZone, logger);
  const requests = new RefreshRequests(new TableLookup(catalog, namespaces), runner, config.timeZone, catchUp);
  const { factory, options } = parts.scheduler;
  const context: SchedulerContext = {
    get gatewayUrl() {
      return address.url;
    },
    stateStore: catalog.pluginStateStore(factory.identifier),
    logger,
    now: () => new Date(),
    leadership: replica.leadership,
    triggerRefresh: async (request) => {
      const { tables, scheduleTime, configuration } = request;
      await requests.request({ tables, scheduleTime, configuration, isPeriodic: true });
    },
  };
  const scheduler: WorkflowScheduler = factory.create(options, context);
  const settings = managerSettings(config, factory.identifier, address, replica.isLeader);
  const registry = new SourceRegistry(catalog.registry, config.timeZone);
  runner.useHooks(new TableWindows(registry, catalog.registry, catalog.tables, logger, config.timeZone));
  const manager = new DynamicTableManager({
    registry,
    catalog,
    namespaces,
    strategy,
    runner,
    requests,
    scheduler,
    settings,
    logger,
  });
  opened.push(() => manager.close());
  await manager.open();
  opened.push(() => scheduler.close());
  await scheduler.open();
  const discovery = startDiscovery(config, logger, { catalog, namespaces, runner, manager, replica, parts });
  opened.push(() => discovery.close());
  await discovery.open();
  return { manager, discovery };
}

/** Discovery (DESIGN.md §11), following every successful refresh of a dynamic table with a new profile. */
function startDiscovery(
  config: FreshetConfig,
  logger: Logger,
  deps: {
    catalog: Catalog;
    namespaces: Namespaces;
    runner: RefreshRunner;
    manager: DynamicTableManager;
    replica: { isLeader(): boolean };
    parts: { discoverers: readonly ResolvedDiscoverer[] };
  },
): DiscoveryService {
  const { catalog, namespaces, runner, manager, replica } = deps;
  const discovery = new DiscoveryService(
    {
      discoverers: deps.parts.discoverers,
      profile: config.discovery.profile,
      queryDeadlineMs: config.discovery.queryDeadlineMs,
      firstRunMs: config.discovery.firstRunSeconds * 1000,
      baseDir: config.dataDir,
      defaultCatalog: config.defaultCatalog ?? config.engine.catalogName,
    },
    {
      store: catalog.datasets,
      engines: namespaces.engines,
      tables: catalog.tables,
      jobs: catalog.jobs,
      stateStore: (scope) => catalog.pluginStateStore(scope),
      logger,
      isLeader: () => replica.isLeader(),
      freshness: async () => new Map((await manager.freshness()).map((t) => [t.key, t.state])),
    },
  );
  runner.onRefreshEnded((end) => discovery.tableRefreshed(end));
  return discovery;
}

function urlOf(host: string, port: number): string {
  return `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
}

function managerSettings(
  config: FreshetConfig,
  schedulerType: string,
  address: { readonly url: string },
  isLeader: () => boolean,
): ManagerSettings {
  return {
    defaultCatalog: config.defaultCatalog ?? config.engine.catalogName,
    timeZone: config.timeZone,
    thresholdSeconds: durationSetting(config.refresh.freshnessThreshold),
    defaultFreshness: {
      continuousSeconds: durationSetting(config.refresh.defaultFreshnessContinuous),
      fullSeconds: durationSetting(config.refresh.defaultFreshnessFull),
    },
    statementWaitMs: config.refresh.createWaitSeconds * 1000,
    maxConsecutiveFailures: config.refresh.maxConsecutiveFailures,
    schedulerType,
    get callback() {
      return { refreshUrl: `${address.url}/v3/dynamic-tables/refresh`, jobsUrl: `${address.url}/v3/jobs/` };
    },
    authEnabled: config.auth.tokens.length > 0,
    isLeader,
    history: config.history,
    reflectionIntervalSeconds: config.reflection.intervalSeconds,
    monitor: config.monitor,
    alerts: config.alerts,
    get publicUrl() {
      return address.url;
    },
  };
}

/** Listens on host:port; a port already taken is a start-up error that says so. */
function listen(app: ReturnType<typeof createRestApp>, port: number, host: string): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = app.listen(port, host);
    server.once('listening', () => resolve(server));
    server.once('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EADDRINUSE') reject(new Error(`port ${port} is already in use on ${host}`));
      else if (error.code === 'EACCES')
        reject(new Error(`port ${port} on ${host} needs privileges this process lacks`));
      else reject(error);
    });
  });
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
        if (hasDrift(report) || report.errors.length > 0)
          logger.warn('scheduler drift found; POST /v3/scheduler/drift/repair repairs it', { report });
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
