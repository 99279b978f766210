/**
 * Streaming rows out of and into MySQL, for dynamic tables whose query runs on another catalog. Reading
 * streams one SELECT with back-pressure (the connection stops reading the socket while a batch waits), so
 * about one batch is in memory at a time. Loading stages the rows in a private table with the target's
 * definition (one transaction per batch), then puts them in place: a whole table by one atomic RENAME TABLE,
 * a partition by DELETE + INSERT … SELECT in one transaction. Readers see the old rows or the new ones, also
 * when the copy fails part-way.
 */
import type { Connection as CoreConnection } from 'mysql2';
import type { Pool, PoolConnection } from 'mysql2/promise';
import type { ColumnInfo, LoadSpec, ReadSpec, RefreshOutcome, RowBatch, TableRef } from '../engine';
import { toFreshetError } from './mysql-errors';
import { type WrittenRows, withReport } from '../guard-audit';
import type { GuardReport } from '../publish-guards';
import { tableExists } from './mysql-introspection';
import { borrow, giveBack, inTransaction, run } from './mysql-pool';
import { ensureLedger, recordRefresh } from './mysql-ledger';
import { countRows, judgeWritten, keepAsStaged, wholeTable } from './mysql-staging';
import { swapIn } from './mysql-swap';
import { createTableSql, embedQuery, qualifiedName, quoteIdentifier, scratchName, textLiteral } from './mysql-sql';

/** MySQL's limit on the placeholders of one prepared statement. */
const MAX_PARAMETERS = 65_535;

async function* batchesOf(rows: AsyncIterable<unknown>, size: number): AsyncIterable<RowBatch> {
  let batch: unknown[][] = [];
  for await (const row of rows) {
    batch.push(row as unknown[]);
    if (batch.length >= size) {
      yield batch;
      batch = [];
    }
  }
  if (batch.length > 0) yield batch;
}

/**
 * The query's rows, `spec.batchRows` at a time. A read the consumer stops early cannot be ended on its
 * connection (MySQL has no way to cancel a result half-read), so that connection is closed instead.
 */
export async function* readBatches(pool: Pool, spec: ReadSpec): AsyncIterable<RowBatch> {
  const size = Math.max(1, Math.floor(spec.batchRows));
  const filters = Object.entries(spec.filter ?? {});
  // Literals, not placeholders: placeholders would need a prepared statement, which cannot stream.
  const where =
    filters.length === 0
      ? ''
      : ` WHERE ${filters.map(([column, value]) => `src.${quoteIdentifier(column)} = ${textLiteral(value)}`).join(' AND ')}`;
  const statement = embedQuery(
    `SELECT ${spec.columns.map((column) => `src.${quoteIdentifier(column)}`).join(', ')} FROM `,
    spec.query,
    ` AS src${where}`,
  );
  const connection = await borrow(pool);
  let complete = false;
  let failure: unknown;
  try {
    // The promise wrapper's `connection` is the callback-style connection, which can stream rows.
    const core = (connection as PoolConnection).connection as unknown as CoreConnection;
    const rows = core.query({ sql: statement.sql, rowsAsArray: true }).stream({ highWaterMark: size });
    // mysql2 reports a fatal error (the connection killed or lost) to the connection, not to a streaming query.
    const onConnectionError = (error: Error) => rows.destroy(error);
    core.once('error', onConnectionError);
    try {
      yield* batchesOf(rows, size);
    } catch (error) {
      throw toFreshetError(error, statement);
    } finally {
      core.off('error', onConnectionError);
    }
    complete = true;
  } catch (error) {
    failure = error;
    throw error;
  } finally {
    giveBack(connection, { error: failure, discard: !complete && failure === undefined });
  }
}

/** A UTC time as MySQL writes DATETIME(3) values. */
function mysqlDateTime(value: Date): string {
  return value.toISOString().replace('T', ' ').replace('Z', '');
}

const ZONED_TIME = /^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}:\d{2})(\.\d+)?(Z|[+-]\d{2}(?::?\d{2})?)$/i;

/**
 * A time with a zone offset (`2024-01-01 10:00:00+02`, as PostgreSQL prints a timestamptz) as the UTC
 * DATETIME MySQL accepts, keeping every fractional digit; other text is left as it is.
 */
function utcDateTime(text: string): string {
  const match = ZONED_TIME.exec(text);
  if (match === null) return text;
  const [, day, time, fraction = '', zone = 'Z'] = match;
  const offset = zone.toUpperCase() === 'Z' ? 'Z' : `${zone.slice(0, 3)}:${zone.slice(3).replace(':', '') || '00'}`;
  const instant = new Date(`${day}T${time}${offset}`);
  return Number.isNaN(instant.getTime()) ? text : `${instant.toISOString().slice(0, 19).replace('T', ' ')}${fraction}`;
}

/** A value from another engine, as mysql2 can bind it into a column of `type`. */
function bindable(value: unknown, type: string): unknown {
  if (value === undefined || value === null) return null;
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (value instanceof Date) return mysqlDateTime(value);
  if (value instanceof Uint8Array) return Buffer.from(value);
  if (typeof value === 'object') return JSON.stringify(value);
  if (typeof value === 'string' && /^(datetime|timestamp)\b/i.test(type.trim())) return utcDateTime(value);
  return value;
}

async function stageBatch(pool: Pool, stage: string, columns: readonly ColumnInfo[], rows: RowBatch): Promise<number> {
  const perStatement = Math.max(1, Math.floor(MAX_PARAMETERS / columns.length));
  const names = columns.map((column) => quoteIdentifier(column.name)).join(', ');
  const tuple = `(${columns.map(() => '?').join(', ')})`;
  return inTransaction(pool, async (connection) => {
    let written = 0;
    for (let start = 0; start < rows.length; start += perStatement) {
      const chunk = rows.slice(start, start + perStatement);
      const sql = `INSERT INTO ${stage} (${names}) VALUES ${chunk.map(() => tuple).join(', ')}`;
      const params = chunk.flatMap((row) => columns.map((column, index) => bindable(row[index], column.type)));
      written += (await run(connection, { sql, client: null }, params)).header?.affectedRows ?? 0;
    }
    return written;
  });
}

/** The rows of the target a load replaces: the whole table, or its partition. */
function replacedRows(load: LoadSpec, database: string): WrittenRows {
  const table = qualifiedName(load.definition.table, database);
  const partition = Object.entries(load.partition ?? {});
  // A partition names its columns as the statement that asked for it did; MySQL matches column names in any case.
  const where =
    partition.length === 0 ? null : partition.map(([column]) => `${quoteIdentifier(column)} = ?`).join(' AND ');
  return { table, where, params: partition.map(([, value]) => value) };
}

async function swapPartition(
  pool: Pool,
  load: LoadSpec,
  stage: TableRef,
  database: string,
  written: RefreshOutcome,
): Promise<RefreshOutcome> {
  const replaced = replacedRows(load, database);
  const columns = load.definition.columns.map((column) => quoteIdentifier(column.name)).join(', ');
  const outcome = await inTransaction(pool, async (connection) => {
    const deleted = await run(
      connection,
      { sql: `DELETE FROM ${replaced.table} WHERE ${replaced.where}`, client: null },
      replaced.params,
    );
    await run(connection, {
      sql: `INSERT INTO ${replaced.table} (${columns}) SELECT ${columns} FROM ${qualifiedName(stage, database)}`,
      client: null,
    });
    const rowsDeleted = deleted.header?.affectedRows ?? 0;
    return recordRefresh(connection, load.definition.table, database, load.refreshId, { ...written, rowsDeleted });
  });
  await run(pool, { sql: `DROP TABLE IF EXISTS ${qualifiedName(stage, database)}`, client: null });
  return outcome;
}

/**
 * Replaces the table's rows (or one partition's) with the streamed rows. The stage has the table's own
 * definition, primary key included, so a duplicate fails while staging with the table untouched. With guards,
 * the staged rows are judged first; a blocked result stays staged (renamed to a staged result) and the table is
 * not touched. An error of `batches` (the source engine's) comes out as it went in.
 */
export async function replaceFromBatches(
  pool: Pool,
  load: LoadSpec,
  batches: AsyncIterable<RowBatch>,
  database: string,
): Promise<RefreshOutcome> {
  const target = load.definition.table;
  const stage: TableRef = { database: target.database, name: scratchName('stage', target.name) };
  const stageName = qualifiedName(stage, database);
  await run(pool, { sql: `DROP TABLE IF EXISTS ${stageName}`, client: null });
  await run(pool, { sql: createTableSql(load.definition, database, stage), client: null });
  try {
    let rowsWritten = 0;
    for await (const rows of batches) {
      if (rows.length > 0) rowsWritten += await stageBatch(pool, stageName, load.definition.columns, rows);
    }
    await ensureLedger(pool, database, load.refreshId);
    let report: GuardReport | undefined;
    if (load.guards !== undefined) {
      const exists = load.partition !== null || (await tableExists(pool, target, database));
      const rowsBefore = exists ? await countRows(pool, replacedRows(load, database)) : 0;
      report = await judgeWritten(pool, load.guards, wholeTable(stage, database), { rowsBefore, rowsWritten });
      if (report.blocked) {
        const staged = await keepAsStaged(pool, stage, load.refreshId, database);
        return { rowsWritten: rowsWritten - report.rowsDropped, rowsDeleted: 0, guards: report, staged };
      }
    }
    const written = withReport({ rowsWritten: rowsWritten - (report?.rowsDropped ?? 0), rowsDeleted: 0 }, report);
    if (load.partition !== null) return await swapPartition(pool, load, stage, database, written);
    const rowsDeleted = await swapIn(pool, stage, target, database);
    // The swap committed by itself (DDL); the ledger row follows it.
    return await recordRefresh(pool, target, database, load.refreshId, { ...written, rowsDeleted });
  } catch (error) {
    await run(pool, { sql: `DROP TABLE IF EXISTS ${stageName}`, client: null }).catch(() => undefined);
    throw error;
  }
}
