/**
 * The Dynamic Table Manager owns every state change of a dynamic table: it checks a request, writes the
 * catalog, tells the engine and the workflow scheduler what to do, and undoes what it did when a step fails.
 * This class is its front door; each responsibility lives in a module of its own beside it.
 */
import type { Catalog } from '../catalog/catalog';
import type { DynamicTableRecord, JobRecord } from '../catalog/records';
import type { ExecuteOptions, StatementEffects, StatementResult } from '../engine/engine';
import type { Logger } from '../logger';
import type { RefreshRunner } from '../refresh/refresh-runner';
import type { WorkflowScheduler } from '../scheduler/workflow-scheduler';
import type {
  AlterDynamicTable,
  CreateDynamicTable,
  DropDynamicTable,
  ExplainAlterDynamicTable,
  ExplainCreateDynamicTable,
  ExplainTableChange,
  ObjectName,
  PassthroughStatement,
} from '../sql/statements';
import { Alerts, DEFAULT_ALERTS } from './alerts';
import { type BlockedResultOutcome, type BlockedResultRequest, BlockedResults } from './blocked-results';
import { TableAlteration } from './alter-table';
import { backfill } from './backfill';
import { ContinuousRefreshes } from './continuous-refreshes';
import { TableCreation } from './create-table';
import { loggedDdl } from './ddl-log';
import { checkDrift } from './drift-repair';
import { dropTable } from './drop-table';
import { type DescribedTable, describeEngineTable, type EngineTableRow, listEngineTables } from './engine-tables';
import { FailureGuard } from './failure-guard';
import type { TableFreshness } from './freshness-evaluation';
import { DEFAULT_MONITOR, type FreshnessEventQuery, FreshnessMonitor } from './freshness-monitor';
import type { NameDefaults } from './identifiers';
import type { LineageView } from './lineage-view';
import type { ManagerParts } from './manager-parts';
import { GatewayMetrics } from './metrics';
import { DEFAULT_RETENTION, HistoryRetention, type Pruned } from './history-retention';
import type { DdlOutcome, JobQuery, ManagerSettings, RefreshQuery, RefreshRequest } from './manager-types';
import type { Namespaces } from './namespaces';
import { explainTableChange, inspectPassthrough, runPassthrough } from './passthrough';
import { ReadViews } from './read-views';
import { recover } from './recovery';
import { Reflection, type ReflectionSourceProvider, type ReflectionSummary } from './reflection';
import { RefreshSchemaCheck } from './reflection-check';
import { type ReflectionDetail, reflectionMessage, type SchemaHistoryView, schemaHistory } from './reflection-views';
import type { RefreshRequests } from './refresh-requests';
import type { RefreshStrategy } from './refresh-strategy';
import { maxOfTimeColumn, registeredSourceTables } from './registry/source-availability';
import type { SourceRegistry } from './registry/source-registry';
import type { DriftReport } from './scheduler-drift';
import { TableLookup } from './table-lookup';
import type { JobDetail, RefreshView, TableDetail, TableSummary } from './table-view';
import { Workflows } from './workflows';

export type { DdlOutcome, JobQuery, ManagerSettings, RefreshQuery, RefreshRequest } from './manager-types';

/** What the manager is assembled from; the gateway builds the parts the refresh runner needs first. */
export interface ManagerDependencies {
  readonly catalog: Catalog;
  readonly namespaces: Namespaces;
  readonly strategy: RefreshStrategy;
  readonly runner: RefreshRunner;
  readonly requests: RefreshRequests;
  readonly registry: SourceRegistry;
  readonly scheduler: WorkflowScheduler;
  readonly settings: ManagerSettings;
  readonly logger: Logger;
}

export class DynamicTableManager {
  private readonly parts: ManagerParts;
  private readonly creation: TableCreation;
  private readonly alteration: TableAlteration;
  private readonly views: ReadViews;
  private readonly retention: HistoryRetention;
  private readonly reflection: Reflection;
  private readonly monitor: FreshnessMonitor;
  private readonly blocked: BlockedResults;
  private lastDrift: DriftReport | null = null;
  /** The gateway's Prometheus metrics (`GET /metrics`). */
  readonly metrics: GatewayMetrics;

  constructor(deps: ManagerDependencies) {
    const { catalog, namespaces, requests, settings, logger } = deps;
    const lookup = new TableLookup(catalog, namespaces);
    const link = (table: string) => `${settings.publicUrl ?? ''}/v3/freshness?table=${encodeURIComponent(table)}`;
    const alerts = new Alerts(settings.alerts ?? DEFAULT_ALERTS, link, logger);
    this.parts = {
      ...deps,
      lookup,
      workflows: new Workflows(catalog, deps.scheduler, settings, logger),
      continuous: new ContinuousRefreshes(catalog, namespaces, requests, logger, settings.isLeader),
      alerts,
    };
    const leads = settings.isLeader ?? (() => true);
    this.reflection = new Reflection(this.parts, settings.reflectionIntervalSeconds ?? 3600, leads);
    this.reflection.addSources(() => registeredSourceTables(this.parts));
    deps.registry.useTimeColumnReader((source, column) => maxOfTimeColumn(this.parts, source, column));
    const schemaCheck = new RefreshSchemaCheck(this.parts, this.reflection);
    deps.strategy.checkBeforeEachRefresh((table) => schemaCheck.check(table));
    this.creation = new TableCreation(this.parts);
    this.alteration = new TableAlteration(this.parts, async (table) => ({
      message: reflectionMessage(table.identifier, await this.reflection.reflectTable(table)),
      identifier: table.identifier,
    }));
    this.views = new ReadViews(this.parts, this.creation);
    this.blocked = new BlockedResults(this.parts);
    deps.runner.onRefreshEnded((end) => this.blocked.observe(end));
    const guard = new FailureGuard(this.parts, this.alteration);
    deps.runner.onJobFinished((_jobId, failed) => guard.check(failed));
    this.metrics = new GatewayMetrics(catalog);
    deps.runner.onRefreshEnded((end) => this.metrics.observeRefresh(end));
    this.retention = new HistoryRetention(catalog, settings.history ?? DEFAULT_RETENTION, leads, logger);
    const monitorSettings = settings.monitor ?? DEFAULT_MONITOR;
    this.monitor = new FreshnessMonitor(catalog, monitorSettings, leads, () => this.lastDrift, alerts, logger);
  }

  /** Alert channels; the manager's parts (the freshness monitor, publish guards, schema checks) call `notify`. */
  get alerts(): Alerts {
    return this.parts.alerts;
  }

  /** Sources, providers, partitions and readiness (DESIGN.md §10). */
  get registry(): SourceRegistry {
    return this.parts.registry;
  }

  /** Puts the world back in order after a restart, then starts keeping CONTINUOUS tables fresh. */
  async open(): Promise<void> {
    await recover(this.parts);
    // Not waited for: a refresh that comes before its table's query was classified classifies it itself.
    this.parts.strategy.warm(await this.parts.catalog.listTables()).catch(() => undefined);
    await this.parts.continuous.open();
    this.retention.start();
    this.reflection.start();
    this.monitor.start();
    this.parts.alerts.start();
  }

  async close(): Promise<void> {
    await this.reflection.close();
    await this.monitor.close();
    await this.parts.alerts.close();
    await this.retention.close();
    await this.parts.continuous.close();
  }

  /**
   * Runs one pass of the history pruning as of `now` (the background passes run every
   * `history.pruneIntervalSeconds` on the leader); returns how many history rows, jobs and freshness
   * transitions it removed.
   */
  pruneHistory(now = new Date()): Promise<Pruned> {
    return this.retention.prune(now);
  }

  /**
   * Runs one reflection pass now (the background passes run every `reflection.intervalSeconds` on the leader):
   * every dynamic table, every plain table they read and every table added with {@link addReflectionSources}.
   */
  runReflection(now = new Date()): Promise<ReflectionSummary> {
    return this.reflection.run(now);
  }

  /** Adds tables for reflection to read besides the dynamic tables and what they read (a source registry's). */
  addReflectionSources(provider: ReflectionSourceProvider): void {
    this.reflection.addSources(provider);
  }

  /** The schema versions of a table reflection read (dynamic or not), newest first; NOT_FOUND for any other. */
  schemaHistory(text: string, ns = this.namespace()): Promise<SchemaHistoryView> {
    return schemaHistory(this.parts, text, ns);
  }

  /** Where unqualified names point for a statement request (`catalog`, `database` of POST /v3/statements). */
  namespace(catalog?: string, database?: string): NameDefaults {
    return this.parts.namespaces.namespace(catalog, database);
  }

  create(stmt: CreateDynamicTable, ns = this.namespace()): Promise<DdlOutcome> {
    return loggedDdl(this.parts.logger, stmt, () =>
      this.creation.create(stmt, ns, (existing) => this.alteration.alterFromCreate(existing, stmt)),
    );
  }

  alter(stmt: AlterDynamicTable, ns = this.namespace()): Promise<DdlOutcome> {
    return loggedDdl(this.parts.logger, stmt, () => this.alteration.alter(stmt, ns));
  }

  drop(stmt: DropDynamicTable, ns = this.namespace()): Promise<DdlOutcome> {
    return loggedDdl(this.parts.logger, stmt, () => dropTable(this.parts, stmt, ns));
  }

  /**
   * EXPLAIN CREATE DYNAMIC TABLE; EXPLAIN ALTER DYNAMIC TABLE … AS (the new columns and what they would do to the
   * dependents); EXPLAIN ALTER / DROP / RENAME TABLE of a plain table (what it would do to the dynamic tables
   * reading it). Changes nothing; rows of (property, value).
   */
  explain(
    stmt: ExplainCreateDynamicTable | ExplainAlterDynamicTable | ExplainTableChange,
    ns = this.namespace(),
  ): Promise<Array<[string, string]>> {
    if (stmt.kind === 'explainCreateDynamicTable') return this.views.explainCreate(stmt.create, ns);
    if (stmt.kind === 'explainAlterDynamicTable') return this.views.explainAlter(stmt.alter, ns);
    return explainTableChange(this.parts, stmt.change, ns);
  }

  /** Runs a statement the gateway does not own on the engine of the namespace's catalog. */
  runPassthrough(statement: PassthroughStatement, ns: NameDefaults, options: ExecuteOptions): Promise<StatementResult> {
    return runPassthrough(this.parts, statement, ns, options);
  }

  /** What a statement the gateway does not own would do on the namespace's engine. Runs nothing. */
  inspectPassthrough(statement: PassthroughStatement, ns: NameDefaults): Promise<StatementEffects> {
    return inspectPassthrough(this.parts, statement, ns);
  }

  /** `SHOW TABLES`: the tables of the namespace's catalog as its engine lists them, internal ones left out. */
  engineTables(ns: NameDefaults): Promise<EngineTableRow[]> {
    return listEngineTables(this.parts, ns);
  }

  /** `DESCRIBE name`: a dynamic table's record, or a plain table's columns as its engine describes them. */
  describeAnyTable(name: ObjectName, ns: NameDefaults): Promise<DescribedTable> {
    return describeEngineTable(this.parts, name, ns);
  }

  /** The refresh callback: resolves the tables, checks the request, and submits one job (idempotent). */
  requestRefresh(request: RefreshRequest): Promise<JobRecord> {
    return this.parts.requests.request(request);
  }

  /** `POST /v3/dynamic-tables/{id}/backfill`: ALTER … BACKFILL FROM `from` TO `to`. */
  async backfill(text: string, range: { readonly from: string; readonly to: string }): Promise<DdlOutcome> {
    return backfill(this.parts, await this.getTable(text), range);
  }

  waitForJob(jobId: string, timeoutMs: number): Promise<JobRecord | null> {
    return this.parts.requests.waitFor(jobId, timeoutMs);
  }

  getTable(text: string, ns = this.namespace()): Promise<DynamicTableRecord> {
    return this.parts.lookup.requireText(text, ns);
  }

  detail(table: DynamicTableRecord, now = new Date()): Promise<TableDetail & ReflectionDetail> {
    return this.views.detail(table, now);
  }

  /** The tables within `depth` steps of the named one, upstream and downstream, with their freshness. */
  lineage(text: string, depth: number): Promise<LineageView> {
    return this.views.lineage(text, depth);
  }

  summaries(offset: number, limit: number): Promise<{ tables: TableSummary[]; total: number }> {
    return this.views.summaries(offset, limit);
  }

  /** Refreshes newest first, of the table `text` names, or of every table when null. */
  refreshHistory(text: string | null, query: RefreshQuery, ns = this.namespace()): Promise<RefreshView[]> {
    return this.views.refreshHistory(text, query, ns);
  }

  /** Jobs newest first, as {@link DynamicTableManager.job} shows each, and how many match. */
  jobs(query: JobQuery): Promise<{ jobs: JobDetail[]; total: number }> {
    return this.views.jobs(query);
  }

  job(jobId: string): Promise<JobDetail | null> {
    return this.views.job(jobId);
  }

  health(): Promise<{ catalog: string; engine: string }> {
    return this.views.health();
  }

  /** Compares every FULL table's workflow with the scheduler; with `repair`, fixes what differs. */
  async checkDrift(repair: boolean): Promise<DriftReport> {
    const report = await checkDrift(this.parts, repair);
    this.lastDrift = report;
    this.metrics.observeDrift(report);
    return report;
  }

  /** Every table's freshness state and cause as of `now`, worst first. */
  freshness(now = new Date()): Promise<TableFreshness[]> {
    return this.monitor.current(now);
  }

  /** Runs one freshness monitor pass as of `now`; returns the transitions it recorded. */
  freshnessPass(now = new Date()) {
    return this.monitor.pass(now);
  }

  /** Recorded freshness transitions, newest first; `table` is an identifier, resolved as everywhere else. */
  async freshnessEvents(query: Omit<FreshnessEventQuery, 'tableKey'> & { readonly table?: string }) {
    const { table, ...rest } = query;
    const tableKey = table === undefined ? undefined : (await this.getTable(table)).key;
    return this.monitor.events({ ...rest, ...(tableKey !== undefined ? { tableKey } : {}) });
  }

  /** `POST /v3/jobs/{id}/publish`: puts a result a publish guard blocked in place anyway. */
  publishBlocked(request: BlockedResultRequest): Promise<BlockedResultOutcome> {
    return this.blocked.publish(request);
  }

  /** `POST /v3/jobs/{id}/discard`: forgets a result a publish guard blocked. */
  discardBlocked(request: BlockedResultRequest): Promise<BlockedResultOutcome> {
    return this.blocked.discard(request);
  }

  /** True when `token` is a callback token minted for a workflow that still exists. */
  isCallbackToken(token: string): Promise<boolean> {
    return this.parts.workflows.isCallbackToken(token);
  }
}
