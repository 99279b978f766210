/**
 * How each table is refreshed: on its own engine fully or incrementally, or streamed from another catalog. This
 * is what the refresh runner calls for every table of a job; it also answers whether (and why not) a table's
 * refreshes are incremental. Incremental plans are pure, so they are kept per query text.
 */
import type { DynamicTableRecord } from '../catalog/records';
import type { RefreshOutcome, RefreshSpec, TableRef } from '../engine/engine';
import { FreshetError, engineError, validationError } from '../errors';
import type { SqlDialect } from '../model';
import type { TableRefresh } from '../refresh/refresh-runner';
import { analyzeQueryOffLoop } from '../sql/analysis-thread';
import { type IncrementalPlan, type IncrementalPlanResult, planIncremental } from '../sql/incremental-plan';
import type { PublishGuards } from '../model';
import { publishGuardsOf } from './guard-options';
import type { NameDefaults, ResolvedName } from './identifiers';
import { resolveObjectName } from './identifiers';
import { type Namespaces, SOURCE_CATALOG_OPTION, isCrossCatalog } from './namespaces';
import { REFRESH_STRATEGY_OPTION, physicalDefinition } from './table-definition';
import { type IncrementalView, incrementalView } from './table-view';

/** Rows per batch when copying between catalogs: large enough to amortise round trips, small enough for memory. */
const CROSS_CATALOG_BATCH_ROWS = 5_000;
/** Incremental plans kept in memory (one per distinct query text); the cache starts over when full. */
const MAX_CACHED_PLANS = 1_000;

export class RefreshStrategy {
  private readonly plans = new Map<string, IncrementalPlanResult>();
  #beforeRefresh: ((table: DynamicTableRecord) => Promise<void>) | null = null;

  constructor(private readonly namespaces: Namespaces) {}

  /** A check each refresh (not a rebuild) runs first; when it throws, the refresh fails with its error. */
  checkBeforeEachRefresh(check: (table: DynamicTableRecord) => Promise<void>): void {
    this.#beforeRefresh = check;
  }

  /** Carries out one table's refresh for the runner: on the table's own engine, or streamed from its source catalog. */
  async refresh(refresh: TableRefresh, configuration: Readonly<Record<string, string>>): Promise<RefreshOutcome> {
    const { table } = refresh;
    if (this.#beforeRefresh !== null && !refresh.rebuild) await this.#beforeRefresh(table);
    if (isCrossCatalog(table)) return this.refreshAcrossCatalogs(refresh);
    const spec: RefreshSpec = {
      table: { database: table.databaseName, name: table.tableName },
      query: table.definitionQuery,
      columns: table.columnMapping,
      partition: refresh.partition,
      configuration,
      ...(refresh.refreshId === undefined ? {} : { refreshId: refresh.refreshId }),
      ...guardsOf(refresh),
    };
    const engine = this.namespaces.engineOf(table.catalogName);
    if (refresh.rebuild) return engine.rebuildTable(refresh.rebuild, spec);
    const incremental = refresh.partition === null ? this.incrementalRefreshOf(table) : null;
    if (incremental !== null && engine.incremental !== undefined) {
      return engine.incremental.refresh({ ...spec, ...incremental });
    }
    return engine.refresh(spec);
  }

  /** What the engine the table's rows are written to recorded for a refresh that committed; null without a ledger. */
  async committed(refresh: TableRefresh, refreshId: string): Promise<RefreshOutcome | null> {
    const { table } = refresh;
    const ledger = this.namespaces.engineOf(table.catalogName).ledger;
    if (ledger === undefined) return null;
    return ledger.committed({ database: table.databaseName, name: table.tableName }, refreshId);
  }

  /**
   * Classifies the tables' queries off the event loop, so that the first refresh or view of each after a start
   * does not parse its query on the loop (a near-limit query takes node-sql-parser a few hundred milliseconds).
   */
  async warm(tables: readonly DynamicTableRecord[]): Promise<void> {
    for (const table of tables) {
      const dialect = this.namespaces.engineOf(this.namespaces.queryNamespaceOf(table).catalogName).dialect;
      const query = { text: table.definitionQuery, position: { offset: 0, line: 1, column: 1 } };
      // A query the worker cannot read is classified (as not incremental) on first use, as before.
      await analyzeQueryOffLoop(query, dialect).catch(() => undefined);
    }
  }

  /** Whether the table's query could be maintained incrementally, judged in the dialect it runs in, and whether it is. */
  incrementalOf(table: DynamicTableRecord): IncrementalView {
    const dialect = this.namespaces.engineOf(this.namespaces.queryNamespaceOf(table).catalogName).dialect;
    const planned = this.planOf(table.definitionQuery, dialect);
    return incrementalView(planned, planned.incremental ? this.fullRefreshReason(table) : null);
  }

  /** `'refresh.strategy' = 'incremental'` makes a table that would refresh fully an error at CREATE, with the reason. */
  requireIncremental(query: string, name: ResolvedName, within: NameDefaults): void {
    const option = `'${REFRESH_STRATEGY_OPTION}' = 'incremental'`;
    if (within.catalogName.toLowerCase() !== name.catalogName.toLowerCase()) {
      throw validationError(
        `${option} needs the query to run where the table lives; this query runs on catalog ` +
          `${within.catalogName}. Use 'auto' or 'full'.`,
      );
    }
    const engine = this.namespaces.engineOf(name.catalogName);
    if (engine.incremental === undefined) {
      throw validationError(
        `${option} needs change capture, which the ${engine.name} engine of catalog ${name.catalogName} does not ` +
          `have. Use 'auto' or 'full'.`,
      );
    }
    const planned = this.planOf(query, engine.dialect);
    if (!planned.incremental) {
      throw validationError(
        `${option} needs a query Freshet can maintain incrementally; this one cannot (${planned.reason}): ` +
          `${planned.detail}`,
      );
    }
  }

  /** The incremental plan of a query in a dialect. */
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
    if (isCrossCatalog(table)) {
      return `the query runs on catalog ${table.options[SOURCE_CATALOG_OPTION]}, and its rows are copied`;
    }
    const engine = this.namespaces.engineOf(table.catalogName);
    if (engine.incremental === undefined) {
      return `the ${engine.name} engine cannot capture changes`;
    }
    return null;
  }

  /** The plan and resolved sources of a table refreshed incrementally, or null when its refreshes are full. */
  private incrementalRefreshOf(table: DynamicTableRecord): { plan: IncrementalPlan; sources: TableRef[] } | null {
    if (this.fullRefreshReason(table) !== null) return null;
    const planned = this.planOf(table.definitionQuery, this.namespaces.engineOf(table.catalogName).dialect);
    if (!planned.incremental) return null;
    const ns = this.namespaces.queryNamespaceOf(table);
    const sources = planned.plan.sources.map((parts) => {
      const resolved = resolveObjectName({ parts: [...parts], position: { offset: 0, line: 1, column: 1 } }, ns);
      return { database: resolved.databaseName, name: resolved.tableName };
    });
    return { plan: planned.plan, sources };
  }

  /**
   * Refreshes a table whose query runs on another catalog: rows stream from the source catalog's engine into the
   * table's own, at most one batch in memory, staged and swapped in atomically. `definition` rebuilds the table.
   */
  private refreshAcrossCatalogs(refresh: TableRefresh): Promise<RefreshOutcome> {
    const { table, partition, refreshId } = refresh;
    const sourceCatalog = table.options[SOURCE_CATALOG_OPTION];
    if (sourceCatalog === undefined) throw new FreshetError('INTERNAL', `${table.identifier} has no source catalog.`);
    const source = this.namespaces.engineOf(sourceCatalog).streaming;
    const target = this.namespaces.engineOf(table.catalogName).streaming;
    if (!source || !target) {
      throw engineError(
        `Catalog '${sourceCatalog}' or '${table.catalogName}' cannot stream rows any more; ${table.identifier} ` +
          `cannot be refreshed.`,
      );
    }
    const sourceOf = (column: string) =>
      table.columnMapping.find((m) => m.target.toLowerCase() === column.toLowerCase())?.source ?? column;
    const filter =
      partition === null
        ? null
        : Object.fromEntries(Object.entries(partition).map(([column, value]) => [sourceOf(column), value]));
    const rows = source.readBatches({
      query: table.definitionQuery,
      columns: table.columnMapping.map((m) => m.source),
      filter,
      batchRows: CROSS_CATALOG_BATCH_ROWS,
    });
    const definition = refresh.rebuild ?? physicalDefinition(table);
    return target.replaceFromBatches(
      { definition, partition, ...(refreshId === undefined ? {} : { refreshId }), ...guardsOf(refresh) },
      rows,
    );
  }
}

/** Every refresh is judged by the table's publish guards, unless an operator publishes it past them. */
function guardsOf(refresh: TableRefresh): { guards?: PublishGuards } {
  return refresh.unguarded === true ? {} : { guards: publishGuardsOf(refresh.table) };
}
