/**
 * Checks a dynamic table's defining query with node-sql-parser and finds the tables it reads.
 */
import type { SqlDialect } from '../model';
import { parseError } from '../errors';
import { astifyInDialect } from './dialects';
import { checkQueryLimits } from './query-limits';
import type { ObjectName, QueryText, SourcePosition } from './statements';
import { atPosition, isIdentifierToken, isSymbol, TokenStream, upperWord, type Token } from './tokenizer';

export interface QueryAnalysis {
  /**
   * Tables read by the query, CTE names excluded, deduplicated (case-insensitively), in first-seen order. Parts
   * are `[name]`, `[database, name]` or, for PostgreSQL's `db.schema.name`, three parts. The position is where
   * the table is first named after FROM, JOIN or a comma; the query's position if it cannot be found.
   */
  readonly sourceTables: readonly ObjectName[];
}

const SELECT_ONLY = 'The query of a dynamic table must be a SELECT statement';

type AstObject = { readonly [key: string]: unknown };

interface RelativeLocation {
  readonly offset: number;
  readonly line: number;
  readonly column: number;
}

interface SyntaxFailure {
  readonly message: string;
  /** Relative to the query text; absent when the parser gave no location. */
  readonly location?: RelativeLocation;
}

/**
 * Checks `query` against the {@link QUERY_LIMITS}, parses it in `dialect` and lists its source tables; throws
 * PARSE_ERROR with absolute positions, or VALIDATION_ERROR naming the limit the query goes past.
 */
export function analyzeQuery(query: QueryText, dialect: SqlDialect): QueryAnalysis {
  return readQuery(query, dialect).analysis;
}

/** {@link analyzeQuery}, also giving the parsed SELECT (for the incremental classifier, without a second parse). */
export function readQuery(query: QueryText, dialect: SqlDialect): { analysis: QueryAnalysis; statement: unknown } {
  checkQueryLimits(query, dialect);
  const ast = astify(query, dialect);
  const statements = Array.isArray(ast) ? ast : [ast];
  if (statements.length !== 1) {
    throw parseError(
      `${SELECT_ONLY}; found ${statements.length} statements${atPosition(query.position)}`,
      query.position,
    );
  }
  const statement = statements[0] as AstObject;
  if (statement.type !== 'select') {
    const found = typeof statement.type === 'string' ? ` (found ${statement.type.toUpperCase()})` : '';
    throw parseError(`${SELECT_ONLY}${found}${atPosition(query.position)}`, query.position);
  }
  if (writesInto(statement)) {
    throw parseError(`${SELECT_ONLY} without INTO${atPosition(query.position)}`, query.position);
  }
  const tables = new Map<string, ObjectName>();
  const positionOf = tablePositions(query);
  collectTables(statement, (parts) => {
    const key = parts.map((part) => part.toLowerCase()).join('\u0000');
    if (!tables.has(key)) tables.set(key, { parts, position: positionOf(parts) ?? query.position });
  });
  return { analysis: { sourceTables: [...tables.values()] }, statement };
}

function astify(query: QueryText, dialect: SqlDialect): unknown {
  const outcome = astifyInDialect(query.text, dialect);
  if (outcome.ok) return outcome.ast;
  let furthest: SyntaxFailure | undefined;
  for (const failure of outcome.errors.map(syntaxFailure)) {
    // The grammar that read furthest points closest to the real mistake.
    const further = (failure.location?.offset ?? -1) > (furthest?.location?.offset ?? -1);
    if (furthest === undefined || further) furthest = failure;
  }
  throw syntaxError(query, furthest ?? { message: 'The query could not be parsed' });
}

function syntaxFailure(error: unknown): SyntaxFailure {
  const message = error instanceof Error ? error.message : String(error);
  const start = (error as { location?: { start?: unknown } } | null)?.location?.start as
    | { offset?: unknown; line?: unknown; column?: unknown }
    | undefined;
  if (typeof start?.offset === 'number' && typeof start.line === 'number' && typeof start.column === 'number') {
    return { message, location: { offset: start.offset, line: start.line, column: start.column } };
  }
  return { message };
}

/** Moves a node-sql-parser location (relative to the query text) into the client's whole text. */
function absolute(queryStart: SourcePosition, location: RelativeLocation): SourcePosition {
  return {
    offset: queryStart.offset + location.offset,
    line: queryStart.line + location.line - 1,
    // Only the query's first line is shifted: later lines start at column 1 in the whole text too.
    column: location.line === 1 ? queryStart.column + location.column - 1 : location.column,
  };
}

const MAX_NEAR = 30;

function syntaxError(query: QueryText, failure: SyntaxFailure) {
  const { location } = failure;
  if (location === undefined) {
    return parseError(`Syntax error in the query: ${failure.message}${atPosition(query.position)}`, query.position);
  }
  const position = absolute(query.position, location);
  // node-sql-parser lists every token it would have accepted; the text at the error is more useful to a user.
  const rest = query.text.slice(location.offset).split('\n')[0]?.trim() ?? '';
  const near =
    rest === ''
      ? ': unexpected end of the query'
      : ` near '${rest.length > MAX_NEAR ? `${rest.slice(0, MAX_NEAR)}…` : rest}'`;
  return parseError(`Syntax error in the query${near}${atPosition(position)}`, position);
}

function writesInto(statement: AstObject): boolean {
  const into = statement.into as AstObject | null | undefined;
  return into !== null && typeof into === 'object' && into.position !== null && into.position !== undefined;
}

/** One step of the walk in {@link collectTables}. */
type Visit =
  | { readonly node: unknown; readonly scope: ReadonlySet<string> }
  | { readonly fromList: readonly unknown[]; readonly scope: ReadonlySet<string> }
  | { readonly table: string[] };

/**
 * Walks the AST and reports every table in a FROM / JOIN list, at any depth (subqueries, unions, CTE bodies,
 * parenthesised joins). A WITH clause hides its CTE names from unqualified table references in the statement
 * that owns it, including the CTE bodies (recursive CTEs) — the way SQL scopes them, without modelling a CTE
 * defined later in the same WITH list being invisible to an earlier one. The walk keeps its own stack (depth
 * first, in source order), so a deeply nested AST cannot overflow the call stack.
 */
function collectTables(root: unknown, report: (parts: string[]) => void): void {
  const stack: Visit[] = [{ node: root, scope: new Set() }];
  for (let visit = stack.pop(); visit !== undefined; visit = stack.pop()) {
    if ('table' in visit) {
      report(visit.table);
      continue;
    }
    const next =
      'fromList' in visit ? fromListVisits(visit.fromList, visit.scope) : childVisits(visit.node, visit.scope);
    // Pushed last first, so that they are visited in order (and without spreading a huge list as arguments).
    for (let i = next.length - 1; i >= 0; i -= 1) stack.push(next[i] as Visit);
  }
}

/** The children of one AST node (or array), in order; a FROM list is expanded by {@link fromListVisits}. */
function childVisits(node: unknown, cteNames: ReadonlySet<string>): Visit[] {
  if (Array.isArray(node)) return node.map((item) => ({ node: item, scope: cteNames }));
  if (node === null || typeof node !== 'object') return [];
  const object = node as AstObject;
  const scope = Array.isArray(object.with) ? new Set([...cteNames, ...object.with.map(cteName)]) : cteNames;
  return Object.entries(object).map(([key, value]) =>
    key === 'from' && Array.isArray(value) ? { fromList: value, scope } : { node: value, scope },
  );
}

/** A FROM list, in order: its tables, the tables of parenthesised joins, and whatever subqueries hold. */
function fromListVisits(items: readonly unknown[], cteNames: ReadonlySet<string>): Visit[] {
  const visits: Visit[] = [];
  for (const item of items) {
    const parts = tableParts(item, cteNames);
    if (parts !== null) visits.push({ table: parts });
    const joined = parenthesisedJoin(item);
    if (joined === undefined) {
      visits.push({ node: item, scope: cteNames });
    } else {
      visits.push({ fromList: joined, scope: cteNames }, { node: (item as AstObject).on, scope: cteNames });
    }
  }
  return visits;
}

/** The items of `a JOIN (b JOIN c ON …) ON …`: MySQL's AST nests them in `expr`, PostgreSQL's in `expr.expr`. */
function parenthesisedJoin(item: unknown): readonly unknown[] | undefined {
  const expr = (item as AstObject | null)?.expr;
  if (Array.isArray(expr)) return expr;
  const tables = expr as AstObject | null | undefined;
  return tables?.type === 'tables' && Array.isArray(tables.expr) ? tables.expr : undefined;
}

function cteName(entry: unknown): string {
  const name = (entry as AstObject | null)?.name;
  const value = typeof name === 'string' ? name : (name as AstObject | null | undefined)?.value;
  return typeof value === 'string' ? value.toLowerCase() : '';
}

function tableParts(item: unknown, cteNames: ReadonlySet<string>): string[] | null {
  if (item === null || typeof item !== 'object') return null;
  const { db, schema, table } = item as AstObject;
  if (typeof table !== 'string') return null;
  const qualifiers = [db, schema].filter((part): part is string => typeof part === 'string' && part !== '');
  if (qualifiers.length === 0 && cteNames.has(table.toLowerCase())) return null;
  return [...qualifiers, table];
}

/**
 * Finds where a table is named in the query text (node-sql-parser keeps no locations for most dialects): its
 * first occurrence right after FROM or JOIN, else right after a comma or parenthesis (`FROM a, b`,
 * `JOIN (b JOIN c …)`).
 */
function tablePositions(query: QueryText): (parts: readonly string[]) => SourcePosition | undefined {
  const stream = new TokenStream(query.text, query.position);
  const tokens: Token[] = [];
  for (let token = stream.next(); token.kind !== 'end'; token = stream.next()) tokens.push(token);
  const isNamedAt = (index: number, parts: readonly string[]) =>
    parts.every((part, k) => {
      const token = tokens[index + 2 * k];
      if (token === undefined || !isIdentifierToken(token) || token.value.toLowerCase() !== part.toLowerCase())
        return false;
      const next = tokens[index + 2 * k + 1];
      if (k < parts.length - 1) return next !== undefined && isSymbol(next, '.');
      // Not a longer name (`main.t` when looking for `main`) nor a call (`json_each(…)`).
      return next === undefined || !(isSymbol(next, '.') || isSymbol(next, '('));
    });
  const after = (index: number, ...previous: string[]) => {
    const token = tokens[index - 1];
    return (
      token !== undefined &&
      (previous.includes(upperWord(token)) || (token.kind === 'symbol' && previous.includes(token.raw)))
    );
  };
  // Where each name (lower-cased) occurs, so that finding a table does not rescan the whole query.
  const occurrences = new Map<string, number[]>();
  tokens.forEach((token, index) => {
    if (index === 0 || !isIdentifierToken(token)) return;
    const key = token.value.toLowerCase();
    const list = occurrences.get(key);
    if (list === undefined) occurrences.set(key, [index]);
    else list.push(index);
  });
  return (parts) => {
    const candidates = occurrences.get((parts[0] ?? '').toLowerCase()) ?? [];
    for (const previous of [
      ['FROM', 'JOIN'],
      [',', '('],
    ]) {
      for (const index of candidates) {
        if (after(index, ...previous) && isNamedAt(index, parts)) return tokens[index]?.position;
      }
    }
    return undefined;
  };
}
