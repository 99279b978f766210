/** What users read about tables and jobs: details, summaries, history, EXPLAIN, health. Changes nothing. */
import type { DynamicTableRecord, HistoryRecord } from '../catalog/records';
import { messageOf, notFound, storageProblemOf } from '../errors';
import { formatFreshness } from '../freshness';
import type { AlterDynamicTable, CreateDynamicTable } from '../sql/statements';
import type { TableCreation } from './create-table';
import { DependencyGraph } from './dependencies';
import { type NameDefaults, resolveName, resolveObjectName, splitIdentifierText } from './identifiers';
import { definitionChange, impactOf, impactRows } from './impact';
import { type LineageView, lineageView, neighboursOf } from './lineage-view';
import type { ManagerParts } from './manager-parts';
import type { JobQuery, RefreshQuery } from './manager-types';
import { describeFreshnessText } from './messages';
import { SOURCE_CATALOG_OPTION } from './namespaces';
import { planQueryChange } from './query-change';
import { type ReflectionDetail, reflectionDetail } from './reflection-views';
import {
  type JobDetail,
  type RefreshView,
  type TableDetail,
  type TableSummary,
  freshnessState,
  jobDetail,
  lastRefreshBrief,
  nextRunOf,
  refreshView,
  tableDetail,
} from './table-view';

export class ReadViews {
  constructor(
    private readonly parts: ManagerParts,
    private readonly creation: TableCreation,
  ) {}

  async detail(table: DynamicTableRecord, now = new Date()): Promise<TableDetail & ReflectionDetail> {
    const { catalog, namespaces, strategy } = this.parts;
    const [last] = await catalog.historyOfTable(table.key, 1);
    const engine = namespaces.engineOf(table.catalogName).name;
    const lastSuccess = await catalog.lastSuccessfulRefresh(table.key);
    const neighbours = neighboursOf(await DependencyGraph.load(catalog), table.key);
    const detail = tableDetail(
      table,
      engine,
      strategy.incrementalOf(table),
      lastSuccess,
      last ?? null,
      now,
      neighbours,
      this.parts.settings.timeZone,
    );
    return { ...detail, ...(await reflectionDetail(this.parts, table, detail.validThrough ?? null)) };
  }

  /**
   * The tables within `depth` steps of the named one, up and down the graph. A plain table nobody reads is a
   * lineage of one; a name that is no table at all is not found.
   */
  async lineage(text: string, depth: number, now = new Date()): Promise<LineageView> {
    const { catalog, namespaces } = this.parts;
    const defaults = namespaces.defaults;
    const name = resolveName(splitIdentifierText(text), defaults);
    const graph = await DependencyGraph.load(catalog);
    if (!graph.has(name.key)) {
      const plain = await namespaces
        .engineOf(name.catalogName)
        .describeTable({ database: name.databaseName, name: name.tableName });
      if (!plain) throw notFound(`Table ${name.identifier} does not exist.`);
    }
    const lastSuccess = new Map<string, HistoryRecord | null>();
    for (const key of graph.walk(name.key, depth).keys) {
      if (graph.table(key)) lastSuccess.set(key, await catalog.lastSuccessfulRefresh(key));
    }
    const catalogOf = (key: string) => {
      const first = key.split('.')[0] ?? key;
      return defaults.catalogs.get(first)?.name ?? first;
    };
    return lineageView(graph, name.key, depth, catalogOf, lastSuccess, now);
  }

  async summaries(offset: number, limit: number): Promise<{ tables: TableSummary[]; total: number }> {
    const { catalog, namespaces } = this.parts;
    const all = await catalog.listTables();
    const now = new Date();
    const tables: TableSummary[] = [];
    for (const t of all.slice(offset, offset + limit)) {
      const state = freshnessState(await catalog.lastSuccessfulRefresh(t.key), now);
      const [last] = await catalog.historyOfTable(t.key, 1);
      tables.push({
        identifier: t.identifier,
        name: t.tableName,
        engine: namespaces.engineOf(t.catalogName).name,
        refreshMode: t.refreshMode,
        refreshStatus: t.refreshStatus,
        freshness: formatFreshness(t.freshness),
        validThrough: state.validThrough ?? null,
        dataTimestamp: state.dataTimestamp ?? null,
        lagSeconds: state.lagSeconds ?? null,
        suspendedReason: t.suspendedReason ?? null,
        lastRefresh: lastRefreshBrief(last ?? null),
        nextRun: nextRunOf(t, now, this.parts.settings.timeZone),
      });
    }
    return { tables, total: all.length };
  }

  /** Refreshes newest first, of the table `text` names, or of every table when null. */
  async refreshHistory(text: string | null, query: RefreshQuery, ns?: NameDefaults): Promise<RefreshView[]> {
    const tableKey = text === null ? undefined : (await this.parts.lookup.requireText(text, ns)).key;
    const rows = await this.parts.catalog.jobs.historyPage({
      ...(tableKey !== undefined ? { tableKey } : {}),
      ...(query.status !== undefined ? { state: query.status } : {}),
      ...(query.since !== undefined ? { since: query.since.toISOString() } : {}),
      limit: query.limit,
      offset: query.offset,
    });
    return rows.map(refreshView);
  }

  /** Jobs newest first, each as `GET /v3/jobs/{id}` shows it, and how many match in all. */
  async jobs(query: JobQuery): Promise<{ jobs: JobDetail[]; total: number }> {
    const tableKey = query.table === undefined ? undefined : (await this.parts.lookup.requireText(query.table)).key;
    const { catalog } = this.parts;
    const page = await catalog.jobs.listJobs({
      ...(query.status !== undefined ? { status: query.status } : {}),
      ...(query.trigger !== undefined ? { trigger: query.trigger } : {}),
      ...(query.since !== undefined ? { since: query.since.toISOString() } : {}),
      ...(tableKey !== undefined ? { tableKey } : {}),
      limit: query.limit,
      offset: query.offset,
    });
    const jobs: JobDetail[] = [];
    for (const job of page.jobs) jobs.push(jobDetail(job, await catalog.historyOfJob(job.jobId)));
    return { jobs, total: page.total };
  }

  async job(jobId: string): Promise<JobDetail | null> {
    const view = await this.parts.runner.view(jobId);
    return view ? jobDetail(view.job, view.history) : null;
  }

  async health(): Promise<{ catalog: string; engine: string }> {
    const check = async (probe: () => Promise<void>) =>
      probe().then(
        () => 'ok',
        (error: unknown) => `${storageProblemOf(error) === 'full' ? 'full' : 'unavailable'}: ${messageOf(error)}`,
      );
    const engines: string[] = [];
    for (const [name, engine] of this.parts.namespaces.engines) {
      const state = await check(() => engine.ping());
      if (state !== 'ok') engines.push(`${name}: ${state}`);
    }
    const catalog = await check(() => this.parts.catalog.ping());
    return { catalog, engine: engines.length === 0 ? 'ok' : engines.join('; ') };
  }

  /** EXPLAIN CREATE DYNAMIC TABLE: everything the CREATE would check and decide, without creating anything. */
  async explainCreate(stmt: CreateDynamicTable, ns: NameDefaults): Promise<Array<[string, string]>> {
    const { catalog, namespaces, strategy, settings, continuous } = this.parts;
    const name = resolveObjectName(stmt.name, ns);
    const existing = await catalog.getTable(name.key);
    const draft = await this.creation.draft(name, stmt, ns);
    const incremental = strategy.incrementalOf(draft);
    const engine = namespaces.engineOf(draft.catalogName);
    const source = draft.options[SOURCE_CATALOG_OPTION];
    const exists = !existing
      ? 'no'
      : stmt.orAlter
        ? 'yes: CREATE OR ALTER would alter it'
        : stmt.ifNotExists
          ? 'yes: nothing would change'
          : 'yes: CREATE would fail';
    const schedule =
      draft.refreshMode === 'FULL'
        ? `${draft.cron} (${settings.schedulerType} scheduler)`
        : continuous.runsJobs(draft)
          ? `a continuous job on ${engine.name}`
          : `Freshet's continuous runner, every ${describeFreshnessText(draft.freshness)}`;
    const columns = draft.schema.map(columnText);
    const impact =
      existing && stmt.orAlter
        ? impactRows(
            await impactOf(this.parts, definitionChange(existing, draft.schema, engine)),
            `change the query of ${existing.identifier}`,
          )
        : [];
    return [
      ['table', draft.identifier],
      ['exists', exists],
      ['engine', engine.name],
      [
        'query runs on',
        source === undefined ? draft.catalogName : `${source} (rows are copied into ${draft.catalogName})`,
      ],
      ['source tables', draft.sourceTables.join(', ') || '(none)'],
      ['columns', columns.join(', ')],
      ['freshness', formatFreshness(draft.freshness)],
      ['logical refresh mode', draft.logicalRefreshMode],
      ['refresh mode', draft.refreshMode],
      ['schedule', schedule],
      ['incremental', incremental.eligible ? `eligible (${incremental.shape})` : `not eligible: ${incremental.reason}`],
      ['detail', incremental.detail],
      [
        'initial refresh',
        draft.options.initialize === 'on_schedule' ? 'none: first refresh on schedule' : 'right after CREATE',
      ],
      ...impact,
    ];
  }

  /**
   * EXPLAIN ALTER DYNAMIC TABLE … AS: the columns the new query would give the table, each dynamic table that
   * reads it with the columns it reads, and whether the change would be refused; changes nothing.
   */
  async explainAlter(stmt: AlterDynamicTable, ns: NameDefaults): Promise<Array<[string, string]>> {
    const table = await this.parts.lookup.require(stmt.name, ns);
    if (stmt.action.kind !== 'setQuery') return [['table', table.identifier]];
    const { updated, impact } = await planQueryChange(this.parts, table, stmt.action.query, null, table.primaryKey);
    return [
      ['table', table.identifier],
      ['columns now', table.schema.map(columnText).join(', ')],
      ['columns after', updated.schema.map(columnText).join(', ')],
      ['source tables', updated.sourceTables.join(', ') || '(none)'],
      ...impactRows(impact, `change the query of ${table.identifier}`),
    ];
  }
}

function columnText(c: { name: string; type: string; nullable: boolean }): string {
  return `${c.name} ${c.type || '(no type)'}${c.nullable ? '' : ' NOT NULL'}`;
}
