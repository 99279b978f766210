/**
 * Incremental refresh on PostgreSQL. A table's watermark is a `pg_snapshot` (see `postgres-change-capture.ts`):
 * each refresh is one REPEATABLE READ transaction whose snapshot both reads the sources and decides which
 * changes are new (those its previous snapshot did not see), and which stores that snapshot as the new
 * watermark when it commits, together with the changed table and group state. A killed connection rolls all of
 * it back.
 *
 * Engine-side bookkeeping, in the engine's default schema unless said otherwise:
 * - `__freshet_watermarks`: per (dynamic table, source) the snapshot the table has applied the changes of; the
 *   list of tables reading a source incrementally, so capture is removed with the last of them.
 * - `__freshet_state_<table>` next to the table (GROUP BY and DISTINCT only): per group its row count and, per
 *   SUM / AVG / COUNT(column), the sum and count of non-null inputs; unique on the keys with NULLS NOT
 *   DISTINCT, so a change is folded in with one INSERT … ON CONFLICT (see `postgres-incremental-grouped.ts`).
 * - `__freshet_ix_<table>` on the dynamic table: the columns deltas are matched on (see
 *   `postgres-incremental-columns.ts` for how).
 */
import type { IncrementalRefreshSpec, RefreshOutcome } from '../engine';
import { DROP_ROW_RECOMPUTES, NOTHING_JUDGED, changesAudit, runGuardAudit, withReport } from '../guard-audit';
import { type PublishGuards, droppingExpectations } from '../publish-guards';
import { GROUP_COUNT, keyCountOf, stateSql, targetKeys, type ChangeSetSql } from '../incremental-sql';
import {
  captureBlocker,
  captureMismatch,
  changeSetSql,
  currentSnapshot,
  installCapture,
  pendingChanges,
  removeCapture,
} from './postgres-change-capture';
import type { PgPool, PgPoolClient } from './postgres-driver';
import { tableExists } from './postgres-introspection';
import { applyBag } from './postgres-incremental-bag';
import { inputWidthOf, keyList, outputNames, targetColumns } from './postgres-incremental-columns';
import { applyGrouped } from './postgres-incremental-grouped';
import {
  ensureWatermarks,
  forgetIncremental,
  internalName,
  prune,
  releaseWithin,
  schemaOf,
  sql,
  stateOf,
  tableKey,
  watermarks,
  watermarksExist,
  watermarksOf,
} from './postgres-incremental-state';
import { ensureLedger, recordRefresh } from './postgres-ledger';
import { inTransaction, run, tentatively } from './postgres-pool';
import { qualifiedName, quoteIdentifier, refreshPlan } from './postgres-sql';
import { judgeWritten, wholeTable } from './postgres-staging';

export { forgetIncremental, releaseIncremental, releaseWithin } from './postgres-incremental-state';

/** Most columns of a row the lookup index covers; the rest are compared row by row. */
const INDEXED_COLUMNS = 8;

/**
 * One REPEATABLE READ transaction: a single snapshot reads the sources, decides which changes are new, and is
 * stored; `work` rolls it back instead when a publish guard blocks the result, so the changes stay pending.
 */
function inSnapshot<T extends RefreshOutcome | string>(
  pool: PgPool,
  work: (client: PgPoolClient) => Promise<T>,
): Promise<T> {
  return tentatively(
    pool,
    async (client) => {
      const value = await work(client);
      return { value, commit: typeof value === 'string' || value.guards?.blocked !== true };
    },
    'REPEATABLE READ',
  );
}

/**
 * An incremental refresh, or a full one when the changes cannot be used. Capture is installed (or repaired)
 * in a transaction of its own before the refresh's snapshot is taken: a change committed in between is then
 * both in the changelog and seen by the snapshot, and the snapshot test skips it; the other way round it would
 * be lost. With guards, the result is judged before COMMIT; a blocked one is rolled back (table, state and
 * watermark stay) and reported with `staged: null`. A table with DROP ROW expectations is always recomputed.
 */
export async function refreshIncremental(
  pool: PgPool,
  spec: IncrementalRefreshSpec,
  schema: string,
): Promise<RefreshOutcome> {
  let detail: string;
  await ensureLedger(pool, schema, spec.refreshId);
  const { guards } = spec;
  const recorded = async (client: PgPoolClient, outcome: RefreshOutcome) =>
    outcome.guards?.blocked
      ? { ...outcome, staged: null }
      : recordRefresh(client, spec.table, schema, spec.refreshId, outcome);
  const dropsRows = guards !== undefined && droppingExpectations(guards).length > 0;
  try {
    const outcome = dropsRows
      ? DROP_ROW_RECOMPUTES
      : await inSnapshot(pool, async (client) => {
          const applied = await applyChanges(client, spec, schema);
          if (typeof applied === 'string') return applied;
          return recorded(
            client,
            guards === undefined ? applied : await judgeChanges(client, spec, schema, guards, applied),
          );
        });
    if (typeof outcome !== 'string') return outcome;
    detail = outcome;
  } catch (error) {
    detail =
      `the changes could not be applied (${error instanceof Error ? error.message : String(error)}), so ` +
      `the table was recomputed`;
  }
  const notMaintainable = dropsRows
    ? DROP_ROW_RECOMPUTES
    : await inTransaction(pool, (client) => prepareCapture(client, spec, schema));
  return inSnapshot(pool, async (client) => {
    // Recomputed every time from now on: capture no other table reads goes.
    if (dropsRows) await releaseWithin(client, spec.table, schema);
    return recorded(
      client,
      await fullRefresh(client, spec, schema, notMaintainable ?? detail, notMaintainable === null),
    );
  });
}

/** Inside the refresh's transaction, after the changes were applied: the guards' verdict on the table. */
async function judgeChanges(
  client: PgPoolClient,
  spec: IncrementalRefreshSpec,
  schema: string,
  guards: PublishGuards,
  applied: RefreshOutcome,
): Promise<RefreshOutcome> {
  if (applied.action === 'NO_DATA') return { ...applied, guards: NOTHING_JUDGED };
  const audit = changesAudit(guards, quoteIdentifier, wholeTable(spec.table, schema), applied);
  const report = await runGuardAudit(audit, {
    change: async (statement) => (await run(client, sql(statement.sql), statement.params)).rowCount ?? 0,
    row: async (statement) => (await run(client, sql(statement.sql), statement.params)).rows[0],
  });
  return { ...applied, guards: report };
}

/** Makes capture trustworthy on every source; returns why the table cannot be maintained incrementally, if so. */
async function prepareCapture(
  client: PgPoolClient,
  spec: IncrementalRefreshSpec,
  schema: string,
): Promise<string | null> {
  if (spec.partition !== null) return 'a partition refresh recomputes its partition';
  if (spec.plan.maintenance.kind === 'grouped') {
    const version = await run<{ version: string }>(
      client,
      sql("SELECT current_setting('server_version_num') AS version"),
    );
    if (Number(version.rows[0]?.version ?? 0) < 150000)
      return 'GROUP BY and DISTINCT are maintained incrementally on PostgreSQL 15 and later (UNIQUE NULLS NOT DISTINCT)';
  }
  for (const source of spec.sources) {
    const blocker = await captureBlocker(client, source, schema);
    if (blocker !== null) return blocker;
  }
  await ensureWatermarks(client, schema);
  for (const source of spec.sources) {
    if ((await captureMismatch(client, source, schema)) === null) continue;
    // Changes may have been lost: every table reading this source starts over with a full refresh.
    await run(client, sql(`DELETE FROM ${watermarks(schema)} WHERE source = $1`), [tableKey(source, schema)]);
    await removeCapture(client, source, schema);
    await installCapture(client, source, schema);
  }
  return null;
}

async function applyChanges(
  client: PgPoolClient,
  spec: IncrementalRefreshSpec,
  schema: string,
): Promise<RefreshOutcome | string> {
  if (spec.partition !== null) return 'a partition refresh recomputes its partition';
  if (!(await watermarksExist(client, schema))) return 'first refresh since the table became incrementally maintained';
  const marks = await watermarksOf(client, spec.table, schema);
  if (spec.sources.some((source) => !marks.has(tableKey(source, schema))))
    return 'first refresh since the table became incrementally maintained';
  for (const source of spec.sources) {
    const mismatch = await captureMismatch(client, source, schema);
    if (mismatch !== null) return `${mismatch} The table was recomputed and capture reinstalled`;
  }
  const maintenance = spec.plan.maintenance;
  if (maintenance.kind === 'grouped' && !(await tableExists(client, stateOf(spec.table), schema))) {
    return 'the group state of the table was missing';
  }
  const snapshot = await currentSnapshot(client);
  const changes = new Map<number, ChangeSetSql>();
  for (const [i, source] of spec.sources.entries()) {
    const after = marks.get(tableKey(source, schema)) ?? '';
    const pending = await pendingChanges(client, source, schema, after);
    if (pending.truncated) return `${qualifiedName(source, schema)} was truncated`;
    if (pending.changes === 0) continue;
    const columns = await outputNames(client, `SELECT * FROM ${qualifiedName(source, schema)}`);
    changes.set(i, {
      plus: changeSetSql(source, schema, columns, 'I', after),
      minus: changeSetSql(source, schema, columns, 'D', after),
    });
  }
  if (changes.size === 0) return { action: 'NO_DATA', rowsWritten: 0, rowsDeleted: 0 };
  const outcome =
    maintenance.kind === 'bag'
      ? await applyBag(client, spec, schema, changes)
      : await applyGrouped(client, spec, schema, maintenance, changes);
  await run(client, sql(`UPDATE ${watermarks(schema)} SET snapshot = $1 WHERE dynamic_table = $2`), [
    snapshot,
    tableKey(spec.table, schema),
  ]);
  for (const i of changes.keys()) {
    const source = spec.sources[i];
    if (source !== undefined) await prune(client, source, schema);
  }
  return outcome;
}

/**
 * Recomputes the table and makes it incrementally maintained from here on (capture was made trustworthy just
 * before, in a transaction of its own): lookup index and group state built, watermarks set to this snapshot.
 */
async function fullRefresh(
  client: PgPoolClient,
  spec: IncrementalRefreshSpec,
  schema: string,
  detail: string,
  maintain: boolean,
): Promise<RefreshOutcome> {
  await forgetIncremental(client, spec.table, schema);
  const plan = refreshPlan(spec, schema);
  const rowsDeleted = plan.delete === null ? 0 : ((await run(client, plan.delete, plan.params)).rowCount ?? 0);
  const written = (await run(client, plan.insert, plan.params)).rowCount ?? 0;
  const report =
    spec.guards === undefined
      ? undefined
      : await judgeWritten(client, spec.guards, plan.written, { rowsBefore: rowsDeleted, rowsWritten: written });
  const rowsWritten = written - (report?.rowsDropped ?? 0);
  const outcome = withReport({ action: 'FULL', actionDetail: detail, rowsWritten, rowsDeleted }, report);
  if (!maintain || report?.blocked) return outcome;
  const { targets, positions } = await targetColumns(client, spec);
  const maintenance = spec.plan.maintenance;
  let indexed = targets.slice(0, INDEXED_COLUMNS);
  const tableSchema = quoteIdentifier(schemaOf(spec.table, schema));
  if (maintenance.kind === 'grouped') {
    const inputWidth = await inputWidthOf(client, maintenance);
    const keys = keyCountOf(maintenance, inputWidth);
    const state = stateOf(spec.table);
    await run(client, sql(`CREATE TABLE ${qualifiedName(state, schema)} AS ${stateSql(maintenance, inputWidth)}`));
    if (keys > 0) {
      await run(
        client,
        sql(
          `CREATE UNIQUE INDEX ${quoteIdentifier(internalName('ixs', spec.table.name))} ON ` +
            `${qualifiedName(state, schema)} (${keyList(keys).join(', ')}) NULLS NOT DISTINCT`,
        ),
      );
      await run(
        client,
        sql(
          `CREATE INDEX ${quoteIdentifier(internalName('ixe', spec.table.name))} ON ` +
            `${qualifiedName(state, schema)} (${GROUP_COUNT}) WHERE ${GROUP_COUNT} = 0`,
        ),
      );
    }
    indexed = (targetKeys(maintenance, keys, targets, positions) ?? []).slice(0, INDEXED_COLUMNS);
  }
  if (indexed.length > 0) {
    await run(
      client,
      sql(
        `CREATE INDEX IF NOT EXISTS ${quoteIdentifier(internalName('ix', spec.table.name))} ON ` +
          `${tableSchema}.${quoteIdentifier(spec.table.name)} (${indexed.map(quoteIdentifier).join(', ')})`,
      ),
    );
  }
  const snapshot = await currentSnapshot(client);
  for (const source of spec.sources) {
    await run(
      client,
      sql(
        `INSERT INTO ${watermarks(schema)} (dynamic_table, source, snapshot) VALUES ($1, $2, $3) ON CONFLICT ` +
          `(dynamic_table, source) DO UPDATE SET snapshot = EXCLUDED.snapshot`,
      ),
      [tableKey(spec.table, schema), tableKey(source, schema), snapshot],
    );
    await prune(client, source, schema);
  }
  return outcome;
}
