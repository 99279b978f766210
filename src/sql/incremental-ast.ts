/**
 * Reading node-sql-parser's AST for the incremental classifier: the AST is untyped JSON whose shape differs a
 * little between grammars, so every access goes through these helpers.
 */
import type { NotIncrementalReason } from './incremental-shape-types';

/** An AST node. */
export type Node = { readonly [key: string]: unknown };

/** Thrown by a check that found a construct preventing incremental maintenance; caught by the classifier. */
export class Rejection extends Error {
  constructor(
    readonly reason: NotIncrementalReason,
    detail: string,
  ) {
    super(detail);
  }
}

export function isDistinct(distinct: unknown): boolean {
  const value = isObject(distinct) ? distinct.type : distinct;
  return typeof value === 'string' && value.toUpperCase() === 'DISTINCT';
}

export function columnsOf(select: Node): Node[] {
  return Array.isArray(select.columns) ? select.columns.filter(isObject) : [];
}

export function isObject(value: unknown): value is Node {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

export function isColumn(value: unknown): value is Node {
  return isObject(value) && value.type === 'column_ref' && columnName(value) !== '*';
}

/** A column name from either AST form: a string, or PostgreSQL's `{ expr: { value } }`. */
export function columnName(column: Node): string {
  const { column: name } = column;
  if (typeof name === 'string') return name;
  const value = isObject(name) && isObject(name.expr) ? name.expr.value : undefined;
  return typeof value === 'string' ? value : '';
}

export function tableName(item: Node): string {
  const parts = [item.db, item.schema, item.table].filter(
    (part): part is string => typeof part === 'string' && part !== '',
  );
  return parts.join('.');
}

export function functionName(call: Node): string {
  if (typeof call.name === 'string') return call.name;
  const parts = isObject(call.name) && Array.isArray(call.name.name) ? call.name.name : [];
  return parts.map((part) => (isObject(part) ? String(part.value) : String(part))).join('.');
}

export function functionArgs(call: Node): unknown[] {
  return isObject(call.args) && Array.isArray(call.args.value) ? call.args.value : [];
}

/** A short rendering for messages; SQL text would need node-sql-parser's printer, which varies by grammar. */
export function describe(expr: Node, depth = 0): string {
  if (expr.type === 'column_ref') return columnName(expr);
  if (expr.type === 'aggr_func' || expr.type === 'function') return `${functionName(expr)}(…)`;
  if (expr.type === 'binary_expr' && typeof expr.operator === 'string') {
    // Deeper operands are elided: the message stays short and the recursion bounded.
    const side = (value: unknown) => (isObject(value) && depth < 8 ? describe(value, depth + 1) : '…');
    return `${side(expr.left)} ${expr.operator} ${side(expr.right)}`;
  }
  if (expr.value !== undefined) return String(expr.value);
  return 'an expression';
}

/**
 * The first object node under `root` (depth-first, in order, root included) that satisfies `test`. Keeps its
 * own stack: an expression thousands of terms long nests that deep in the AST.
 */
export function find(root: unknown, test: (node: Node) => boolean): Node | undefined {
  const stack: unknown[] = [root];
  while (stack.length > 0) {
    const value = stack.pop();
    const children = Array.isArray(value) ? value : isObject(value) ? Object.values(value) : [];
    if (isObject(value) && test(value)) return value;
    for (let i = children.length - 1; i >= 0; i -= 1) stack.push(children[i]);
  }
  return undefined;
}
