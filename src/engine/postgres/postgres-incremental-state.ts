/**
 * The bookkeeping of incremental refresh on PostgreSQL (see `postgres-incremental.ts`): the watermarks table, the
 * group state tables, and releasing a table's state and the change capture no other table needs.
 */
import { createHash } from 'node:crypto';
import type { TableRef } from '../engine';
import { pruneChanges, removeCapture } from './postgres-change-capture';
import type { PgPool, PgPoolClient } from './postgres-driver';
import { tableExists } from './postgres-introspection';
import { inTransaction, run } from './postgres-pool';
import { INTERNAL_TABLE_PREFIX, qualifiedName, quoteIdentifier, type Statement } from './postgres-sql';

const MAX_IDENTIFIER_BYTES = 63;

export const sql = (text: string): Statement => ({ sql: text, client: null });

/** `__freshet_<role>_<name>`, or a hash of the name when that is too long for an identifier. */
export function internalName(role: string, name: string): string {
  const readable = `${INTERNAL_TABLE_PREFIX}_${role}_${name}`;
  if (Buffer.byteLength(readable) <= MAX_IDENTIFIER_BYTES) return readable;
  return `${INTERNAL_TABLE_PREFIX}_${role}_${createHash('sha256').update(name).digest('hex').slice(0, 32)}`;
}

export const schemaOf = (table: TableRef, schema: string) => table.database ?? schema;
export const tableKey = (table: TableRef, schema: string) => `${schemaOf(table, schema)}.${table.name}`;
export const watermarks = (schema: string) =>
  `${quoteIdentifier(schema)}.${quoteIdentifier(`${INTERNAL_TABLE_PREFIX}_watermarks`)}`;
export const stateOf = (table: TableRef): TableRef => ({
  database: table.database,
  name: internalName('state', table.name),
});
const sourceOf = (key: string): TableRef => {
  const dot = key.indexOf('.');
  return { database: key.slice(0, dot), name: key.slice(dot + 1) };
};

export const watermarksExist = (client: PgPoolClient, schema: string) =>
  tableExists(client, { database: schema, name: `${INTERNAL_TABLE_PREFIX}_watermarks` }, schema);

export async function ensureWatermarks(client: PgPoolClient, schema: string): Promise<void> {
  const columns = 'dynamic_table text NOT NULL, source text NOT NULL, snapshot text NOT NULL';
  const create = `CREATE TABLE IF NOT EXISTS ${watermarks(schema)} (${columns}, PRIMARY KEY (dynamic_table, source))`;
  await run(client, sql(create));
}

export async function watermarksOf(
  client: PgPoolClient,
  table: TableRef,
  schema: string,
): Promise<Map<string, string>> {
  const select = sql(`SELECT source, snapshot FROM ${watermarks(schema)} WHERE dynamic_table = $1`);
  const rows = await run<{ source: string; snapshot: string }>(client, select, [tableKey(table, schema)]);
  return new Map(rows.rows.map((row) => [row.source, row.snapshot]));
}

export async function prune(client: PgPoolClient, source: TableRef, schema: string): Promise<void> {
  const select = sql(`SELECT snapshot FROM ${watermarks(schema)} WHERE source = $1`);
  const rows = await run<{ snapshot: string }>(client, select, [tableKey(source, schema)]);
  if (rows.rows.length > 0)
    await pruneChanges(
      client,
      source,
      schema,
      rows.rows.map((row) => row.snapshot),
    );
}

/**
 * Inside the caller's transaction: forgets `table`'s watermarks and group state, so that its next incremental
 * refresh starts with a full one; returns the sources it read. Every refresh that writes the table another way
 * calls this.
 */
export async function forgetIncremental(client: PgPoolClient, table: TableRef, schema: string): Promise<TableRef[]> {
  if (!(await watermarksExist(client, schema))) return [];
  const forget = sql(`DELETE FROM ${watermarks(schema)} WHERE dynamic_table = $1 RETURNING source`);
  const deleted = await run<{ source: string }>(client, forget, [tableKey(table, schema)]);
  await run(client, sql(`DROP TABLE IF EXISTS ${qualifiedName(stateOf(table), schema)}`));
  return deleted.rows.map((row) => sourceOf(row.source));
}

/** Inside the caller's transaction: forgets `table`'s state and removes capture no other table needs. */
export async function releaseWithin(client: PgPoolClient, table: TableRef, schema: string): Promise<void> {
  const sources = await forgetIncremental(client, table, schema);
  const index = `${quoteIdentifier(schemaOf(table, schema))}.${quoteIdentifier(internalName('ix', table.name))}`;
  await run(client, sql(`DROP INDEX IF EXISTS ${index}`));
  for (const source of sources) {
    const readers = sql(`SELECT 1 FROM ${watermarks(schema)} WHERE source = $1 LIMIT 1`);
    const still = await run(client, readers, [tableKey(source, schema)]);
    if ((still.rowCount ?? 0) === 0) await removeCapture(client, source, schema);
  }
}

export function releaseIncremental(pool: PgPool, table: TableRef, schema: string): Promise<void> {
  return inTransaction(pool, (client) => releaseWithin(client, table, schema));
}
