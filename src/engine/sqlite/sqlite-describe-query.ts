/**
 * The output columns of a query without running it (worker side). SQLite gives names, declared types and the
 * table column each output column reads; node-sql-parser's AST fills in types of expressions and tells whether
 * a NOT NULL column can still produce NULL through the query's shape.
 */
import type { Database } from 'better-sqlite3';
import { Parser } from 'node-sql-parser/build/sqlite';
import type { ColumnInfo } from '../engine';
import { describeTable } from './sqlite-introspection';
import { asSubquery } from './sqlite-sql';
import { type AstNode, functionName, inferExpressionType, isAstNode } from './sqlite-types';

const parser = new Parser();

interface OutputColumn {
  readonly name: string;
  readonly type: string | null;
  readonly table: string | null;
  readonly column: string | null;
  readonly database: string | null;
}

/** What the AST says about one select: its select-list expressions and whether NOT NULL survives it. */
interface SelectShape {
  readonly select: AstNode;
  /** The select-list expression behind an output column; 'star' when it came from a `*` expansion. */
  readonly expressionOf: (index: number, name: string) => AstNode | 'star' | undefined;
  /** No outer join, set operation, subquery, CTE or group-less aggregate that could turn a NOT NULL column into NULL. */
  readonly keepsNotNull: boolean;
  /** Names of the tables in the FROM clause, lower-cased. */
  readonly fromTables: ReadonlySet<string>;
}

function parseSelect(query: string): AstNode | null {
  try {
    const ast: unknown = parser.astify(query, { database: 'sqlite' });
    const first: unknown = Array.isArray(ast) ? (ast.length === 1 ? ast[0] : undefined) : ast;
    return isAstNode(first) && first.type === 'select' ? first : null;
  } catch {
    return null; // node-sql-parser knows less SQL than SQLite (e.g. window clauses); fall back to no inference
  }
}

function outputName(column: AstNode): string | null {
  if (typeof column.as === 'string') return column.as;
  if (isAstNode(column.as) && typeof column.as.value === 'string') return column.as.value;
  const expr = column.expr;
  if (isAstNode(expr) && expr.type === 'column_ref' && typeof expr.column === 'string') return expr.column;
  return null;
}

function isStar(column: AstNode): boolean {
  const expr = column.expr;
  return isAstNode(expr) && (expr.type === 'star' || (expr.type === 'column_ref' && expr.column === '*'));
}

function visit(node: unknown, found: (node: AstNode) => void): void {
  if (Array.isArray(node)) {
    for (const item of node) visit(item, found);
  } else if (isAstNode(node)) {
    found(node);
    for (const value of Object.values(node)) visit(value, found);
  }
}

const AGGREGATES = new Set(['count', 'sum', 'total', 'avg', 'min', 'max', 'group_concat', 'string_agg']);

function keepsNotNull(select: AstNode): boolean {
  let selects = 0;
  let nullable = false;
  visit(select, (node) => {
    if (node.type === 'select') selects += 1;
    if (typeof node.join === 'string' && /LEFT|RIGHT|FULL|OUTER/i.test(node.join)) nullable = true;
  });
  let aggregated = false;
  visit(select.columns, (node) => {
    if (node.type === 'aggr_func' || (node.type === 'function' && AGGREGATES.has(functionName(node))))
      aggregated = true;
  });
  // An aggregate without GROUP BY yields one row even over no rows, with NULL in its bare columns.
  const grouped =
    isAstNode(select.groupby) && Array.isArray(select.groupby.columns) && select.groupby.columns.length > 0;
  return selects === 1 && !nullable && !select._next && !select.with && !(aggregated && !grouped);
}

function shapeOf(select: AstNode, outputCount: number): SelectShape {
  const columns = (Array.isArray(select.columns) ? select.columns : []).filter(isAstNode);
  const hasStar = columns.some(isStar);
  const byName = new Map<string, AstNode>();
  for (const column of columns) {
    const name = outputName(column);
    if (name !== null && isAstNode(column.expr) && !byName.has(name)) byName.set(name, column.expr);
  }
  const expressionOf = (index: number, name: string): AstNode | 'star' | undefined => {
    if (!hasStar && columns.length === outputCount) {
      const expr = columns[index]?.expr;
      return isAstNode(expr) ? expr : undefined;
    }
    return byName.get(name) ?? (hasStar ? 'star' : undefined);
  };
  const fromTables = new Set<string>();
  for (const item of Array.isArray(select.from) ? select.from : []) {
    if (isAstNode(item) && typeof item.table === 'string') fromTables.add(item.table.toLowerCase());
  }
  return { select, expressionOf, keepsNotNull: keepsNotNull(select), fromTables };
}

/**
 * Declared type of a column reference, asked of SQLite itself: the reference becomes the only select-list
 * item of the same FROM (with its CTEs and joins), so aliases and subqueries resolve exactly as in the query.
 */
function columnTypeProbe(db: Database, select: AstNode): (columnRef: AstNode) => string {
  const cache = new Map<string, string>();
  return (columnRef) => {
    const key = JSON.stringify(columnRef);
    const known = cache.get(key);
    if (known !== undefined) return known;
    let type = '';
    try {
      const probe = {
        ...select,
        columns: [{ expr: columnRef, as: null }],
        distinct: null,
        groupby: null,
        having: null,
        orderby: null,
        limit: null,
        _next: null,
        set_op: null,
      };
      type = db.prepare(parser.sqlify(probe as never, { database: 'sqlite' })).columns()[0]?.type ?? '';
    } catch {
      type = ''; // the probe is best effort: a parser round trip SQLite rejects just means "unknown type"
    }
    cache.set(key, type);
    return type;
  };
}

function isNotNullColumn(db: Database, column: OutputColumn): boolean {
  if (column.table === null || column.column === null) return false;
  const table = describeTable(db, { database: column.database, name: column.table });
  return table?.columns.find((candidate) => candidate.name === column.column)?.nullable === false;
}

/** See {@link Engine.describeQuery}; types as documented in `sqlite-types.ts`. */
export function describeQuery(db: Database, query: string): ColumnInfo[] {
  const outputs = db.prepare(`SELECT * FROM ${asSubquery(query)}`).columns() as OutputColumn[];
  const select = parseSelect(query);
  const shape = select === null ? null : shapeOf(select, outputs.length);
  const lookup = shape === null ? null : columnTypeProbe(db, shape.select);
  return outputs.map((output, index) => {
    const expression = shape?.expressionOf(index, output.name);
    let type = output.type ?? '';
    if (type === '' && lookup !== null && isAstNode(expression)) type = inferExpressionType(expression, lookup);
    const readDirectly =
      expression === 'star' ||
      (isAstNode(expression) && ['column_ref', 'double_quote_string'].includes(String(expression.type)));
    const notNull =
      shape?.keepsNotNull &&
      readDirectly &&
      output.table !== null &&
      shape.fromTables.has(output.table.toLowerCase()) &&
      isNotNullColumn(db, output);
    return { name: output.name, type, nullable: !notNull };
  });
}
