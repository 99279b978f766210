/**
 * Applying the changes of a GROUP BY or DISTINCT query (see `postgres-incremental.ts`): the change to each
 * group is folded into the group state, the MIN and MAX of the groups it touched are recomputed from the
 * sources, and those groups' rows of the table are deleted and inserted again from the state.
 */
import type { IncrementalRefreshSpec, RefreshOutcome, TableRef } from '../engine';
import {
  GROUP_COUNT,
  bagDeltaSql,
  countColumn,
  extremes,
  extremesSql,
  groupDeltaSql,
  keyColumn,
  keyCountOf,
  outputExpressions,
  sumColumn,
  summed,
  targetKeys,
  type ChangeSetSql,
} from '../incremental-sql';
import type { GroupedMaintenance } from '../../sql/incremental-plan';
import type { PgPoolClient } from './postgres-driver';
import {
  inputWidthOf,
  keyList,
  keyPairs,
  masksOf,
  matchFor,
  nullMask,
  targetColumns,
  type TargetColumns,
} from './postgres-incremental-columns';
import { sql, stateOf } from './postgres-incremental-state';
import { run } from './postgres-pool';
import { INTERNAL_TABLE_PREFIX, qualifiedName, quoteIdentifier } from './postgres-sql';

const GROUPS = quoteIdentifier(`${INTERNAL_TABLE_PREFIX}_groups`);
const EXTREMES = quoteIdentifier(`${INTERNAL_TABLE_PREFIX}_extremes`);

/** What the steps after folding the group delta into the state share. */
interface GroupedApply {
  readonly client: PgPoolClient;
  readonly plan: GroupedMaintenance;
  readonly inputWidth: number;
  readonly keys: number;
  /** Qualified name of the group state table. */
  readonly state: string;
  /** Qualified name of the dynamic table. */
  readonly target: string;
  /** Whether every group is rewritten: no keys, or keys the table's columns do not show. */
  readonly everyGroup: boolean;
  /** NULL patterns of the changed groups' keys (one empty pattern when every group is rewritten). */
  readonly groupMasks: readonly string[];
  /** NULL pattern of a changed group's keys, as SQL on `g`. */
  readonly gMask: string;
  readonly hasExtremes: boolean;
}

export async function applyGrouped(
  client: PgPoolClient,
  spec: IncrementalRefreshSpec,
  schema: string,
  plan: GroupedMaintenance,
  changes: ReadonlyMap<number, ChangeSetSql>,
): Promise<RefreshOutcome> {
  const columns = await targetColumns(client, spec);
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
  await foldIntoState(client, plan, keys, state);
  const keyTargets = targetKeys(plan, keys, columns.targets, columns.positions);
  const everyGroup = keyTargets === null || keys === 0;
  const apply: GroupedApply = {
    client,
    plan,
    inputWidth,
    keys,
    state,
    target,
    everyGroup,
    groupMasks: everyGroup ? [''] : await masksOf(client, GROUPS, keyList(keys, 'r.')),
    gMask: nullMask(keyList(keys, 'g.')),
    hasExtremes: extremes(plan).length > 0,
  };
  await recomputeExtremes(apply);
  const rowsDeleted = await deleteChangedGroups(apply, keyTargets ?? []);
  const values = await recomputedValues(apply, spec.table, schema, columns);
  const rowsWritten = await insertChangedGroups(apply, columns.targets, values);
  await run(client, sql(`DROP TABLE IF EXISTS ${GROUPS}`));
  await run(client, sql(`DROP TABLE IF EXISTS ${EXTREMES}`));
  return { action: 'INCREMENTAL', rowsWritten, rowsDeleted };
}

/** Adds each group's change to its state: the one row without keys, else upserted per group, emptied groups gone. */
async function foldIntoState(client: PgPoolClient, plan: GroupedMaintenance, keys: number, state: string) {
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
        `INSERT INTO ${state} AS s (${stateCols.join(', ')}) ` +
          `SELECT ${stateCols.map((c) => `g.${c}`).join(', ')} FROM ${GROUPS} AS g ` +
          `ON CONFLICT (${keyList(keys).join(', ')}) DO UPDATE SET ${sets.join(', ')}`,
      ),
    );
    await run(client, sql(`DELETE FROM ${state} WHERE ${GROUP_COUNT} = 0`));
  }
}

/** MIN and MAX cannot be folded in (a delete may remove the extreme): recomputed from the sources per group. */
async function recomputeExtremes(apply: GroupedApply): Promise<void> {
  if (!apply.hasExtremes) return;
  await run(apply.client, sql(`DROP TABLE IF EXISTS ${EXTREMES}`));
  let first = true;
  for (const mask of apply.groupMasks) {
    const groups = apply.everyGroup ? null : `(SELECT * FROM ${GROUPS} AS g WHERE ${apply.gMask} = '${mask}')`;
    const body = extremesSql(apply.plan, apply.inputWidth, groups, (input, group) => {
      const i = Number(/__k(\d+)$/.exec(group)?.[1] ?? 1) - 1;
      return mask[i] === '1' ? `${input} IS NULL` : `${input} = ${group}`;
    });
    await run(
      apply.client,
      sql(first ? `CREATE TEMP TABLE ${EXTREMES} ON COMMIT DROP AS ${body}` : `INSERT INTO ${EXTREMES} ${body}`),
    );
    first = false;
  }
}

/** Deletes the table's rows of the changed groups, matched on `keyTargets`; returns how many. */
async function deleteChangedGroups(apply: GroupedApply, keyTargets: readonly string[]): Promise<number> {
  const { client, target, gMask } = apply;
  if (apply.everyGroup) return (await run(client, sql(`DELETE FROM ${target}`))).rowCount ?? 0;
  let rowsDeleted = 0;
  for (const mask of apply.groupMasks) {
    const pairs = keyTargets.map((column, i) => [`t.${quoteIdentifier(column)}`, `g.${keyColumn(i)}`] as const);
    const deleted = await run(
      client,
      sql(`DELETE FROM ${target} AS t USING ${GROUPS} AS g WHERE ${gMask} = '${mask}' AND ${matchFor(mask, pairs)}`),
    );
    rowsDeleted += deleted.rowCount ?? 0;
  }
  return rowsDeleted;
}

/** Types of the target's columns, for rendering AVG the way PostgreSQL types it. */
async function targetTypes(client: PgPoolClient, table: TableRef, schema: string): Promise<Map<string, string>> {
  const rows = await run<{ name: string; type: string }>(
    client,
    sql(
      'SELECT attname AS name, pg_catalog.format_type(atttypid, atttypmod) AS type ' +
        'FROM pg_catalog.pg_attribute WHERE attrelid = $1::regclass AND attnum > 0 AND NOT attisdropped',
    ),
    [qualifiedName(table, schema)],
  );
  return new Map(rows.rows.map((row) => [row.name, row.type]));
}

/** The select list of a group's row of the table, from the state `s` and extremes `m`, in target column order. */
async function recomputedValues(
  apply: GroupedApply,
  table: TableRef,
  schema: string,
  { targets, positions, width }: TargetColumns,
): Promise<string> {
  const types = await targetTypes(apply.client, table, schema);
  const expressions = outputExpressions(apply.plan, width, (sum, count, output) => {
    const column = targets[positions.indexOf(output)] ?? '';
    const type = types.get(column) ?? 'numeric';
    return /^(double precision|real)$/.test(type)
      ? `${sum}::double precision / ${count}`
      : `${sum}::numeric / ${count}`;
  });
  return targets.map((_, i) => expressions[positions[i] ?? i] ?? 'NULL').join(', ');
}

/** Inserts the rows of the changed groups that still have input rows; returns how many. */
async function insertChangedGroups(apply: GroupedApply, targets: readonly string[], values: string): Promise<number> {
  const { client, keys, state, gMask, hasExtremes } = apply;
  let rowsWritten = 0;
  const insert = async (from: string) => {
    const inserted = await run(
      client,
      sql(`INSERT INTO ${apply.target} (${targets.map(quoteIdentifier).join(', ')}) SELECT ${values} ${from}`),
    );
    rowsWritten += inserted.rowCount ?? 0;
  };
  if (keys === 0) {
    await insert(`FROM ${state} AS s${hasExtremes ? ` LEFT JOIN ${EXTREMES} AS m ON TRUE` : ''}`);
  } else if (apply.everyGroup) {
    const sMask = nullMask(keyList(keys, 's.'));
    for (const mask of await masksOf(client, state, keyList(keys, 'r.'))) {
      const extremesJoin = hasExtremes
        ? ` LEFT JOIN ${EXTREMES} AS m ON ${matchFor(mask, keyPairs(keys, 'm', 's'))}`
        : '';
      await insert(`FROM ${state} AS s${extremesJoin} WHERE ${sMask} = '${mask}' AND s.${GROUP_COUNT} > 0`);
    }
  } else {
    for (const mask of apply.groupMasks) {
      const extremesJoin = hasExtremes
        ? ` LEFT JOIN ${EXTREMES} AS m ON ${matchFor(mask, keyPairs(keys, 'm', 'g'))}`
        : '';
      await insert(
        `FROM ${GROUPS} AS g JOIN ${state} AS s ON ${matchFor(mask, keyPairs(keys, 's', 'g'))}${extremesJoin} ` +
          `WHERE ${gMask} = '${mask}' AND s.${GROUP_COUNT} > 0`,
      );
    }
  }
  return rowsWritten;
}
