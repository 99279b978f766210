/**
 * What a pass-through statement would do on MySQL or MariaDB, without running it. MariaDB's `EXPLAIN
 * FORMAT=JSON` cannot say what is written: an INSERT … SELECT shows only the table read, and a multi-table UPDATE
 * or DELETE lists every table joined without marking the ones changed. So the statement is read from its tokens,
 * lexed as the server lexes (`#` comments, backslash escapes, and the `/*! … *​/` comments MySQL executes):
 * a multi-table UPDATE writes the tables its SET assigns (an unqualified column: the joined tables that have it,
 * asked of information_schema), a multi-table DELETE the tables it lists before FROM or USING.
 */
import type { Pool } from 'mysql2/promise';
import type { StatementEffects, TableRef } from '../engine';
import { type LexerRules, type SqlToken, lexStatement } from '../statement-lexer';
import {
  type NameParts,
  TokenWalk,
  calledFunction,
  droppedSchemas,
  hasWords,
  mainVerbIndex,
  writtenNames,
} from '../statement-writes';
import { run } from './mysql-pool';

export const MYSQL_LEXER: LexerRules = {
  hashComments: true,
  dashCommentNeedsSpace: true,
  nestedComments: false,
  executableComments: true,
  backslashStrings: true,
  dollarQuotes: false,
  doubleQuotedStrings: true,
  foldToLowerCase: false,
};

/** Statements that read or write the server's (or the gateway's) files, load code, or change the session. */
export function mysqlEscape(tokens: readonly SqlToken[]): string | null {
  const verb = tokens[0]?.keyword ?? '';
  if (verb === 'LOAD' && ['DATA', 'XML'].includes(tokens[1]?.keyword ?? '')) return `LOAD ${tokens[1]?.keyword} INFILE`;
  if (hasWords(tokens, 'INTO', 'OUTFILE')) return 'SELECT … INTO OUTFILE';
  if (hasWords(tokens, 'INTO', 'DUMPFILE')) return 'SELECT … INTO DUMPFILE';
  if (calledFunction(tokens, new Set(['load_file'])) !== null) return 'LOAD_FILE()';
  if (verb === 'INSTALL' || verb === 'UNINSTALL') return `${verb} ${tokens[1]?.keyword ?? 'PLUGIN'}`;
  if (verb === 'CREATE' && hasWords(tokens, 'SONAME')) return 'CREATE FUNCTION … SONAME';
  // MariaDB's SET STATEMENT … FOR <statement> changes variables for that one statement only.
  if (verb === 'SET' && tokens[1]?.keyword !== 'STATEMENT') return 'SET';
  if (verb === 'USE') return 'USE';
  // MariaDB runs the SQL text an expression builds, which cannot be inspected before it runs.
  if (verb === 'EXECUTE' && tokens[1]?.keyword === 'IMMEDIATE') return 'EXECUTE IMMEDIATE';
  return null;
}

interface TableReference {
  readonly table: NameParts;
  readonly alias: string | null;
}

const REFERENCE_END = new Set(['SET', 'WHERE', 'ORDER', 'LIMIT', 'USING', 'RETURNING']);
const NEXT_REFERENCE = new Set(['JOIN', 'STRAIGHT_JOIN']);
const NOT_ALIAS = new Set([
  'ON',
  'USING',
  'JOIN',
  'INNER',
  'LEFT',
  'RIGHT',
  'CROSS',
  'NATURAL',
  'OUTER',
  'STRAIGHT_JOIN',
  'FORCE',
  'USE',
  'IGNORE',
  'PARTITION',
  ...REFERENCE_END,
]);

/** The tables of a FROM-style list from `start` (joins, commas, derived tables skipped), up to `end`. */
function tableReferences(tokens: readonly SqlToken[], start: number, depth: number): TableReference[] {
  const found: TableReference[] = [];
  const walk = new TokenWalk(tokens, start);
  let expectTable = true;
  // Commas separate tables only at the level the last table sat at, not inside a function call or IN list.
  let level = depth;
  while (walk.at < tokens.length) {
    const token = walk.peek() as SqlToken;
    if (token.depth === depth && REFERENCE_END.has(token.keyword)) break;
    if (token.depth < depth) break;
    if (expectTable && (token.kind === 'word' || token.kind === 'identifier') && !NOT_ALIAS.has(token.keyword)) {
      level = token.depth;
      const table = walk.name() as NameParts;
      walk.accept('AS');
      const alias = walk.peek();
      const named = alias !== undefined && alias.kind !== 'symbol' && !NOT_ALIAS.has(alias.keyword);
      if (named) walk.at += 1;
      found.push({ table, alias: named ? (alias as SqlToken).value : null });
      expectTable = false;
      continue;
    }
    if (token.kind === 'symbol' && token.value === ',' && token.depth <= level) expectTable = true;
    else if (NEXT_REFERENCE.has(token.keyword)) expectTable = true;
    else if (token.keyword === 'ON') expectTable = false;
    walk.at += 1;
  }
  return found;
}

const same = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();

/** The reference a target (`a`, `a.*`, `db.t`) names: an alias first, else a table of that name. */
function referenceOf(target: NameParts, references: readonly TableReference[]): TableReference | null {
  const name = target[target.length - 1] as string;
  if (target.length === 1) {
    const aliased = references.find((reference) => reference.alias !== null && same(reference.alias, name));
    if (aliased !== undefined) return aliased;
  }
  return (
    references.find((reference) => {
      const table = reference.table;
      if (!same(table[table.length - 1] as string, name)) return false;
      return target.length === 1 || same(table[table.length - 2] ?? '', target[target.length - 2] as string);
    }) ?? null
  );
}

/** `DELETE a, b FROM …` and `DELETE FROM a, b USING …`: the listed targets, through the references' aliases. */
function multiDeleteTargets(tokens: readonly SqlToken[], verb: number): NameParts[] | null {
  const walk = new TokenWalk(tokens, verb + 1);
  walk.skip('LOW_PRIORITY', 'QUICK', 'IGNORE');
  const usingForm = walk.accept('FROM');
  const targets = walk.names().map((parts) => (parts[parts.length - 1] === '*' ? parts.slice(0, -1) : parts));
  const depth = tokens[verb]?.depth ?? 0;
  const separator = walk.peek();
  if (separator?.keyword !== (usingForm ? 'USING' : 'FROM') || separator.depth !== depth) return null;
  const references = tableReferences(tokens, walk.at + 1, depth);
  return targets.map((target) => referenceOf(target, references)?.table ?? target);
}

/** `UPDATE a JOIN b … SET a.x = …, y = …`: the references assigned to; `unqualified` holds bare column names. */
function multiUpdateTargets(tokens: readonly SqlToken[], verb: number) {
  const depth = tokens[verb]?.depth ?? 0;
  const walk = new TokenWalk(tokens, verb + 1);
  walk.skip('LOW_PRIORITY', 'IGNORE');
  const references = tableReferences(tokens, walk.at, depth);
  const set = tokens.findIndex((token, index) => index > verb && token.depth === depth && token.keyword === 'SET');
  if (references.length < 2 || set < 0) return null;
  const assigned: TableReference[] = [];
  const unqualified: string[] = [];
  for (let index = set; index < tokens.length; index += 1) {
    const token = tokens[index] as SqlToken;
    if (token.depth !== depth) continue;
    if (token.keyword === 'WHERE' || token.keyword === 'ORDER' || token.keyword === 'LIMIT') break;
    if (token.keyword !== 'SET' && !(token.kind === 'symbol' && token.value === ',')) continue;
    const column = new TokenWalk(tokens, index + 1).name();
    if (column === null) continue;
    if (column.length === 1) unqualified.push(column[0] as string);
    else assigned.push(referenceOf(column.slice(0, -1), references) ?? { table: column.slice(0, -1), alias: null });
  }
  return { references, assigned, unqualified };
}

function resolve(parts: NameParts, database: string): TableRef {
  return { database: parts.length > 1 ? (parts[parts.length - 2] as string) : database, name: parts.at(-1) as string };
}

/** The joined tables that have one of `columns` (what MySQL would assign an unqualified column to). */
async function tablesWithColumns(pool: Pool, tables: readonly TableRef[], columns: readonly string[]) {
  if (columns.length === 0) return [];
  const found = await run<{ db: string; name: string }>(
    pool,
    {
      sql:
        'SELECT DISTINCT TABLE_SCHEMA AS db, TABLE_NAME AS name FROM information_schema.COLUMNS ' +
        `WHERE (${tables.map(() => '(TABLE_SCHEMA = ? AND TABLE_NAME = ?)').join(' OR ')}) ` +
        `AND COLUMN_NAME IN (${columns.map(() => '?').join(', ')})`,
      client: null,
    },
    [...tables.flatMap((table) => [table.database, table.name]), ...columns],
  );
  const hits = tables.filter((table) =>
    found.rows.some((row) => same(row.db, table.database ?? '') && same(row.name, table.name)),
  );
  return hits.length > 0 ? hits : [...tables];
}

function distinct(tables: readonly TableRef[]): TableRef[] {
  const seen = new Map<string, TableRef>();
  for (const table of tables) seen.set(JSON.stringify([table.database, table.name]), table);
  return [...seen.values()];
}

/** See the file comment. Runs nothing the statement asks for. */
export async function inspectStatement(pool: Pool, sql: string, database: string): Promise<StatementEffects> {
  const tokens = lexStatement(sql, MYSQL_LEXER);
  const escapes = mysqlEscape(tokens);
  const verb = mainVerbIndex(tokens);
  const keyword = tokens[verb]?.keyword ?? '';
  const deleted = keyword === 'DELETE' ? multiDeleteTargets(tokens, verb) : null;
  const updated = keyword === 'UPDATE' ? multiUpdateTargets(tokens, verb) : null;
  const handled = deleted !== null || updated !== null ? verb : -1;
  const writes = writtenNames(tokens, handled).map((parts) => resolve(parts, database));
  if (deleted !== null) writes.push(...deleted.map((parts) => resolve(parts, database)));
  if (updated !== null) {
    writes.push(...updated.assigned.map((reference) => resolve(reference.table, database)));
    const joined = updated.references.map((reference) => resolve(reference.table, database));
    writes.push(...(await tablesWithColumns(pool, joined, updated.unqualified)));
  }
  writes.push(...(await tablesOfDatabases(pool, droppedSchemas(tokens))));
  return { writes: distinct(await throughViews(pool, writes, database)), escapes };
}

/** Every table of databases a statement drops. */
async function tablesOfDatabases(pool: Pool, databases: readonly string[]): Promise<TableRef[]> {
  if (databases.length === 0) return [];
  const found = await run<{ db: string; name: string }>(
    pool,
    {
      sql:
        'SELECT TABLE_SCHEMA AS db, TABLE_NAME AS name FROM information_schema.TABLES ' +
        `WHERE TABLE_TYPE = 'BASE TABLE' AND TABLE_SCHEMA IN (${databases.map(() => '?').join(', ')})`,
      client: null,
    },
    databases,
  );
  return found.rows.map((row) => ({ database: row.db, name: row.name }));
}

/**
 * Writes through an updatable view change the tables it reads: those are added (views over views too, a few
 * levels deep), read from the view's definition as the server stores it.
 */
async function throughViews(pool: Pool, writes: readonly TableRef[], database: string): Promise<TableRef[]> {
  const all = [...writes];
  let pending = [...writes];
  for (let level = 0; level < 4 && pending.length > 0; level += 1) {
    const views = await run<{ db: string; definition: string }>(
      pool,
      {
        sql:
          'SELECT TABLE_SCHEMA AS db, VIEW_DEFINITION AS definition FROM information_schema.VIEWS WHERE ' +
          pending.map(() => '(TABLE_SCHEMA = ? AND TABLE_NAME = ?)').join(' OR '),
        client: null,
      },
      pending.flatMap((table) => [table.database ?? database, table.name]),
    );
    pending = views.rows.flatMap((view) => {
      const tokens = lexStatement(view.definition, MYSQL_LEXER);
      const from = tokens.findIndex((token) => token.keyword === 'FROM' && token.depth === 0);
      if (from < 0) return [];
      return tableReferences(tokens, from + 1, 0).map((reference) => resolve(reference.table, view.db));
    });
    all.push(...pending);
  }
  return all;
}
