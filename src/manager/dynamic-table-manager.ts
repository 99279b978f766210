/**
 * The Dynamic Table Manager owns every state change of a dynamic table: it checks a request, writes the
 * catalog, tells the engine and the workflow scheduler what to do, and undoes what it did when a step fails.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Catalog } from '../catalog/catalog';
import type { DynamicTableRecord, JobRecord, RefreshTrigger } from '../catalog/records';
import type { ContinuousJob, Engine, RefreshOutcome, RefreshSpec, SqlDialect, TableDefinition, TableRef } from '../engine/engine';
import { FreshetError, alreadyExists, engineError, invalidState, messageOf, notFound, validationError } from '../errors';
import {
  deduceRefreshMode,
  defaultFreshness,
  freshnessToQuartzCron,
  formatFreshness,
  freshnessToSeconds,
  isValidTimeZone,
  logicalRefreshModeOf,
  parseScheduleTime,
  partitionFormatters,
  periodicPartition,
  quartzToUnixCron,
  type LogicalRefreshMode,
} from '../freshness';
import { portableType } from '../engine/type-mapping';
import type { Logger } from '../logger';
import { ContinuousRunner, type ContinuousTick } from '../refresh/continuous-runner';
import type { RefreshRunner, TableRefresh } from '../refresh/refresh-runner';
import type { CallbackTarget, ListedWorkflow, RefreshHandler, RefreshSchedule, WorkflowScheduler } from '../scheduler/workflow-scheduler';
import { analyzeQuery } from '../sql/query-analyzer';
import type { AlterDynamicTable, CreateDynamicTable, DropDynamicTable, Freshness, ObjectName, QueryText } from '../sql/statements';
import { resolveName, resolveObjectName, splitIdentifierText, type CatalogInfo, type NameDefaults, type ResolvedName } from './identifiers';
import { planIncremental, type IncrementalPlan, type IncrementalPlanResult } from '../sql/incremental-plan';
import { compareDrift, type DriftReport, type TableInspection } from './scheduler-drift';
import { REFRESH_STRATEGY_OPTION, buildDefinition, type Definition, type DefinitionInput } from './table-definition';
import {
  freshnessState,
  incrementalView,
  jobDetail,
  refreshView,
  tableDetail,
  type IncrementalView,
  type JobDetail,
  type RefreshView,
  type TableDetail,
  type TableSummary,
} from './table-view';

const CALLBACK_TOKEN_PREFIX = 'fcb_';
/** The option naming the catalog a dynamic table's query runs on, when it is not the table's own. */
export const SOURCE_CATALOG_OPTION = 'source.catalog';
/** Rows per batch when copying between catalogs: large enough to amortise round trips, small enough for memory. */
const CROSS_CATALOG_BATCH_ROWS = 5_000;
/** How long past the statement wait an INITIALIZING table on a shared catalog is left to the gateway creating it. */
const ABANDON_AFTER_MS = 10 * 60 * 1000;
/** How often a gateway on a shared catalog aligns its continuous runner with the catalog. */
const RECONCILE_CONTINUOUS_MS = 5_000;
/** Incremental plans kept in memory (one per distinct query text); the cache starts over when full. */
const MAX_CACHED_PLANS = 1_000;
const hashToken = (token: string) => createHash('sha256').update(token).digest('hex');

export interface ManagerSettings {
  /** The catalog unqualified names and statements use unless a request names another. */
  readonly defaultCatalog: string;
  readonly timeZone: string;
  readonly thresholdSeconds: number;
  readonly defaultFreshness: { readonly continuousSeconds: number; readonly fullSeconds: number };
  /** How long CREATE and ALTER … REFRESH wait for their refresh before answering. */
  readonly statementWaitMs: number;
  readonly schedulerType: string;
  /** Where workflows call back; each workflow gets its own token when auth is on. */
  readonly callback: Pick<CallbackTarget, 'refreshUrl' | 'jobsUrl'>;
  readonly authEnabled: boolean;
  /** False while another gateway on a shared catalog leads continuous refreshes; always leader when omitted. */
  readonly isLeader?: () => boolean;
}

export interface RefreshRequest {
  readonly tables: readonly string[];
  /** Text as the scheduler sent it, or a Date from an in-process scheduler; absent → now, no deduplication. */
  readonly scheduleTime?: string | Date;
  readonly timeZone?: string;
  readonly configuration?: Readonly<Record<string, string>>;
  readonly isPeriodic?: boolean;
  readonly staticPartitions?: Readonly<Record<string, string>>;
  readonly trigger?: RefreshTrigger;
}

export interface DdlOutcome {
  readonly message: string;
  readonly identifier: string;
  readonly job?: JobRecord;
}

export class DynamicTableManager {
  private readonly continuous: ContinuousRunner;
  private reconciler: NodeJS.Timeout | null = null;

  private readonly namespaces: ReadonlyMap<string, CatalogInfo>;
  private readonly plans = new Map<string, IncrementalPlanResult>();

  constructor(
    private readonly catalog: Catalog,
    /** One engine per catalog (engine connection), by catalog name. */
    private readonly engines: ReadonlyMap<string, Engine>,
    private readonly scheduler: WorkflowScheduler,
    private readonly runner: RefreshRunner,
    private readonly settings: ManagerSettings,
    private readonly logger: Logger,
  ) {
    this.continuous = new ContinuousRunner((tick) => this.continuousTick(tick), logger, { isLeader: settings.isLeader });
    this.namespaces = new Map(
      [...engines].map(([name, engine]) => [
        name.toLowerCase(),
        { name, defaultDatabase: engine.defaultDatabase, onlyDefaultDatabase: engine.dialect === 'sqlite' },
      ]),
    );
    if (!this.namespaces.has(settings.defaultCatalog.toLowerCase())) {
      throw new Error(`The default catalog '${settings.defaultCatalog}' is not among the catalogs ${[...engines.keys()].join(', ')}.`);
    }
  }

  /** The engine holding a catalog's tables. */
  engineOf(catalogName: string): Engine {
    const engine = [...this.engines].find(([name]) => name.toLowerCase() === catalogName.toLowerCase())?.[1];
    if (!engine) throw new FreshetError('INTERNAL', `No engine for catalog '${catalogName}'.`);
    return engine;
  }

  /**
   * Refreshes a table whose query runs on another catalog: rows stream from the source catalog's engine into the
   * table's own, at most one batch in memory, staged and swapped in atomically. `definition` rebuilds the table.
   */
  async refreshAcrossCatalogs(table: DynamicTableRecord, partition: Readonly<Record<string, string>> | null, definition?: TableDefinition): Promise<RefreshOutcome> {
    const sourceCatalog = table.options[SOURCE_CATALOG_OPTION];
    if (sourceCatalog === undefined) throw new FreshetError('INTERNAL', `${table.identifier} has no source catalog.`);
    const source = this.engineOf(sourceCatalog);
    const target = this.engineOf(table.catalogName);
    if (!source.readBatches || !target.replaceFromBatches) {
      throw engineError(`Catalog '${sourceCatalog}' or '${table.catalogName}' cannot stream rows any more; ${table.identifier} cannot be refreshed.`);
    }
    const sourceOf = (column: string) => table.columnMapping.find((m) => m.target.toLowerCase() === column.toLowerCase())?.source ?? column;
    const filter = partition === null ? null : Object.fromEntries(Object.entries(partition).map(([column, value]) => [sourceOf(column), value]));
    const rows = source.readBatches({
      query: table.definitionQuery,
      columns: table.columnMapping.map((m) => m.source),
      filter,
      batchRows: CROSS_CATALOG_BATCH_ROWS,
    });
    return target.replaceFromBatches({ definition: definition ?? this.tableDefinition(table), partition }, rows);
  }

  /** The incremental plan of a query in a dialect (plans are pure, so they are kept per query text). */
  private planOf(query: string, dialect: SqlDialect): IncrementalPlanResult {
    const key = `${dialect}\u0000${query}`;
    let planned = this.plans.get(key);
    if (planned === undefined) {
      planned = planIncremental(query, dialect);
      if (this.plans.size >= MAX_CACHED_PLANS) this.plans.clear();
      this.plans.set(key, planned);
    }
    return planned;
  }

  /**
   * Why a table whose query qualifies is still refreshed fully, or null when its refreshes are incremental:
   * CONTINUOUS tables are maintained incrementally unless `refresh.strategy` = 'full'; FULL tables only when
   * it is 'incremental'; never when the query runs on another catalog or the engine cannot capture changes.
   */
  private fullRefreshReason(table: DynamicTableRecord): string | null {
    const strategy = table.options[REFRESH_STRATEGY_OPTION] ?? 'auto';
    if (strategy === 'full') return `'${REFRESH_STRATEGY_OPTION}' = 'full'`;
    if (strategy === 'auto' && table.refreshMode !== 'CONTINUOUS') {
      return `FULL tables are maintained incrementally only with '${REFRESH_STRATEGY_OPTION}' = 'incremental'`;
    }
    if (this.isCrossCatalog(table)) return `the query runs on catalog ${table.options[SOURCE_CATALOG_OPTION]}, and its rows are copied`;
    const engine = this.engineOf(table.catalogName);
    if (!engine.capabilities().changeCapture || engine.refreshIncremental === undefined) return `the ${engine.name} engine cannot capture changes`;
    return null;
  }

  /** `'refresh.strategy' = 'incremental'` makes a table that would refresh fully an error at CREATE, with the reason. */
  private requireIncremental(stmt: CreateDynamicTable, name: ResolvedName, within: NameDefaults): void {
    const option = `'${REFRESH_STRATEGY_OPTION}' = 'incremental'`;
    if (within.catalogName.toLowerCase() !== name.catalogName.toLowerCase()) {
      throw validationError(`${option} needs the query to run where the table lives; this query runs on catalog ${within.catalogName}. Use 'auto' or 'full'.`);
    }
    const engine = this.engineOf(name.catalogName);
    if (!engine.capabilities().changeCapture || engine.refreshIncremental === undefined) {
      throw validationError(`${option} needs change capture, which the ${engine.name} engine of catalog ${name.catalogName} does not have. Use 'auto' or 'full'.`);
    }
    const planned = this.planOf(stmt.query.text, engine.dialect);
    if (!planned.incremental) {
      throw validationError(`${option} needs a query Freshet can maintain incrementally; this one cannot (${planned.reason}): ${planned.detail}`);
    }
  }

  /** Whether the table's query could be maintained incrementally, judged in the dialect it runs in, and whether it is. */
  private incrementalOf(table: DynamicTableRecord): IncrementalView {
    const planned = this.planOf(table.definitionQuery, this.engineOf(this.queryNamespaceOf(table).catalogName).dialect);
    return incrementalView(planned, planned.incremental ? this.fullRefreshReason(table) : null);
  }

  /** The plan and resolved sources of a table refreshed incrementally, or null when its refreshes are full. */
  private incrementalRefreshOf(table: DynamicTableRecord): { plan: IncrementalPlan; sources: TableRef[] } | null {
    if (this.fullRefreshReason(table) !== null) return null;
    const planned = this.planOf(table.definitionQuery, this.engineOf(table.catalogName).dialect);
    if (!planned.incremental) return null;
    const ns = this.queryNamespaceOf(table);
    const sources = planned.plan.sources.map((parts) => {
      const resolved = resolveObjectName({ parts: [...parts], position: { offset: 0, line: 1, column: 1 } }, ns);
      return { database: resolved.databaseName, name: resolved.tableName };
    });
    return { plan: planned.plan, sources };
  }

  /**
   * EXPLAIN CREATE DYNAMIC TABLE: everything the CREATE would check and decide, without creating anything.
   */
  async explainCreate(stmt: CreateDynamicTable, ns: NameDefaults = this.defaults): Promise<Array<[string, string]>> {
    const name = resolveObjectName(stmt.name, ns);
    const existing = await this.catalog.getTable(name.key);
    const draft = await this.draftRecord(name, stmt, ns);
    const incremental = this.incrementalOf(draft);
    const engine = this.engineOf(draft.catalogName);
    const source = draft.options[SOURCE_CATALOG_OPTION];
    return [
      ['table', draft.identifier],
      ['exists', existing ? (stmt.orAlter ? 'yes: CREATE OR ALTER would alter it' : stmt.ifNotExists ? 'yes: nothing would change' : 'yes: CREATE would fail') : 'no'],
      ['engine', engine.name],
      ['query runs on', source === undefined ? draft.catalogName : `${source} (rows are copied into ${draft.catalogName})`],
      ['source tables', draft.sourceTables.join(', ') || '(none)'],
      ['columns', draft.schema.map((c) => `${c.name} ${c.type || '(no type)'}${c.nullable ? '' : ' NOT NULL'}`).join(', ')],
      ['freshness', formatFreshness(draft.freshness)],
      ['logical refresh mode', draft.logicalRefreshMode],
      ['refresh mode', draft.refreshMode],
      ['schedule', draft.refreshMode === 'FULL' ? `${draft.cron} (${this.settings.schedulerType} scheduler)` : this.runsContinuousJobs(draft) ? `a continuous job on ${engine.name}` : `Freshet's continuous runner, every ${describeFreshnessText(draft.freshness)}`],
      ['incremental', incremental.eligible ? `eligible (${incremental.shape})` : `not eligible: ${incremental.reason}`],
      ['detail', incremental.detail],
      ['initial refresh', draft.options.initialize === 'on_schedule' ? 'none: first refresh on schedule' : 'right after CREATE'],
    ];
  }

  /** True when a table's rows come from another catalog. */
  isCrossCatalog(table: DynamicTableRecord): boolean {
    return table.options[SOURCE_CATALOG_OPTION] !== undefined;
  }

  /** Where unqualified names point for a statement request (`catalog`, `database` of POST /v3/statements). */
  namespace(catalog?: string, database?: string): NameDefaults {
    const info = this.namespaces.get((catalog ?? this.settings.defaultCatalog).toLowerCase());
    if (!info) {
      throw notFound(`Catalog '${catalog}' does not exist; the catalogs are ${[...this.namespaces.values()].map((c) => `'${c.name}'`).join(', ')}.`);
    }
    const ns: NameDefaults = { catalogName: info.name, databaseName: info.defaultDatabase, catalogs: this.namespaces };
    if (database === undefined) return ns;
    const resolved = resolveName([info.name, database, 'any'], ns);
    return { ...ns, databaseName: resolved.databaseName };
  }

  get defaults(): NameDefaults {
    return this.namespace();
  }

  /** Puts the world back in order after a restart, then starts keeping CONTINUOUS tables fresh. */
  async open(): Promise<void> {
    const now = new Date();
    const failed = await this.runner.recover(now);
    if (failed > 0) this.logger.warn('refresh jobs interrupted by the last stop were marked FAILED', { jobs: failed });
    // On a shared catalog another gateway may be creating a table right now: only a CREATE older than any CREATE
    // can take is abandoned.
    const abandonBefore = !this.catalog.shared ? Infinity : now.getTime() - this.settings.statementWaitMs - ABANDON_AFTER_MS;
    for (const table of await this.catalog.listTables()) {
      if (table.refreshStatus === 'INITIALIZING' && Date.parse(table.updatedAt) < abandonBefore) await this.abandonCreate(table);
    }
    await this.reconcileContinuous();
    if (this.catalog.shared) {
      // Other gateways create, change and drop CONTINUOUS tables too; the leader's runner follows the catalog.
      this.reconciler = setInterval(() => {
        this.reconcileContinuous().catch((error: unknown) => this.logger.warn('continuous tables could not be reconciled', { error: messageOf(error) }));
      }, RECONCILE_CONTINUOUS_MS);
      this.reconciler.unref();
    }
  }

  async close(): Promise<void> {
    if (this.reconciler) clearInterval(this.reconciler);
    await this.continuous.close();
  }

  /** Makes the continuous runner keep exactly the ACTIVATED CONTINUOUS tables of the catalog, at their intervals. */
  private async reconcileContinuous(): Promise<void> {
    const wanted = new Map(
      (await this.catalog.listTables())
        .filter((t) => t.refreshMode === 'CONTINUOUS' && t.refreshStatus === 'ACTIVATED' && !this.runsContinuousJobs(t))
        .map((t) => [t.key, t] as const),
    );
    const running = new Map(this.continuous.scheduled().map((e) => [e.tableKey, e.intervalSeconds] as const));
    for (const key of running.keys()) if (!wanted.has(key)) this.continuous.stop(key);
    for (const [key, table] of wanted) {
      if (running.get(key) !== freshnessToSeconds(table.freshness)) await this.startContinuous(table, false);
    }
  }

  /** Carries out one table's refresh for the runner: on the table's own engine, or streamed from its source catalog. */
  performRefresh(refresh: TableRefresh, configuration: Readonly<Record<string, string>>): Promise<RefreshOutcome> {
    const { table } = refresh;
    if (this.isCrossCatalog(table)) return this.refreshAcrossCatalogs(table, refresh.partition, refresh.rebuild);
    const spec: RefreshSpec = {
      table: { database: table.databaseName, name: table.tableName },
      query: table.definitionQuery,
      columns: table.columnMapping,
      partition: refresh.partition,
      configuration,
    };
    const engine = this.engineOf(table.catalogName);
    if (refresh.rebuild) return engine.rebuildTable(refresh.rebuild, spec);
    const incremental = refresh.partition === null ? this.incrementalRefreshOf(table) : null;
    if (incremental !== null && engine.refreshIncremental !== undefined) return engine.refreshIncremental({ ...spec, ...incremental });
    return engine.refresh(spec);
  }

  // ---------------------------------------------------------------- CREATE

  async create(stmt: CreateDynamicTable, ns: NameDefaults = this.defaults): Promise<DdlOutcome> {
    const name = resolveObjectName(stmt.name, ns);
    const existing = await this.catalog.getTable(name.key);
    if (existing) {
      if (stmt.ifNotExists) return { message: `Dynamic table ${existing.identifier} already exists; nothing changed.`, identifier: existing.identifier };
      if (stmt.orAlter) return this.alterFromCreate(existing, stmt);
      throw alreadyExists(`Dynamic table ${existing.identifier} already exists. Use CREATE OR ALTER or IF NOT EXISTS, or drop it first.`);
    }
    const record = await this.draftRecord(name, stmt, ns);
    if (!(await this.catalog.insertTable(record))) throw alreadyExists(`Dynamic table ${name.identifier} already exists.`);

    let active: DynamicTableRecord;
    try {
      await this.createPhysicalTable(record);
      try {
        active = await this.activate(record, stmt.text);
      } catch (error) {
        await this.engineOf(record.catalogName).dropTable({ database: record.databaseName, name: record.tableName }).catch(() => undefined);
        throw error;
      }
    } catch (error) {
      await this.catalog.deleteTable(record.key);
      throw error;
    }

    if (active.refreshMode === 'CONTINUOUS' && this.runsContinuousJobs(active)) {
      // A streaming job reads its sources from the beginning: a batch refresh first would write the rows twice.
      try {
        active = await this.startContinuousRefresh(active);
      } catch (error) {
        await this.engineOf(active.catalogName).dropTable({ database: active.databaseName, name: active.tableName }).catch(() => undefined);
        await this.catalog.deleteTable(active.key);
        throw error;
      }
      const job = this.continuousJobOf(active);
      return { message: `Dynamic table ${active.identifier} created (${describeMode(active)}); continuous job ${job?.jobId ?? ''} started.`, identifier: active.identifier };
    }
    if (record.options.initialize === 'on_schedule') {
      if (active.refreshMode === 'CONTINUOUS') await this.startContinuous(active, false);
      return { message: `Dynamic table ${active.identifier} created (${describeMode(active)}); first refresh on schedule.`, identifier: active.identifier };
    }
    const job = await this.submit([{ table: active, partition: null }], { trigger: 'CREATION', scheduleTime: new Date(), deduplicate: false });
    if (active.refreshMode === 'CONTINUOUS') await this.startContinuous(active, false);
    const finished = (await this.runner.waitFor(job.jobId, this.settings.statementWaitMs)) ?? job;
    return {
      message: `Dynamic table ${active.identifier} created (${describeMode(active)}); initial refresh ${finished.status}${finished.error ? `: ${finished.error}` : ''}.`,
      identifier: active.identifier,
      job: finished,
    };
  }

  /** A plain table of the same name makes the engine refuse; say so in Freshet's words. */
  private async createPhysicalTable(record: DynamicTableRecord): Promise<void> {
    try {
      await this.engineOf(record.catalogName).createTable(this.tableDefinition(record));
    } catch (error) {
      if (await this.engineOf(record.catalogName).describeTable({ database: record.databaseName, name: record.tableName })) {
        throw alreadyExists(`A table named ${record.identifier} already exists and is not a dynamic table; choose another name or drop it first.`);
      }
      throw error;
    }
  }

  /** Builds the catalog record of a new table from its statement, checking the query on the engine. */
  private async draftRecord(name: ResolvedName, stmt: CreateDynamicTable, ns: NameDefaults): Promise<DynamicTableRecord> {
    const within = this.sourceNamespace(stmt.options, ns);
    const { sourceTables, definition } = await this.checkQuery(
      stmt.query,
      name,
      { columns: stmt.columns, primaryKey: stmt.primaryKey, partitionKeys: stmt.partitionKeys, options: stmt.options },
      within,
    );
    if (stmt.options[REFRESH_STRATEGY_OPTION] === 'incremental') this.requireIncremental(stmt, name, within);
    // A table fed from another catalog remembers where its query runs.
    const options =
      within.catalogName.toLowerCase() === name.catalogName.toLowerCase() ? stmt.options : { ...stmt.options, [SOURCE_CATALOG_OPTION]: within.catalogName };
    const logical = logicalRefreshModeOf(stmt.refreshMode);
    const freshness = stmt.freshness ?? defaultFreshness(logical, this.settings.defaultFreshness);
    const refreshMode = deduceRefreshMode(logical, freshness, this.settings.thresholdSeconds);
    const cron = refreshMode === 'FULL' ? freshnessToQuartzCron(freshness) : null;
    const now = new Date().toISOString();
    return {
      key: name.key,
      identifier: name.identifier,
      catalogName: name.catalogName,
      databaseName: name.databaseName,
      tableName: name.tableName,
      definitionQuery: stmt.query.text,
      queryHash: definition.queryHash,
      createStatement: stmt.text,
      freshness,
      logicalRefreshMode: logical,
      refreshMode,
      refreshStatus: 'INITIALIZING',
      partitionKeys: stmt.partitionKeys,
      options,
      schema: definition.schema,
      columnMapping: definition.columnMapping,
      primaryKey: stmt.primaryKey,
      comment: stmt.comment,
      sourceTables,
      schedulerType: refreshMode === 'FULL' ? this.settings.schedulerType : null,
      cron,
      refreshHandler: null,
      continuousJob: null,
      createdAt: now,
      updatedAt: now,
    };
  }

  /**
   * Parses the query in the engine's dialect and asks the engine for its output columns, which also proves every
   * source table exists.
   */
  private async checkQuery(
    query: QueryText,
    self: ResolvedName,
    input: Omit<DefinitionInput, 'query'>,
    within: NameDefaults,
  ): Promise<{ sourceTables: string[]; definition: Definition }> {
    const source = this.engineOf(within.catalogName);
    const target = this.engineOf(self.catalogName);
    if (source !== target && !(source.capabilities().streaming && target.capabilities().streaming)) {
      throw validationError(
        `${self.identifier} would copy rows from catalog '${within.catalogName}' (${source.name}) to '${self.catalogName}' (${target.name}), and one of these engines cannot stream rows.`,
      );
    }
    const analysis = analyzeQuery(query, source.dialect);
    const sourceTables: string[] = [];
    for (const table of analysis.sourceTables) {
      const resolved = this.resolveSource(table, within);
      if (resolved.catalogName !== within.catalogName) {
        throw validationError(
          `The query of ${self.identifier} reads ${resolved.identifier} from catalog '${resolved.catalogName}', but it runs on catalog '${within.catalogName}'. ` +
            `A query reads one catalog: write it in that catalog's names (without the catalog part) and send it with "catalog": "${resolved.catalogName}", or add WITH ('source.catalog' = '${resolved.catalogName}').`,
          { line: table.position.line, column: table.position.column },
        );
      }
      if (resolved.key === self.key) {
        throw validationError(`The query of ${self.identifier} reads ${self.identifier} itself; a dynamic table cannot depend on itself.`, {
          line: table.position.line,
          column: table.position.column,
        });
      }
      if (!sourceTables.includes(resolved.key)) sourceTables.push(resolved.key);
    }
    const described = await buildDefinition(source, { ...input, query: query.text }).catch((error: unknown) => {
      throw missingSourceError(error, analysis.sourceTables) ?? error;
    });
    const definition =
      source === target
        ? described
        : { ...described, schema: described.schema.map((c) => ({ ...c, type: portableType(c.type, source.dialect, target.dialect) })) };
    return { sourceTables, definition };
  }

  /**
   * Where a new table's query runs: the catalog named by WITH ('source.catalog' = …), else the request's current
   * catalog (as in Flink, unqualified names in a query resolve in the session's catalog and database).
   */
  private sourceNamespace(options: Readonly<Record<string, string>>, ns: NameDefaults): NameDefaults {
    const named = options[SOURCE_CATALOG_OPTION];
    if (named === undefined || named.toLowerCase() === ns.catalogName.toLowerCase()) return ns;
    try {
      return this.namespace(named);
    } catch (error) {
      throw validationError(`Option '${SOURCE_CATALOG_OPTION}' names catalog '${named}', which does not exist.`, { cause: error });
    }
  }

  /** The namespace a stored table's query runs in. */
  private queryNamespaceOf(table: DynamicTableRecord): NameDefaults {
    const source = table.options[SOURCE_CATALOG_OPTION];
    if (source !== undefined) return this.namespace(source);
    return { catalogName: table.catalogName, databaseName: table.databaseName, catalogs: this.namespaces };
  }

  private resolveSource(source: ObjectName, within: NameDefaults): ResolvedName {
    try {
      return resolveObjectName(source, within);
    } catch (error) {
      if (error instanceof FreshetError) {
        throw validationError(`Table '${source.parts.join('.')}' used in the query cannot be read: ${error.message}`, {
          line: source.position.line,
          column: source.position.column,
        });
      }
      throw error;
    }
  }

  /** Creates the workflow (FULL) and marks the table ACTIVATED. */
  private async activate(record: DynamicTableRecord, statement: string): Promise<DynamicTableRecord> {
    let handler = null;
    if (record.refreshMode === 'FULL') handler = await this.createWorkflow(record, statement);
    const active: DynamicTableRecord = { ...record, refreshStatus: 'ACTIVATED', refreshHandler: handler, updatedAt: new Date().toISOString() };
    try {
      await this.catalog.updateTable(active);
    } catch (error) {
      if (handler) await this.scheduler.deleteRefreshWorkflow(handler).catch(() => undefined);
      throw error;
    }
    return active;
  }

  /** A table left INITIALIZING by a stopped process is removed again: a half-made CREATE leaves nothing. */
  private async abandonCreate(table: DynamicTableRecord): Promise<void> {
    this.logger.warn('removing a dynamic table whose CREATE did not finish', { table: table.identifier });
    await this.stopContinuousRefresh(table).catch(() => undefined);
    if (table.refreshHandler && !this.continuousJobOf(table)) await this.scheduler.deleteRefreshWorkflow(table.refreshHandler).catch(() => undefined);
    await this.engineOf(table.catalogName).dropTable({ database: table.databaseName, name: table.tableName }).catch(() => undefined);
    await this.catalog.deleteHistoryOfTable(table.key);
    await this.catalog.deleteTable(table.key);
  }

  // ---------------------------------------------------------------- ALTER

  async alter(stmt: AlterDynamicTable, ns: NameDefaults = this.defaults): Promise<DdlOutcome> {
    const table = await this.requireTable(stmt.name, ns);
    const action = stmt.action;
    if (table.refreshStatus === 'INITIALIZING') {
      throw invalidState(`Dynamic table ${table.identifier} is still being created; try again when its CREATE has finished.`);
    }
    switch (action.kind) {
      case 'suspend':
        return this.suspend(table);
      case 'resume':
        return this.resume(table, action.options);
      case 'refresh':
        return this.manualRefresh(table, action.partition);
      case 'setFreshness': {
        const updated = await this.reschedule(table, action.freshness, table.logicalRefreshMode);
        return { message: `Dynamic table ${table.identifier} now has freshness ${describeFreshnessText(action.freshness)} (${describeMode(updated)}).`, identifier: table.identifier };
      }
      case 'setRefreshMode': {
        const updated = await this.reschedule(table, table.freshness, action.mode);
        return { message: `Dynamic table ${table.identifier} now refreshes in ${updated.refreshMode} mode.`, identifier: table.identifier };
      }
      case 'setQuery':
        return this.changeQuery(table, action.query, null, table.primaryKey);
    }
  }

  private async suspend(table: DynamicTableRecord): Promise<DdlOutcome> {
    if (table.refreshStatus === 'SUSPENDED') throw invalidState(`Dynamic table ${table.identifier} is already suspended.`);
    let handler = table.refreshHandler;
    if (table.refreshMode === 'FULL' && handler) {
      handler = await this.schedulerCall(`suspend the refresh workflow of ${table.identifier}`, () =>
        this.scheduler.modifyRefreshWorkflow(handler!, { kind: 'suspend' }),
      );
    } else handler = (await this.stopContinuousRefresh(table)).refreshHandler;
    await this.catalog.updateTable({ ...table, refreshStatus: 'SUSPENDED', refreshHandler: handler, updatedAt: new Date().toISOString() });
    return { message: `Dynamic table ${table.identifier} suspended.`, identifier: table.identifier };
  }

  private async resume(table: DynamicTableRecord, options: Readonly<Record<string, string>>): Promise<DdlOutcome> {
    if (table.refreshStatus === 'ACTIVATED') throw invalidState(`Dynamic table ${table.identifier} is already active; only a suspended table can be resumed.`);
    let handler = table.refreshHandler;
    if (table.refreshMode === 'FULL' && handler) {
      handler = await this.schedulerCall(`resume the refresh workflow of ${table.identifier}`, () =>
        this.scheduler.modifyRefreshWorkflow(handler!, { kind: 'resume', dynamicOptions: options }),
      );
    }
    const resumed: DynamicTableRecord = { ...table, refreshStatus: 'ACTIVATED', refreshHandler: handler, updatedAt: new Date().toISOString() };
    await this.catalog.updateTable(resumed);
    if (resumed.refreshMode === 'CONTINUOUS') await this.startContinuousRefresh(resumed, options);
    return { message: `Dynamic table ${table.identifier} resumed.`, identifier: table.identifier };
  }

  private async manualRefresh(table: DynamicTableRecord, partition: Readonly<Record<string, string>> | null): Promise<DdlOutcome> {
    const job = await this.requestRefresh({ tables: [table.key], isPeriodic: false, ...(partition ? { staticPartitions: partition } : {}) });
    const finished = (await this.runner.waitFor(job.jobId, this.settings.statementWaitMs)) ?? job;
    return {
      message: `Refresh of ${table.identifier}${partition ? ` partition ${formatPartition(partition)}` : ''}: job ${finished.jobId} ${finished.status}${finished.error ? `: ${finished.error}` : ''}.`,
      identifier: table.identifier,
      job: finished,
    };
  }

  /**
   * Applies a new freshness and/or logical mode: the physical mode is deduced again, and the workflow or the
   * continuous runner follow (FULL→FULL reschedules, a mode change swaps one for the other).
   */
  private async reschedule(table: DynamicTableRecord, freshness: Freshness, logical: LogicalRefreshMode): Promise<DynamicTableRecord> {
    const mode = deduceRefreshMode(logical, freshness, this.settings.thresholdSeconds);
    const cron = mode === 'FULL' ? freshnessToQuartzCron(freshness) : null;
    let handler = table.refreshHandler;
    const next: DynamicTableRecord = { ...table, freshness, logicalRefreshMode: logical, refreshMode: mode, cron, updatedAt: new Date().toISOString() };
    return this.runner.exclusive(table.key, async () => {
      if (table.refreshMode === 'FULL' && mode === 'FULL') {
        if (handler && cron !== table.cron) {
          const current = handler;
          handler = await this.schedulerCall(`reschedule the refresh workflow of ${table.identifier}`, () =>
            this.scheduler.modifyRefreshWorkflow(current, { kind: 'reschedule', schedule: this.schedule(next) }),
          );
        }
      } else if (table.refreshMode === 'FULL' && mode === 'CONTINUOUS') {
        if (handler) {
          const current = handler;
          await this.schedulerCall(`delete the refresh workflow of ${table.identifier}`, () => this.scheduler.deleteRefreshWorkflow(current));
        }
        await this.catalog.deleteCallbackTokens(table.key);
        handler = null;
      } else if (table.refreshMode === 'CONTINUOUS' && mode === 'FULL') {
        await this.stopContinuousRefresh(table);
        handler = await this.createWorkflow(next, table.createStatement);
        if (table.refreshStatus === 'SUSPENDED') {
          const created = handler;
          handler = await this.schedulerCall(`suspend the refresh workflow of ${table.identifier}`, () =>
            this.scheduler.modifyRefreshWorkflow(created, { kind: 'suspend' }),
          );
        }
      }
      if (table.refreshMode === 'CONTINUOUS' && mode === 'CONTINUOUS') handler = (await this.stopContinuousRefresh(table)).refreshHandler;
      const updated: DynamicTableRecord = { ...next, refreshHandler: handler, schedulerType: mode === 'FULL' ? this.settings.schedulerType : null };
      await this.catalog.updateTable(updated);
      if (mode === 'CONTINUOUS' && updated.refreshStatus === 'ACTIVATED') return this.startContinuousRefresh(updated);
      return updated;
    });
  }

  /** ALTER … AS and CREATE OR ALTER: the table is rebuilt with the new query, atomically. */
  private async changeQuery(
    table: DynamicTableRecord,
    query: QueryText,
    columns: readonly string[] | null,
    primaryKey: DynamicTableRecord['primaryKey'],
    extra: Partial<Pick<DynamicTableRecord, 'comment' | 'options' | 'partitionKeys' | 'createStatement'>> = {},
  ): Promise<DdlOutcome> {
    const name = resolveName([table.catalogName, table.databaseName, table.tableName], this.defaults);
    const partitionKeys = extra.partitionKeys ?? table.partitionKeys;
    const options = extra.options ?? table.options;
    const { sourceTables, definition } = await this.checkQuery(query, name, { columns, primaryKey, partitionKeys, options }, this.queryNamespaceOf({ ...table, options }));
    for (const source of sourceTables) {
      if ((await this.downstreamOf(table.key)).includes(source)) {
        throw validationError(`The new query of ${table.identifier} reads ${source}, which itself depends on ${table.identifier}; cycles are not allowed.`);
      }
    }
    const updated: DynamicTableRecord = {
      ...table,
      ...extra,
      definitionQuery: query.text,
      queryHash: definition.queryHash,
      schema: definition.schema,
      columnMapping: definition.columnMapping,
      primaryKey,
      sourceTables,
      updatedAt: new Date().toISOString(),
    };
    const job = await this.submit([{ table: updated, partition: null, rebuild: this.tableDefinition(updated) }], {
      trigger: 'MANUAL',
      scheduleTime: new Date(),
      deduplicate: false,
    });
    const finished = (await this.runner.waitFor(job.jobId, 24 * 3600 * 1000)) ?? job;
    if (finished.status !== 'SUCCEEDED') {
      const detail = (await this.runner.view(job.jobId))?.history[0]?.error ?? finished.error;
      throw validationError(`The new query of ${table.identifier} could not be applied; the table keeps its old definition and rows. ${detail ?? ''}`.trim());
    }
    await this.catalog.updateTable(updated);
    return { message: `Dynamic table ${table.identifier} now uses the new query; it was rebuilt and refreshed.`, identifier: table.identifier, job: finished };
  }

  private async alterFromCreate(existing: DynamicTableRecord, stmt: CreateDynamicTable): Promise<DdlOutcome> {
    if (existing.refreshStatus === 'INITIALIZING') throw invalidState(`Dynamic table ${existing.identifier} is still being created.`);
    const messages: string[] = [];
    let table = existing;
    const logical = logicalRefreshModeOf(stmt.refreshMode);
    const freshness = stmt.freshness ?? defaultFreshness(logical, this.settings.defaultFreshness);
    const queryChanged =
      stmt.query.text !== table.definitionQuery ||
      JSON.stringify(stmt.primaryKey) !== JSON.stringify(table.primaryKey) ||
      JSON.stringify(stmt.partitionKeys) !== JSON.stringify(table.partitionKeys) ||
      JSON.stringify(stmt.columns) !== JSON.stringify(table.columnMapping.some((m) => m.source !== m.target) ? table.columnMapping.map((m) => m.target) : null);
    if (queryChanged) {
      const outcome = await this.changeQuery(table, stmt.query, stmt.columns, stmt.primaryKey, {
        comment: stmt.comment,
        options: stmt.options,
        partitionKeys: stmt.partitionKeys,
        createStatement: stmt.text,
      });
      messages.push(outcome.message);
      table = (await this.catalog.getTable(table.key)) ?? table;
    }
    if (freshness.interval !== table.freshness.interval || freshness.unit !== table.freshness.unit || logical !== table.logicalRefreshMode) {
      table = await this.reschedule(table, freshness, logical);
      messages.push(`Freshness ${describeFreshnessText(freshness)} (${describeMode(table)}).`);
    }
    if (!queryChanged && (stmt.comment !== table.comment || JSON.stringify(stmt.options) !== JSON.stringify(table.options))) {
      await this.catalog.updateTable({ ...table, comment: stmt.comment, options: stmt.options, createStatement: stmt.text, updatedAt: new Date().toISOString() });
      messages.push('Comment and options updated.');
    }
    return {
      message: messages.length > 0 ? `Dynamic table ${existing.identifier} altered. ${messages.join(' ')}` : `Dynamic table ${existing.identifier} is unchanged.`,
      identifier: existing.identifier,
    };
  }

  // ---------------------------------------------------------------- DROP

  async drop(stmt: DropDynamicTable, ns: NameDefaults = this.defaults): Promise<DdlOutcome> {
    const name = resolveObjectName(stmt.name, ns);
    const table = await this.catalog.getTable(name.key);
    if (!table) {
      await this.refuseIfPlainTable(name);
      if (stmt.ifExists) return { message: `Dynamic table ${name.identifier} does not exist; nothing dropped.`, identifier: name.identifier };
      throw notFound(`Dynamic table ${name.identifier} does not exist.`);
    }
    if (table.refreshStatus === 'INITIALIZING') throw invalidState(`Dynamic table ${table.identifier} is still being created; try again when its CREATE has finished.`);
    const dependants = await this.dependantsOf(table.key);
    if (dependants.length > 0) {
      throw invalidState(`Cannot drop ${table.identifier}: dynamic table(s) ${dependants.join(', ')} read from it. Drop or alter them first.`);
    }
    // The workflow (or continuous job) goes first: if it cannot be stopped, the table stays whole and the DROP
    // can be repeated.
    if (table.refreshHandler && !this.continuousJobOf(table)) {
      const handler = table.refreshHandler;
      await this.schedulerCall(`delete the refresh workflow of ${table.identifier}`, () => this.scheduler.deleteRefreshWorkflow(handler));
    }
    await this.stopContinuousRefresh(table);
    await this.runner.exclusive(table.key, async () => {
      await this.engineOf(table.catalogName).dropTable({ database: table.databaseName, name: table.tableName });
      await this.catalog.deleteHistoryOfTable(table.key);
      await this.catalog.deleteCallbackTokens(table.key);
      await this.catalog.deleteTable(table.key);
    });
    return { message: `Dynamic table ${table.identifier} dropped.`, identifier: table.identifier };
  }

  // ---------------------------------------------------------------- refresh

  /** The refresh callback: resolves the tables, checks the request, and submits one job (idempotent). */
  async requestRefresh(request: RefreshRequest): Promise<JobRecord> {
    if (request.tables.length === 0) throw validationError('tables must name at least one dynamic table.');
    const timeZone = request.timeZone ?? this.settings.timeZone;
    if (!isValidTimeZone(timeZone)) throw validationError(`Unknown time zone '${timeZone}'; use an IANA name such as UTC or Europe/Berlin.`);
    const isPeriodic = request.isPeriodic ?? false;
    const tables: DynamicTableRecord[] = [];
    for (const text of request.tables) {
      const table = await this.requireTableText(text);
      if (tables.some((t) => t.key === table.key)) continue;
      if (table.refreshStatus === 'INITIALIZING') throw invalidState(`Dynamic table ${table.identifier} is still being created.`);
      if (isPeriodic && table.refreshStatus === 'SUSPENDED') {
        throw invalidState(`Dynamic table ${table.identifier} is suspended, so its scheduled refreshes do not run. Resume it, or send isPeriodic=false for a one-off refresh.`);
      }
      tables.push(table);
    }
    const given = request.scheduleTime !== undefined;
    const scheduleTime =
      request.scheduleTime === undefined ? new Date() : request.scheduleTime instanceof Date ? request.scheduleTime : parseScheduleTime(request.scheduleTime, timeZone);
    const staticPartitions = request.staticPartitions && Object.keys(request.staticPartitions).length > 0 ? request.staticPartitions : null;
    if (staticPartitions) for (const table of tables) checkPartitionSpec(table, staticPartitions);
    const refreshes: TableRefresh[] = upstreamFirst(tables).map((table) => ({
      table,
      partition: staticPartitions && !isPeriodic ? staticPartitions : isPeriodic ? this.periodicPartitionOf(table, scheduleTime, timeZone) : null,
    }));
    return this.runner.submit({
      refreshes,
      scheduleTime,
      deduplicate: given,
      trigger: request.trigger ?? (isPeriodic ? 'SCHEDULED' : 'MANUAL'),
      isPeriodic,
      configuration: request.configuration ?? {},
      staticPartitions,
    });
  }

  private periodicPartitionOf(table: DynamicTableRecord, scheduleTime: Date, timeZone: string): Record<string, string> | null {
    const formatters = partitionFormatters(table.options);
    if (Object.keys(formatters).length === 0) return null;
    return periodicPartition(scheduleTime, table.freshness, formatters, timeZone);
  }

  private submit(refreshes: TableRefresh[], how: { trigger: RefreshTrigger; scheduleTime: Date; deduplicate: boolean }): Promise<JobRecord> {
    return this.runner.submit({ refreshes, ...how, isPeriodic: false, configuration: {}, staticPartitions: null });
  }

  private async continuousTick(tick: ContinuousTick): Promise<{ done: Promise<unknown> }> {
    const job = await this.requestRefresh({ tables: [tick.tableKey], scheduleTime: tick.tickTime, configuration: tick.configuration, trigger: 'CONTINUOUS' });
    return { done: this.runner.waitFor(job.jobId, 24 * 3600 * 1000) };
  }

  private async startContinuous(table: DynamicTableRecord, immediate: boolean, configuration: Readonly<Record<string, string>> = {}): Promise<void> {
    const intervalSeconds = freshnessToSeconds(table.freshness);
    const last = await this.catalog.lastSuccessfulRefresh(table.key);
    const lastAt = last ? Date.parse(last.scheduleTime) : Date.now();
    const due = immediate ? Date.now() : Math.max(Date.now(), lastAt + intervalSeconds * 1000);
    this.continuous.start(table.key, intervalSeconds, new Date(due), configuration);
  }

  /** True when the table's engine keeps CONTINUOUS tables fresh with jobs of its own (a streaming engine). */
  private runsContinuousJobs(table: DynamicTableRecord): boolean {
    return this.engineOf(table.catalogName).capabilities().continuousJobs;
  }

  private continuousJobOf(table: DynamicTableRecord): ContinuousJob | null {
    return (table.refreshHandler as { continuousJob?: ContinuousJob } | null)?.continuousJob ?? null;
  }

  /**
   * Starts keeping an ACTIVATED CONTINUOUS table fresh: a streaming job on an engine that runs them (its id kept as
   * the table's handler), else Freshet's own runner. Returns the table as stored.
   */
  private async startContinuousRefresh(table: DynamicTableRecord, options: Readonly<Record<string, string>> = {}): Promise<DynamicTableRecord> {
    if (!this.runsContinuousJobs(table)) {
      await this.startContinuous(table, false, options);
      return table;
    }
    const engine = this.engineOf(table.catalogName);
    const job = await engine.startContinuousJob!({
      table: { database: table.databaseName, name: table.tableName },
      query: table.definitionQuery,
      columns: table.columnMapping,
      partition: null,
      // As Flink does for its materialized tables: the freshness is the checkpoint interval.
      configuration: { 'execution.checkpointing.interval': `${freshnessToSeconds(table.freshness)} s`, ...options },
    });
    const running: DynamicTableRecord = { ...table, refreshHandler: { continuousJob: job }, schedulerType: engine.name, updatedAt: new Date().toISOString() };
    await this.catalog.updateTable(running);
    return running;
  }

  /** Stops whatever keeps a CONTINUOUS table fresh; returns the table without its job (the caller stores it). */
  private async stopContinuousRefresh(table: DynamicTableRecord): Promise<DynamicTableRecord> {
    this.continuous.stop(table.key);
    const job = this.continuousJobOf(table);
    if (!job) return table;
    await this.engineOf(table.catalogName).stopContinuousJob!(job.jobId);
    return { ...table, refreshHandler: null, schedulerType: null };
  }

  async waitForJob(jobId: string, timeoutMs: number): Promise<JobRecord | null> {
    return this.runner.waitFor(jobId, Math.max(0, timeoutMs));
  }

  // ---------------------------------------------------------------- reads

  async getTable(text: string, ns: NameDefaults = this.defaults): Promise<DynamicTableRecord> {
    return this.requireTableText(text, ns);
  }

  async listTables(): Promise<DynamicTableRecord[]> {
    return this.catalog.listTables();
  }

  async detail(table: DynamicTableRecord, now = new Date()): Promise<TableDetail> {
    const [last] = await this.catalog.historyOfTable(table.key, 1);
    return tableDetail(
      table,
      this.engineOf(table.catalogName).name,
      this.incrementalOf(table),
      await this.catalog.lastSuccessfulRefresh(table.key),
      last ?? null,
      now,
    );
  }

  async summaries(offset: number, limit: number): Promise<{ tables: TableSummary[]; total: number }> {
    const all = await this.catalog.listTables();
    const now = new Date();
    const tables: TableSummary[] = [];
    for (const t of all.slice(offset, offset + limit)) {
      const state = freshnessState(await this.catalog.lastSuccessfulRefresh(t.key), now);
      tables.push({
        identifier: t.identifier,
        name: t.tableName,
        engine: this.engineOf(t.catalogName).name,
        refreshMode: t.refreshMode,
        refreshStatus: t.refreshStatus,
        freshness: formatFreshness(t.freshness),
        validThrough: state.validThrough ?? null,
        lagSeconds: state.lagSeconds ?? null,
      });
    }
    return { tables, total: all.length };
  }

  async refreshHistory(text: string, limit: number): Promise<RefreshView[]> {
    const table = await this.requireTableText(text);
    return (await this.catalog.historyOfTable(table.key, limit)).map(refreshView);
  }

  async job(jobId: string): Promise<JobDetail | null> {
    const view = await this.runner.view(jobId);
    return view ? jobDetail(view.job, view.history) : null;
  }

  async health(): Promise<{ catalog: string; engine: string }> {
    const check = async (probe: () => Promise<void>) => probe().then(() => 'ok', (error: unknown) => `unavailable: ${messageOf(error)}`);
    const engines: string[] = [];
    for (const [name, engine] of this.engines) {
      const state = await check(() => engine.ping());
      if (state !== 'ok') engines.push(`${name}: ${state}`);
    }
    return { catalog: await check(() => this.catalog.ping()), engine: engines.length === 0 ? 'ok' : engines.join('; ') };
  }

  /** Keys of the dynamic tables whose query reads `key`. */
  async dependantsOf(key: string): Promise<string[]> {
    return (await this.catalog.listTables()).filter((t) => t.sourceTables.includes(key)).map((t) => t.identifier);
  }

  /** Every table downstream of `key`, transitively (keys). */
  private async downstreamOf(key: string): Promise<string[]> {
    const all = await this.catalog.listTables();
    const found = new Set<string>();
    const visit = (k: string) => {
      for (const t of all) if (t.sourceTables.includes(k) && !found.has(t.key)) (found.add(t.key), visit(t.key));
    };
    visit(key);
    return [...found];
  }

  private async requireTable(name: ObjectName, ns: NameDefaults = this.defaults): Promise<DynamicTableRecord> {
    const resolved = resolveObjectName(name, ns);
    const table = await this.catalog.getTable(resolved.key);
    if (table) return table;
    await this.refuseIfPlainTable(resolved);
    throw notFound(`Dynamic table ${resolved.identifier} does not exist.`);
  }

  private async requireTableText(text: string, ns: NameDefaults = this.defaults): Promise<DynamicTableRecord> {
    const resolved = resolveName(splitIdentifierText(text), ns);
    const table = await this.catalog.getTable(resolved.key);
    if (table) return table;
    await this.refuseIfPlainTable(resolved);
    throw notFound(`Dynamic table ${resolved.identifier} does not exist.`);
  }

  private async refuseIfPlainTable(name: ResolvedName): Promise<void> {
    if (await this.engineOf(name.catalogName).describeTable({ database: name.databaseName, name: name.tableName })) {
      throw validationError(`Table ${name.identifier} is not a dynamic table; DYNAMIC TABLE statements and refreshes apply only to dynamic tables.`);
    }
  }

  // ---------------------------------------------------------------- helpers

  private tableDefinition(record: DynamicTableRecord): TableDefinition {
    return {
      table: { database: record.databaseName, name: record.tableName },
      columns: record.schema,
      primaryKey: record.primaryKey && record.primaryKey.enforced ? record.primaryKey.columns : null,
    };
  }

  private schedule(record: DynamicTableRecord): RefreshSchedule {
    const quartzCron = record.cron ?? freshnessToQuartzCron(record.freshness);
    return { quartzCron, unixCron: quartzToUnixCron(quartzCron), freshness: record.freshness, timeZone: this.settings.timeZone };
  }

  /**
   * Creates a table's workflow with a callback token of its own (refresh calls and job reads only). A workflow a
   * failed create left behind is recorded, to be deleted when the scheduler answers again.
   */
  private async createWorkflow(record: DynamicTableRecord, statement: string): Promise<RefreshHandler> {
    let token: string | null = null;
    if (this.settings.authEnabled) {
      token = `${CALLBACK_TOKEN_PREFIX}${randomBytes(32).toString('base64url')}`;
      await this.catalog.insertCallbackToken(hashToken(token), record.key, new Date().toISOString());
    }
    try {
      return await this.schedulerCall(`create the refresh workflow of ${record.identifier}`, () =>
        this.scheduler.createRefreshWorkflow({
          tableIdentifier: record.identifier,
          statement,
          schedule: this.schedule(record),
          initConfig: {},
          executionConfig: {},
          callback: { ...this.settings.callback, token },
        }),
      );
    } catch (error) {
      if (token !== null) await this.catalog.deleteCallbackTokens(record.key, undefined).catch(() => undefined);
      const orphan = error instanceof FreshetError ? (error.details as { orphanHandler?: RefreshHandler } | undefined)?.orphanHandler : undefined;
      if (orphan) {
        await this.catalog.insertOrphan({
          schedulerType: this.settings.schedulerType,
          tableIdentifier: record.identifier,
          handler: orphan,
          reason: messageOf(error),
          createdAt: new Date().toISOString(),
        });
      }
      throw error;
    }
  }

  /** True when `token` is a callback token minted for a workflow that still exists. */
  async isCallbackToken(token: string): Promise<boolean> {
    if (!token.startsWith(CALLBACK_TOKEN_PREFIX)) return false;
    return (await this.catalog.callbackTokenTable(hashToken(token))) !== null;
  }

  // ---------------------------------------------------------------- drift

  /** Deletes workflows failed CREATEs left behind; returns the ones the scheduler still refuses to delete. */
  private async cleanOrphans(): Promise<DriftReport['orphansPending']> {
    const pending: Array<{ tableIdentifier: string; reason: string | null }> = [];
    for (const orphan of await this.catalog.listOrphans(this.settings.schedulerType)) {
      try {
        await this.scheduler.deleteRefreshWorkflow(orphan.handler);
        await this.catalog.deleteOrphan(orphan.id);
        this.logger.info('deleted a workflow a failed CREATE left behind', { table: orphan.tableIdentifier });
      } catch (error) {
        pending.push({ tableIdentifier: orphan.tableIdentifier, reason: messageOf(error) });
      }
    }
    return pending;
  }

  /**
   * Compares every FULL table's workflow with what the scheduler holds. With `repair`, re-creates missing
   * workflows, pauses or resumes wrongly paused ones, reschedules, deletes extra ones, and checks again.
   */
  async checkDrift(repair: boolean): Promise<DriftReport> {
    const report = await this.driftReport();
    if (!repair) return report;
    const repaired: string[] = [];
    const attempt = async (what: string, action: () => Promise<void>) => {
      try {
        await action();
        repaired.push(what);
      } catch (error) {
        repaired.push(`could not ${what}: ${messageOf(error)}`);
      }
    };
    for (const { table: identifier } of report.missing) {
      await attempt(`re-create the workflow of ${identifier}`, async () => {
        const table = await this.requireTableText(identifier);
        let handler = await this.createWorkflow(table, table.createStatement);
        if (table.refreshStatus === 'SUSPENDED') handler = await this.scheduler.modifyRefreshWorkflow(handler, { kind: 'suspend' });
        await this.catalog.updateTable({ ...table, refreshHandler: handler, updatedAt: new Date().toISOString() });
      });
    }
    for (const { table: identifier, expectedPaused } of report.wronglyPaused) {
      await attempt(`${expectedPaused ? 'pause' : 'resume'} the workflow of ${identifier}`, async () => {
        const table = await this.requireTableText(identifier);
        const handler = await this.scheduler.modifyRefreshWorkflow(table.refreshHandler!, expectedPaused ? { kind: 'suspend' } : { kind: 'resume', dynamicOptions: {} });
        await this.catalog.updateTable({ ...table, refreshHandler: handler, updatedAt: new Date().toISOString() });
      });
    }
    for (const { table: identifier } of report.wrongSchedule) {
      await attempt(`reschedule the workflow of ${identifier}`, async () => {
        const table = await this.requireTableText(identifier);
        const handler = await this.scheduler.modifyRefreshWorkflow(table.refreshHandler!, { kind: 'reschedule', schedule: this.schedule(table) });
        await this.catalog.updateTable({ ...table, refreshHandler: handler, updatedAt: new Date().toISOString() });
      });
    }
    for (const extra of report.extra) {
      await attempt(`delete the extra workflow of ${extra.tableIdentifier ?? 'an unknown table'}`, () => this.scheduler.deleteRefreshWorkflow(extra.handler));
    }
    return { ...(await this.driftReport()), repaired };
  }

  private async driftReport(): Promise<DriftReport> {
    const errors: Array<{ table?: string; message: string }> = [];
    const orphansPending = await this.cleanOrphans();
    const tables = (await this.catalog.listTables()).filter((t) => t.refreshMode === 'FULL' && t.refreshStatus !== 'INITIALIZING');
    const inspected: TableInspection[] = [];
    for (const table of tables) {
      if (!table.refreshHandler) {
        inspected.push({ table, inspection: null });
        continue;
      }
      try {
        inspected.push({ table, inspection: await this.scheduler.inspect(table.refreshHandler) });
      } catch (error) {
        inspected.push({ table, inspection: null, error: messageOf(error) });
      }
    }
    let listed: readonly ListedWorkflow[] = [];
    try {
      listed = await this.scheduler.listRefreshWorkflows();
    } catch (error) {
      errors.push({ message: `Could not list the scheduler's workflows: ${messageOf(error)}` });
    }
    return compareDrift({
      scheduler: this.settings.schedulerType,
      inspected,
      listed,
      expectedSchedules: (t) => {
        const schedule = this.schedule(t);
        return [schedule.quartzCron, ...(schedule.unixCron ? [schedule.unixCron] : [])];
      },
      orphansPending,
      errors,
      now: new Date(),
    });
  }


  /** Scheduler failures become SCHEDULER_ERROR (502) carrying the scheduler's own message. */
  private async schedulerCall<T>(what: string, call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (error) {
      if (error instanceof FreshetError && error.code !== 'INTERNAL' && error.code !== 'SCHEDULER_ERROR') throw error;
      throw new FreshetError('SCHEDULER_ERROR', `Scheduler '${this.settings.schedulerType}' could not ${what}: ${messageOf(error)}`, {
        cause: error,
        details: error instanceof FreshetError ? error.details : undefined,
      });
    }
  }
}

/** SQLite names a missing table in its own words; say it the way the rest of Freshet does, at the table's place. */
function missingSourceError(error: unknown, sources: readonly ObjectName[]): FreshetError | null {
  if (!(error instanceof FreshetError)) return null;
  const match = /no such table: (\S+)/i.exec(error.message);
  if (!match) return null;
  const missing = (match[1] as string).toLowerCase();
  const source = sources.find((s) => s.parts.join('.').toLowerCase() === missing || (s.parts.at(-1) ?? '').toLowerCase() === missing);
  return validationError(`Table '${source ? source.parts.join('.') : match[1]}' used in the query does not exist.`, {
    ...(source ? { line: source.position.line, column: source.position.column } : {}),
    cause: error,
  });
}

function checkPartitionSpec(table: DynamicTableRecord, spec: Readonly<Record<string, string>>): void {
  const unknown = Object.keys(spec).filter((k) => !table.partitionKeys.some((p) => p.toLowerCase() === k.toLowerCase()));
  if (unknown.length > 0) {
    throw validationError(
      `The partition spec of ${table.identifier} contains unknown partition keys: ${unknown.join(', ')}. All known partition keys are: ${table.partitionKeys.join(', ') || '(none: the table is not partitioned)'}.`,
    );
  }
}

/** Orders tables so that each comes after the listed tables it reads. */
function upstreamFirst(tables: readonly DynamicTableRecord[]): DynamicTableRecord[] {
  const listed = new Map(tables.map((t) => [t.key, t]));
  const ordered: DynamicTableRecord[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (t: DynamicTableRecord) => {
    if (state.get(t.key) === 'done' || state.get(t.key) === 'visiting') return;
    state.set(t.key, 'visiting');
    for (const source of t.sourceTables) {
      const upstream = listed.get(source);
      if (upstream) visit(upstream);
    }
    state.set(t.key, 'done');
    ordered.push(t);
  };
  tables.forEach(visit);
  return ordered;
}

function describeMode(t: DynamicTableRecord): string {
  return t.refreshMode === 'FULL' ? `FULL refresh, CRON ${t.cron}` : `CONTINUOUS refresh every ${describeFreshnessText(t.freshness)}`;
}

function describeFreshnessText(f: Freshness): string {
  return `${f.interval} ${f.unit.toLowerCase()}${f.interval === 1 ? '' : 's'}`;
}

function formatPartition(p: Readonly<Record<string, string>>): string {
  return `(${Object.entries(p)
    .map(([k, v]) => `${k} = '${v}'`)
    .join(', ')})`;
}
