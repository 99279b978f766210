/**
 * What keeps ACTIVATED CONTINUOUS tables fresh: Freshet's own continuous runner, or a long-running job on an
 * engine that runs them (a streaming engine). On a catalog shared by several gateways the leader's runner
 * follows the catalog, since other gateways create, change and drop CONTINUOUS tables too.
 */
import type { Catalog } from '../catalog/catalog';
import type { DynamicTableRecord } from '../catalog/records';
import { messageOf } from '../errors';
import { freshnessToSeconds } from '../freshness';
import type { Logger } from '../logger';
import type { ContinuousJob } from '../model';
import { ContinuousRunner, type ContinuousTick } from '../refresh/continuous-runner';
import type { Namespaces } from './namespaces';
import { type RefreshRequests, WAIT_FOR_OWN_JOB_MS } from './refresh-requests';

/** How often a gateway on a shared catalog aligns its continuous runner with the catalog. */
const RECONCILE_CONTINUOUS_MS = 5_000;

export class ContinuousRefreshes {
  private readonly runner: ContinuousRunner;
  private reconciler: NodeJS.Timeout | null = null;

  constructor(
    private readonly catalog: Catalog,
    private readonly namespaces: Namespaces,
    private readonly requests: RefreshRequests,
    private readonly logger: Logger,
    isLeader?: () => boolean,
  ) {
    this.runner = new ContinuousRunner((tick) => this.tick(tick), logger, { isLeader });
  }

  /** Starts keeping the catalog's CONTINUOUS tables fresh, and following the catalog when it is shared. */
  async open(): Promise<void> {
    await this.reconcile();
    if (!this.catalog.shared) return;
    this.reconciler = setInterval(() => {
      this.reconcile().catch((error: unknown) =>
        this.logger.warn('continuous tables could not be reconciled', { error: messageOf(error) }),
      );
    }, RECONCILE_CONTINUOUS_MS);
    this.reconciler.unref();
  }

  async close(): Promise<void> {
    if (this.reconciler) clearInterval(this.reconciler);
    await this.runner.close();
  }

  /** True when the table's engine keeps CONTINUOUS tables fresh with jobs of its own (a streaming engine). */
  runsJobs(table: DynamicTableRecord): boolean {
    return this.namespaces.engineOf(table.catalogName).continuousJobs !== undefined;
  }

  jobOf(table: DynamicTableRecord): ContinuousJob | null {
    return table.continuousJob;
  }

  /** Schedules Freshet's runner for a table: at once, or one interval after its last successful refresh. */
  async schedule(
    table: DynamicTableRecord,
    immediate: boolean,
    configuration: Readonly<Record<string, string>> = {},
  ): Promise<void> {
    const intervalSeconds = freshnessToSeconds(table.freshness);
    const last = await this.catalog.lastSuccessfulRefresh(table.key);
    const lastAt = last ? Date.parse(last.scheduleTime) : Date.now();
    const due = immediate ? Date.now() : Math.max(Date.now(), lastAt + intervalSeconds * 1000);
    this.runner.start(table.key, intervalSeconds, new Date(due), configuration);
  }

  /**
   * Starts keeping an ACTIVATED CONTINUOUS table fresh: a streaming job on an engine that runs them (kept as the
   * table's continuous job), else Freshet's own runner. Returns the table as stored.
   */
  async start(table: DynamicTableRecord, options: Readonly<Record<string, string>> = {}): Promise<DynamicTableRecord> {
    const engine = this.namespaces.engineOf(table.catalogName);
    if (engine.continuousJobs === undefined) {
      await this.schedule(table, false, options);
      return table;
    }
    const job = await engine.continuousJobs.start({
      table: { database: table.databaseName, name: table.tableName },
      query: table.definitionQuery,
      columns: table.columnMapping,
      partition: null,
      freshnessSeconds: freshnessToSeconds(table.freshness),
      configuration: options,
    });
    const running: DynamicTableRecord = {
      ...table,
      continuousJob: job,
      schedulerType: engine.name,
      updatedAt: new Date().toISOString(),
    };
    await this.catalog.updateTable(running);
    return running;
  }

  /** Stops whatever keeps a CONTINUOUS table fresh; returns the table without its job (the caller stores it). */
  async stop(table: DynamicTableRecord): Promise<DynamicTableRecord> {
    this.runner.stop(table.key);
    const job = this.jobOf(table);
    if (!job) return table;
    const jobs = this.namespaces.engineOf(table.catalogName).continuousJobs;
    if (jobs === undefined) throw new Error(`${table.identifier} has a continuous job, but its engine runs none.`);
    await jobs.stop(job.jobId);
    return { ...table, continuousJob: null, schedulerType: null };
  }

  /** Makes the runner keep exactly the ACTIVATED CONTINUOUS tables of the catalog, at their intervals. */
  private async reconcile(): Promise<void> {
    const wanted = new Map(
      (await this.catalog.listTables())
        .filter((t) => t.refreshMode === 'CONTINUOUS' && t.refreshStatus === 'ACTIVATED' && !this.runsJobs(t))
        .map((t) => [t.key, t] as const),
    );
    const running = new Map(this.runner.scheduled().map((e) => [e.tableKey, e.intervalSeconds] as const));
    for (const key of running.keys()) if (!wanted.has(key)) this.runner.stop(key);
    for (const [key, table] of wanted) {
      if (running.get(key) !== freshnessToSeconds(table.freshness)) await this.schedule(table, false);
    }
  }

  private async tick(tick: ContinuousTick): Promise<{ done: Promise<unknown> }> {
    const job = await this.requests.request({
      tables: [tick.tableKey],
      scheduleTime: tick.tickTime,
      configuration: tick.configuration,
      trigger: 'CONTINUOUS',
    });
    return { done: this.requests.waitFor(job.jobId, WAIT_FOR_OWN_JOB_MS) };
  }
}
