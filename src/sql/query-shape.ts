/**
 * Whether a NOT NULL table column still cannot be NULL once a query has read it. An engine tells which table
 * column an output column comes from, also through outer joins and grouping sets, which can turn it NULL;
 * node-sql-parser's AST tells whether the query has such a shape. Unknown shapes count as "can be NULL".
 *
 * A defining query's shape is read in the analysis worker with the rest of the query (see analysis-thread.ts)
 * and remembered here, so that describing the query afterwards does not parse it on the event loop.
 */
import type { SqlDialect } from '../model';
import { astifyInDialect } from './dialects';

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

/** The one SELECT a parse holds, or null (more statements, another statement, nothing parsed). */
function selectOf(ast: unknown): AstNode | null {
  const first: unknown = Array.isArray(ast) ? (ast.length === 1 ? ast[0] : undefined) : ast;
  return isAstNode(first) && first.type === 'select' ? first : null;
}

/**
 * True when the parsed query is one plain select over tables joined with inner joins only, without set
 * operations, CTEs, sub-selects, grouping sets, or an aggregate without GROUP BY (which yields a row even over no
 * rows).
 */
export function keepsNotNullOf(ast: unknown): boolean {
  const select = selectOf(ast);
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

/** Shapes read off the event loop, by dialect and query text; the oldest go first past the bound. */
const remembered = new Map<string, boolean>();
const MAX_REMEMBERED = 1_000;
const keyOf = (query: string, dialect: SqlDialect) => `${dialect}\u0000${query}`;

/** Keeps what {@link keepsNotNullOf} said of `query`, read elsewhere (the analysis worker). */
export function rememberKeepsNotNull(query: string, dialect: SqlDialect, keeps: boolean): void {
  if (remembered.size >= MAX_REMEMBERED) remembered.delete(remembered.keys().next().value as string);
  remembered.set(keyOf(query, dialect), keeps);
}

/** {@link keepsNotNullOf} of a query's text: the remembered answer, else a parse here. */
export function keepsNotNull(query: string, dialect: SqlDialect): boolean {
  const known = remembered.get(keyOf(query, dialect));
  if (known !== undefined) return known;
  const outcome = astifyInDialect(query, dialect);
  // node-sql-parser knows less SQL than the engines; an unreadable query keeps every column nullable.
  return outcome.ok && keepsNotNullOf(outcome.ast);
}
