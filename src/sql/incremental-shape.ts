/**
 * Decides whether a dynamic table's query can be maintained incrementally from its sources' changelogs and, if
 * not, names the reason so the catalog can record why the table refreshes fully. Pure: reads only the query text.
 *
 * Decisions on the edge cases:
 * - ORDER BY without LIMIT is ignored: a table's rows have no order, so it changes nothing that is stored.
 *   ORDER BY with LIMIT is rejected as LIMIT (a top-N needs the rows just below the cut-off).
 * - HAVING is rejected (HAVING). It could later be supported by keeping every group and filtering on output.
 * - Aggregates must take a plain column (`SUM(price)`); `SUM(price * qty)` is rejected as
 *   AGGREGATE_OF_EXPRESSION, and so are GROUP BY expressions (`GROUP BY lower(x)`) and select items of a grouped
 *   query that are neither a GROUP BY column nor a lone aggregate (`SUM(a) / COUNT(*)`, `x + 1`).
 * - GROUP BY without aggregates is an `aggregate` shape with no aggregates (a counted DISTINCT on the keys).
 * - Aggregates without GROUP BY are an `aggregate` shape with no group-by columns (one group).
 * - SELECT DISTINCT over a grouped query is accepted when every GROUP BY column is selected (DISTINCT is then a
 *   no-op); otherwise it is rejected as DISTINCT_AGGREGATE.
 * - Joins: any number of tables, as long as every join is an INNER JOIN whose ON is a conjunction of
 *   column = column equalities (or USING). A comma-separated FROM list is rejected as MULTIPLE_SOURCES (write
 *   it as JOIN … ON); CROSS / NATURAL JOIN and any other ON condition are NON_EQUI_JOIN; a table joined with
 *   itself is SELF_JOIN. Aggregates and DISTINCT must read a single table (MULTIPLE_SOURCES otherwise).
 * - Join keys name columns by their table (`orders.customer_id`), aliases resolved; an unqualified column stays
 *   bare. USING (c) pairs the joined table with the table just before it.
 * - random(), now(), CURRENT_TIMESTAMP and friends, uuid generators, nextval, and SQLite's date/time functions
 *   called with 'now' or no argument are NON_DETERMINISTIC_FUNCTION.
 * - A query that reads no table (`SELECT 1`) is NO_SOURCE; a subquery in the select list is SUBQUERY_IN_SELECT;
 *   a table-valued function in FROM (`json_each(…)`) is SUBQUERY_IN_FROM.
 * - When several reasons apply, the first in this order wins: UNPARSABLE, CTE, UNION_DISTINCT /
 *   INTERSECT_EXCEPT, then per SELECT: LIMIT, WINDOW_FUNCTION, NON_DETERMINISTIC_FUNCTION, subqueries, joins,
 *   HAVING, aggregates, DISTINCT.
 */
import { Parser } from 'node-sql-parser';
import type { SqlDialect } from '../model';

/** The supported aggregate functions. */
export type IncrementalAggregateFunction = 'COUNT' | 'SUM' | 'AVG' | 'MIN' | 'MAX';

/** One aggregate of an `aggregate` shape. */
export interface IncrementalAggregate {
  readonly fn: IncrementalAggregateFunction;
  /** The aggregated column, unqualified; null for COUNT(*). */
  readonly column: string | null;
  /**
   * The output column: the alias as written, else the engine's default name — `count` / `sum` … in PostgreSQL,
   * `COUNT(*)` / `SUM(price)` elsewhere (SQLite keeps the query's own spelling, so alias aggregates you rely on).
   */
  readonly alias: string;
}

/** How an incrementally maintainable query is built; sources are table names as written, qualifiers kept. */
export type IncrementalShape =
  | { readonly kind: 'projectFilter'; readonly source: string }
  | {
      readonly kind: 'innerJoin';
      readonly sources: readonly string[];
      /** One pair per ON equality, left side first, columns as `table.column`. */
      readonly joinKeys: ReadonlyArray<readonly [string, string]>;
    }
  | {
      readonly kind: 'aggregate';
      readonly source: string;
      /** GROUP BY columns, unqualified, in order; empty for a single-group aggregate. */
      readonly groupBy: readonly string[];
      readonly aggregates: readonly IncrementalAggregate[];
    }
  | { readonly kind: 'distinct'; readonly source: string }
  | { readonly kind: 'unionAll'; readonly branches: readonly IncrementalShape[] };

/** Why a query refreshes fully. */
export type NotIncrementalReason =
  | 'OUTER_JOIN_NOT_SUPPORTED'
  | 'NON_EQUI_JOIN'
  | 'WINDOW_FUNCTION'
  | 'NON_DETERMINISTIC_FUNCTION'
  | 'LIMIT'
  | 'SUBQUERY_IN_WHERE'
  | 'SUBQUERY_IN_SELECT'
  | 'SUBQUERY_IN_FROM'
  | 'CTE'
  | 'UNION_DISTINCT'
  | 'INTERSECT_EXCEPT'
  | 'HAVING'
  | 'UNSUPPORTED_AGGREGATE'
  | 'AGGREGATE_OF_EXPRESSION'
  | 'DISTINCT_AGGREGATE'
  | 'SELF_JOIN'
  | 'AGGREGATE_IN_UNION'
  | 'MULTIPLE_SOURCES'
  | 'NO_SOURCE'
  | 'UNPARSABLE';

/** The outcome of {@link classifyIncremental}. */
export type IncrementalVerdict =
  | { readonly incremental: true; readonly shape: IncrementalShape }
  | {
      readonly incremental: false;
      readonly reason: NotIncrementalReason;
      /** A sentence naming the construct that prevents incremental maintenance. */
      readonly detail: string;
    };

/**
 * Classifies `query` (one SELECT) as incrementally maintainable, with its shape, or not, with the reason.
 * Never throws: a query that cannot be parsed is `UNPARSABLE`.
 */
export function classifyIncremental(query: string, dialect: SqlDialect): IncrementalVerdict {
  const statement = parseSelect(query, dialect);
  if (typeof statement === 'string') return reject('UNPARSABLE', statement);
  try {
    return { incremental: true, shape: classifyStatement(statement, dialect) };
  } catch (error) {
    if (error instanceof Rejection) return reject(error.reason, error.message);
    throw error;
  }
}

type Node = { readonly [key: string]: unknown };

class Rejection extends Error {
  constructor(readonly reason: NotIncrementalReason, detail: string) {
    super(detail);
  }
}

function reject(reason: NotIncrementalReason, detail: string): IncrementalVerdict {
  return { incremental: false, reason, detail };
}

/** Same grammar fallback as the query analyzer: node-sql-parser's grammars reject some valid queries. */
const GRAMMARS: Readonly<Record<SqlDialect, readonly SqlDialect[]>> = {
  sqlite: ['sqlite', 'postgresql', 'mysql'],
  postgresql: ['postgresql', 'mysql', 'sqlite'],
  mysql: ['mysql', 'postgresql', 'sqlite'],
};

/** The single SELECT of `query`, or why there is none. */
function parseSelect(query: string, dialect: SqlDialect): Node | string {
  const parser = new Parser();
  let ast: unknown;
  for (const grammar of GRAMMARS[dialect]) {
    try {
      ast = parser.astify(query, { database: grammar });
      break;
    } catch {
      // Try the next grammar.
    }
  }
  if (ast === undefined) return 'The query could not be parsed';
  const statements = Array.isArray(ast) ? ast : [ast];
  const statement = statements[0] as Node | undefined;
  if (statements.length !== 1 || statement?.type !== 'select') return 'The query is not a single SELECT statement';
  return statement;
}

function classifyStatement(statement: Node, dialect: SqlDialect): IncrementalShape {
  if (Array.isArray(statement.with) && statement.with.length > 0) {
    throw new Rejection('CTE', 'A WITH clause (common table expression) is not maintained incrementally');
  }
  const branches: Node[] = [];
  for (let branch: Node | undefined = statement; branch !== undefined; branch = branch._next as Node | undefined) {
    branches.push(branch);
    const operator = typeof branch.set_op === 'string' ? branch.set_op.toUpperCase() : undefined;
    if (operator === undefined || operator === 'UNION ALL') continue;
    if (operator.startsWith('UNION')) {
      throw new Rejection('UNION_DISTINCT', 'UNION (which removes duplicates) is not maintained incrementally; UNION ALL is');
    }
    throw new Rejection('INTERSECT_EXCEPT', `${operator} is not maintained incrementally`);
  }
  const shapes = branches.map((branch) => classifySelect(branch, dialect));
  const [only] = shapes;
  return shapes.length === 1 && only !== undefined ? only : { kind: 'unionAll', branches: shapes };
}

function classifySelect(select: Node, dialect: SqlDialect): IncrementalShape {
  if (hasLimit(select.limit)) throw new Rejection('LIMIT', 'LIMIT / OFFSET keeps a changing subset of rows');
  const ownClauses = { ...select, _next: undefined, set_op: undefined };
  const windowed = find(ownClauses, (node) => isObject(node.over));
  if (windowed !== undefined || (Array.isArray(select.window) && select.window.length > 0)) {
    const name = windowed === undefined ? 'a named window' : `window function ${functionName(windowed)}() OVER (…)`;
    throw new Rejection('WINDOW_FUNCTION', `The ${name} depends on other rows of its partition`);
  }
  const volatile = find(ownClauses, isNonDeterministic);
  if (volatile !== undefined) {
    throw new Rejection('NON_DETERMINISTIC_FUNCTION', `${describeVolatile(volatile)} gives a different result on every refresh`);
  }
  rejectSubqueries(select);
  const sources = readSources(select);
  if (select.having !== null && select.having !== undefined) {
    throw new Rejection('HAVING', 'HAVING filters groups on their aggregates, which is not maintained incrementally');
  }
  const grouped = isObject(select.groupby) && Array.isArray(select.groupby.columns) && select.groupby.columns.length > 0;
  const aggregated = columnsOf(select).some((column) => find(column, isAggregateCall) !== undefined);
  const distinct = isDistinct(select.distinct);
  if ((grouped || aggregated || distinct) && sources.tables.length > 1) {
    const what = grouped || aggregated ? 'Aggregating' : 'SELECT DISTINCT';
    throw new Rejection('MULTIPLE_SOURCES', `${what} over a join of ${sources.tables.join(', ')} is not maintained incrementally`);
  }
  const [source] = sources.tables;
  if (source === undefined) throw new Rejection('NO_SOURCE', 'The query reads no table');
  if (grouped || aggregated) return aggregateShape(select, source, distinct, dialect);
  if (distinct) return { kind: 'distinct', source };
  if (sources.tables.length > 1) return { kind: 'innerJoin', sources: sources.tables, joinKeys: sources.joinKeys };
  return { kind: 'projectFilter', source };
}

function hasLimit(limit: unknown): boolean {
  return isObject(limit) && Array.isArray(limit.value) && limit.value.length > 0;
}

function isDistinct(distinct: unknown): boolean {
  const value = isObject(distinct) ? distinct.type : distinct;
  return typeof value === 'string' && value.toUpperCase() === 'DISTINCT';
}

const VOLATILE_FUNCTIONS = new Set([
  'random', 'rand', 'randomblob', 'now', 'uuid', 'uuid_short', 'gen_random_uuid', 'uuid_generate_v1', 'uuid_generate_v4',
  'clock_timestamp', 'statement_timestamp', 'transaction_timestamp', 'timeofday', 'sysdate', 'curdate', 'curtime',
  'utc_timestamp', 'utc_date', 'utc_time', 'current_timestamp', 'current_date', 'current_time', 'localtime',
  'localtimestamp', 'nextval', 'setval', 'last_insert_rowid', 'changes', 'total_changes',
]);
/** SQLite's date and time functions read the clock when given 'now' or no time value at all. */
const CLOCK_FUNCTIONS = new Set(['date', 'time', 'datetime', 'julianday', 'unixepoch', 'strftime']);
const CLOCK_KEYWORDS = new Set(['current_timestamp', 'current_date', 'current_time', 'localtime', 'localtimestamp']);

function isNonDeterministic(node: Node): boolean {
  if (node.type === 'column_ref' && (node.table === null || node.table === undefined)) {
    return CLOCK_KEYWORDS.has(columnName(node).toLowerCase());
  }
  if (node.type !== 'function') return false;
  const name = functionName(node).toLowerCase();
  if (name === 'unix_timestamp') return functionArgs(node).length === 0;
  if (VOLATILE_FUNCTIONS.has(name)) return true;
  if (!CLOCK_FUNCTIONS.has(name)) return false;
  const args = functionArgs(node);
  const timeValue = name === 'strftime' ? args[1] : args[0];
  return timeValue === undefined || args.some((arg) => isObject(arg) && typeof arg.value === 'string' && arg.value.toLowerCase() === 'now');
}

function describeVolatile(node: Node): string {
  if (node.type === 'column_ref') return columnName(node).toUpperCase();
  const name = functionName(node);
  return node.args === undefined ? name.toUpperCase() : `${name}(…)`;
}

/** Subqueries in FROM, WHERE or the select list (ON and HAVING are rejected by the join and HAVING checks). */
function rejectSubqueries(select: Node): void {
  for (const item of Array.isArray(select.from) ? select.from : []) {
    if (!isObject(item) || typeof item.table === 'string') continue;
    const expr = item.expr;
    if (isObject(expr) && expr.type === 'function') {
      throw new Rejection('SUBQUERY_IN_FROM', `The table-valued function ${functionName(expr)}(…) in FROM is not maintained incrementally`);
    }
    throw new Rejection('SUBQUERY_IN_FROM', 'A subquery in FROM is not maintained incrementally');
  }
  if (find(select.where, isSubquery) !== undefined) {
    throw new Rejection('SUBQUERY_IN_WHERE', 'A subquery in WHERE (IN, EXISTS or scalar) is not maintained incrementally');
  }
  if (find(select.columns, isSubquery) !== undefined) {
    throw new Rejection('SUBQUERY_IN_SELECT', 'A subquery in the select list is not maintained incrementally');
  }
}

function isSubquery(node: Node): boolean {
  return isObject(node.ast);
}

interface Sources {
  readonly tables: string[];
  readonly joinKeys: Array<readonly [string, string]>;
}

/** The FROM list's tables and join keys, rejecting anything but inner equi-joins of distinct tables. */
function readSources(select: Node): Sources {
  const items = (Array.isArray(select.from) ? select.from : []).filter(isObject);
  const tables: string[] = [];
  const byName = new Map<string, string>();
  const joinKeys: Array<readonly [string, string]> = [];
  items.forEach((item, index) => {
    const table = tableName(item);
    const join = typeof item.join === 'string' ? item.join.toUpperCase() : undefined;
    if (index > 0 && join === undefined) {
      throw new Rejection('MULTIPLE_SOURCES', `FROM lists ${tables[0]} and ${table} separated by a comma; write the join as INNER JOIN … ON`);
    }
    if (join !== undefined && join !== 'INNER JOIN' && join !== 'JOIN') {
      throw new Rejection('OUTER_JOIN_NOT_SUPPORTED', `${join} with ${table} is not maintained incrementally; only INNER JOIN is`);
    }
    if (tables.some((seen) => seen.toLowerCase() === table.toLowerCase())) {
      throw new Rejection('SELF_JOIN', `${table} is joined with itself`);
    }
    // node-sql-parser reads `a CROSS JOIN b` / `a NATURAL JOIN b` as table a aliased CROSS / NATURAL.
    const alias = typeof item.as === 'string' && !['CROSS', 'NATURAL'].includes(item.as.toUpperCase()) ? item.as : undefined;
    byName.set((alias ?? item.table as string).toLowerCase(), table);
    byName.set(table.toLowerCase(), table);
    if (index > 0) joinKeys.push(...joinKeysOf(item, table, tables[tables.length - 1] ?? table, byName));
    tables.push(table);
  });
  return { tables, joinKeys };
}

function joinKeysOf(item: Node, table: string, previous: string, byName: ReadonlyMap<string, string>): Array<readonly [string, string]> {
  if (Array.isArray(item.using) && item.using.length > 0) {
    return item.using.map((column) => {
      const name = isObject(column) ? String(column.value) : String(column);
      return [`${previous}.${name}`, `${table}.${name}`] as const;
    });
  }
  if (!isObject(item.on)) {
    throw new Rejection('NON_EQUI_JOIN', `The join with ${table} has no ON condition (CROSS or NATURAL JOIN); write INNER JOIN … ON`);
  }
  return conjuncts(item.on).map((condition) => {
    const { left, right } = condition;
    if (condition.type !== 'binary_expr' || condition.operator !== '=' || !isColumn(left) || !isColumn(right)) {
      throw new Rejection('NON_EQUI_JOIN', `The ON condition of the join with ${table} is not only column = column equalities`);
    }
    return [qualified(left, byName), qualified(right, byName)] as const;
  });
}

function conjuncts(node: Node): Node[] {
  if (node.type === 'binary_expr' && node.operator === 'AND' && isObject(node.left) && isObject(node.right)) {
    return [...conjuncts(node.left), ...conjuncts(node.right)];
  }
  return [node];
}

function qualified(column: Node, byName: ReadonlyMap<string, string>): string {
  const name = columnName(column);
  if (typeof column.table !== 'string') return name;
  return `${byName.get(column.table.toLowerCase()) ?? column.table}.${name}`;
}

const SUPPORTED_AGGREGATES = new Set<string>(['COUNT', 'SUM', 'AVG', 'MIN', 'MAX']);
/** Aggregates node-sql-parser reads as plain functions. */
const OTHER_AGGREGATES = new Set([
  'total', 'group_concat', 'string_agg', 'array_agg', 'json_agg', 'jsonb_agg', 'json_group_array', 'json_group_object',
  'bool_and', 'bool_or', 'every', 'bit_and', 'bit_or', 'bit_xor', 'stddev', 'stddev_pop', 'stddev_samp', 'variance',
  'var_pop', 'var_samp', 'median', 'percentile_cont', 'percentile_disc', 'mode', 'json_arrayagg', 'json_objectagg',
]);

function isAggregateCall(node: Node): boolean {
  return node.type === 'aggr_func' || (node.type === 'function' && OTHER_AGGREGATES.has(functionName(node).toLowerCase()));
}

function aggregateShape(select: Node, source: string, distinct: boolean, dialect: SqlDialect): IncrementalShape {
  const groupBy = (isObject(select.groupby) && Array.isArray(select.groupby.columns) ? select.groupby.columns : [])
    .filter(isObject)
    .map((key) => groupColumn(key, select));
  const aggregates: IncrementalAggregate[] = [];
  const selected = new Set<string>();
  for (const column of columnsOf(select)) {
    const expr = column.expr;
    if (!isObject(expr)) continue;
    if (isColumn(expr) && groupBy.some((key) => key.toLowerCase() === columnName(expr).toLowerCase())) {
      selected.add(columnName(expr).toLowerCase());
      continue;
    }
    if (!isAggregateCall(expr)) {
      throw new Rejection('AGGREGATE_OF_EXPRESSION', `The select item ${describe(expr)} of a grouped query is neither a GROUP BY column nor a single aggregate`);
    }
    aggregates.push(aggregateOf(expr, typeof column.as === 'string' ? column.as : undefined, dialect));
  }
  if (distinct && groupBy.some((key) => !selected.has(key.toLowerCase()))) {
    throw new Rejection('DISTINCT_AGGREGATE', 'SELECT DISTINCT over a grouped query that does not select every GROUP BY column');
  }
  return { kind: 'aggregate', source, groupBy, aggregates };
}

/** A GROUP BY key as a column name; `GROUP BY 2` refers to the second select item. */
function groupColumn(key: Node, select: Node): string {
  let target = key;
  if (key.type === 'number' && typeof key.value === 'number') {
    const item = columnsOf(select)[key.value - 1]?.expr;
    if (isObject(item)) target = item;
  }
  if (!isColumn(target)) {
    throw new Rejection('AGGREGATE_OF_EXPRESSION', `GROUP BY ${describe(target)} groups by an expression, not a column`);
  }
  return columnName(target);
}

function aggregateOf(call: Node, alias: string | undefined, dialect: SqlDialect): IncrementalAggregate {
  const name = functionName(call).toUpperCase();
  if (!SUPPORTED_AGGREGATES.has(name) || call.type !== 'aggr_func') {
    throw new Rejection('UNSUPPORTED_AGGREGATE', `The aggregate ${name}(…) is not maintained incrementally; COUNT, SUM, AVG, MIN and MAX are`);
  }
  const fn = name as IncrementalAggregateFunction;
  const args = isObject(call.args) ? call.args : {};
  if (isDistinct(args.distinct)) throw new Rejection('DISTINCT_AGGREGATE', `${fn}(DISTINCT …) is not maintained incrementally`);
  const argument = isObject(args.expr) ? args.expr : undefined;
  let column: string | null;
  if (argument?.type === 'star' && fn === 'COUNT') column = null;
  else if (argument !== undefined && isColumn(argument)) column = columnName(argument);
  else throw new Rejection('AGGREGATE_OF_EXPRESSION', `${fn}(${argument === undefined ? '' : describe(argument)}) aggregates an expression, not a column`);
  const defaultName = dialect === 'postgresql' ? fn.toLowerCase() : `${fn}(${column ?? '*'})`;
  return { fn, column, alias: alias ?? defaultName };
}

function columnsOf(select: Node): Node[] {
  return Array.isArray(select.columns) ? select.columns.filter(isObject) : [];
}

function isObject(value: unknown): value is Node {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function isColumn(value: unknown): value is Node {
  return isObject(value) && value.type === 'column_ref' && columnName(value) !== '*';
}

/** A column name from either AST form: a string, or PostgreSQL's `{ expr: { value } }`. */
function columnName(column: Node): string {
  const { column: name } = column;
  if (typeof name === 'string') return name;
  const value = isObject(name) && isObject(name.expr) ? name.expr.value : undefined;
  return typeof value === 'string' ? value : '';
}

function tableName(item: Node): string {
  const parts = [item.db, item.schema, item.table].filter((part): part is string => typeof part === 'string' && part !== '');
  return parts.join('.');
}

function functionName(call: Node): string {
  if (typeof call.name === 'string') return call.name;
  const parts = isObject(call.name) && Array.isArray(call.name.name) ? call.name.name : [];
  return parts.map((part) => (isObject(part) ? String(part.value) : String(part))).join('.');
}

function functionArgs(call: Node): unknown[] {
  return isObject(call.args) && Array.isArray(call.args.value) ? call.args.value : [];
}

/** A short rendering for messages; SQL text would need node-sql-parser's printer, which varies by grammar. */
function describe(expr: Node): string {
  if (expr.type === 'column_ref') return columnName(expr);
  if (expr.type === 'aggr_func' || expr.type === 'function') return `${functionName(expr)}(…)`;
  if (expr.type === 'binary_expr' && typeof expr.operator === 'string') {
    const side = (value: unknown) => (isObject(value) ? describe(value) : '…');
    return `${side(expr.left)} ${expr.operator} ${side(expr.right)}`;
  }
  if (expr.value !== undefined) return String(expr.value);
  return 'an expression';
}

/** The first object node under `root` (depth-first, root included) that satisfies `test`. */
function find(root: unknown, test: (node: Node) => boolean): Node | undefined {
  if (Array.isArray(root)) {
    for (const item of root) {
      const hit = find(item, test);
      if (hit !== undefined) return hit;
    }
    return undefined;
  }
  if (!isObject(root)) return undefined;
  if (test(root)) return root;
  for (const value of Object.values(root)) {
    const hit = find(value, test);
    if (hit !== undefined) return hit;
  }
  return undefined;
}
