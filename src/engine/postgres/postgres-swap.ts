/**
 * Giving a table's name to a replacement built aside, inside the caller's transaction (PostgreSQL's DDL is
 * transactional): a rebuild's new table, rows streamed in from another catalog, a staged result published.
 */
import { FreshetError, validationError } from '../../errors';
import type { TableDefinition, TableRef } from '../engine';
import type { PgPoolClient } from './postgres-driver';
import { tableExists } from './postgres-introspection';
import { run } from './postgres-pool';
import { qualifiedName, quoteIdentifier } from './postgres-sql';

const DEPENDENT_OBJECTS_STILL_EXIST = '2BP01';

/** Drops the target (after counting its rows) so a replacement can take its name; views on it stop that. */
async function dropTarget(client: PgPoolClient, target: TableRef, schema: string): Promise<number> {
  if (!(await tableExists(client, target, schema))) return 0;
  const counted = await run<{ n: number }>(client, {
    sql: `SELECT count(*) AS n FROM ${qualifiedName(target, schema)}`,
    client: null,
  });
  try {
    await run(client, { sql: `DROP TABLE ${qualifiedName(target, schema)}`, client: null });
  } catch (error) {
    const cause =
      error instanceof FreshetError ? (error.cause as { code?: unknown; detail?: unknown } | undefined) : undefined;
    if (cause?.code !== DEPENDENT_OBJECTS_STILL_EXIST) throw error;
    throw validationError(
      `PostgreSQL: cannot replace table ${quoteIdentifier(target.name)} by its new definition while other objects ` +
        `depend on it ` +
        `(${String(cause.detail ?? 'views or foreign keys')}); drop them first and create them again afterwards.`,
      { cause: error },
    );
  }
  return Number(counted.rows[0]?.n ?? 0);
}

/**
 * Inside the caller's transaction: drops the target and gives its name to a replacement table built aside,
 * whose primary key constraint (named `replacementKey`) takes the target's usual `<name>_pkey`. Returns the
 * rows the old table had.
 */
export async function swapIn(
  client: PgPoolClient,
  replacement: TableRef,
  replacementKey: string,
  definition: TableDefinition,
  schema: string,
): Promise<number> {
  const target = definition.table;
  const rowsDeleted = await dropTarget(client, target, schema);
  await renameTable(client, replacement, replacementKey, definition.primaryKey, target.name, schema);
  return rowsDeleted;
}

/** Inside the caller's transaction: renames a table and its primary key constraint (to `<name>_pkey`). */
export async function renameTable(
  client: PgPoolClient,
  table: TableRef,
  key: string,
  primaryKey: readonly string[] | null,
  name: string,
  schema: string,
): Promise<void> {
  await run(client, {
    sql: `ALTER TABLE ${qualifiedName(table, schema)} RENAME TO ${quoteIdentifier(name)}`,
    client: null,
  });
  if (primaryKey !== null && primaryKey.length > 0) {
    await run(client, {
      sql:
        `ALTER TABLE ${qualifiedName({ database: table.database, name }, schema)} RENAME CONSTRAINT ` +
        `${quoteIdentifier(key)} TO ${quoteIdentifier(`${name}_pkey`)}`,
      client: null,
    });
  }
}
