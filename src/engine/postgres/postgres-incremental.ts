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
 *   DISTINCT, so a change is folded in with one INSERT … ON CONFLICT.
 * - `__freshet_ix_<table>` on the dynamic table: the columns deltas are matched on.
 *
 * `IS NOT DISTINCT FROM` cannot use an index, so rows are matched with `=` on the columns that are not NULL and
 * `IS NULL` on those that are: the delta's rows are grouped by which of their columns are NULL, one statement
 * per such pattern.
 */
import type { IncrementalRefreshSpec, RefreshOutcome, TableRef } from '../engine';
import {
  GROUP_COUNT,
  IncrementalUnavailable,
  WEIGHT,
  bagDeltaSql,
  countColumn,
  deltaColumn,
  extremes,
  extremesSql,
  groupDeltaSql,
  keyColumn,
  keyCountOf,
  outputExpressions,
  stateSql,
  sumColumn,
  summed,
  targetKeys,
  type ChangeSetSql,
} from '../incremental-sql';
import { renderTemplate, type GroupedMaintenance } from '../../sql/incremental-plan';
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
import { inTransaction, run } from './postgres-pool';
import {
  ensureWatermarks,
  forgetIncremental,
  internalName,
  prune,
  schemaOf,
  sql,
  stateOf,
  tableKey,
  watermarks,
  watermarksExist,
  watermarksOf,
} from './postgres-incremental-state';
import { ensureLedger, recordRefresh } from './postgres-ledger';
import { INTERNAL_TABLE_PREFIX, qualifiedName, quoteIdentifier, refreshPlan } from './postgres-sql';

export { forgetIncremental, releaseIncremental, releaseWithin } from './postgres-incremental-state';

/** Most columns of a row the lookup index covers; the rest are compared row by row. */
const INDEXED_COLUMNS = 8;
const DELTA = quoteIdentifier(`${INTERNAL_TABLE_PREFIX}_delta`);
const GROUPS = quoteIdentifier(`${INTERNAL_TABLE_PREFIX}_groups`);
const EXTREMES = quoteIdentifier(`${INTERNAL_TABLE_PREFIX}_extremes`);

/** One REPEATABLE READ transaction: a single snapshot reads the sources, decides which changes are new, and is stored. */
const inSnapshot = <T>(pool: PgPool, work: (client: PgPoolClient) => Promise<T>) =>
  inTransaction(pool, work, 'REPEATABLE READ');

/** Output column names of a query, in order. */
async function outputNames(client: PgPoolClient, query: string): Promise<string[]> {
  const result = await run(client, sql(`SELECT * FROM (\n${query.replace(/[\s;]+$/, '')}\n) AS q LIMIT 0`));
  return result.fields.map((field) => field.name);
}

async function targetColumns(
  client: PgPoolClient,
  spec: IncrementalRefreshSpec,
): Promise<{ targets: string[]; positions: number[]; width: number }> {
  const names = await outputNames(client, spec.query);
  const unique = new Set(names).size === names.length;
  const positions = spec.columns.map((mapping, i) => (unique ? names.indexOf(mapping.source) : i));
  if (positions.some((p) => p < 0 || p >= names.length))
    throw new IncrementalUnavailable("the table's columns no longer match its query");
  return { targets: spec.columns.map((m) => m.target), positions, width: names.length };
}

/** Types of the target's columns, for rendering AVG the way PostgreSQL types it. */
async function targetTypes(client: PgPoolClient, table: TableRef, schema: string): Promise<Map<string, string>> {
  const rows = await run<{ name: string; type: string }>(
    client,
    sql(
      'SELECT attname AS name, pg_catalog.format_type(atttypid, atttypmod) AS type FROM pg_catalog.pg_attribute WHERE attrelid = $1::regclass AND attnum > 0 AND NOT attisdropped',
    ),
    [qualifiedName(table, schema)],
  );
  return new Map(rows.rows.map((row) => [row.name, row.type]));
}

/** Which columns of a row are NULL, as a string of 0 and 1. */
const nullMask = (columns: readonly string[]) =>
  columns.length === 0 ? `''` : columns.map((c) => `(CASE WHEN ${c} IS NULL THEN '1' ELSE '0' END)`).join(' || ');

/** Equality of `pairs` (left, right) for rows whose NULL pattern is `mask`: `=` where set, `IS NULL` where not. */
const matchFor = (mask: string, pairs: ReadonlyArray<readonly [string, string]>) =>
  pairs.length === 0
    ? 'TRUE'
    : pairs.map(([left, right], i) => (mask[i] === '1' ? `${left} IS NULL` : `${left} = ${right}`)).join(' AND ');

async function masksOf(
  client: PgPoolClient,
  relation: string,
  columns: readonly string[],
  where = 'TRUE',
): Promise<string[]> {
  const rows = await run<{ mask: string }>(
    client,
    sql(`SELECT DISTINCT ${nullMask(columns)} AS mask FROM ${relation} AS r WHERE ${where}`),
  );
  return rows.rows.map((row) => row.mask);
}

/**
 * An incremental refresh, or a full one when the changes cannot be used. Capture is installed (or repaired)
 * in a transaction of its own before the refresh's snapshot is taken: a change committed in between is then
 * both in the changelog and seen by the snapshot, and the snapshot test skips it; the other way round it would
 * be lost.
 */
export async function refreshIncremental(
  pool: PgPool,
  spec: IncrementalRefreshSpec,
  schema: string,
): Promise<RefreshOutcome> {
  let detail: string;
  await ensureLedger(pool, schema, spec.refreshId);
  const recorded = (client: PgPoolClient, outcome: RefreshOutcome) =>
    recordRefresh(client, spec.table, schema, spec.refreshId, outcome);
  try {
    const outcome = await inSnapshot(pool, async (client) => {
      const applied = await applyChanges(client, spec, schema);
      return typeof applied === 'string' ? applied : recorded(client, applied);
    });
    if (typeof outcome !== 'string') return outcome;
    detail = outcome;
  } catch (error) {
    detail = `the changes could not be applied (${error instanceof Error ? error.message : String(error)}), so the table was recomputed`;
  }
  const notMaintainable = await inTransaction(pool, (client) => prepareCapture(client, spec, schema));
  return inSnapshot(pool, async (client) =>
    recorded(client, await fullRefresh(client, spec, schema, notMaintainable ?? detail, notMaintainable === null)),
  );
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

async function applyBag(
  client: PgPoolClient,
  spec: IncrementalRefreshSpec,
  schema: string,
  changes: ReadonlyMap<number, ChangeSetSql>,
): Promise<RefreshOutcome> {
  if (spec.plan.maintenance.kind !== 'bag') throw new IncrementalUnavailable('not a bag query');
  const { targets, positions, width } = await targetColumns(client, spec);
  const delta = bagDeltaSql(spec.plan.maintenance.branches, width, changes);
  if (delta === null) return { action: 'NO_DATA', rowsWritten: 0, rowsDeleted: 0 };
  const target = qualifiedName(spec.table, schema);
  await run(client, sql(`DROP TABLE IF EXISTS ${DELTA}`));
  await run(
    client,
    sql(
      `CREATE TEMP TABLE ${DELTA} ON COMMIT DROP AS SELECT row_number() OVER () AS __id, x.* FROM (\n${delta}\n) AS x`,
    ),
  );
  const expected = Number(
    (
      await run<{ n: string }>(
        client,
        sql(`SELECT COALESCE(SUM(-${WEIGHT}), 0) AS n FROM ${DELTA} WHERE ${WEIGHT} < 0`),
      )
    ).rows[0]?.n ?? 0,
  );
  let rowsDeleted = 0;
  if (expected > 0) {
    const matched = targets.map((_, i) => `r.${deltaColumn(positions[i] ?? i)}`);
    for (const mask of await masksOf(client, DELTA, matched, `r.${WEIGHT} < 0`)) {
      const pairs = targets.map(
        (column, i) => [`t.${quoteIdentifier(column)}`, `d.${deltaColumn(positions[i] ?? i)}`] as const,
      );
      const dMask = nullMask(targets.map((_, i) => `d.${deltaColumn(positions[i] ?? i)}`));
      const deleted = await run(
        client,
        sql(
          `DELETE FROM ${target} WHERE ctid = ANY (ARRAY(SELECT rid FROM (` +
            `SELECT t.ctid AS rid, d.${WEIGHT} AS w, row_number() OVER (PARTITION BY d.__id) AS rn ` +
            `FROM ${DELTA} AS d JOIN ${target} AS t ON ${matchFor(mask, pairs)} WHERE d.${WEIGHT} < 0 AND ${dMask} = '${mask}') AS x WHERE rn <= -w))`,
        ),
      );
      rowsDeleted += deleted.rowCount ?? 0;
    }
  }
  if (rowsDeleted !== expected) {
    throw new IncrementalUnavailable(
      `the table lacked ${expected - rowsDeleted} of the ${expected} rows its sources' changes remove`,
    );
  }
  const values = targets.map((_, i) => `d.${deltaColumn(positions[i] ?? i)}`).join(', ');
  const inserted = await run(
    client,
    sql(
      `INSERT INTO ${target} (${targets.map(quoteIdentifier).join(', ')}) SELECT ${values} FROM ${DELTA} AS d CROSS JOIN LATERAL generate_series(1, d.${WEIGHT}) WHERE d.${WEIGHT} > 0`,
    ),
  );
  await run(client, sql(`DROP TABLE IF EXISTS ${DELTA}`));
  return { action: 'INCREMENTAL', rowsWritten: inserted.rowCount ?? 0, rowsDeleted };
}

async function inputWidthOf(client: PgPoolClient, plan: GroupedMaintenance): Promise<number> {
  return (
    await outputNames(
      client,
      renderTemplate(plan.input, () => null),
    )
  ).length;
}

const keyList = (keys: number, prefix = '') => Array.from({ length: keys }, (_, i) => `${prefix}${keyColumn(i)}`);
const keyPairs = (keys: number, left: string, right: string) =>
  Array.from({ length: keys }, (_, i) => [`${left}.${keyColumn(i)}`, `${right}.${keyColumn(i)}`] as const);

async function applyGrouped(
  client: PgPoolClient,
  spec: IncrementalRefreshSpec,
  schema: string,
  plan: GroupedMaintenance,
  changes: ReadonlyMap<number, ChangeSetSql>,
): Promise<RefreshOutcome> {
  const { targets, positions, width } = await targetColumns(client, spec);
  const inputWidth = await inputWidthOf(client, plan);
  const keys = keyCountOf(plan, inputWidth);
  const inputDelta = bagDeltaSql([plan.input], inputWidth, changes);
  if (inputDelta === null) return { action: 'NO_DATA', rowsWritten: 0, rowsDeleted: 0 };
  const state = qualifiedName(stateOf(spec.table), schema);
  const target = qualifiedName(spec.table, schema);
  await run(client, sql(`DROP TABLE IF EXISTS ${GROUPS}`));
  await run(
    client,
    sql(`CREATE TEMP TABLE ${GROUPS} ON COMMIT DROP AS ${groupDeltaSql(plan, inputWidth, inputDelta)}`),
  );
  const sums = summed(plan);
  const stateCols = [...keyList(keys), GROUP_COUNT, ...sums.flatMap((j) => [sumColumn(j), countColumn(j)])];
  const fold = (column: string, from: string) =>
    `${column} = COALESCE(s.${column}, 0) + COALESCE(${from}.${column}, 0)`;
  if (keys === 0) {
    const sets = [
      `${GROUP_COUNT} = s.${GROUP_COUNT} + g.${GROUP_COUNT}`,
      ...sums.flatMap((j) => [fold(sumColumn(j), 'g'), fold(countColumn(j), 'g')]),
    ];
    await run(client, sql(`UPDATE ${state} AS s SET ${sets.join(', ')} FROM ${GROUPS} AS g`));
  } else {
    const sets = [
      `${GROUP_COUNT} = s.${GROUP_COUNT} + EXCLUDED.${GROUP_COUNT}`,
      ...sums.flatMap((j) => [fold(sumColumn(j), 'EXCLUDED'), fold(countColumn(j), 'EXCLUDED')]),
    ];
    await run(
      client,
      sql(
        `INSERT INTO ${state} AS s (${stateCols.join(', ')}) SELECT ${stateCols.map((c) => `g.${c}`).join(', ')} FROM ${GROUPS} AS g ON CONFLICT (${keyList(keys).join(', ')}) DO UPDATE SET ${sets.join(', ')}`,
      ),
    );
    await run(client, sql(`DELETE FROM ${state} WHERE ${GROUP_COUNT} = 0`));
  }
  const keyTargets = targetKeys(plan, keys, targets, positions);
  const everyGroup = keyTargets === null || keys === 0;
  const groupMasks = everyGroup ? [''] : await masksOf(client, GROUPS, keyList(keys, 'r.'));
  const gMask = nullMask(keyList(keys, 'g.'));
  const hasExtremes = extremes(plan).length > 0;
  if (hasExtremes) {
    await run(client, sql(`DROP TABLE IF EXISTS ${EXTREMES}`));
    let first = true;
    for (const mask of groupMasks) {
      const groups = everyGroup ? null : `(SELECT * FROM ${GROUPS} AS g WHERE ${gMask} = '${mask}')`;
      const body = extremesSql(plan, inputWidth, groups, (input, group) => {
        const i = Number(/__k(\d+)$/.exec(group)?.[1] ?? 1) - 1;
        return mask[i] === '1' ? `${input} IS NULL` : `${input} = ${group}`;
      });
      await run(
        client,
        sql(first ? `CREATE TEMP TABLE ${EXTREMES} ON COMMIT DROP AS ${body}` : `INSERT INTO ${EXTREMES} ${body}`),
      );
      first = false;
    }
  }
  let rowsDeleted = 0;
  if (everyGroup) {
    rowsDeleted = (await run(client, sql(`DELETE FROM ${target}`))).rowCount ?? 0;
  } else {
    for (const mask of groupMasks) {
      const pairs = (keyTargets ?? []).map(
        (column, i) => [`t.${quoteIdentifier(column)}`, `g.${keyColumn(i)}`] as const,
      );
      const deleted = await run(
        client,
        sql(`DELETE FROM ${target} AS t USING ${GROUPS} AS g WHERE ${gMask} = '${mask}' AND ${matchFor(mask, pairs)}`),
      );
      rowsDeleted += deleted.rowCount ?? 0;
    }
  }
  const types = await targetTypes(client, spec.table, schema);
  const expressions = outputExpressions(plan, width, (sum, count, output) => {
    const column = targets[positions.indexOf(output)] ?? '';
    const type = types.get(column) ?? 'numeric';
    return /^(double precision|real)$/.test(type)
      ? `${sum}::double precision / ${count}`
      : `${sum}::numeric / ${count}`;
  });
  const values = targets.map((_, i) => expressions[positions[i] ?? i] ?? 'NULL').join(', ');
  let rowsWritten = 0;
  const insert = async (from: string) => {
    const inserted = await run(
      client,
      sql(`INSERT INTO ${target} (${targets.map(quoteIdentifier).join(', ')}) SELECT ${values} ${from}`),
    );
    rowsWritten += inserted.rowCount ?? 0;
  };
  if (keys === 0) {
    await insert(`FROM ${state} AS s${hasExtremes ? ` LEFT JOIN ${EXTREMES} AS m ON TRUE` : ''}`);
  } else if (everyGroup) {
    const sMask = nullMask(keyList(keys, 's.'));
    for (const mask of await masksOf(client, state, keyList(keys, 'r.'))) {
      const extremesJoin = hasExtremes
        ? ` LEFT JOIN ${EXTREMES} AS m ON ${matchFor(mask, keyPairs(keys, 'm', 's'))}`
        : '';
      await insert(`FROM ${state} AS s${extremesJoin} WHERE ${sMask} = '${mask}' AND s.${GROUP_COUNT} > 0`);
    }
  } else {
    for (const mask of groupMasks) {
      const extremesJoin = hasExtremes
        ? ` LEFT JOIN ${EXTREMES} AS m ON ${matchFor(mask, keyPairs(keys, 'm', 'g'))}`
        : '';
      await insert(
        `FROM ${GROUPS} AS g JOIN ${state} AS s ON ${matchFor(mask, keyPairs(keys, 's', 'g'))}${extremesJoin} WHERE ${gMask} = '${mask}' AND s.${GROUP_COUNT} > 0`,
      );
    }
  }
  await run(client, sql(`DROP TABLE IF EXISTS ${GROUPS}`));
  await run(client, sql(`DROP TABLE IF EXISTS ${EXTREMES}`));
  return { action: 'INCREMENTAL', rowsWritten, rowsDeleted };
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
  const rowsWritten = (await run(client, plan.insert, plan.params)).rowCount ?? 0;
  if (!maintain) {
    return { action: 'FULL', actionDetail: detail, rowsWritten, rowsDeleted };
  }
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
          `CREATE UNIQUE INDEX ${quoteIdentifier(internalName('ixs', spec.table.name))} ON ${qualifiedName(state, schema)} (${keyList(keys).join(', ')}) NULLS NOT DISTINCT`,
        ),
      );
      await run(
        client,
        sql(
          `CREATE INDEX ${quoteIdentifier(internalName('ixe', spec.table.name))} ON ${qualifiedName(state, schema)} (${GROUP_COUNT}) WHERE ${GROUP_COUNT} = 0`,
        ),
      );
    }
    indexed = (targetKeys(maintenance, keys, targets, positions) ?? []).slice(0, INDEXED_COLUMNS);
  }
  if (indexed.length > 0) {
    await run(
      client,
      sql(
        `CREATE INDEX IF NOT EXISTS ${quoteIdentifier(internalName('ix', spec.table.name))} ON ${tableSchema}.${quoteIdentifier(spec.table.name)} (${indexed.map(quoteIdentifier).join(', ')})`,
      ),
    );
  }
  const snapshot = await currentSnapshot(client);
  for (const source of spec.sources) {
    await run(
      client,
      sql(
        `INSERT INTO ${watermarks(schema)} (dynamic_table, source, snapshot) VALUES ($1, $2, $3) ON CONFLICT (dynamic_table, source) DO UPDATE SET snapshot = EXCLUDED.snapshot`,
      ),
      [tableKey(spec.table, schema), tableKey(source, schema), snapshot],
    );
    await prune(client, source, schema);
  }
  return { action: 'FULL', actionDetail: detail, rowsWritten, rowsDeleted };
}
