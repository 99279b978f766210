/**
 * ALTER … AS and CREATE OR ALTER with a new query: the table is rebuilt with the new definition and refreshed in
 * one atomic step; if that fails, the table keeps its old definition and rows. A new query that drops or retypes
 * a column a dependent dynamic table reads is refused first (impact.ts).
 */
import type { DynamicTableRecord } from '../catalog/records';
import { validationError } from '../errors';
import type { QueryText } from '../sql/statements';
import { suspendedUpstreamOf, suspendWithDownstream, UPSTREAM_SUSPENDED } from './cascades';
import { DependencyGraph, downstreamOf } from './dependencies';
import { definitionChange, type Impact, impactOf, refuseIfBreaking } from './impact';
import { resolveName } from './identifiers';
import type { ManagerParts } from './manager-parts';
import type { DdlOutcome } from './manager-types';
import { type CheckedExpectation, checkExpectations } from './expectation-check';
import { checkGuardOptions, requireGuardable, storedExpectations } from './guard-options';
import { checkQuery } from './query-check';
import { WAIT_FOR_OWN_JOB_MS } from './refresh-requests';
import { physicalDefinition } from './table-definition';

export type DefinitionExtras = Partial<
  Pick<DynamicTableRecord, 'comment' | 'options' | 'partitionKeys' | 'createStatement'>
> & {
  /** New row expectations (CREATE OR ALTER's column list); the table's own when absent. */
  readonly expectations?: readonly CheckedExpectation[];
};

/** The table as a new definition would make it, checked, and what that does to the tables that read it. */
export interface PlannedQueryChange {
  readonly updated: DynamicTableRecord;
  readonly impact: Impact;
}

/**
 * Checks a new query for `table` (sources, no cycle, output columns) and what it would do to the dynamic tables
 * that read `table`; changes nothing. ALTER … AS and CREATE OR ALTER apply it, EXPLAIN shows it.
 */
export async function planQueryChange(
  parts: ManagerParts,
  table: DynamicTableRecord,
  query: QueryText,
  columns: readonly string[] | null,
  primaryKey: DynamicTableRecord['primaryKey'],
  extra: DefinitionExtras = {},
): Promise<PlannedQueryChange> {
  const { namespaces, catalog } = parts;
  const name = resolveName([table.catalogName, table.databaseName, table.tableName], namespaces.defaults);
  const partitionKeys = extra.partitionKeys ?? table.partitionKeys;
  const options = extra.options ?? table.options;
  const within = namespaces.queryNamespaceOf({ ...table, options });
  const input = { columns, primaryKey, partitionKeys, options };
  const { sourceTables, definition } = await checkQuery(namespaces, query, name, input, within);
  for (const source of sourceTables) {
    if ((await downstreamOf(catalog, table.key)).includes(source)) {
      throw validationError(
        `The new query of ${table.identifier} reads ${source}, which itself depends on ${table.identifier}; ` +
          `cycles are not allowed.`,
      );
    }
  }
  const engine = namespaces.engineOf(table.catalogName);
  checkGuardOptions(
    options,
    definition.schema.map((c) => c.name),
  );
  const expectations = extra.expectations ?? table.expectations ?? [];
  requireGuardable(engine, options, expectations);
  await checkExpectations(
    expectations,
    definition,
    { text: query.text, engine: namespaces.engineOf(within.catalogName) },
    engine,
  );
  const impact = await impactOf(parts, definitionChange(table, definition.schema, engine));
  const updated: DynamicTableRecord = {
    ...table,
    ...extra,
    expectations: storedExpectations(expectations),
    definitionQuery: query.text,
    queryHash: definition.queryHash,
    schema: definition.schema,
    columnMapping: definition.columnMapping,
    primaryKey,
    sourceTables,
    updatedAt: new Date().toISOString(),
  };
  return { updated, impact };
}

export async function changeQuery(
  parts: ManagerParts,
  table: DynamicTableRecord,
  query: QueryText,
  columns: readonly string[] | null,
  primaryKey: DynamicTableRecord['primaryKey'],
  extra: DefinitionExtras = {},
): Promise<DdlOutcome> {
  const { catalog, requests, runner } = parts;
  const { updated, impact } = await planQueryChange(parts, table, query, columns, primaryKey, extra);
  refuseIfBreaking(impact, `change the query of ${table.identifier}`);
  const rebuild = physicalDefinition(updated);
  const job = await requests.submit([{ table: updated, partition: null, rebuild }], 'MANUAL');
  const finished = (await requests.waitFor(job.jobId, WAIT_FOR_OWN_JOB_MS)) ?? job;
  if (finished.status !== 'SUCCEEDED') {
    const entry = (await runner.view(job.jobId))?.history[0];
    // A rebuild a publish guard blocked cannot be published later: its new definition goes with this statement.
    if (entry?.state === 'BLOCKED') {
      const at = new Date().toISOString();
      if (entry.staged !== null) {
        const ref = { database: table.databaseName, name: table.tableName };
        await parts.namespaces.engineOf(table.catalogName).staging?.discard(ref, entry.staged);
      }
      await catalog.jobs.resolveBlocked(job.jobId, entry.tableKey, { resolution: 'DISCARDED', resolvedAt: at });
    }
    const detail = entry?.error ?? finished.error;
    throw validationError(
      `The new query of ${table.identifier} could not be applied; the table keeps its old definition and rows. ${detail ?? ''}`.trim(),
    );
  }
  await catalog.updateTable(updated);
  const held = await holdIfUpstreamSuspended(parts, updated);
  return {
    message: `Dynamic table ${table.identifier} now uses the new query; it was rebuilt and refreshed.${held}`,
    identifier: table.identifier,
    job: finished,
  };
}

/**
 * A new query that reads a suspended dynamic table holds the table (and what reads it) suspended with
 * UPSTREAM_SUSPENDED, as CREATE does; returns what to add to the answer.
 */
async function holdIfUpstreamSuspended(parts: ManagerParts, table: DynamicTableRecord): Promise<string> {
  if (table.refreshStatus !== 'ACTIVATED') return '';
  const held = suspendedUpstreamOf(await DependencyGraph.load(parts.catalog), table);
  if (held.length === 0) return '';
  await suspendWithDownstream(parts, table, UPSTREAM_SUSPENDED);
  const names = held.map((t) => t.identifier).join(', ');
  return (
    ` It is suspended (${UPSTREAM_SUSPENDED}) because it now reads ${names}, which ` +
    `${held.length > 1 ? 'are' : 'is'} suspended; resuming that resumes it.`
  );
}
