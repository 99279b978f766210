/**
 * The names change capture gives things on PostgreSQL (changelogs, their columns, indexes and trigger functions),
 * and how it finds a relation: shared by installing capture and by reading the changes it logged.
 */
import { createHash } from 'node:crypto';
import type { TableRef } from '../engine';
import type { PgPoolClient } from './postgres-driver';
import { run } from './postgres-pool';
import { INTERNAL_TABLE_PREFIX, type Statement, qualifiedName } from './postgres-sql';

export const CHANGE_ID = '__change_id';
export const XID = '__xid';
export const OP = '__op';
export const CAPTURED_AT = '__captured_at';
export const META_COLUMNS = [CHANGE_ID, XID, OP, CAPTURED_AT];

/** A watermark: `xmin:xmax:xip,…`, the text form of a `pg_snapshot`. */
export const SNAPSHOT = /^\d+:\d+:(\d+(,\d+)*)?$/;

/** PostgreSQL's NAMEDATALEN − 1: longer identifiers are silently truncated. */
const MAX_IDENTIFIER_BYTES = 63;

/** `__freshet_<role>_<table>`, with a hash of the table name instead when that is too long an identifier. */
function internalName(role: string, table: string): string {
  const readable = `${INTERNAL_TABLE_PREFIX}_${role}_${table}`;
  if (Buffer.byteLength(readable) <= MAX_IDENTIFIER_BYTES) return readable;
  return `${INTERNAL_TABLE_PREFIX}_${role}_${createHash('sha256').update(table).digest('hex').slice(0, 32)}`;
}

/** The changelog table of a source table (in the source's schema). */
export function changelogName(table: string): string {
  return internalName('changes', table);
}

export const indexName = (table: string) => internalName('xidx', table);
export const functionName = (table: string) => internalName('capture', table);

export const statement = (sql: string): Statement => ({ sql, client: null });

export const schemaOf = (table: TableRef, schema: string) => table.database ?? schema;
export const inSchema = (table: TableRef, schema: string, name: string): string =>
  qualifiedName({ database: schemaOf(table, schema), name }, schema);

export interface Relation {
  readonly oid: number;
  /** pg_class.relkind: `r` a plain table, `p` a partitioned one, `v` a view, … */
  readonly kind: string;
  /** Whether the relation is a partition, has partitions, or is a parent or child in an inheritance tree. */
  readonly inHierarchy: boolean;
}

export async function relationOf(client: PgPoolClient, schema: string, name: string): Promise<Relation | null> {
  const result = await run<Relation>(
    client,
    statement(
      'SELECT c.oid, c.relkind AS kind, EXISTS (SELECT 1 FROM pg_catalog.pg_inherits i ' +
        'WHERE i.inhrelid = c.oid OR i.inhparent = c.oid) AS "inHierarchy" ' +
        'FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace ' +
        'WHERE n.nspname = $1 AND c.relname = $2',
    ),
    [schema, name],
  );
  return result.rows[0] ?? null;
}
