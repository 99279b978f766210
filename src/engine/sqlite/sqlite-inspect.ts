/**
 * What a pass-through statement would do (worker side), read from the program SQLite compiles for it
 * (`EXPLAIN <statement>`, which prepares and lists it without running it): the b-trees it opens for writing,
 * clears or destroys, the functions it calls, whether it vacuums into a file or creates temporary objects. The
 * listing includes the programs of the triggers and foreign-key actions the statement fires, so a write that
 * happens through a trigger is seen too. better-sqlite3 offers no authorizer, and the program is what SQLite
 * will run, whatever the spelling: comments, CTE prefixes, quoting, case and schema prefixes change nothing.
 *
 * A PRAGMA's program holds its answer rather than saying what it is, so PRAGMAs are judged by name: only
 * read-only introspection is allowed, in both the statement and the table-valued (`pragma_<name>`) form.
 */
import type { Database } from 'better-sqlite3';
import type { StatementEffects, TableRef } from '../engine';
import {
  OUTSIDE_FUNCTIONS,
  createdKind,
  leadingStatement,
  namedEscape,
  pragmaName,
  pragmaTakesValue,
  referencedTables,
  schemaChangeTargets,
  type LeadingStatement,
  type WrittenName,
} from './sqlite-statement-text';
import { READ_ONLY_PRAGMAS } from '../../sql/pragmas';

/**
 * Pragmas whose value may be read (`PRAGMA user_version`) but not set: reading them shows a number of the
 * database's header, no setting of the connection and no path.
 */
const READABLE_VALUE_PRAGMAS: ReadonlySet<string> = new Set([
  'user_version',
  'application_id',
  'schema_version',
  'data_version',
  'encoding',
  'page_count',
  'page_size',
  'freelist_count',
]);

/** Functions the program may call that reach outside the database (internal names included). */
const PROGRAM_FUNCTIONS: ReadonlyMap<string, string> = new Map([
  ...OUTSIDE_FUNCTIONS,
  ['sqlite_attach', 'ATTACH DATABASE'],
  ['sqlite_detach', 'DETACH DATABASE'],
  ['edit', 'edit()'],
]);

/** `OPFLAG_P2ISREG`: the b-tree's root page is in a register, i.e. a b-tree the statement itself creates. */
const ROOT_IN_REGISTER = 0x10;
/** The root page of `sqlite_schema` in every database. */
const SCHEMA_ROOT = 1;
const MAIN = 0;
const TEMP = 1;

type DroppedType = 'table' | 'index' | 'trigger';

const DROP_OPS: Readonly<Record<string, DroppedType>> = {
  DropTable: 'table',
  DropIndex: 'index',
  DropTrigger: 'trigger',
};

interface Op {
  readonly opcode: string;
  readonly p1: number;
  readonly p2: number;
  readonly p3: number;
  readonly p4: string | null;
  readonly p5: number;
}

/** What the program shows, before names are resolved. */
interface ProgramFacts {
  escape: string | null;
  /** Root pages in `main` opened for writing, cleared or destroyed. */
  readonly roots: Set<number>;
  /** Objects of `main` dropped by name (DROP TABLE / INDEX / TRIGGER), with their type. */
  readonly dropped: Map<string, DroppedType>;
  schemaChanged: boolean;
  createsTemp: boolean;
}

const pragmaLists = new WeakMap<Database, ReadonlySet<string>>();

function pragmasOf(db: Database): ReadonlySet<string> {
  let names = pragmaLists.get(db);
  if (names === undefined) {
    const rows = db.prepare('SELECT name FROM pragma_pragma_list').pluck().all() as string[];
    names = new Set(rows.map((name) => name.toLowerCase()));
    pragmaLists.set(db, names);
  }
  return names;
}

/**
 * Inspects one statement on `db` without running it. A statement SQLite cannot prepare throws the error its
 * execution would (so a table created between the check and the run cannot slip past the check).
 */
export function inspectStatement(db: Database, sql: string): StatementEffects {
  const lead = leadingStatement(sql);
  const named = namedEscape(sql, pragmasOf(db), READ_ONLY_PRAGMAS);
  if (lead.verb === 'PRAGMA') {
    const name = pragmaName(lead.text);
    const readable =
      name !== null &&
      (READ_ONLY_PRAGMAS.has(name) || (READABLE_VALUE_PRAGMAS.has(name) && !pragmaTakesValue(lead.text)));
    const escapes = readable ? named : `PRAGMA ${name ?? ''}`.trim();
    return { writes: [], escapes };
  }
  // Refused whatever else it does; and with nothing to compile, execution reports the empty statement.
  if (named !== null || lead.empty) return { writes: [], escapes: named };
  const effects = db.transaction(() => inspectProgram(db, lead))();
  // An EXPLAIN only describes the statement; what it would reach is still refused.
  return { writes: lead.explained ? [] : effects.writes, escapes: effects.escapes };
}

function inspectProgram(db: Database, lead: LeadingStatement): StatementEffects {
  // Reading the schema first makes this connection load the schema of this transaction's snapshot, so the
  // program below and the root pages read after it describe the same schema.
  db.prepare('SELECT 1 FROM main.sqlite_schema LIMIT 1').get();
  const ops = db.prepare(`EXPLAIN ${lead.text}`).all() as Op[];
  const facts = factsOf(ops);
  if (facts.createsTemp) facts.escape ??= `CREATE TEMP ${createdKind(lead.text) || 'TABLE'}`.trim();
  if (facts.escape !== null) return { writes: [], escapes: facts.escape };
  const names: WrittenName[] = [];
  if (facts.schemaChanged) {
    const targets = schemaChangeTargets(lead.text);
    if (targets.table !== null) names.push(targets.table);
    names.push(...targets.bodyWrites.map((name) => ({ schema: targets.table?.schema ?? null, name: name.name })));
    names.push(...referencedTables(lead.text));
  }
  // REINDEX rebuilds indexes from their tables' rows; it changes no table.
  const roots = lead.verb === 'REINDEX' ? new Set<number>() : facts.roots;
  return { writes: resolveWrites(db, roots, facts.dropped, names), escapes: null };
}

function factsOf(ops: readonly Op[]): ProgramFacts {
  const facts: ProgramFacts = {
    escape: null,
    roots: new Set(),
    dropped: new Map(),
    schemaChanged: false,
    createsTemp: false,
  };
  const written = (database: number, root: number) => {
    if (database > TEMP) facts.escape ??= 'ATTACH DATABASE';
    else if (root === SCHEMA_ROOT) facts.schemaChanged ||= database === MAIN;
    else if (database === MAIN) facts.roots.add(root);
  };
  for (const op of ops) {
    switch (op.opcode) {
      case 'OpenWrite':
        if ((op.p5 & ROOT_IN_REGISTER) === 0) written(op.p3, op.p2);
        break;
      case 'Clear':
        written(op.p2, op.p1);
        break;
      case 'Destroy':
        written(op.p3, op.p1);
        break;
      case 'DropTable':
      case 'DropIndex':
      case 'DropTrigger':
        if (op.p1 === MAIN && op.p4 !== null) facts.dropped.set(op.p4, DROP_OPS[op.opcode] as DroppedType);
        break;
      case 'Function':
      case 'PureFunc':
        facts.escape ??= PROGRAM_FUNCTIONS.get(functionName(op.p4)) ?? null;
        break;
      case 'Vacuum':
        // P2 holds the file name of VACUUM INTO; a plain VACUUM rewrites the database in place.
        if (op.p2 !== 0) facts.escape ??= 'VACUUM INTO';
        break;
      case 'ParseSchema':
        // Loading new objects into the connection's temp schema: they would outlive the statement.
        facts.createsTemp ||= op.p1 === TEMP && op.p4 !== null;
        break;
      case 'CreateBtree':
        facts.createsTemp ||= op.p1 === TEMP;
        break;
    }
  }
  return facts;
}

/** `load_extension(1)` → `load_extension`. */
function functionName(p4: string | null): string {
  return (p4 ?? '').replace(/\(.*$/, '').toLowerCase();
}

interface SchemaRow {
  readonly type: string;
  readonly name: string;
  readonly tbl_name: string;
  readonly rootpage: number | null;
}

const keyOf = (type: string, name: string) => `${type}:${name.toLowerCase()}`;

/** Root pages, dropped objects and names of `main`, as the tables they belong to (an index's, a trigger's). */
function resolveWrites(
  db: Database,
  roots: ReadonlySet<number>,
  dropped: ReadonlyMap<string, DroppedType>,
  names: readonly WrittenName[],
): TableRef[] {
  if (roots.size === 0 && dropped.size === 0 && names.length === 0) return [];
  const rows = db.prepare('SELECT type, name, tbl_name, rootpage FROM main.sqlite_schema').all() as SchemaRow[];
  const byRoot = new Map(rows.filter((row) => row.rootpage).map((row) => [row.rootpage, row]));
  const byName = new Map(rows.map((row) => [keyOf(row.type, row.name), row]));
  const tables = new Set<string>();
  // An index or trigger belongs to its table; for a table, tbl_name is its own name. Views have no rows.
  const tableOf = (row: SchemaRow | undefined) => {
    const table = row && byName.get(keyOf('table', row.tbl_name));
    if (table !== undefined) tables.add(table.name);
  };
  for (const root of roots) tableOf(byRoot.get(root));
  for (const [name, type] of dropped) tableOf(byName.get(keyOf(type, name)));
  for (const name of names) {
    if (name.schema === null || name.schema.toLowerCase() === 'main') tableOf(byName.get(keyOf('table', name.name)));
  }
  return [...tables].map((name) => ({ database: 'main', name }));
}
