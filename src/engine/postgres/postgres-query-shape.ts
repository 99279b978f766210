/**
 * Whether a NOT NULL table column still cannot be NULL once a query has read it. PostgreSQL tells which table
 * column an output column comes from, also through outer joins and grouping sets, which can turn it NULL;
 * node-sql-parser's AST tells whether the query has such a shape. Unknown shapes count as "can be NULL".
 */
import { Parser } from 'node-sql-parser/build/postgresql';

const parser = new Parser();

type AstNode = { readonly [key: string]: unknown };

function isAstNode(value: unknown): value is AstNode {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function visit(node: unknown, found: (node: AstNode) => void): void {
  if (Array.isArray(node)) {
    for (const item of node) visit(item, found);
  } else if (isAstNode(node)) {
    found(node);
    for (const value of Object.values(node)) visit(value, found);
  }
}

/** Lower-cased name of a called function; node-sql-parser spells it as a string or as name parts. */
function functionName(node: AstNode): string {
  if (typeof node.name === 'string') return node.name.toLowerCase();
  const parts = isAstNode(node.name) && Array.isArray(node.name.name) ? node.name.name : [];
  const last: unknown = parts[parts.length - 1];
  return isAstNode(last) && typeof last.value === 'string' ? last.value.toLowerCase() : '';
}

const GROUPING_SETS = new Set(['rollup', 'cube', 'grouping sets']);
const INNER_JOINS = new Set(['JOIN', 'INNER JOIN', 'CROSS JOIN']);

function parseSelect(query: string): AstNode | null {
  try {
    const ast: unknown = parser.astify(query, { database: 'postgresql' });
    const first: unknown = Array.isArray(ast) ? (ast.length === 1 ? ast[0] : undefined) : ast;
    return isAstNode(first) && first.type === 'select' ? first : null;
  } catch {
    return null; // node-sql-parser knows less SQL than PostgreSQL; an unreadable query keeps every column nullable
  }
}

/**
 * True when the query is one plain select over tables joined with inner joins only, without set operations,
 * CTEs, sub-selects, grouping sets, or an aggregate without GROUP BY (which yields a row even over no rows).
 */
export function keepsNotNull(query: string): boolean {
  const select = parseSelect(query);
  if (select === null || select.with || select._next || select.set_op) return false;
  let selects = 0;
  visit(select, (node) => {
    if (node.type === 'select') selects += 1;
  });
  const from = Array.isArray(select.from) ? select.from.filter(isAstNode) : [];
  const plainTables = from.every(
    (item) =>
      typeof item.table === 'string' && (item.join === undefined || INNER_JOINS.has(String(item.join).toUpperCase())),
  );
  const groupColumns = isAstNode(select.groupby) && Array.isArray(select.groupby.columns) ? select.groupby.columns : [];
  let groupingSets = false;
  visit(groupColumns, (node) => {
    if (node.type === 'function' && GROUPING_SETS.has(functionName(node))) groupingSets = true;
  });
  let aggregated = false;
  visit(select.columns, (node) => {
    if (node.type === 'aggr_func') aggregated = true;
  });
  return selects === 1 && plainTables && !groupingSets && !(aggregated && groupColumns.length === 0);
}
