/**
 * Applying the changes of a query without GROUP BY or DISTINCT (see `postgres-incremental.ts`): the delta is a
 * multiset of rows with weights; rows with a negative weight are deleted that many times, the others inserted.
 */
import type { IncrementalRefreshSpec, RefreshOutcome } from '../engine';
import { IncrementalUnavailable, WEIGHT, bagDeltaSql, deltaColumn, type ChangeSetSql } from '../incremental-sql';
import type { PgPoolClient } from './postgres-driver';
import { masksOf, matchFor, nullMask, targetColumns } from './postgres-incremental-columns';
import { sql } from './postgres-incremental-state';
import { run } from './postgres-pool';
import { INTERNAL_TABLE_PREFIX, qualifiedName, quoteIdentifier } from './postgres-sql';

const DELTA = quoteIdentifier(`${INTERNAL_TABLE_PREFIX}_delta`);

export async function applyBag(
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
            `FROM ${DELTA} AS d JOIN ${target} AS t ON ${matchFor(mask, pairs)} ` +
            `WHERE d.${WEIGHT} < 0 AND ${dMask} = '${mask}') AS x WHERE rn <= -w))`,
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
      `INSERT INTO ${target} (${targets.map(quoteIdentifier).join(', ')}) SELECT ${values} ` +
        `FROM ${DELTA} AS d CROSS JOIN LATERAL generate_series(1, d.${WEIGHT}) WHERE d.${WEIGHT} > 0`,
    ),
  );
  await run(client, sql(`DROP TABLE IF EXISTS ${DELTA}`));
  return { action: 'INCREMENTAL', rowsWritten: inserted.rowCount ?? 0, rowsDeleted };
}
