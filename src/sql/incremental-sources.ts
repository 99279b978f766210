/** The FROM list of a SELECT as the incremental classifier accepts it: tables joined by inner equi-joins. */
import { columnName, find, functionName, isColumn, isObject, Rejection, tableName, type Node } from './incremental-ast';

/** Subqueries in FROM, WHERE or the select list (ON and HAVING are rejected by the join and HAVING checks). */
export function rejectSubqueries(select: Node): void {
  for (const item of Array.isArray(select.from) ? select.from : []) {
    if (!isObject(item) || typeof item.table === 'string') continue;
    const expr = item.expr;
    if (isObject(expr) && expr.type === 'function') {
      throw new Rejection(
        'SUBQUERY_IN_FROM',
        `The table-valued function ${functionName(expr)}(…) in FROM is not maintained incrementally`,
      );
    }
    throw new Rejection('SUBQUERY_IN_FROM', 'A subquery in FROM is not maintained incrementally');
  }
  if (find(select.where, isSubquery) !== undefined) {
    throw new Rejection(
      'SUBQUERY_IN_WHERE',
      'A subquery in WHERE (IN, EXISTS or scalar) is not maintained incrementally',
    );
  }
  if (find(select.columns, isSubquery) !== undefined) {
    throw new Rejection('SUBQUERY_IN_SELECT', 'A subquery in the select list is not maintained incrementally');
  }
}

function isSubquery(node: Node): boolean {
  return isObject(node.ast);
}

export interface Sources {
  readonly tables: string[];
  readonly joinKeys: Array<readonly [string, string]>;
}

/** The FROM list's tables and join keys, rejecting anything but inner equi-joins of distinct tables. */
export function readSources(select: Node): Sources {
  const items = (Array.isArray(select.from) ? select.from : []).filter(isObject);
  const tables: string[] = [];
  const byName = new Map<string, string>();
  const joinKeys: Array<readonly [string, string]> = [];
  items.forEach((item, index) => {
    const table = tableName(item);
    const join = typeof item.join === 'string' ? item.join.toUpperCase() : undefined;
    if (index > 0 && join === undefined) {
      throw new Rejection(
        'MULTIPLE_SOURCES',
        `FROM lists ${tables[0]} and ${table} separated by a comma; write the join as INNER JOIN … ON`,
      );
    }
    if (join !== undefined && join !== 'INNER JOIN' && join !== 'JOIN') {
      throw new Rejection(
        'OUTER_JOIN_NOT_SUPPORTED',
        `${join} with ${table} is not maintained incrementally; only INNER JOIN is`,
      );
    }
    if (tables.some((seen) => seen.toLowerCase() === table.toLowerCase())) {
      throw new Rejection('SELF_JOIN', `${table} is joined with itself`);
    }
    // node-sql-parser reads `a CROSS JOIN b` / `a NATURAL JOIN b` as table a aliased CROSS / NATURAL.
    const alias =
      typeof item.as === 'string' && !['CROSS', 'NATURAL'].includes(item.as.toUpperCase()) ? item.as : undefined;
    byName.set((alias ?? (item.table as string)).toLowerCase(), table);
    byName.set(table.toLowerCase(), table);
    if (index > 0) joinKeys.push(...joinKeysOf(item, table, tables[tables.length - 1] ?? table, byName));
    tables.push(table);
  });
  return { tables, joinKeys };
}

function joinKeysOf(
  item: Node,
  table: string,
  previous: string,
  byName: ReadonlyMap<string, string>,
): Array<readonly [string, string]> {
  if (Array.isArray(item.using) && item.using.length > 0) {
    return item.using.map((column) => {
      const name = isObject(column) ? String(column.value) : String(column);
      return [`${previous}.${name}`, `${table}.${name}`] as const;
    });
  }
  if (!isObject(item.on)) {
    throw new Rejection(
      'NON_EQUI_JOIN',
      `The join with ${table} has no ON condition (CROSS or NATURAL JOIN); write INNER JOIN … ON`,
    );
  }
  return conjuncts(item.on).map((condition) => {
    const { left, right } = condition;
    if (condition.type !== 'binary_expr' || condition.operator !== '=' || !isColumn(left) || !isColumn(right)) {
      throw new Rejection(
        'NON_EQUI_JOIN',
        `The ON condition of the join with ${table} is not only column = column equalities`,
      );
    }
    return [qualified(left, byName), qualified(right, byName)] as const;
  });
}

/** The terms of `a AND b AND …`, in order; iterative, as a long AND chain nests as deep as it is long. */
function conjuncts(root: Node): Node[] {
  const terms: Node[] = [];
  const stack: Node[] = [root];
  for (let node = stack.pop(); node !== undefined; node = stack.pop()) {
    if (node.type === 'binary_expr' && node.operator === 'AND' && isObject(node.left) && isObject(node.right)) {
      stack.push(node.right, node.left);
    } else {
      terms.push(node);
    }
  }
  return terms;
}

function qualified(column: Node, byName: ReadonlyMap<string, string>): string {
  const name = columnName(column);
  if (typeof column.table !== 'string') return name;
  return `${byName.get(column.table.toLowerCase()) ?? column.table}.${name}`;
}
