/**
 * Types for query output columns SQLite cannot type itself. SQLite only knows the declared type of a column
 * read directly from a table; for expressions this infers a type from node-sql-parser's AST, following what
 * SQLite's functions and operators return. Unknown stays '' (SQLite's "no type").
 *
 * Choices worth knowing:
 * - SUM follows its argument's affinity: INTEGER for INTEGER arguments (SQLite's sum of integers is an
 *   integer), REAL for REAL, NUMERIC otherwise. TOTAL is always REAL, AVG REAL, COUNT INTEGER.
 * - MIN, MAX, ABS, COALESCE / IFNULL / NULLIF and unary minus keep their argument's type.
 * - Comparisons and logical operators are INTEGER (SQLite's booleans are 0 and 1); `||` is TEXT.
 */

/** A node of node-sql-parser's AST, looked at only through the fields read here. */
export type AstNode = Readonly<Record<string, unknown>>;

/** Declared type of a column reference in the query's scope ('' when SQLite has none). */
export type ColumnTypeLookup = (columnRef: AstNode) => string;

export type Affinity = 'INTEGER' | 'TEXT' | 'BLOB' | 'REAL' | 'NUMERIC';

/** SQLite's affinity rules (https://sqlite.org/datatype3.html §3.1), in their order of precedence. */
export function typeAffinity(declaredType: string): Affinity {
  const type = declaredType.toUpperCase();
  if (type.includes('INT')) return 'INTEGER';
  if (type.includes('CHAR') || type.includes('CLOB') || type.includes('TEXT')) return 'TEXT';
  if (type === '' || type.includes('BLOB')) return 'BLOB';
  if (type.includes('REAL') || type.includes('FLOA') || type.includes('DOUB')) return 'REAL';
  return 'NUMERIC';
}

export function isAstNode(value: unknown): value is AstNode {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const FIXED_RESULT_TYPES: Readonly<Record<string, string>> = (() => {
  const table: Record<string, string> = {};
  const assign = (type: string, names: string) => {
    for (const name of names.split(' ')) table[name] = type;
  };
  assign(
    'TEXT',
    'date time datetime strftime timediff current_date current_time current_timestamp upper lower trim ltrim ' +
      'rtrim substr substring replace printf format hex quote typeof group_concat string_agg char soundex ' +
      'sqlite_version concat concat_ws unistr json json_array json_object json_group_array json_group_object ' +
      'json_quote json_type json_insert json_replace json_set json_remove json_patch',
  );
  assign(
    'INTEGER',
    'count length octet_length instr unicode random changes total_changes last_insert_rowid unixepoch sign ' +
      'row_number rank dense_rank ntile json_array_length json_valid glob like',
  );
  assign(
    'REAL',
    'avg total julianday round percent_rank cume_dist pi sqrt exp ln log log2 log10 pow power sin cos tan asin ' +
      'acos atan atan2 sinh cosh tanh asinh acosh atanh degrees radians mod',
  );
  assign('BLOB', 'randomblob zeroblob unhex');
  return table;
})();

/** Functions whose result has the type of their first argument that has one. */
const ARGUMENT_TYPED = new Set(
  'min max abs coalesce ifnull nullif iif ceil ceiling floor trunc lag lead first_value last_value nth_value likely unlikely likelihood'.split(
    ' ',
  ),
);

const BOOLEAN_OPERATORS = new Set(
  '= == != <> < <= > >= AND OR IS ISNOT IS NOT LIKE NOT LIKE GLOB NOT GLOB IN NOT IN BETWEEN NOT BETWEEN REGEXP MATCH'.split(
    ' ',
  ),
);
const ARITHMETIC_OPERATORS = new Set(['+', '-', '*', '/', '%']);
const BITWISE_OPERATORS = new Set(['&', '|', '<<', '>>']);

/** Lower-cased name of a called function (`aggr_func` or `function` node); '' when it has none. */
export function functionName(node: AstNode): string {
  if (typeof node.name === 'string') return node.name.toLowerCase();
  // node-sql-parser spells function names as { name: [{ type, value }, …] } (schema-qualified parts).
  const parts = isAstNode(node.name) && Array.isArray(node.name.name) ? node.name.name : [];
  const last: unknown = parts[parts.length - 1];
  return isAstNode(last) && typeof last.value === 'string' ? last.value.toLowerCase() : '';
}

function functionArguments(node: AstNode): unknown[] {
  const args = node.args;
  if (!isAstNode(args)) return [];
  if (Array.isArray(args.value)) return args.value;
  return args.expr === undefined ? [] : [args.expr];
}

function numericLiteralType(value: unknown): string {
  if (typeof value === 'number') return Number.isInteger(value) ? 'INTEGER' : 'REAL';
  if (typeof value === 'string') return /^[+-]?\d+$/.test(value) || /^0x[0-9a-f]+$/i.test(value) ? 'INTEGER' : 'REAL';
  return '';
}

/** INTEGER op INTEGER stays INTEGER; a REAL on either side makes it REAL; anything else is unknown. */
function arithmeticType(left: string, right: string): string {
  if (left === '' || right === '') return '';
  const affinities = [typeAffinity(left), typeAffinity(right)];
  if (affinities.every((a) => a === 'INTEGER')) return 'INTEGER';
  if (affinities.every((a) => a === 'INTEGER' || a === 'REAL')) return 'REAL';
  return '';
}

function sumType(argumentType: string): string {
  if (argumentType === '') return 'NUMERIC';
  const affinity = typeAffinity(argumentType);
  return affinity === 'INTEGER' || affinity === 'REAL' ? affinity : 'NUMERIC';
}

function caseType(node: AstNode, lookup: ColumnTypeLookup): string {
  const branches = Array.isArray(node.args) ? node.args.filter(isAstNode) : [];
  const types = new Set(
    branches
      .filter((branch) => !(isAstNode(branch.result) && branch.result.type === 'null'))
      .map((branch) => inferExpressionType(branch.result, lookup)),
  );
  const [only] = types;
  return types.size === 1 && only !== undefined ? only : '';
}

function callType(name: string, args: readonly unknown[], lookup: ColumnTypeLookup): string {
  if (name === 'sum') return sumType(args[0] === undefined ? '' : inferExpressionType(args[0], lookup));
  // One-argument min/max is the aggregate, several arguments the scalar function; both keep the type.
  if (ARGUMENT_TYPED.has(name)) {
    for (const arg of args) {
      const type = inferExpressionType(arg, lookup);
      if (type !== '') return type;
    }
    return '';
  }
  return FIXED_RESULT_TYPES[name] ?? '';
}

/**
 * The type of one select-list expression; `lookup` answers the declared type of a column reference in the
 * scope of the select it belongs to.
 */
export function inferExpressionType(expression: unknown, lookup: ColumnTypeLookup): string {
  if (!isAstNode(expression)) return '';
  switch (expression.type) {
    case 'column_ref':
    case 'double_quote_string': // SQLite reads "x" as a column when one is in scope
      return lookup(expression);
    case 'single_quote_string':
    case 'natural_string':
      return 'TEXT';
    case 'hex_string':
    case 'full_hex_string':
      return 'BLOB';
    case 'number':
    case 'bigint':
      return numericLiteralType(expression.value);
    case 'bool':
    case 'exists':
      return 'INTEGER';
    case 'cast': {
      const target: unknown = Array.isArray(expression.target) ? expression.target[0] : expression.target;
      return isAstNode(target) && typeof target.dataType === 'string' ? target.dataType.toUpperCase() : '';
    }
    case 'aggr_func':
    case 'function':
      return callType(functionName(expression), functionArguments(expression), lookup);
    case 'binary_expr': {
      const operator = String(expression.operator).toUpperCase();
      if (operator === '||') return 'TEXT';
      if (BOOLEAN_OPERATORS.has(operator) || BITWISE_OPERATORS.has(operator)) return 'INTEGER';
      if (ARITHMETIC_OPERATORS.has(operator)) {
        return arithmeticType(
          inferExpressionType(expression.left, lookup),
          inferExpressionType(expression.right, lookup),
        );
      }
      return '';
    }
    case 'unary_expr': {
      const operator = String(expression.operator).toUpperCase();
      if (operator === '-' || operator === '+') return inferExpressionType(expression.expr, lookup);
      return operator === 'NOT' || operator === '~' || operator === '!' ? 'INTEGER' : '';
    }
    case 'case':
      return caseType(expression, lookup);
    default:
      return '';
  }
}
