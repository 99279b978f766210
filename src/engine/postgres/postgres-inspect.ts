/**
 * What a pass-through statement would do on PostgreSQL, without running it. Data-modifying statements are
 * planned with `EXPLAIN (FORMAT JSON, VERBOSE)` — never ANALYZE, inside a READ ONLY transaction that is rolled
 * back, so not even a function the planner folds can write — and every ModifyTable node of the plan names a
 * written table as the server resolved it (an updatable view becomes its base table, a CTE's DELETE shows up).
 * Statements the planner cannot take (DDL, a statement with `$1` parameters) are read from their tokens, which
 * also back up the plan; unqualified names are resolved with the server's own search path (`to_regclass`).
 */
import type { StatementEffects, TableRef } from '../engine';
import { type LexerRules, type SqlToken, lexStatement } from '../statement-lexer';
import { type NameParts, calledFunction, droppedSchemas, leadingVerb, writtenNames } from '../statement-writes';
import type { PgPool, PgPoolClient } from './postgres-driver';
import { withClient } from './postgres-pool';
import { quoteIdentifier } from './postgres-sql';

export const POSTGRES_LEXER: LexerRules = {
  hashComments: false,
  dashCommentNeedsSpace: false,
  nestedComments: true,
  executableComments: false,
  backslashStrings: false,
  dollarQuotes: true,
  doubleQuotedStrings: false,
  foldToLowerCase: true,
};

/** Functions that read or write the server's files, or reach other servers. */
const FILE_FUNCTIONS: ReadonlySet<string> = new Set([
  'pg_read_file',
  'pg_read_binary_file',
  'pg_ls_dir',
  'pg_stat_file',
  'pg_ls_logdir',
  'pg_ls_waldir',
  'pg_ls_tmpdir',
  'pg_ls_archive_statusdir',
  'pg_file_write',
  'pg_file_rename',
  'pg_file_unlink',
  'pg_logdir_ls',
  'lo_import',
  'lo_export',
  'dblink',
  'dblink_exec',
  'dblink_connect',
  'dblink_connect_u',
  'dblink_send_query',
]);

/** Statement verbs refused outright, with the name the refusal gives. */
function refusedVerb(tokens: readonly SqlToken[]): string | null {
  const verb = leadingVerb(tokens);
  const second = tokens[1]?.keyword ?? '';
  switch (verb) {
    case 'COPY':
      // Server files and programs reach outside the database; STDIN/STDOUT copies have no client here.
      return 'COPY';
    case 'SET':
      // SET LOCAL and SET TRANSACTION end with the statement's own transaction.
      return ['LOCAL', 'TRANSACTION', 'CONSTRAINTS'].includes(second) ? null : 'SET';
    case 'RESET':
    case 'LISTEN':
    case 'LOAD':
      return verb;
    case 'ALTER':
      return alteredDefaults(tokens);
    default:
      return null;
  }
}

/**
 * `ALTER ROLE|USER|DATABASE … SET/RESET` changes the settings of every later connection (an ordinary role may
 * change its own), the engine's included; `ALTER SYSTEM` the server's.
 */
function alteredDefaults(tokens: readonly SqlToken[]): string | null {
  const what = tokens[1]?.keyword ?? '';
  if (what === 'SYSTEM') return 'ALTER SYSTEM';
  if (!['ROLE', 'USER', 'DATABASE'].includes(what)) return null;
  const sets = tokens.some(
    (token, index) => index > 1 && token.depth === 0 && ['SET', 'RESET'].includes(token.keyword),
  );
  return sets ? `ALTER ${what} … SET` : null;
}

/** The tokens of a statement and of every dollar-quoted body in it (function, DO and trigger bodies). */
function tokensWithBodies(sql: string): SqlToken[][] {
  const found: SqlToken[][] = [];
  const pending = [sql];
  while (pending.length > 0 && found.length < 64) {
    const tokens = lexStatement(pending.shift() as string, POSTGRES_LEXER);
    found.push(tokens);
    for (const token of tokens) if (token.kind === 'body') pending.push(token.value);
  }
  return found;
}

/** The escape, if any: a refused verb of the statement, or a file function called in it or in a body. */
export function postgresEscape(sql: string): string | null {
  const [statement = [], ...bodies] = tokensWithBodies(sql);
  const verb = refusedVerb(statement);
  if (verb !== null) return verb;
  for (const tokens of [statement, ...bodies]) {
    const called = calledFunction(tokens, FILE_FUNCTIONS);
    if (called !== null) return `${called}()`;
  }
  // A DO block that builds its SQL at run time (EXECUTE) cannot be inspected before it runs.
  if (leadingVerb(statement) === 'DO' && bodies.some((tokens) => tokens.some((token) => token.keyword === 'EXECUTE'))) {
    return 'DO … EXECUTE';
  }
  // A COPY inside a function or DO body runs with the same reach as one sent directly.
  for (const tokens of bodies) if (tokens.some((_token, index) => isCopyAt(tokens, index))) return 'COPY';
  return null;
}

function isCopyAt(tokens: readonly SqlToken[], index: number): boolean {
  if (tokens[index]?.keyword !== 'COPY') return false;
  const before = tokens[index - 1];
  return before === undefined || before.value === ';' || ['BEGIN', 'THEN', 'ELSE', 'LOOP'].includes(before.keyword);
}

const PLANNABLE = new Set(['WITH', 'INSERT', 'UPDATE', 'DELETE', 'MERGE', 'SELECT', 'VALUES', 'TABLE']);
const DML = new Set(['INSERT', 'UPDATE', 'DELETE', 'MERGE']);

interface PlanNode {
  readonly 'Node Type'?: string;
  readonly 'Relation Name'?: string;
  readonly Schema?: string;
  readonly Plans?: readonly PlanNode[];
  readonly 'Target Tables'?: readonly PlanNode[];
}

function modifiedTables(node: PlanNode, into: TableRef[]): void {
  if (node['Node Type'] === 'ModifyTable') {
    for (const target of [node, ...(node['Target Tables'] ?? [])]) {
      const name = target['Relation Name'];
      if (name !== undefined) into.push({ database: target.Schema ?? null, name });
    }
  }
  for (const child of node.Plans ?? []) modifiedTables(child, into);
}

/** The plan's written tables; null when the server will not plan the statement (the tokens then decide). */
async function plannedWrites(client: PgPoolClient, sql: string): Promise<TableRef[] | null> {
  await client.query({ text: 'SAVEPOINT freshet_inspect' });
  try {
    const text = `EXPLAIN (FORMAT JSON, VERBOSE)\n${sql.replace(/[\s;]+$/, '')}`;
    const result = await client.query<unknown[]>({ text, rowMode: 'array', queryMode: 'extended' });
    const cell = result.rows[0]?.[0];
    const plans = (typeof cell === 'string' ? JSON.parse(cell) : cell) as { Plan: PlanNode }[];
    const found: TableRef[] = [];
    for (const entry of plans) modifiedTables(entry.Plan, found);
    return found;
  } catch {
    await client.query({ text: 'ROLLBACK TO SAVEPOINT freshet_inspect' });
    return null;
  }
}

/** Names as the server resolves them: an existing table's schema, else the name's own or the current schema. */
async function resolveNames(client: PgPoolClient, names: readonly NameParts[]): Promise<TableRef[]> {
  if (names.length === 0) return [];
  // Unnamed parts cannot be looked up (`""` is not a name); they keep the current schema below.
  const texts = names.map((parts) =>
    parts.some((part) => part === '') ? null : parts.slice(-2).map(quoteIdentifier).join('.'),
  );
  const result = await client.query<{ schema: string | null; name: string | null; current: string }>({
    text:
      'SELECT n.nspname AS schema, c.relname AS name, current_schema() AS current FROM unnest($1::text[]) ' +
      'WITH ORDINALITY AS w(text, i) LEFT JOIN pg_class c ON c.oid = to_regclass(w.text) ' +
      'LEFT JOIN pg_namespace n ON n.oid = c.relnamespace ORDER BY w.i',
    values: [texts],
    queryMode: 'extended',
  });
  return names.map((parts, index) => {
    const row = result.rows[index];
    if (row?.schema != null && row.name != null) return { database: row.schema, name: row.name };
    const name = parts[parts.length - 1] as string;
    return { database: parts.length > 1 ? (parts[parts.length - 2] as string) : (row?.current ?? null), name };
  });
}

/** The tables of schemas a statement drops or renames. */
async function tablesIn(client: PgPoolClient, schemas: readonly string[]): Promise<TableRef[]> {
  if (schemas.length === 0) return [];
  const result = await client.query<{ schema: string; name: string }>({
    text: 'SELECT schemaname AS schema, tablename AS name FROM pg_tables WHERE schemaname = ANY($1::text[])',
    values: [schemas],
    queryMode: 'extended',
  });
  return result.rows.map((row) => ({ database: row.schema, name: row.name }));
}

function distinct(tables: readonly TableRef[]): TableRef[] {
  const seen = new Map<string, TableRef>();
  for (const table of tables) seen.set(JSON.stringify([table.database, table.name]), table);
  return [...seen.values()];
}

/** See the file comment. Runs nothing the statement asks for; a statement the server rejects is not an error. */
export async function inspectStatement(pool: PgPool, sql: string): Promise<StatementEffects> {
  const escapes = postgresEscape(sql);
  const [statement = [], ...bodies] = tokensWithBodies(sql);
  const names = [statement, ...bodies].flatMap((tokens) => writtenNames(tokens));
  const plannable = PLANNABLE.has(leadingVerb(statement)) && statement.some((token) => DML.has(token.keyword));
  const schemas = droppedSchemas(statement);
  if (names.length === 0 && !plannable && schemas.length === 0) return { writes: [], escapes };
  const writes = await withClient(pool, async (client) => {
    await client.query({ text: 'BEGIN READ ONLY' });
    try {
      await client.query({ text: "SET LOCAL statement_timeout = '10s'" });
      const resolved = [...(await resolveNames(client, names)), ...(await tablesIn(client, schemas))];
      const planned = plannable ? await plannedWrites(client, sql) : null;
      return distinct([...(planned ?? []), ...resolved]);
    } finally {
      await client.query({ text: 'ROLLBACK' });
    }
  });
  return { writes, escapes };
}
