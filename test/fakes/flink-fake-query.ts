/**
 * The fake gateway's query engine: SELECT over one table or sub-query, with WITH, WHERE, DISTINCT, ORDER BY
 * and LIMIT, column references, literals, comparisons, AND/OR/NOT, IS [NOT] NULL, IN, LIKE, arithmetic and
 * `||`. Parsed with node-sql-parser's Flink SQL grammar. Unknown tables and columns fail like Flink's
 * validator (`Object 'x' not found`, `Column 'x' not found in any table`, with positions); SQL outside this
 * subset (joins, aggregates, set operations) fails as "not modelled", a limit of the fake.
 */
import { Parser } from 'node-sql-parser/build/flinksql';
import { type FakeColumn, notModelled } from './flink-fake-catalog';
import { type JavaThrowable, java, validationAt } from './flink-fake-errors';

export interface Relation {
  readonly columns: readonly FakeColumn[];
  readonly rows: readonly (readonly unknown[])[];
}

export interface QueryEnvironment {
  /** A table or view by the parts of its name; undefined when there is none. */
  resolve(parts: readonly string[]): Relation | undefined;
  /** The statement the query is part of, and where the query starts in it, for positions in messages. */
  readonly statement: string;
  readonly queryOffset: number;
}

type AstNode = Record<string, unknown>;
const isNode = (value: unknown): value is AstNode =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
const parser = new Parser();

interface Compiled {
  readonly column: Omit<FakeColumn, 'name'>;
  readonly evaluate: (row: readonly unknown[]) => unknown;
}

interface Scope {
  readonly qualifier: string | null;
  readonly columns: readonly FakeColumn[];
  readonly env: QueryEnvironment;
}

/** 1-based line and column of an offset. */
export function positionAt(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset).split('\n');
  return { line: before.length, column: (before[before.length - 1]?.length ?? 0) + 1 };
}

/** Calcite's positioned error for a name, found in the statement text after the query's start. */
function errorAtName(env: QueryEnvironment, name: string, message: string): JavaThrowable {
  const escaped = name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const pattern = new RegExp(`\`${escaped}\`|\\b${escaped}\\b`, 'g');
  pattern.lastIndex = env.queryOffset;
  const found = pattern.exec(env.statement);
  const start = found?.index ?? env.queryOffset;
  const end = start + Math.max(1, found?.[0].length ?? 1) - 1;
  const from = positionAt(env.statement, start);
  const to = positionAt(env.statement, end);
  return validationAt(message, { line: from.line, column: from.column, endLine: to.line, endColumn: to.column });
}

function identifierOf(value: unknown): string {
  if (typeof value === 'string') return value;
  if (isNode(value) && isNode(value.expr) && typeof value.expr.value === 'string') return value.expr.value;
  if (isNode(value) && typeof value.value === 'string') return value.value;
  return String(value);
}

function compare(left: unknown, right: unknown): number | null {
  if (left === null || right === null || left === undefined || right === undefined) return null;
  const numeric = (value: unknown) =>
    typeof value === 'number'
      ? value
      : typeof value === 'string' && value.trim() !== '' && !Number.isNaN(Number(value))
        ? Number(value)
        : null;
  if (typeof left === 'number' || typeof right === 'number') {
    const a = numeric(left);
    const b = numeric(right);
    if (a !== null && b !== null) return a - b;
  }
  const a = String(left);
  const b = String(right);
  return a < b ? -1 : a > b ? 1 : 0;
}

function likePattern(pattern: string): RegExp {
  const body = pattern
    .replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
    .replace(/%/g, '.*')
    .replace(/_/g, '.');
  return new RegExp(`^${body}$`, 's');
}

const BOOLEAN = { type: 'BOOLEAN', nullable: true } as const;

function compile(expression: unknown, scope: Scope): Compiled {
  if (!isNode(expression)) throw notModelled(`the expression ${JSON.stringify(expression)}`);
  switch (expression.type) {
    case 'column_ref': {
      const name = identifierOf(expression.column);
      const qualifier =
        expression.table === null || expression.table === undefined ? null : identifierOf(expression.table);
      if (qualifier !== null && qualifier !== scope.qualifier) {
        throw errorAtName(scope.env, qualifier, `Table '${qualifier}' not found`);
      }
      const index = scope.columns.findIndex((column) => column.name === name);
      const column = scope.columns[index];
      if (column === undefined) {
        throw errorAtName(
          scope.env,
          name,
          qualifier === null
            ? `Column '${name}' not found in any table`
            : `Column '${name}' not found in table '${qualifier}'`,
        );
      }
      return { column: { type: column.type, nullable: column.nullable }, evaluate: (row) => row[index] ?? null };
    }
    case 'single_quote_string':
    case 'string': {
      const value = String(expression.value);
      return { column: { type: `CHAR(${Math.max(1, value.length)})`, nullable: false }, evaluate: () => value };
    }
    case 'number': {
      const value = Number(expression.value);
      const type = Number.isInteger(value)
        ? 'INT'
        : `DECIMAL(${String(value).replace(/[-.]/g, '').length}, ${String(value).split('.')[1]?.length ?? 0})`;
      return { column: { type, nullable: false }, evaluate: () => value };
    }
    case 'bool':
      return { column: { type: 'BOOLEAN', nullable: false }, evaluate: () => expression.value === true };
    case 'null':
      return { column: { type: 'NULL', nullable: true }, evaluate: () => null };
    case 'unary_expr': {
      if (String(expression.operator).toUpperCase() !== 'NOT')
        throw notModelled(`the operator ${String(expression.operator)}`);
      const operand = compile(expression.expr, scope);
      return {
        column: BOOLEAN,
        evaluate: (row) => {
          const v = operand.evaluate(row);
          return v === null ? null : !v;
        },
      };
    }
    case 'binary_expr':
      return compileBinary(expression, scope);
    default:
      throw notModelled(`the expression type ${String(expression.type)}`);
  }
}

function compileBinary(expression: AstNode, scope: Scope): Compiled {
  const operator = String(expression.operator).toUpperCase();
  const left = compile(expression.left, scope);
  if ((operator === 'IS' || operator === 'IS NOT') && isNode(expression.right) && expression.right.type === 'null') {
    return {
      column: { type: 'BOOLEAN', nullable: false },
      evaluate: (row) => (left.evaluate(row) === null) === (operator === 'IS'),
    };
  }
  if (operator === 'IN' || operator === 'NOT IN') {
    const list = isNode(expression.right) && Array.isArray(expression.right.value) ? expression.right.value : [];
    const items = list.map((item) => compile(item, scope));
    return {
      column: BOOLEAN,
      evaluate: (row) => {
        const value = left.evaluate(row);
        if (value === null) return null;
        const found = items.some((item) => compare(value, item.evaluate(row)) === 0);
        return operator === 'IN' ? found : !found;
      },
    };
  }
  const right = compile(expression.right, scope);
  const both = (row: readonly unknown[], apply: (a: unknown, b: unknown) => unknown) => {
    const a = left.evaluate(row);
    const b = right.evaluate(row);
    return a === null || b === null ? null : apply(a, b);
  };
  const comparison = (test: (order: number) => boolean): Compiled => ({
    column: BOOLEAN,
    evaluate: (row) => {
      const order = compare(left.evaluate(row), right.evaluate(row));
      return order === null ? null : test(order);
    },
  });
  switch (operator) {
    case '=':
      return comparison((order) => order === 0);
    case '<>':
    case '!=':
      return comparison((order) => order !== 0);
    case '<':
      return comparison((order) => order < 0);
    case '<=':
      return comparison((order) => order <= 0);
    case '>':
      return comparison((order) => order > 0);
    case '>=':
      return comparison((order) => order >= 0);
    case 'AND':
      return {
        column: BOOLEAN,
        evaluate: (row) => {
          const a = left.evaluate(row);
          const b = right.evaluate(row);
          return a === false || b === false ? false : a === null || b === null ? null : true;
        },
      };
    case 'OR':
      return {
        column: BOOLEAN,
        evaluate: (row) => {
          const a = left.evaluate(row);
          const b = right.evaluate(row);
          return a === true || b === true ? true : a === null || b === null ? null : false;
        },
      };
    case 'LIKE':
    case 'NOT LIKE':
      return {
        column: BOOLEAN,
        evaluate: (row) => both(row, (a, b) => likePattern(String(b)).test(String(a)) === (operator === 'LIKE')),
      };
    case '||':
      return {
        column: { type: 'STRING', nullable: true },
        evaluate: (row) => both(row, (a, b) => `${String(a)}${String(b)}`),
      };
    case '+':
    case '-':
    case '*':
    case '/': {
      const apply = {
        '+': (a: number, b: number) => a + b,
        '-': (a: number, b: number) => a - b,
        '*': (a: number, b: number) => a * b,
        '/': (a: number, b: number) => a / b,
      }[operator];
      return {
        column: { type: left.column.type, nullable: left.column.nullable || right.column.nullable },
        evaluate: (row) => both(row, (a, b) => apply(Number(a), Number(b))),
      };
    }
    default:
      throw notModelled(`the operator ${operator}`);
  }
}

function parseQuery(query: string, env: QueryEnvironment): AstNode {
  let ast: unknown;
  try {
    ast = parser.astify(query, { database: 'flinksql' });
  } catch (error) {
    const location = (error as { location?: { start?: { offset?: number } }; found?: unknown }).location;
    const offset = env.queryOffset + (location?.start?.offset ?? 0);
    const at = positionAt(env.statement, offset);
    const found = (error as { found?: unknown }).found;
    const message = `Encountered "${typeof found === 'string' ? found : '<EOF>'}" at line ${at.line}, column ${at.column}.`;
    throw java.sqlParser(`SQL parse failed. ${message}`, java.calciteParse(message));
  }
  const single = Array.isArray(ast) ? (ast.length === 1 ? ast[0] : undefined) : ast;
  if (!isNode(single) || single.type !== 'select')
    throw notModelled('statements other than a single SELECT in a query');
  return single;
}

function sourceOf(
  item: unknown,
  env: QueryEnvironment,
  ctes: ReadonlyMap<string, Relation>,
): { qualifier: string | null; relation: Relation } {
  if (!isNode(item)) throw notModelled('this FROM clause');
  const alias = typeof item.as === 'string' ? item.as : null;
  if (isNode(item.expr) && isNode(item.expr.ast))
    return { qualifier: alias, relation: evaluateSelect(item.expr.ast, env, ctes) };
  if (typeof item.table !== 'string') throw notModelled('this FROM clause');
  if (item.join !== undefined && item.join !== null) throw notModelled('joins');
  const parts = [...(typeof item.db === 'string' && item.db !== '' ? item.db.split('.') : []), item.table];
  const relation = (parts.length === 1 ? ctes.get(item.table) : undefined) ?? env.resolve(parts);
  if (relation === undefined) {
    const prefix = parts.slice(0, -1).join('.');
    throw errorAtName(
      env,
      item.table,
      prefix === '' ? `Object '${item.table}' not found` : `Object '${item.table}' not found within '${prefix}'`,
    );
  }
  return { qualifier: alias ?? item.table, relation };
}

function evaluateSelect(ast: AstNode, env: QueryEnvironment, outer: ReadonlyMap<string, Relation>): Relation {
  if (ast._next !== undefined && ast._next !== null) throw notModelled('set operations (UNION, INTERSECT, EXCEPT)');
  if (ast.groupby !== null && ast.groupby !== undefined && !(isNode(ast.groupby) && ast.groupby.columns === null))
    throw notModelled('GROUP BY');
  if (ast.having !== null && ast.having !== undefined) throw notModelled('HAVING');
  const ctes = new Map(outer);
  for (const cte of Array.isArray(ast.with) ? ast.with : []) {
    if (!isNode(cte) || !isNode(cte.stmt) || !isNode(cte.stmt.ast)) throw notModelled('this WITH clause');
    ctes.set(identifierOf(cte.name), evaluateSelect(cte.stmt.ast, env, ctes));
  }
  const from = Array.isArray(ast.from) ? ast.from : [];
  if (from.length > 1) throw notModelled('joins');
  const source =
    from.length === 0 ? { qualifier: null, relation: { columns: [], rows: [[]] } } : sourceOf(from[0], env, ctes);
  const scope: Scope = { qualifier: source.qualifier, columns: source.relation.columns, env };
  const where = ast.where === null || ast.where === undefined ? null : compile(ast.where, scope);
  let rows = source.relation.rows.filter((row) => where === null || where.evaluate(row) === true);

  const outputs: { name: string; compiled: Compiled }[] = [];
  for (const [index, item] of (Array.isArray(ast.columns) ? ast.columns : []).entries()) {
    if (!isNode(item) || !isNode(item.expr)) throw notModelled('this select list');
    const expr = item.expr;
    if (expr.type === 'aggr_func' || expr.type === 'function') throw notModelled('functions and aggregates');
    if (expr.type === 'star' || (expr.type === 'column_ref' && identifierOf(expr.column) === '*')) {
      for (const [position, column] of source.relation.columns.entries()) {
        outputs.push({ name: column.name, compiled: { column, evaluate: (row) => row[position] ?? null } });
      }
      continue;
    }
    const compiled = compile(expr, scope);
    const name =
      typeof item.as === 'string' ? item.as : expr.type === 'column_ref' ? identifierOf(expr.column) : `EXPR$${index}`;
    outputs.push({ name, compiled });
  }
  if (Array.isArray(ast.orderby)) {
    const keys = ast.orderby.map((order) => ({
      key: compile(isNode(order) ? order.expr : order, scope),
      descending: isNode(order) && String(order.type).toUpperCase() === 'DESC',
    }));
    rows = [...rows].sort((a, b) => {
      for (const { key, descending } of keys) {
        const order = compare(key.evaluate(a), key.evaluate(b)) ?? 0;
        if (order !== 0) return descending ? -order : order;
      }
      return 0;
    });
  }
  let projected = rows.map((row) => outputs.map((output) => output.compiled.evaluate(row)));
  if (ast.distinct === 'DISTINCT') {
    const seen = new Set<string>();
    projected = projected.filter(
      (row) => !seen.has(JSON.stringify(row)) && seen.add(JSON.stringify(row)) !== undefined,
    );
  }
  const limit =
    isNode(ast.limit) && Array.isArray(ast.limit.value) && isNode(ast.limit.value[0])
      ? Number(ast.limit.value[0].value)
      : null;
  if (limit !== null) projected = projected.slice(0, limit);
  return { columns: outputs.map((output) => ({ name: output.name, ...output.compiled.column })), rows: projected };
}

/** Runs a query; its columns and rows. */
export function runQuery(query: string, env: QueryEnvironment): Relation {
  return evaluateSelect(parseQuery(query, env), env, new Map());
}
