/**
 * Streaming rows out of and into PostgreSQL, for dynamic tables whose query runs on another catalog.
 * Reading declares a cursor in a read-only transaction and fetches one batch at a time. Loading stages the
 * rows in a private table with the target's definition (one transaction per batch), then puts them in place
 * with one transaction: readers see the old rows or the new ones, also when the copy fails part-way.
 */
import type { LoadSpec, ReadSpec, RefreshOutcome, RowBatch, TableRef } from '../engine';
import { type WrittenRows, withReport } from '../guard-audit';
import type { GuardReport } from '../publish-guards';
import { partitionCondition } from '../server-sql';
import type { PgPool, PgPoolClient } from './postgres-driver';
import { forgetIncremental } from './postgres-incremental';
import { ensureLedger, recordRefresh } from './postgres-ledger';
import { borrow, giveBack, inTransaction, run, runForArrays } from './postgres-pool';
import { tableExists } from './postgres-introspection';
import {
  INTERNAL_TABLE_PREFIX,
  POSTGRES_SQL,
  createTableSql,
  embedQuery,
  partitionFilter,
  qualifiedName,
  quoteIdentifier,
  scratchName,
} from './postgres-sql';
import { countRows, judgeWritten, keepAsStaged, wholeTable } from './postgres-staging';
import { swapIn } from './postgres-swap';

const CURSOR = quoteIdentifier(`${INTERNAL_TABLE_PREFIX}_read`);

/** PostgreSQL's limit on the parameters of one statement. */
const MAX_PARAMETERS = 65_535;

/** The query's rows, `spec.batchRows` at a time, from a cursor: the server holds the rest until asked. */
export async function* readBatches(pool: PgPool, spec: ReadSpec): AsyncIterable<RowBatch> {
  const size = Math.max(1, Math.floor(spec.batchRows));
  const filter = partitionFilter(Object.keys(spec.filter ?? {}), (column) => `src.${quoteIdentifier(column)}`);
  const select = `SELECT ${spec.columns.map((column) => `src.${quoteIdentifier(column)}`).join(', ')} FROM `;
  const declare = embedQuery(`DECLARE ${CURSOR} NO SCROLL CURSOR FOR ${select}`, spec.query, ` AS src${filter}`);
  const fetch = { sql: `FETCH FORWARD ${size} FROM ${CURSOR}`, client: null };
  const client = await borrow(pool);
  let failure: unknown;
  try {
    await run(client, { sql: 'BEGIN READ ONLY', client: null });
    await run(client, declare, Object.values(spec.filter ?? {}));
    for (;;) {
      const batch = await runForArrays(client, fetch);
      if (batch.rows.length > 0) yield batch.rows;
      if (batch.rows.length < size) return;
    }
  } catch (error) {
    failure = error;
    throw error;
  } finally {
    // Also when the consumer stops early: ending the transaction closes the cursor.
    await client.query({ text: 'ROLLBACK' }).catch((error: unknown) => {
      failure ??= error;
    });
    giveBack(client, failure);
  }
}

/** A value from another engine, as node-postgres can bind it into a column of `type`. */
function bindable(value: unknown, type: string): unknown {
  if (value === undefined || value === null) return null;
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Date) return value.toISOString();
  if (value instanceof Uint8Array) return Buffer.from(value);
  // Arrays go to array columns as arrays; anything else structured is JSON (json columns, or text).
  if (Array.isArray(value) && type.trim().endsWith(']')) return value;
  if (typeof value === 'object') return JSON.stringify(value);
  return value;
}

async function stageBatch(
  pool: PgPool,
  stage: string,
  columns: readonly { name: string; type: string }[],
  rows: RowBatch,
): Promise<number> {
  const perStatement = Math.max(1, Math.floor(MAX_PARAMETERS / columns.length));
  const names = columns.map((column) => quoteIdentifier(column.name)).join(', ');
  return inTransaction(pool, async (client) => {
    let written = 0;
    for (let start = 0; start < rows.length; start += perStatement) {
      const chunk = rows.slice(start, start + perStatement);
      const values = chunk.map(
        (_, row) => `(${columns.map((__, column) => `$${row * columns.length + column + 1}`).join(', ')})`,
      );
      const params = chunk.flatMap((row) => columns.map((column, index) => bindable(row[index], column.type)));
      written +=
        (
          await run(
            client,
            { sql: `INSERT INTO ${stage} (${names}) VALUES ${values.join(', ')}`, client: null },
            params,
          )
        ).rowCount ?? 0;
    }
    return written;
  });
}

/** The rows of the target a load replaces: the whole table, or its partition. */
function replacedRows(load: LoadSpec, schema: string): WrittenRows {
  const target = qualifiedName(load.definition.table, schema);
  if (load.partition === null) return { table: target, where: null, params: [] };
  // A partition names its columns as the statement that asked for it did; match them like PostgreSQL would unquoted.
  const columnOf = (key: string) =>
    (
      load.definition.columns.find((column) => column.name === key) ??
      load.definition.columns.find((column) => column.name.toLowerCase() === key.toLowerCase())
    )?.name ?? key;
  const columns = Object.keys(load.partition).map((key) => quoteIdentifier(columnOf(key)));
  return { table: target, where: partitionCondition(POSTGRES_SQL, columns), params: Object.values(load.partition) };
}

async function swapPartition(client: PgPoolClient, load: LoadSpec, stage: TableRef, schema: string): Promise<number> {
  const replaced = replacedRows(load, schema);
  const columns = load.definition.columns.map((column) => quoteIdentifier(column.name)).join(', ');
  const filter = replaced.where === null ? '' : ` WHERE ${replaced.where}`;
  const deleted = await run(client, { sql: `DELETE FROM ${replaced.table}${filter}`, client: null }, replaced.params);
  await run(client, {
    sql: `INSERT INTO ${replaced.table} (${columns}) SELECT ${columns} FROM ${qualifiedName(stage, schema)}`,
    client: null,
  });
  await run(client, { sql: `DROP TABLE ${qualifiedName(stage, schema)}`, client: null });
  return deleted.rowCount ?? 0;
}

/**
 * Replaces the table's rows (or one partition's) with the streamed rows. The stage has the table's own
 * definition, primary key included, so a duplicate fails while staging with the table untouched; a whole
 * table is then swapped by rename (transactional DDL), a partition by delete and copy. With guards, the staged
 * rows are judged first; a blocked result stays staged (renamed to a staged result) and the table is not touched.
 */
export async function replaceFromBatches(
  pool: PgPool,
  load: LoadSpec,
  batches: AsyncIterable<RowBatch>,
  schema: string,
): Promise<RefreshOutcome> {
  const target = load.definition.table;
  const stage: TableRef = { database: target.database, name: scratchName('stage', target.name) };
  const stageKey = `${stage.name}_pkey`;
  const stageName = qualifiedName(stage, schema);
  await run(pool, { sql: `DROP TABLE IF EXISTS ${stageName}`, client: null });
  await run(pool, { sql: createTableSql(load.definition, schema, stage, stageKey), client: null });
  try {
    let rowsWritten = 0;
    for await (const rows of batches) {
      if (rows.length > 0) rowsWritten += await stageBatch(pool, stageName, load.definition.columns, rows);
    }
    await ensureLedger(pool, schema, load.refreshId);
    return await inTransaction(pool, async (client) => {
      let report: GuardReport | undefined;
      if (load.guards !== undefined) {
        const exists = load.partition !== null || (await tableExists(client, target, schema));
        const rowsBefore = exists ? await countRows(client, replacedRows(load, schema)) : 0;
        report = await judgeWritten(client, load.guards, wholeTable(stage, schema), { rowsBefore, rowsWritten });
        if (report.blocked) {
          const staged = await keepAsStaged(
            client,
            stage,
            stageKey,
            load.definition.primaryKey,
            load.refreshId,
            schema,
          );
          return { rowsWritten: rowsWritten - report.rowsDropped, rowsDeleted: 0, guards: report, staged };
        }
      }
      await forgetIncremental(client, target, schema);
      const rowsDeleted =
        load.partition === null
          ? await swapIn(client, stage, stageKey, load.definition, schema)
          : await swapPartition(client, load, stage, schema);
      const written = { rowsWritten: rowsWritten - (report?.rowsDropped ?? 0), rowsDeleted };
      return recordRefresh(client, target, schema, load.refreshId, withReport(written, report));
    });
  } catch (error) {
    await run(pool, { sql: `DROP TABLE IF EXISTS ${stageName}`, client: null }).catch(() => undefined);
    throw error;
  }
}
