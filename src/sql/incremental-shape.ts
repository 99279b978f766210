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
import type { SqlDialect } from '../model';
import { astifyInDialect } from './dialects';
import { aggregateShape, isAggregateCall } from './incremental-aggregates';
import {
  columnName,
  columnsOf,
  find,
  functionArgs,
  functionName,
  isDistinct,
  isObject,
  Rejection,
  type Node,
} from './incremental-ast';
import type { IncrementalShape, IncrementalVerdict, NotIncrementalReason } from './incremental-shape-types';
import { readSources, rejectSubqueries } from './incremental-sources';

export type {
  IncrementalAggregate,
  IncrementalAggregateFunction,
  IncrementalShape,
  IncrementalVerdict,
  NotIncrementalReason,
} from './incremental-shape-types';

/**
 * Classifies `query` (one SELECT) as incrementally maintainable, with its shape, or not, with the reason.
 * Never throws: a query that cannot be parsed is `UNPARSABLE`. A verdict computed off the event loop (see
 * {@link rememberVerdict}) is used without parsing the query again.
 */
export function classifyIncremental(query: string, dialect: SqlDialect): IncrementalVerdict {
  const remembered = verdicts.get(verdictKey(query, dialect));
  if (remembered !== undefined) return remembered;
  const outcome = astifyInDialect(query, dialect);
  return classifyParsed(outcome.ok ? outcome.ast : undefined, dialect);
}

/** {@link classifyIncremental} of a query already parsed (`ast` undefined when it could not be). */
export function classifyParsed(ast: unknown, dialect: SqlDialect): IncrementalVerdict {
  const statement = selectOf(ast);
  if (typeof statement === 'string') return reject('UNPARSABLE', statement);
  try {
    return { incremental: true, shape: classifyStatement(statement, dialect) };
  } catch (error) {
    if (error instanceof Rejection) return reject(error.reason, error.message);
    throw error;
  }
}

/** Verdicts kept for queries classified elsewhere (a worker thread), bounded by their total text length. */
const verdicts = new Map<string, IncrementalVerdict>();
const MAX_REMEMBERED_CHARACTERS = 4 * 1024 * 1024;
let rememberedCharacters = 0;

function verdictKey(query: string, dialect: SqlDialect): string {
  return `${dialect}\u0000${query}`;
}

/** Keeps the verdict `classifyParsed` gave for `query` elsewhere, so that classifying it here needs no parse. */
export function rememberVerdict(query: string, dialect: SqlDialect, verdict: IncrementalVerdict): void {
  const key = verdictKey(query, dialect);
  if (key.length > MAX_REMEMBERED_CHARACTERS || verdicts.has(key)) return;
  verdicts.set(key, verdict);
  rememberedCharacters += key.length;
  for (const oldest of verdicts.keys()) {
    if (rememberedCharacters <= MAX_REMEMBERED_CHARACTERS) break;
    verdicts.delete(oldest);
    rememberedCharacters -= oldest.length;
  }
}

function reject(reason: NotIncrementalReason, detail: string): IncrementalVerdict {
  return { incremental: false, reason, detail };
}

/** The single SELECT of a parsed query, or why there is none. */
function selectOf(ast: unknown): Node | string {
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
      throw new Rejection(
        'UNION_DISTINCT',
        'UNION (which removes duplicates) is not maintained incrementally; UNION ALL is',
      );
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
    throw new Rejection(
      'NON_DETERMINISTIC_FUNCTION',
      `${describeVolatile(volatile)} gives a different result on every refresh`,
    );
  }
  rejectSubqueries(select);
  const sources = readSources(select);
  if (select.having !== null && select.having !== undefined) {
    throw new Rejection('HAVING', 'HAVING filters groups on their aggregates, which is not maintained incrementally');
  }
  const grouped =
    isObject(select.groupby) && Array.isArray(select.groupby.columns) && select.groupby.columns.length > 0;
  const aggregated = columnsOf(select).some((column) => find(column, isAggregateCall) !== undefined);
  const distinct = isDistinct(select.distinct);
  if ((grouped || aggregated || distinct) && sources.tables.length > 1) {
    const what = grouped || aggregated ? 'Aggregating' : 'SELECT DISTINCT';
    throw new Rejection(
      'MULTIPLE_SOURCES',
      `${what} over a join of ${sources.tables.join(', ')} is not maintained incrementally`,
    );
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

const VOLATILE_FUNCTIONS = new Set([
  'random',
  'rand',
  'randomblob',
  'now',
  'uuid',
  'uuid_short',
  'gen_random_uuid',
  'uuid_generate_v1',
  'uuid_generate_v4',
  'clock_timestamp',
  'statement_timestamp',
  'transaction_timestamp',
  'timeofday',
  'sysdate',
  'curdate',
  'curtime',
  'utc_timestamp',
  'utc_date',
  'utc_time',
  'current_timestamp',
  'current_date',
  'current_time',
  'localtime',
  'localtimestamp',
  'nextval',
  'setval',
  'last_insert_rowid',
  'changes',
  'total_changes',
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
  return (
    timeValue === undefined ||
    args.some((arg) => isObject(arg) && typeof arg.value === 'string' && arg.value.toLowerCase() === 'now')
  );
}

function describeVolatile(node: Node): string {
  if (node.type === 'column_ref') return columnName(node).toUpperCase();
  const name = functionName(node);
  return node.args === undefined ? name.toUpperCase() : `${name}(…)`;
}
