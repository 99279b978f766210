/**
 * Change capture for PostgreSQL source tables: statement-level triggers append every INSERT, UPDATE, DELETE
 * and TRUNCATE of a source table `schema.t` to its changelog, `schema.__freshet_changes_<t>` (a hash instead
 * of `<t>` when the name would be too long), which continuous dynamic tables read from their watermark on.
 * Capture is per source table and shared by every dynamic table that reads it; the caller installs it for the
 * first such table and removes it after the last.
 *
 * Changelog rows carry `__change_id` (insertion order), `__xid` (the writing transaction), `__op` (`I`, `D` or
 * `T`), `__captured_at`, and then one column per source column, same names, same order, same types (domains
 * replaced by their base types, so that a `NOT NULL` domain cannot refuse the data-less `T` row). An UPDATE is
 * logged as a `D` of every old row and an `I` of every new one, also when nothing changed; a TRUNCATE as one
 * `T` row with NULL data, after which readers must refresh fully. Rows inserted and deleted again between two
 * reads show up in both sets, so consumers apply the two sets as multisets. Stored generated columns are
 * captured with their values.
 *
 * The triggers read transition tables, so a statement costs one INSERT … SELECT into the changelog whatever
 * number of rows it touches. They are created ENABLE ALWAYS, so sessions with `session_replication_role =
 * replica` are captured too; the apply process of logical replication, however, fires no statement triggers,
 * so a table filled by a subscription is not captured.
 *
 * Consumers track visibility, not ids: a watermark is a `pg_snapshot` (text form), the changes a consumer has
 * not applied are the changelog rows whose `__xid` that snapshot does not see, read in a REPEATABLE READ
 * transaction, and the new watermark is {@link currentSnapshot} read in that same transaction. Change ids
 * would not do: a transaction that logged early may commit after a later one, and a reader that stored the
 * highest id it saw would skip its changes for good.
 *
 * Only plain tables outside any inheritance or partition hierarchy can be captured: statement triggers fire
 * on the table a statement names, so writes through a parent, or straight into a partition, would escape.
 *
 * Changes to the source table's schema after installation (the triggers read the columns by position):
 * - `ADD COLUMN`: the new column is not captured, so {@link captureMismatch} reports it; the caller removes
 *   and reinstalls capture and refreshes fully.
 * - `RENAME COLUMN`: values are still captured, under the old column name; reported as a mismatch the same way.
 * - `DROP COLUMN`, `ALTER COLUMN … TYPE`: reported as a mismatch; until capture is removed, values may land in
 *   the wrong changelog column, and writes to the table fail once it has fewer columns than were captured or a
 *   new type does not convert to the logged one. A pass-through ALTER TABLE therefore runs through
 *   {@link acrossSchemaChange}, which sets the triggers aside in the same transaction.
 * - `RENAME TO`, `SET SCHEMA`: the triggers follow the table but the changelog and the trigger function keep
 *   the old name; capture under the new name reads as not installed, and {@link removeCapture} under the old
 *   name also drops the triggers of the renamed table.
 * - `DROP TABLE`: PostgreSQL drops the triggers with the table; the changelog and the function stay until
 *   {@link removeCapture}.
 */
import { invalidState, validationError } from '../../errors';
import type { TableRef } from '../engine';
import {
  CAPTURED_AT,
  CHANGE_ID,
  META_COLUMNS,
  OP,
  XID,
  changelogName,
  functionName,
  inSchema,
  indexName,
  relationOf,
  schemaOf,
  statement,
  type Relation,
} from './postgres-capture-names';
import type { PgPoolClient } from './postgres-driver';
import { run } from './postgres-pool';
import { INTERNAL_TABLE_PREFIX, qualifiedName, quoteIdentifier } from './postgres-sql';

export { changelogName } from './postgres-capture-names';
export { changeSetSql, currentSnapshot, pendingChanges, pruneChanges } from './postgres-changelog';

/** Trigger names are per table, so they need not carry the table's name. */
const TRIGGERS = {
  INSERT: `${INTERNAL_TABLE_PREFIX}_capture_insert`,
  UPDATE: `${INTERNAL_TABLE_PREFIX}_capture_update`,
  DELETE: `${INTERNAL_TABLE_PREFIX}_capture_delete`,
  TRUNCATE: `${INTERNAL_TABLE_PREFIX}_capture_truncate`,
} as const;
const TRIGGER_NAMES: readonly string[] = Object.values(TRIGGERS);

const NEW_ROWS = `${INTERNAL_TABLE_PREFIX}_new`;
const OLD_ROWS = `${INTERNAL_TABLE_PREFIX}_old`;

interface Column {
  readonly name: string;
  readonly type: string;
}

/** Columns in order, each with its type, a domain replaced by the type it is ultimately based on. */
async function columnsOf(client: PgPoolClient, relation: number): Promise<Column[]> {
  const result = await run<Column>(
    client,
    statement(
      'SELECT a.attname AS name, pg_catalog.format_type(base.typ, base.typmod) AS type FROM pg_catalog.pg_attribute a ' +
        'CROSS JOIN LATERAL (WITH RECURSIVE chain (typ, typmod, depth) AS (' +
        'SELECT a.atttypid, a.atttypmod, 0 UNION ALL ' +
        `SELECT t.typbasetype, t.typtypmod, chain.depth + 1 FROM chain JOIN pg_catalog.pg_type t ON t.oid = ` +
        `chain.typ WHERE t.typtype = 'd'` +
        ') SELECT typ, typmod FROM chain ORDER BY depth DESC LIMIT 1) AS base ' +
        'WHERE a.attrelid = $1 AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum',
    ),
    [relation],
  );
  return result.rows;
}

async function changelogColumns(client: PgPoolClient, changelog: Relation): Promise<Column[]> {
  return (await columnsOf(client, changelog.oid)).slice(META_COLUMNS.length);
}

function sameColumns(a: readonly Column[], b: readonly Column[]): boolean {
  return a.length === b.length && a.every((column, i) => column.name === b[i]?.name && column.type === b[i]?.type);
}

const columnList = (columns: readonly Column[]) =>
  `(${columns.map((column) => `${quoteIdentifier(column.name)} ${column.type}`).join(', ')})`;

/** Why `relation` cannot be captured, or null when it can. */
function uncapturable(relation: Relation): string | null {
  if (relation.kind === 'v' || relation.kind === 'm') return 'it is a view (views cannot be captured)';
  if (relation.kind === 'p') return 'it is partitioned (writes straight into a partition would not be captured)';
  if (relation.kind !== 'r') return 'it is not a table';
  if (relation.inHierarchy)
    return (
      'it has an inheritance parent or children (writes through another table of the hierarchy would not be ' +
      'captured)'
    );
  return null;
}

/**
 * Why `table` cannot be captured (missing, a view, partitioned, in an inheritance hierarchy, one of Freshet's
 * own tables), or null when it can: what {@link installCapture} would refuse, asked without installing.
 */
export async function captureBlocker(client: PgPoolClient, table: TableRef, schema: string): Promise<string | null> {
  const name = qualifiedName(table, schema);
  if (table.name.startsWith(INTERNAL_TABLE_PREFIX)) return `${name} is one of Freshet's own tables`;
  const relation = await relationOf(client, schemaOf(table, schema), table.name);
  if (relation === null) return `${name} does not exist`;
  const reason = uncapturable(relation);
  return reason === null ? null : `changes of ${name} cannot be captured: ${reason}`;
}

/** A dollar-quote tag that `body` does not contain. */
function dollarTag(body: string): string {
  let tag = '$freshet$';
  for (let n = 1; body.includes(tag); n++) tag = `$freshet${n}$`;
  return tag;
}

/**
 * The trigger function: one INSERT … SELECT from the statement's transition tables per firing. The transition
 * table is aliased with the captured column names, so it is read by position and keeps working after a
 * column is added or renamed (see the module comment).
 */
function functionSql(fn: string, changelog: string, columns: readonly Column[]): string {
  const names = columns.map((column) => quoteIdentifier(column.name));
  const targets = [quoteIdentifier(OP), ...names].join(', ');
  const aliases = names.length === 0 ? '' : `(${names.join(', ')})`;
  const select = (op: 'I' | 'D', rows: string) =>
    `SELECT ${[`'${op}'`, ...names.map((name) => `r.${name}`)].join(', ')} FROM ${quoteIdentifier(rows)} AS r${aliases}`;
  const insert = (query: string) => `INSERT INTO ${changelog} (${targets}) ${query};`;
  const body = [
    'BEGIN',
    `  IF TG_OP = 'INSERT' THEN ${insert(select('I', NEW_ROWS))}`,
    `  ELSIF TG_OP = 'DELETE' THEN ${insert(select('D', OLD_ROWS))}`,
    `  ELSIF TG_OP = 'UPDATE' THEN ${insert(`${select('D', OLD_ROWS)} UNION ALL ${select('I', NEW_ROWS)}`)}`,
    `  ELSIF TG_OP = 'TRUNCATE' THEN INSERT INTO ${changelog} (${quoteIdentifier(OP)}) VALUES ('T');`,
    '  END IF;',
    '  RETURN NULL;',
    'END',
  ].join('\n');
  const tag = dollarTag(body);
  return `CREATE OR REPLACE FUNCTION ${fn}() RETURNS trigger LANGUAGE plpgsql AS ${tag}\n${body}\n${tag}`;
}

function triggerSql(source: string, fn: string, event: keyof typeof TRIGGERS): string {
  const referencing =
    event === 'INSERT'
      ? `REFERENCING NEW TABLE AS ${quoteIdentifier(NEW_ROWS)} `
      : event === 'DELETE'
        ? `REFERENCING OLD TABLE AS ${quoteIdentifier(OLD_ROWS)} `
        : event === 'UPDATE'
          ? `REFERENCING OLD TABLE AS ${quoteIdentifier(OLD_ROWS)} NEW TABLE AS ${quoteIdentifier(NEW_ROWS)} `
          : '';
  return `CREATE TRIGGER ${quoteIdentifier(TRIGGERS[event])} AFTER ${event} ON ${source} ${referencing}FOR EACH STATEMENT EXECUTE FUNCTION ${fn}()`;
}

/**
 * Installs capture on `table` (a null database is `schema`): creates its changelog, the trigger function and
 * the four statement triggers, inside the caller's transaction. Idempotent: installing again keeps the
 * changelog and its rows and recreates the function and the triggers, which also repairs a trigger dropped or
 * disabled by hand. Holds a SHARE ROW EXCLUSIVE lock on the table until the caller's transaction ends, so no
 * write is in flight while capture starts.
 * Throws VALIDATION_ERROR when the table does not exist, is a view or otherwise not a plain table outside any
 * hierarchy, is one of Freshet's own tables or has a column whose name the changelog reserves; INVALID_STATE
 * when capture is installed for different columns (names or types) than the table has now.
 */
export async function installCapture(client: PgPoolClient, table: TableRef, schema: string): Promise<void> {
  const source = qualifiedName(table, schema);
  if (table.name.startsWith(INTERNAL_TABLE_PREFIX)) {
    throw validationError(`Cannot capture changes of ${source}: it is one of Freshet's own tables.`);
  }
  const relation = await relationOf(client, schemaOf(table, schema), table.name);
  if (relation === null) {
    throw validationError(`Cannot capture changes of ${source}: there is no such table.`);
  }
  const reason = uncapturable(relation);
  if (reason !== null) throw validationError(`Cannot capture changes of ${source}: ${reason}.`);
  await run(client, statement(`LOCK TABLE ${source} IN SHARE ROW EXCLUSIVE MODE`));
  const columns = await columnsOf(client, relation.oid);
  const reserved = columns.find((column) => META_COLUMNS.includes(column.name));
  if (reserved !== undefined) {
    throw validationError(
      `Cannot capture changes of ${source}: its column ${quoteIdentifier(reserved.name)} has a name the changelog ` +
        `reserves (${META_COLUMNS.join(', ')}); rename the column.`,
    );
  }
  const changelog = inSchema(table, schema, changelogName(table.name));
  const existing = await relationOf(client, schemaOf(table, schema), changelogName(table.name));
  if (existing !== null) {
    const logged = await changelogColumns(client, existing);
    if (!sameColumns(logged, columns)) {
      throw invalidState(
        `Change capture of ${source} was installed for columns ${columnList(logged)} but the table now has ` +
          `${columnList(columns)}; remove capture and install it again.`,
      );
    }
  } else {
    // Data columns have no constraints and no defaults: they hold whatever the source held, and NULL in `T` rows.
    const data = columns.map((column) => `, ${quoteIdentifier(column.name)} ${column.type}`).join('');
    await run(
      client,
      statement(
        `CREATE TABLE ${changelog} (` +
          `${quoteIdentifier(CHANGE_ID)} bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, ` +
          `${quoteIdentifier(XID)} xid8 NOT NULL DEFAULT pg_catalog.pg_current_xact_id(), ` +
          `${quoteIdentifier(OP)} "char" NOT NULL CHECK (${quoteIdentifier(OP)} IN ('I', 'D', 'T')), ` +
          `${quoteIdentifier(CAPTURED_AT)} timestamptz NOT NULL DEFAULT pg_catalog.now()${data})`,
      ),
    );
  }
  await run(
    client,
    statement(
      `CREATE INDEX IF NOT EXISTS ${quoteIdentifier(indexName(table.name))} ON ${changelog} (${quoteIdentifier(XID)})`,
    ),
  );
  const fn = inSchema(table, schema, functionName(table.name));
  await run(client, statement(functionSql(fn, changelog, columns)));
  for (const event of Object.keys(TRIGGERS) as (keyof typeof TRIGGERS)[]) {
    const trigger = quoteIdentifier(TRIGGERS[event]);
    await run(client, statement(`DROP TRIGGER IF EXISTS ${trigger} ON ${source}`));
    await run(client, statement(triggerSql(source, fn, event)));
    await run(client, statement(`ALTER TABLE ${source} ENABLE ALWAYS TRIGGER ${trigger}`));
  }
}

/**
 * Removes capture from `table`: drops its triggers, its trigger function and its changelog with every change
 * in it. A no-op when nothing is installed; works also after the source table was dropped or renamed. No
 * watermark taken before removal says anything about a changelog created by a later reinstall.
 */
export async function removeCapture(client: PgPoolClient, table: TableRef, schema: string): Promise<void> {
  const source = qualifiedName(table, schema);
  // DROP TRIGGER IF EXISTS on a missing table is only a notice.
  for (const trigger of TRIGGER_NAMES)
    await run(client, statement(`DROP TRIGGER IF EXISTS ${quoteIdentifier(trigger)} ON ${source}`));
  // Only the capture triggers can depend on the function; CASCADE finds them on a renamed or moved table too.
  await run(
    client,
    statement(`DROP FUNCTION IF EXISTS ${inSchema(table, schema, functionName(table.name))}() CASCADE`),
  );
  await run(client, statement(`DROP TABLE IF EXISTS ${inSchema(table, schema, changelogName(table.name))}`));
}

interface TriggerState {
  readonly name: string;
  /** pg_trigger.tgenabled: `O` fires unless the session is a replica, `A` always, `R` only in replicas, `D` never. */
  readonly enabled: string;
}

async function triggersOf(client: PgPoolClient, relation: number): Promise<TriggerState[]> {
  const result = await run<TriggerState>(
    client,
    statement(
      'SELECT tgname AS name, tgenabled AS enabled FROM pg_catalog.pg_trigger WHERE tgrelid = $1 AND tgname = ANY ($2)',
    ),
    [relation, TRIGGER_NAMES],
  );
  return result.rows;
}

/** Whether `table` has a changelog and all four triggers (enabled or not). */
export async function captureInstalled(client: PgPoolClient, table: TableRef, schema: string): Promise<boolean> {
  const changelog = await relationOf(client, schemaOf(table, schema), changelogName(table.name));
  if (changelog === null) return false;
  const source = await relationOf(client, schemaOf(table, schema), table.name);
  return source !== null && (await triggersOf(client, source.oid)).length === TRIGGER_NAMES.length;
}

/**
 * Why capture of `table` cannot be trusted to hold every change, or null when it can: not installed, the
 * source table gone or no longer capturable, a trigger missing or disabled, or the table's columns (names
 * and types) no longer those the changelog records.
 */
export async function captureMismatch(client: PgPoolClient, table: TableRef, schema: string): Promise<string | null> {
  const name = qualifiedName(table, schema);
  const changelog = await relationOf(client, schemaOf(table, schema), changelogName(table.name));
  if (changelog === null) return `Change capture is not installed on ${name}.`;
  const source = await relationOf(client, schemaOf(table, schema), table.name);
  if (source === null) return `Table ${name}, whose changes were captured, no longer exists.`;
  const reason = uncapturable(source);
  if (reason !== null) return `Changes of ${name} cannot be captured completely: ${reason}.`;
  // Columns first: a change of them sets the triggers aside (acrossSchemaChange), and is the reason to report.
  const logged = await changelogColumns(client, changelog);
  const columns = await columnsOf(client, source.oid);
  if (!sameColumns(logged, columns)) {
    return `Change capture of ${name} records columns ${columnList(logged)} but the table now has ${columnList(columns)}.`;
  }
  const triggers = await triggersOf(client, source.oid);
  const missing = TRIGGER_NAMES.filter((trigger) => !triggers.some((found) => found.name === trigger));
  if (missing.length > 0)
    return `Change capture of ${name} lacks its trigger ${missing.join(', ')}; changes may have been lost.`;
  const disabled = TRIGGER_NAMES.filter((trigger) =>
    triggers.some((found) => found.name === trigger && found.enabled !== 'O' && found.enabled !== 'A'),
  );
  if (disabled.length > 0)
    return `Change capture of ${name} has its trigger ${disabled.join(', ')} disabled; changes may have been lost.`;
  return null;
}

/**
 * Runs `change`, which alters the columns of `table`, inside the caller's transaction with what keeps capture of
 * `table` honest: its triggers are dropped first (they read the columns by position, so writes would fail or
 * land in the wrong changelog columns) and put back only when they were all there and enabled and the columns
 * came out as the changelog records them. Otherwise the changelog stays as it was and {@link captureMismatch}
 * names the changed columns, so that the next reader refreshes fully and installs capture anew.
 */
export async function acrossSchemaChange<T>(
  client: PgPoolClient,
  table: TableRef,
  schema: string,
  change: () => Promise<T>,
): Promise<T> {
  const changelog = await relationOf(client, schemaOf(table, schema), changelogName(table.name));
  const source = await relationOf(client, schemaOf(table, schema), table.name);
  if (changelog === null || source === null) return change();
  const name = qualifiedName(table, schema);
  const triggers = await triggersOf(client, source.oid);
  const hadTriggers = TRIGGER_NAMES.every((trigger) =>
    triggers.some((found) => found.name === trigger && (found.enabled === 'O' || found.enabled === 'A')),
  );
  for (const trigger of TRIGGER_NAMES)
    await run(client, statement(`DROP TRIGGER IF EXISTS ${quoteIdentifier(trigger)} ON ${name}`));
  const result = await change();
  const after = await relationOf(client, schemaOf(table, schema), table.name);
  const same =
    after !== null && sameColumns(await changelogColumns(client, changelog), await columnsOf(client, after.oid));
  if (hadTriggers && same) {
    const fn = inSchema(table, schema, functionName(table.name));
    for (const event of Object.keys(TRIGGERS) as (keyof typeof TRIGGERS)[]) {
      await run(client, statement(triggerSql(name, fn, event)));
      await run(client, statement(`ALTER TABLE ${name} ENABLE ALWAYS TRIGGER ${quoteIdentifier(TRIGGERS[event])}`));
    }
  }
  return result;
}
