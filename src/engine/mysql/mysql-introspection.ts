/**
 * Tables, columns and query output types on MySQL/MariaDB. Table columns carry information_schema's
 * COLUMN_TYPE (`int(11)`, `varchar(40)`, `decimal(10,2)`); query output columns are named from the
 * statement's column metadata (see `mysql-types.ts`).
 */
import type { FieldPacket, Pool } from 'mysql2/promise';
import { validationError } from '../../errors';
import type { ColumnInfo, TableDescription, TableRef } from '../engine';
import { toFreshetError } from './mysql-errors';
import { type Queryable, run, withConnection } from './mysql-pool';
import { INTERNAL_TABLE_PREFIX, type Statement } from './mysql-sql';
import { isNullable, typeName } from './mysql-types';

/** Base tables of `database`, by name; the engine's scratch tables are left out. */
export async function listTables(pool: Pool, database: string): Promise<TableRef[]> {
  const result = await run<{ name: string }>(
    pool,
    {
      sql: `SELECT TABLE_NAME AS name FROM information_schema.TABLES
             WHERE TABLE_SCHEMA = ? AND TABLE_TYPE = 'BASE TABLE' AND LEFT(TABLE_NAME, ?) <> ?
             ORDER BY TABLE_NAME`,
      client: null,
    },
    [database, INTERNAL_TABLE_PREFIX.length, INTERNAL_TABLE_PREFIX],
  );
  return result.rows.map((row) => ({ database, name: row.name }));
}

interface ColumnRow {
  readonly name: string;
  readonly type: string;
  readonly nullable: string;
  readonly key_position: number | null;
}

/** Columns in declaration order and primary key columns in key order; null when there is no such table or view. */
export async function describeTable(
  pool: Queryable,
  table: TableRef,
  defaultDatabase: string,
): Promise<TableDescription | null> {
  const database = table.database ?? defaultDatabase;
  const result = await run<ColumnRow>(
    pool,
    {
      sql: `SELECT c.COLUMN_NAME AS name, c.COLUMN_TYPE AS type, c.IS_NULLABLE AS nullable, k.SEQ_IN_INDEX AS key_position
              FROM information_schema.COLUMNS c
              LEFT JOIN information_schema.STATISTICS k
                ON k.TABLE_SCHEMA = c.TABLE_SCHEMA AND k.TABLE_NAME = c.TABLE_NAME AND k.COLUMN_NAME = c.COLUMN_NAME
               AND k.INDEX_NAME = 'PRIMARY'
             WHERE c.TABLE_SCHEMA = ? AND c.TABLE_NAME = ?
             ORDER BY c.ORDINAL_POSITION`,
      client: null,
    },
    [database, table.name],
  );
  if (result.rows.length === 0) return null;
  const keyColumns = result.rows.filter((row) => row.key_position !== null);
  keyColumns.sort((a, b) => Number(a.key_position) - Number(b.key_position));
  return {
    columns: result.rows.map((row) => ({ name: row.name, type: row.type, nullable: row.nullable === 'YES' })),
    primaryKey: keyColumns.map((row) => row.name),
  };
}

/** Whether a base table (not a view) of that name exists. */
export async function tableExists(pool: Queryable, table: TableRef, defaultDatabase: string): Promise<boolean> {
  const result = await run(
    pool,
    {
      sql:
        `SELECT 1 FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? AND TABLE_TYPE = ` +
        `'BASE TABLE'`,
      client: null,
    },
    [table.database ?? defaultDatabase, table.name],
  );
  return result.rows.length > 0;
}

/** What mysql2 keeps of a prepared statement (its promise wrapper does not declare it). */
interface PreparedStatement {
  readonly statement: { readonly columns: FieldPacket[]; readonly parameters: unknown[] };
}

/**
 * The output columns of a query. The query is prepared (COM_STMT_PREPARE), never executed: the server
 * resolves names and derives each output column's type and nullability as it would for CREATE TABLE … AS
 * SELECT, so a column an outer join or an aggregate can turn NULL is nullable.
 */
export function describeQuery(pool: Pool, query: string): Promise<ColumnInfo[]> {
  const text = query.replace(/[\s;]+$/, '');
  const statement: Statement = { sql: text, client: { text, start: 0 } };
  return withConnection(pool, async (connection) => {
    let prepared: PreparedStatement;
    try {
      prepared = (await connection.prepare(text)) as unknown as PreparedStatement;
    } catch (error) {
      throw toFreshetError(error, statement);
    } finally {
      connection.unprepare(text);
    }
    const { columns, parameters } = prepared.statement;
    if (parameters.length > 0) {
      throw validationError('MySQL: the query has parameter markers (?); write the values into the query instead.');
    }
    if (columns.length === 0)
      throw validationError('MySQL: the statement returns no columns; a dynamic table needs a query (SELECT …).');
    return columns.map((column) => ({ name: column.name, type: typeName(column), nullable: isNullable(column) }));
  });
}
