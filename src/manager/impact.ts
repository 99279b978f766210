/**
 * What a schema change of a table does to the dynamic tables that read it (PostgreSQL's rule for views): a change
 * that removes, renames or retypes a column a direct reader reads, or removes or renames the table itself, is
 * refused before anything changes, naming each reader and column; anything else goes through.
 *
 * The check is static and the same on every engine (MySQL and MariaDB commit DDL at once, so nothing could be
 * tried and rolled back there): the columns each reader reads come from its stored query (node-sql-parser's
 * column references, off the event loop), and what the change does to each column from the new definition (ALTER
 * … AS) or the ALTER TABLE's text. Where it cannot tell, it assumes the worst: a column named without a table is
 * read from every source that has it, `*` reads every column, a query it cannot read reads every column, and an
 * ALTER TABLE it cannot read changes every column.
 */
import type { DynamicTableRecord } from '../catalog/records';
import type { Engine } from '../engine/engine';
import { FreshetError } from '../errors';
import type { ColumnInfo } from '../model';
import { columnRefsOffLoop } from '../sql/analysis-thread';
import { DependencyGraph } from './dependencies';
import type { ManagerParts } from './manager-parts';

/** A change of one table's columns, as the check needs it. */
export interface SchemaChange {
  /** Key and identifier of the table that changes. */
  readonly key: string;
  readonly identifier: string;
  /** Its columns before the change. */
  readonly columns: readonly ColumnInfo[];
  /** Lower-cased column name → what becomes of it (`would be dropped`); columns not listed stay as they are. */
  readonly fates: ReadonlyMap<string, string>;
  /** What becomes of the table itself (`would be dropped`), or null when it stays. */
  readonly tableFate: string | null;
}

/** One direct reader of the changed table. */
export interface ReaderImpact {
  /** The reader's identifier. */
  readonly table: string;
  /** The columns of the changed table it reads, as the table names them. */
  readonly reads: readonly string[];
  /** Those of them the change breaks. */
  readonly columns: readonly string[];
  /** What breaks, or null when nothing does. */
  readonly problem: string | null;
}

export interface Impact {
  readonly identifier: string;
  readonly readers: readonly ReaderImpact[];
}

/** Which direct readers of the changed table read what, and what the change breaks for each. */
export async function impactOf(parts: ManagerParts, change: SchemaChange): Promise<Impact> {
  const graph = await DependencyGraph.load(parts.catalog);
  const readers: ReaderImpact[] = [];
  for (const key of graph.downstreamOf(change.key)) {
    const reader = graph.table(key);
    if (reader === undefined) continue;
    const reads = await columnsRead(parts, reader, change);
    if (change.tableFate !== null) {
      readers.push({
        table: reader.identifier,
        reads,
        columns: reads,
        problem: `${change.identifier} ${change.tableFate}`,
      });
      continue;
    }
    const columns = reads.filter((column) => change.fates.has(column.toLowerCase()));
    const problem =
      columns.length === 0
        ? null
        : columns.map((column) => `${column} ${change.fates.get(column.toLowerCase()) ?? ''}`.trim()).join('; ');
    readers.push({ table: reader.identifier, reads, columns, problem });
  }
  return { identifier: change.identifier, readers };
}

/** Throws 409 INVALID_STATE naming every reader and column the change breaks; `action` is what was asked. */
export function refuseIfBreaking(impact: Impact, action: string): void {
  const broken = impact.readers.filter((reader) => reader.problem !== null);
  if (broken.length === 0) return;
  throw new FreshetError('INVALID_STATE', breakingMessage(impact, action), {
    details: {
      table: impact.identifier,
      dependents: broken.map(({ table, columns, problem }) => ({ table, columns, problem })),
    },
  });
}

export function breakingMessage(impact: Impact, action: string): string {
  const clauses = impact.readers
    .filter((reader) => reader.problem !== null)
    .map((reader) => {
      const what =
        reader.columns.length === 0
          ? impact.identifier
          : `column${reader.columns.length === 1 ? '' : 's'} ${reader.columns.join(', ')} of ${impact.identifier}`;
      return `dynamic table ${reader.table} reads ${what} (${reader.problem})`;
    });
  return (
    `Cannot ${action}: ${clauses.join('; ')}. ` +
    'Alter or drop those dynamic tables first, or keep the columns they read as they are.'
  );
}

/** The impact as EXPLAIN shows it: one row per reader, and whether the change would be refused. */
export function impactRows(impact: Impact, action: string): Array<[string, string]> {
  const rows: Array<[string, string]> = impact.readers.map((reader) => [
    `dependent ${reader.table}`,
    `reads ${reader.reads.length === 0 ? 'no column by name' : reader.reads.join(', ')}` +
      (reader.problem === null ? '; not affected' : `; breaks: ${reader.problem}`),
  ]);
  if (rows.length === 0) rows.push(['dependents', '(none)']);
  const refused = impact.readers.some((reader) => reader.problem !== null);
  rows.push(['schema change', refused ? `would be refused: ${breakingMessage(impact, action)}` : 'allowed']);
  return rows;
}

/**
 * The columns of the changed table that `reader` reads, as the table names them: named with the table (or an
 * alias of it), named without a table when the changed table has such a column, or all of them for `*` or a
 * query that cannot be read.
 */
async function columnsRead(parts: ManagerParts, reader: DynamicTableRecord, change: SchemaChange): Promise<string[]> {
  return (await readsOf(parts, reader, change)).columns;
}

/**
 * The columns of `table` (its key and columns) that `reader` reads, and whether it reads every column (`*`, or a
 * query that cannot be read), which new columns of the table reach too.
 */
export async function readsOf(
  parts: ManagerParts,
  reader: DynamicTableRecord,
  table: Pick<SchemaChange, 'key' | 'columns'>,
): Promise<{ columns: string[]; everything: boolean }> {
  const engine = parts.namespaces.engineOf(parts.namespaces.queryNamespaceOf(reader).catalogName);
  const refs = await columnRefsOffLoop(reader.definitionQuery, engine.dialect).catch(() => null);
  const all = table.columns.map((column) => column.name);
  if (refs === null) return { columns: all, everything: true };
  const bare = (table.key.split('.').at(-1) ?? '').toLowerCase();
  const byName = new Map(all.map((name) => [name.toLowerCase(), name]));
  const read = new Set<string>();
  for (const ref of refs) {
    if (ref.table !== null && ref.table.toLowerCase() !== bare) continue;
    if (ref.column === '*') return { columns: all, everything: true };
    const name = byName.get(ref.column.toLowerCase());
    if (name !== undefined) read.add(name);
  }
  return { columns: all.filter((name) => read.has(name)), everything: false };
}

/** What a new definition (ALTER … AS, CREATE OR ALTER) does to the columns of dynamic table `table`. */
export function definitionChange(
  table: DynamicTableRecord,
  schema: readonly ColumnInfo[],
  engine: Engine,
): SchemaChange {
  const fates = new Map<string, string>();
  const after = new Map(schema.map((column) => [column.name.toLowerCase(), column]));
  for (const column of table.schema) {
    const now = after.get(column.name.toLowerCase());
    if (now === undefined) fates.set(column.name.toLowerCase(), 'would no longer be a column');
    else if (incompatibleTypes(engine, column.type, now.type)) {
      fates.set(column.name.toLowerCase(), `would change type from ${column.type} to ${now.type}`);
    }
  }
  return { key: table.key, identifier: table.identifier, columns: table.schema, fates, tableFate: null };
}

/**
 * Whether a column's new type reads differently from the old one: another kind of type (number, text, time, …).
 * A type the engine does not name (SQLite expressions) is compatible with any.
 */
export function incompatibleTypes(engine: Engine, before: string, after: string): boolean {
  if (before.trim() === '' || after.trim() === '') return false;
  return engine.types.toPortable(before).family !== engine.types.toPortable(after).family;
}
