/**
 * Token scopes and which of them a statement needs. People get `read` (look, never change) or `operate` (`read`
 * plus refreshing, suspending and resuming); `admin` may do everything. `callback` is what a scheduler workflow is
 * given and `metrics` what a metrics scraper is given: neither may send statements.
 */
import type { StatementEffects } from '../engine/engine';
import { FreshetError } from '../errors';
import type { AlterAction, PassthroughStatement, Statement } from '../sql/statements';
import { READ_ONLY_PRAGMAS } from '../sql/pragmas';
import { lexemes } from '../sql/tokenizer';

/** Every scope a token may carry, as configured in `auth.tokens[].scopes`. */
export const SCOPES = ['admin', 'operate', 'read', 'metrics', 'callback'] as const;

export type Scope = (typeof SCOPES)[number];

/** The scopes a statement can need, weakest first; each is granted by itself and every scope after it. */
export type StatementScope = 'read' | 'operate' | 'admin';

const STATEMENT_SCOPES: readonly StatementScope[] = ['read', 'operate', 'admin'];

/** Every scope, for callers that are not limited (in-process callers, or a gateway without tokens). */
export const ALL_SCOPES: readonly Scope[] = SCOPES;

/** True when a caller holding `scopes` may do what needs `needed`. */
export function grants(scopes: readonly Scope[], needed: StatementScope): boolean {
  const from = STATEMENT_SCOPES.indexOf(needed);
  return STATEMENT_SCOPES.slice(from).some((scope) => scopes.includes(scope));
}

/** What a statement needs, and how to name it in a refusal. */
export interface StatementNeed {
  readonly scope: StatementScope;
  readonly what: string;
}

const ALTER_NEEDS: Readonly<Record<AlterAction['kind'], StatementNeed>> = {
  suspend: { scope: 'operate', what: 'ALTER DYNAMIC TABLE … SUSPEND' },
  resume: { scope: 'operate', what: 'ALTER DYNAMIC TABLE … RESUME' },
  refresh: { scope: 'operate', what: 'ALTER DYNAMIC TABLE … REFRESH' },
  backfill: { scope: 'operate', what: 'ALTER DYNAMIC TABLE … BACKFILL' },
  setFreshness: { scope: 'admin', what: 'ALTER DYNAMIC TABLE … SET FRESHNESS' },
  setRefreshMode: { scope: 'admin', what: 'ALTER DYNAMIC TABLE … SET REFRESH_MODE' },
  setQuery: { scope: 'admin', what: 'ALTER DYNAMIC TABLE … AS' },
  setOptions: { scope: 'admin', what: 'ALTER DYNAMIC TABLE … SET (…)' },
  resetOptions: { scope: 'admin', what: 'ALTER DYNAMIC TABLE … RESET (…)' },
  reflect: { scope: 'operate', what: 'ALTER DYNAMIC TABLE … REFLECT' },
};

/** The scope one parsed statement needs. */
export function statementNeed(statement: Statement): StatementNeed {
  switch (statement.kind) {
    case 'createDynamicTable':
      return { scope: 'admin', what: 'CREATE DYNAMIC TABLE' };
    case 'alterDynamicTable':
      return ALTER_NEEDS[statement.action.kind];
    case 'dropDynamicTable':
      return { scope: 'admin', what: 'DROP DYNAMIC TABLE' };
    case 'showDynamicTables':
      return { scope: 'read', what: 'SHOW DYNAMIC TABLES' };
    case 'showCreateDynamicTable':
      return { scope: 'read', what: 'SHOW CREATE DYNAMIC TABLE' };
    case 'showRefreshes':
      return { scope: 'read', what: 'SHOW REFRESHES' };
    case 'showSchemaHistory':
      return { scope: 'read', what: 'SHOW SCHEMA HISTORY' };
    case 'describeDynamicTable':
      return { scope: 'read', what: 'DESCRIBE DYNAMIC TABLE' };
    case 'explainCreateDynamicTable':
      return { scope: 'read', what: 'EXPLAIN CREATE DYNAMIC TABLE' };
    case 'explainAlterDynamicTable':
      return { scope: 'read', what: 'EXPLAIN ALTER DYNAMIC TABLE' };
    case 'explainTableChange':
      return { scope: 'read', what: `EXPLAIN ${statement.change.verb} TABLE` };
    case 'showTables':
      return { scope: 'read', what: 'SHOW TABLES' };
    case 'describeTable':
      return { scope: 'read', what: 'DESCRIBE' };
    case 'showSources':
      return { scope: 'read', what: 'SHOW SOURCES' };
    case 'showDatasets':
      return { scope: 'read', what: 'SHOW DATASETS' };
    case 'describeDataset':
      return { scope: 'read', what: 'DESCRIBE DATASET' };
    case 'searchDatasets':
      return { scope: 'read', what: 'SEARCH DATASETS' };
    case 'showPartitions':
      return { scope: 'read', what: 'SHOW PARTITIONS' };
    case 'showReadiness':
      return { scope: 'read', what: 'SHOW READINESS' };
    case 'alterSource':
      return { scope: 'operate', what: 'ALTER SOURCE' };
    case 'showFreshness':
      return { scope: 'read', what: 'SHOW FRESHNESS' };
    case 'passthrough':
      return passthroughNeed(statement);
  }
}

// Engine statements that only ever describe (MySQL's SHOW CREATE TABLE, PostgreSQL's SHOW): nothing can follow
// them that writes, and their own words (`CREATE`) would trip the screen below.
const DESCRIBING_VERBS: ReadonlySet<string> = new Set(['SHOW', 'DESCRIBE', 'DESC']);

function passthroughNeed(statement: PassthroughStatement): StatementNeed {
  if (statement.effect !== 'read') return { scope: 'admin', what: statement.verb };
  const hidden = DESCRIBING_VERBS.has(statement.verb) ? null : hiddenWrite(statement);
  if (hidden !== null) return { scope: 'admin', what: `${statement.verb} … ${hidden}` };
  return { scope: 'read', what: statement.verb };
}

// Words that make a statement which starts like a read change something: a CTE in front of INSERT, UPDATE,
// DELETE or MERGE (an upsert's DO UPDATE included), SELECT … INTO a new table or file, PostgreSQL's and MySQL's
// EXPLAIN ANALYZE of a write (it runs the write), SQLite's ATTACH, VACUUM and load_extension(), PostgreSQL's COPY,
// MySQL's LOAD DATA, and a PRAGMA behind EXPLAIN (SQLite runs some PRAGMAs while preparing them). `replace(` is
// the string function, not MySQL's REPLACE statement.
const WRITING_WORDS = [
  'INSERT',
  'UPDATE',
  'DELETE',
  'MERGE',
  'UPSERT',
  'TRUNCATE',
  'INTO',
  'CREATE',
  'DROP',
  'ALTER',
  'ATTACH',
  'DETACH',
  'VACUUM',
  'COPY',
  'LOAD',
  'LOAD_EXTENSION',
  'PRAGMA',
];
const WRITING_WORD = new RegExp(`\\b(${WRITING_WORDS.join('|')})\\b|\\bREPLACE\\b(?!\\s*\\()`, 'i');

// Matched against trimmed text without a trailing `;`, so that no two runs of spaces compete (no backtracking).
const PRAGMA_CALL = /^PRAGMA\s+(?:\w+\s*\.\s*)?(\w+)(?:\s*\([\w.\s]*\))?$/i;

/**
 * The writing keyword a statement classified as a read carries, or null. The engine's own inspection of what it
 * would execute is the real answer; this screen is deliberately coarse, so that a reader is refused rather than
 * let through when in doubt.
 */
export function hiddenWrite(statement: PassthroughStatement): string | null {
  const code = codeOf(statement.text);
  if (statement.verb === 'PRAGMA') {
    const name = PRAGMA_CALL.exec(code.trim().replace(/;$/, '').trimEnd())?.[1];
    return name !== undefined && READ_ONLY_PRAGMAS.has(name.toLowerCase()) ? null : 'a PRAGMA that may change state';
  }
  const match = WRITING_WORD.exec(code);
  return match === null ? null : (match[0] as string).toUpperCase();
}

// Where engines' lexers part from the shared tokenizer on where a literal starts or ends: backslash escapes
// (MySQL, PostgreSQL's E''), `#` comments and `--x` (two minus signs in MySQL), nested and MySQL's executable
// `/*! … */` comments, SQLite's `[name]`, dollar quotes. Each could make text the engine runs look like a literal.
const LEXICAL_TRAPS = /[\\#$[]|--|\/\*/;

/**
 * The text with its string literals and quoted names blanked out (so that `WHERE action = 'update'` stays a read),
 * or the whole text when it holds anything on which engines' lexers differ.
 */
function codeOf(text: string): string {
  if (LEXICAL_TRAPS.test(text)) return text;
  let code = '';
  for (const lexeme of lexemes(text)) {
    const part = text.slice(lexeme.start, lexeme.end);
    code += lexeme.kind === 'string' || lexeme.kind === 'quotedIdentifier' ? ' '.repeat(part.length) : part;
  }
  return code;
}

/**
 * Refuses a script, before any of it runs, when one of its statements needs a scope the caller lacks: 403
 * FORBIDDEN naming the statement, the scope it needs and the scopes the caller has.
 */
export function authorizeScript(statements: readonly Statement[], scopes: readonly Scope[]): void {
  if (scopes.includes('admin')) return;
  for (const [index, statement] of statements.entries()) {
    const need = statementNeed(statement);
    if (grants(scopes, need.scope)) continue;
    const at = positionOf(statement);
    const which = statements.length > 1 ? `Statement ${index + 1} (${need.what})` : need.what;
    throw new FreshetError(
      'FORBIDDEN',
      `${which} needs the ${need.scope} scope; this token has ${scopes.join(', ') || 'no scope'}. Nothing was run.`,
      {
        line: at?.line,
        column: at?.column,
        details: { statementIndex: index, requiredScope: need.scope, scopes: [...scopes] },
      },
    );
  }
}

/**
 * Refuses a reading statement that the engine says would write or reach outside (a CTE in front of a write,
 * a data-modifying function the keywords above did not see) to a caller without the admin scope.
 */
export function authorizeEffects(
  statement: PassthroughStatement,
  index: number,
  count: number,
  effects: StatementEffects | null,
  scopes: readonly Scope[],
): void {
  if (scopes.includes('admin') || effects === null) return;
  if (effects.writes.length === 0 && effects.escapes === null) return;
  const what = effects.escapes ?? `${statement.verb} writing ${effects.writes.map((t) => t.name).join(', ')}`;
  const which = count > 1 ? `Statement ${index + 1} (${what})` : what;
  throw new FreshetError(
    'FORBIDDEN',
    `${which} needs the admin scope; this token has ${scopes.join(', ') || 'no scope'}. Nothing was run.`,
    {
      line: statement.position.line,
      column: statement.position.column,
      details: { statementIndex: index, requiredScope: 'admin', scopes: [...scopes] },
    },
  );
}

function positionOf(statement: Statement): { line: number; column: number } | undefined {
  if (statement.kind === 'passthrough') return statement.position;
  if (statement.kind === 'explainCreateDynamicTable') return statement.create.name.position;
  if (statement.kind === 'explainAlterDynamicTable') return statement.alter.name.position;
  if (statement.kind === 'explainTableChange') return statement.change.position;
  return 'name' in statement ? statement.name?.position : undefined;
}
