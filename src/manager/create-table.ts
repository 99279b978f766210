/**
 * CREATE DYNAMIC TABLE: the catalog record is written INITIALIZING, the physical table created, the workflow (or
 * continuous job) started and the table ACTIVATED; a failed step undoes the ones before it, so a CREATE that
 * fails leaves nothing behind.
 */
import type { DynamicTableRecord } from '../catalog/records';
import { alreadyExists, engineError, validationError } from '../errors';
import { deduceRefreshMode, defaultFreshness, freshnessToQuartzCron, logicalRefreshModeOf } from '../freshness';
import type { CreateDynamicTable } from '../sql/statements';
import { type NameDefaults, type ResolvedName, resolveObjectName } from './identifiers';
import type { ManagerParts } from './manager-parts';
import type { DdlOutcome } from './manager-types';
import { describeMode } from './messages';
import { SOURCE_CATALOG_OPTION } from './namespaces';
import { checkQuery } from './query-check';
import { BlockedResults } from './blocked-results';
import { UPSTREAM_SUSPENDED, suspendedUpstreamOf } from './cascades';
import { DependencyGraph } from './dependencies';
import { REFRESH_STRATEGY_OPTION, physicalDefinition } from './table-definition';
import { checkCreateOptions } from './table-options';
import { checkExpectations } from './expectation-check';
import { checkGuardOptions, requireGuardable, storedExpectations } from './guard-options';

/** Engine messages that blame the query or the rows it reads rather than the engine itself. */
const DATA_FAULT = new RegExp(
  [
    'unique|duplicate|primary key|constraint|not[- ]null|null value|no such (column|table|function)',
    'does not exist|unknown column|division by zero|divide by zero|out of range|overflow|invalid input',
    'syntax|cannot be cast|data too long|incorrect .* value|mismatch',
  ].join('|'),
  'i',
);

export class TableCreation {
  constructor(private readonly parts: ManagerParts) {}

  /** Creates a table; an existing one is left alone (IF NOT EXISTS), altered (OR ALTER) or refused. */
  async create(
    stmt: CreateDynamicTable,
    ns: NameDefaults,
    alterExisting: (existing: DynamicTableRecord) => Promise<DdlOutcome>,
  ): Promise<DdlOutcome> {
    const { catalog } = this.parts;
    const name = resolveObjectName(stmt.name, ns);
    const existing = await catalog.getTable(name.key);
    if (existing) {
      if (stmt.ifNotExists) {
        return {
          message: `Dynamic table ${existing.identifier} already exists; nothing changed.`,
          identifier: existing.identifier,
        };
      }
      if (stmt.orAlter) return alterExisting(existing);
      throw alreadyExists(
        `Dynamic table ${existing.identifier} already exists. Use CREATE OR ALTER or IF NOT EXISTS, or drop it first.`,
      );
    }
    const record = await this.draft(name, stmt, ns);
    if (!(await catalog.insertTable(record))) throw alreadyExists(`Dynamic table ${name.identifier} already exists.`);
    const active = await this.activateOrUndo(record, stmt.text);
    if (active.refreshMode === 'CONTINUOUS' && this.parts.continuous.runsJobs(active)) {
      return active.refreshStatus === 'SUSPENDED' ? this.createdSuspended(active) : this.startJob(active);
    }
    return this.initialize(active);
  }

  /**
   * A table over a suspended dynamic table is created suspended (UPSTREAM_SUSPENDED), as if it had been there when
   * its upstream was suspended: RESUME of the upstream resumes it. Its initial refresh still runs (a one-off refresh
   * of a suspended table is allowed), so it can be queried at once.
   */
  private async heldBy(record: DynamicTableRecord): Promise<DynamicTableRecord[]> {
    const held = suspendedUpstreamOf(await DependencyGraph.load(this.parts.catalog), record);
    if (held.length > 0) {
      this.parts.logger.info('dynamic table created suspended, as a table it reads is suspended', {
        table: record.identifier,
        upstream: held.map((t) => t.identifier).join(', '),
        reason: UPSTREAM_SUSPENDED,
      });
    }
    return held;
  }

  /** A streaming job is not started for a table created suspended; RESUME (of its upstream) starts it. */
  private async createdSuspended(table: DynamicTableRecord): Promise<DdlOutcome> {
    return {
      message: `Dynamic table ${table.identifier} created (${describeMode(table)}).${await this.suspendedNote(table)}`,
      identifier: table.identifier,
    };
  }

  /** ` It is suspended (UPSTREAM_SUSPENDED) …`: why a new table does not refresh on schedule; '' when it does. */
  private async suspendedNote(table: DynamicTableRecord): Promise<string> {
    if (table.refreshStatus !== 'SUSPENDED') return '';
    const graph = await DependencyGraph.load(this.parts.catalog);
    const held = suspendedUpstreamOf(graph, table).map((t) => t.identifier);
    const which = held.length > 0 ? held.join(', ') : 'a dynamic table it reads';
    return (
      ` It is suspended (${UPSTREAM_SUSPENDED}) because ${which} ${held.length > 1 ? 'are' : 'is'} suspended; resuming ` +
      `${held.length > 1 ? 'those' : 'it'} resumes this table too.`
    );
  }

  /** Builds the catalog record of a new table from its statement, checking the query on the engine. */
  async draft(name: ResolvedName, stmt: CreateDynamicTable, ns: NameDefaults): Promise<DynamicTableRecord> {
    const { namespaces, settings } = this.parts;
    checkCreateOptions(stmt.options);
    const within = namespaces.sourceNamespace(stmt.options, ns);
    const { sourceTables, definition } = await checkQuery(
      namespaces,
      stmt.query,
      name,
      { columns: stmt.columns, primaryKey: stmt.primaryKey, partitionKeys: stmt.partitionKeys, options: stmt.options },
      within,
    );
    if (stmt.options[REFRESH_STRATEGY_OPTION] === 'incremental') {
      this.parts.strategy.requireIncremental(stmt.query.text, name, within);
    }
    checkGuardOptions(
      stmt.options,
      definition.schema.map((c) => c.name),
    );
    requireGuardable(namespaces.engineOf(name.catalogName), stmt.options, stmt.expectations);
    const query = { text: stmt.query.text, engine: namespaces.engineOf(within.catalogName) };
    await checkExpectations(stmt.expectations, definition, query, namespaces.engineOf(name.catalogName));
    // A table fed from another catalog remembers where its query runs.
    const sameCatalog = within.catalogName.toLowerCase() === name.catalogName.toLowerCase();
    const options = sameCatalog ? stmt.options : { ...stmt.options, [SOURCE_CATALOG_OPTION]: within.catalogName };
    const logical = logicalRefreshModeOf(stmt.refreshMode);
    const freshness = stmt.freshness ?? defaultFreshness(logical, settings.defaultFreshness);
    const refreshMode = deduceRefreshMode(logical, freshness, settings.thresholdSeconds);
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
      expectations: storedExpectations(stmt.expectations),
      comment: stmt.comment,
      sourceTables,
      schedulerType: refreshMode === 'FULL' ? settings.schedulerType : null,
      cron: refreshMode === 'FULL' ? freshnessToQuartzCron(freshness, { deduced: logical === 'AUTOMATIC' }) : null,
      refreshHandler: null,
      continuousJob: null,
      createdAt: now,
      updatedAt: now,
    };
  }

  /** Creates the physical table and activates the record; on failure both are removed again. */
  private async activateOrUndo(record: DynamicTableRecord, statement: string): Promise<DynamicTableRecord> {
    try {
      await this.createPhysicalTable(record);
      try {
        return await this.activate(record, statement);
      } catch (error) {
        await this.dropPhysicalTable(record);
        throw error;
      }
    } catch (error) {
      await this.parts.catalog.deleteTable(record.key);
      throw error;
    }
  }

  /** A streaming job reads its sources from the beginning: a batch refresh first would write the rows twice. */
  private async startJob(active: DynamicTableRecord): Promise<DdlOutcome> {
    let running: DynamicTableRecord;
    try {
      running = await this.parts.continuous.start(active);
    } catch (error) {
      await this.dropPhysicalTable(active);
      await this.parts.catalog.deleteTable(active.key);
      throw error;
    }
    const job = this.parts.continuous.jobOf(running);
    return {
      message:
        `Dynamic table ${running.identifier} created (${describeMode(running)}); continuous job ` +
        `${job?.jobId ?? ''} started.`,
      identifier: running.identifier,
    };
  }

  /** The initial refresh (unless the first one is left to the schedule), then the continuous runner. */
  private async initialize(active: DynamicTableRecord): Promise<DdlOutcome> {
    const { continuous, requests, settings } = this.parts;
    const runs = active.refreshMode === 'CONTINUOUS' && active.refreshStatus === 'ACTIVATED';
    const held = await this.suspendedNote(active);
    if (active.options.initialize === 'on_schedule') {
      if (runs) await continuous.schedule(active, false);
      return {
        message: `Dynamic table ${active.identifier} created (${describeMode(active)}); first refresh on schedule.${held}`,
        identifier: active.identifier,
      };
    }
    const job = await requests.submit([{ table: active, partition: null }], 'CREATION');
    if (runs) await continuous.schedule(active, false);
    const finished = (await requests.waitFor(job.jobId, settings.statementWaitMs)) ?? job;
    if (finished.status === 'FAILED') await this.undoFailedInitialRefresh(active, finished.jobId);
    const error = finished.error ? `: ${finished.error}` : '';
    return {
      message:
        `Dynamic table ${active.identifier} created (${describeMode(active)}); initial refresh ` +
        `${finished.status}${error}.${held}`,
      identifier: active.identifier,
      job: finished,
    };
  }

  /**
   * An initial refresh that failed undoes the CREATE (workflow or continuous runner, physical table, catalog rows)
   * and answers with the engine's own message: a table that never held its rows would only fail again on schedule.
   */
  private async undoFailedInitialRefresh(active: DynamicTableRecord, jobId: string): Promise<never> {
    const { catalog, continuous, workflows } = this.parts;
    const [entry] = await catalog.historyOfJob(jobId);
    const cause = entry?.error ?? 'the engine gave no reason';
    if (active.refreshHandler) await workflows.delete(active, active.refreshHandler).catch(() => undefined);
    await continuous.stop(active).catch(() => undefined);
    await new BlockedResults(this.parts).forgetTable(active);
    await this.dropPhysicalTable(active);
    await catalog.deleteHistoryOfTable(active.key);
    await catalog.deleteCallbackTokens(active.key);
    await catalog.deleteTable(active.key);
    const message =
      `Dynamic table ${active.identifier} was not created: its initial refresh failed: ${cause} ` +
      `(nothing was left behind; fix the query or its data and run the CREATE again, or create it with ` +
      `WITH ('initialize' = 'on_schedule')).`;
    throw DATA_FAULT.test(cause) ? validationError(message) : engineError(message);
  }

  /** A plain table of the same name makes the engine refuse; say so in Freshet's words. */
  private async createPhysicalTable(record: DynamicTableRecord): Promise<void> {
    const engine = this.parts.namespaces.engineOf(record.catalogName);
    try {
      await engine.createTable(physicalDefinition(record));
    } catch (error) {
      if (await engine.describeTable({ database: record.databaseName, name: record.tableName })) {
        throw alreadyExists(
          `A table named ${record.identifier} already exists and is not a dynamic table; choose another name or ` +
            `drop it first.`,
        );
      }
      throw error;
    }
  }

  private async dropPhysicalTable(record: DynamicTableRecord): Promise<void> {
    const engine = this.parts.namespaces.engineOf(record.catalogName);
    await engine.dropTable({ database: record.databaseName, name: record.tableName }).catch(() => undefined);
  }

  /** Creates the workflow (FULL) and marks the table ACTIVATED, or SUSPENDED while a table it reads is. */
  private async activate(record: DynamicTableRecord, statement: string): Promise<DynamicTableRecord> {
    const { workflows, catalog } = this.parts;
    const created = record.refreshMode === 'FULL' ? await workflows.create(record, statement) : null;
    let handler = created;
    try {
      const held = await this.heldBy(record);
      if (held.length > 0 && handler) handler = await workflows.suspend(record, handler);
      const active: DynamicTableRecord = {
        ...record,
        refreshStatus: held.length > 0 ? 'SUSPENDED' : 'ACTIVATED',
        suspendedReason: held.length > 0 ? UPSTREAM_SUSPENDED : null,
        refreshHandler: handler,
        updatedAt: new Date().toISOString(),
      };
      await catalog.updateTable(active);
      return active;
    } catch (error) {
      if (created) await workflows.scheduler.deleteRefreshWorkflow(created).catch(() => undefined);
      throw error;
    }
  }
}
