/**
 * Reading and pruning the changes capture logged (see `postgres-change-capture.ts`). A watermark is a
 * `pg_snapshot` in text form: the changes a reader has not applied are the rows whose `__xid` it does not see.
 */
import { invalidState } from '../../errors';
import type { TableRef } from '../engine';
import { OP, SNAPSHOT, XID, changelogName, inSchema, relationOf, schemaOf, statement } from './postgres-capture-names';
import type { PgPoolClient } from './postgres-driver';
import { run } from './postgres-pool';
import { qualifiedName, quoteIdentifier } from './postgres-sql';

/**
 * The current snapshot in text form (`pg_current_snapshot()`): the watermark of a consumer that has read
 * everything this transaction sees. Read it in the REPEATABLE READ transaction of the refresh it stands for.
 */
export async function currentSnapshot(client: PgPoolClient): Promise<string> {
  const current = statement('SELECT pg_catalog.pg_current_snapshot()::text AS snapshot');
  const result = await run<{ snapshot: string }>(client, current);
  const snapshot = result.rows[0]?.snapshot;
  if (snapshot === undefined) throw invalidState('pg_current_snapshot() returned no row.');
  return snapshot;
}

function requireSnapshot(name: string, value: string): void {
  if (!SNAPSHOT.test(value)) {
    throw new RangeError(`${name} must be a pg_snapshot in text form (xmin:xmax:xip,…), got ${JSON.stringify(value)}.`);
  }
}

/** The changes a snapshot has not seen; `wm` is a pg_snapshot expression. The xmin bound lets the index be used. */
function unseenBy(wm: string): string {
  const xid = quoteIdentifier(XID);
  return `${xid} >= pg_catalog.pg_snapshot_xmin(${wm}) AND NOT pg_catalog.pg_visible_in_snapshot(${xid}, ${wm})`;
}

/**
 * A SELECT of the data `columns` (in the order given, as the changelog names them) of the changes of `table`
 * with `op` that the watermark `after` has not seen: the rows that appeared (`I`) or went away (`D`) since.
 * Run it in the REPEATABLE READ transaction that also reads the new watermark ({@link currentSnapshot}), and
 * check {@link pendingChanges} for a TRUNCATE first, since a `T` calls for a full refresh instead. Throws
 * RangeError when `after` is not a snapshot in text form.
 */
export function changeSetSql(
  table: TableRef,
  schema: string,
  columns: readonly string[],
  op: 'I' | 'D',
  after: string,
): string {
  requireSnapshot('after', after);
  const wm = `'${after}'::pg_catalog.pg_snapshot`;
  return (
    `SELECT ${columns.map(quoteIdentifier).join(', ')} FROM ${inSchema(table, schema, changelogName(table.name))} ` +
    `WHERE ${quoteIdentifier(OP)} = '${op}' AND ${unseenBy(wm)}`
  );
}

async function requireChangelog(client: PgPoolClient, table: TableRef, schema: string): Promise<string> {
  if ((await relationOf(client, schemaOf(table, schema), changelogName(table.name))) === null) {
    throw invalidState(`Change capture is not installed on ${qualifiedName(table, schema)}.`);
  }
  return inSchema(table, schema, changelogName(table.name));
}

/**
 * How many changes of `table` the watermark `after` has not seen, and whether a TRUNCATE is among them (the
 * reader must then refresh fully). Throws INVALID_STATE when capture is not installed, RangeError when
 * `after` is not a snapshot in text form.
 */
export async function pendingChanges(
  client: PgPoolClient,
  table: TableRef,
  schema: string,
  after: string,
): Promise<{ changes: number; truncated: boolean }> {
  requireSnapshot('after', after);
  const changelog = await requireChangelog(client, table, schema);
  const result = await run<{ changes: string | number; truncated: boolean | null }>(
    client,
    statement(
      `SELECT count(*) AS changes, bool_or(${quoteIdentifier(OP)} = 'T') AS truncated FROM ${changelog} ` +
        `WHERE ${unseenBy('$1::pg_catalog.pg_snapshot')}`,
    ),
    [after],
  );
  const row = result.rows[0];
  return { changes: Number(row?.changes ?? 0), truncated: row?.truncated === true };
}

/**
 * Deletes the changes of `table` that every watermark in `watermarks` has seen (written by transactions older
 * than the oldest watermark's xmin): pass the watermarks of all dynamic tables reading it. Returns how many
 * changes were deleted. Throws RangeError for an empty list or a malformed watermark, INVALID_STATE when
 * capture is not installed.
 */
export async function pruneChanges(
  client: PgPoolClient,
  table: TableRef,
  schema: string,
  watermarks: readonly string[],
): Promise<number> {
  if (watermarks.length === 0) throw new RangeError('pruneChanges needs the watermark of at least one reader.');
  let oldest: bigint | null = null;
  for (const watermark of watermarks) {
    requireSnapshot('watermark', watermark);
    const xmin = BigInt(watermark.slice(0, watermark.indexOf(':')));
    if (oldest === null || xmin < oldest) oldest = xmin;
  }
  const changelog = await requireChangelog(client, table, schema);
  const prune = statement(`DELETE FROM ${changelog} WHERE ${quoteIdentifier(XID)} < $1::xid8`);
  const result = await run(client, prune, [String(oldest)]);
  return result.rowCount ?? 0;
}
