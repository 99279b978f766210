/**
 * ALTER DYNAMIC TABLE: SUSPEND, RESUME, REFRESH, BACKFILL, SET FRESHNESS, SET REFRESH_MODE, SET / RESET (…) options
 * and AS (a new query, applied by an atomic rebuild); CREATE OR ALTER of an existing table comes here too.
 */
import type { DynamicTableRecord } from '../catalog/records';
import { invalidState } from '../errors';
import { defaultFreshness, logicalRefreshModeOf } from '../freshness';
import type { AlterDynamicTable, CreateDynamicTable } from '../sql/statements';
import { backfill } from './backfill';
import type { NameDefaults } from './identifiers';
import { UPSTREAM_SUSPENDED, resumeWithDownstream, suspendWithDownstream, withIt } from './cascades';
import type { ManagerParts } from './manager-parts';
import type { DdlOutcome } from './manager-types';
import { describeFreshnessText, describeMode, formatPartition } from './messages';
import { changeQuery } from './query-change';
import { reschedule } from './reschedule';
import { type CheckedExpectation, checkExpectations } from './expectation-check';
import { checkGuardOptions, requireGuardable, storedExpectations } from './guard-options';
import { checkCreateOptions, checkResumeOptions, checkSettableKeys } from './table-options';

export class TableAlteration {
  constructor(
    private readonly parts: ManagerParts,
    /** `ALTER … REFLECT`: reflects the table and the plain tables it reads. */
    private readonly reflect: (table: DynamicTableRecord) => Promise<DdlOutcome>,
  ) {}

  async alter(stmt: AlterDynamicTable, ns: NameDefaults): Promise<DdlOutcome> {
    const table = await this.parts.lookup.require(stmt.name, ns);
    const action = stmt.action;
    if (table.refreshStatus === 'INITIALIZING') {
      throw invalidState(
        `Dynamic table ${table.identifier} is still being created; try again when its CREATE has finished.`,
      );
    }
    switch (action.kind) {
      case 'suspend':
        return this.suspend(table);
      case 'resume':
        return this.resume(table, action.options);
      case 'refresh':
        return this.manualRefresh(table, action.partition);
      case 'backfill':
        return backfill(this.parts, table, action, stmt.name.position);
      case 'setFreshness': {
        const updated = await reschedule(this.parts, table, action.freshness, table.logicalRefreshMode);
        return {
          message:
            `Dynamic table ${table.identifier} now has freshness ` +
            `${describeFreshnessText(action.freshness)} (${describeMode(updated)}).`,
          identifier: table.identifier,
        };
      }
      case 'setRefreshMode': {
        const updated = await reschedule(this.parts, table, table.freshness, action.mode);
        return {
          message: `Dynamic table ${table.identifier} now refreshes in ${updated.refreshMode} mode.`,
          identifier: table.identifier,
        };
      }
      case 'setQuery':
        return changeQuery(this.parts, table, action.query, null, table.primaryKey);
      case 'setOptions':
        return this.changeOptions(table, { ...table.options, ...action.options }, 'SET', Object.keys(action.options));
      case 'resetOptions': {
        const options = Object.fromEntries(Object.entries(table.options).filter(([key]) => !action.keys.includes(key)));
        return this.changeOptions(table, options, 'RESET', action.keys);
      }
      case 'reflect':
        return this.reflect(table);
    }
  }

  /** CREATE OR ALTER of an existing table: the query, the freshness and mode, then comment and options. */
  async alterFromCreate(existing: DynamicTableRecord, stmt: CreateDynamicTable): Promise<DdlOutcome> {
    if (existing.refreshStatus === 'INITIALIZING') {
      throw invalidState(`Dynamic table ${existing.identifier} is still being created.`);
    }
    checkCreateOptions(stmt.options);
    const messages: string[] = [];
    const expectations = storedExpectations(stmt.expectations);
    const expectationsChanged = JSON.stringify(expectations ?? []) !== JSON.stringify(existing.expectations ?? []);
    let table = existing;
    const logical = logicalRefreshModeOf(stmt.refreshMode);
    const freshness = stmt.freshness ?? defaultFreshness(logical, this.parts.settings.defaultFreshness);
    const queryChanged = definitionChanged(table, stmt);
    if (queryChanged) {
      const outcome = await changeQuery(this.parts, table, stmt.query, stmt.columns, stmt.primaryKey, {
        comment: stmt.comment,
        options: stmt.options,
        partitionKeys: stmt.partitionKeys,
        createStatement: stmt.text,
        expectations: stmt.expectations,
      });
      messages.push(outcome.message);
      table = (await this.parts.catalog.getTable(table.key)) ?? table;
    }
    const sameFreshness = freshness.interval === table.freshness.interval && freshness.unit === table.freshness.unit;
    if (!sameFreshness || logical !== table.logicalRefreshMode) {
      table = await reschedule(this.parts, table, freshness, logical);
      messages.push(`Freshness ${describeFreshnessText(freshness)} (${describeMode(table)}).`);
    }
    const optionsChanged = JSON.stringify(stmt.options) !== JSON.stringify(table.options);
    if (!queryChanged && (stmt.comment !== table.comment || optionsChanged || expectationsChanged)) {
      checkGuardOptions(
        stmt.options,
        table.schema.map((c) => c.name),
      );
      requireGuardable(this.parts.namespaces.engineOf(table.catalogName), stmt.options, stmt.expectations);
      if (expectationsChanged) await this.checkExpectationsOf(table, stmt.expectations);
      const updatedAt = new Date().toISOString();
      await this.parts.catalog.updateTable({
        ...table,
        comment: stmt.comment,
        options: stmt.options,
        expectations,
        createStatement: stmt.text,
        updatedAt,
      });
      messages.push(
        expectationsChanged ? 'Comment, options and expectations updated.' : 'Comment and options updated.',
      );
    }
    return {
      message:
        messages.length > 0
          ? `Dynamic table ${existing.identifier} altered. ${messages.join(' ')}`
          : `Dynamic table ${existing.identifier} is unchanged.`,
      identifier: existing.identifier,
    };
  }

  /** `SET (…)` or `RESET (…)`: options read at each refresh (publish guards, readiness, SLA, schema changes). */
  private async changeOptions(
    table: DynamicTableRecord,
    options: Readonly<Record<string, string>>,
    statement: 'SET' | 'RESET',
    keys: readonly string[],
  ): Promise<DdlOutcome> {
    checkSettableKeys(keys, statement);
    checkCreateOptions(options);
    checkGuardOptions(
      options,
      table.schema.map((c) => c.name),
    );
    requireGuardable(this.parts.namespaces.engineOf(table.catalogName), options, table.expectations ?? []);
    await this.parts.catalog.updateTable({ ...table, options, updatedAt: new Date().toISOString() });
    const changed = keys.map((key) => (key in options ? `'${key}' = '${options[key]}'` : `'${key}' reset`));
    return {
      message: `Dynamic table ${table.identifier}: ${changed.join(', ')}; the next refresh uses ${keys.length > 1 ? 'them' : 'it'}.`,
      identifier: table.identifier,
    };
  }

  /** Compiles new expectations over the table's current columns, where its query runs. */
  private async checkExpectationsOf(table: DynamicTableRecord, expectations: readonly CheckedExpectation[]) {
    const { namespaces } = this.parts;
    const query = {
      text: table.definitionQuery,
      engine: namespaces.engineOf(namespaces.queryNamespaceOf(table).catalogName),
    };
    await checkExpectations(expectations, table, query, namespaces.engineOf(table.catalogName));
  }

  /**
   * Pauses the workflow (or stops the continuous runner or job), and those of the active tables downstream
   * (UPSTREAM_SUSPENDED). `reason` is stored when Freshet suspends the table itself (SUSPENDED_DUE_TO_ERRORS), null
   * for a user's ALTER … SUSPEND.
   */
  async suspend(table: DynamicTableRecord, reason: string | null = null): Promise<DdlOutcome> {
    if (table.refreshStatus === 'SUSPENDED')
      throw invalidState(`Dynamic table ${table.identifier} is already suspended.`);
    const downstream = await suspendWithDownstream(this.parts, table, reason);
    return {
      message: `Dynamic table ${table.identifier} suspended.${withIt(downstream, 'suspended', UPSTREAM_SUSPENDED)}`,
      identifier: table.identifier,
    };
  }

  private async resume(table: DynamicTableRecord, options: Readonly<Record<string, string>>): Promise<DdlOutcome> {
    if (table.refreshStatus === 'ACTIVATED') {
      throw invalidState(`Dynamic table ${table.identifier} is already active; only a suspended table can be resumed.`);
    }
    checkResumeOptions(options);
    const downstream = await resumeWithDownstream(this.parts, table, options);
    return {
      message: `Dynamic table ${table.identifier} resumed.${withIt(downstream, 'resumed')}`,
      identifier: table.identifier,
    };
  }

  private async manualRefresh(
    table: DynamicTableRecord,
    partition: Readonly<Record<string, string>> | null,
  ): Promise<DdlOutcome> {
    const { requests, settings } = this.parts;
    const job = await requests.request({
      tables: [table.key],
      isPeriodic: false,
      ...(partition ? { staticPartitions: partition } : {}),
    });
    const finished = (await requests.waitFor(job.jobId, settings.statementWaitMs)) ?? job;
    const where = partition ? ` partition ${formatPartition(partition)}` : '';
    const error = finished.error ? `: ${finished.error}` : '';
    return {
      message: `Refresh of ${table.identifier}${where}: job ${finished.jobId} ${finished.status}${error}.`,
      identifier: table.identifier,
      job: finished,
    };
  }
}

/** True when CREATE OR ALTER changes what the table holds (query, keys, partitioning or column names). */
function definitionChanged(table: DynamicTableRecord, stmt: CreateDynamicTable): boolean {
  const renamed = table.columnMapping.some((m) => m.source !== m.target);
  const columns = renamed ? table.columnMapping.map((m) => m.target) : null;
  return (
    stmt.query.text !== table.definitionQuery ||
    JSON.stringify(stmt.primaryKey) !== JSON.stringify(table.primaryKey) ||
    JSON.stringify(stmt.partitionKeys) !== JSON.stringify(table.partitionKeys) ||
    JSON.stringify(stmt.columns) !== JSON.stringify(columns)
  );
}
