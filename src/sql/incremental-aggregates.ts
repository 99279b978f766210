/** The aggregates and GROUP BY of a SELECT as the incremental classifier accepts them. */
import type { SqlDialect } from '../model';
import {
  columnName,
  columnsOf,
  describe,
  functionName,
  isColumn,
  isDistinct,
  isObject,
  Rejection,
  type Node,
} from './incremental-ast';
import type { IncrementalAggregate, IncrementalAggregateFunction, IncrementalShape } from './incremental-shape-types';

const SUPPORTED_AGGREGATES = new Set<string>(['COUNT', 'SUM', 'AVG', 'MIN', 'MAX']);
/** Aggregates node-sql-parser reads as plain functions. */
const OTHER_AGGREGATES = new Set([
  'total',
  'group_concat',
  'string_agg',
  'array_agg',
  'json_agg',
  'jsonb_agg',
  'json_group_array',
  'json_group_object',
  'bool_and',
  'bool_or',
  'every',
  'bit_and',
  'bit_or',
  'bit_xor',
  'stddev',
  'stddev_pop',
  'stddev_samp',
  'variance',
  'var_pop',
  'var_samp',
  'median',
  'percentile_cont',
  'percentile_disc',
  'mode',
  'json_arrayagg',
  'json_objectagg',
]);

export function isAggregateCall(node: Node): boolean {
  return (
    node.type === 'aggr_func' || (node.type === 'function' && OTHER_AGGREGATES.has(functionName(node).toLowerCase()))
  );
}

export function aggregateShape(select: Node, source: string, distinct: boolean, dialect: SqlDialect): IncrementalShape {
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
      throw new Rejection(
        'AGGREGATE_OF_EXPRESSION',
        `The select item ${describe(expr)} of a grouped query is neither a GROUP BY column nor a single aggregate`,
      );
    }
    aggregates.push(aggregateOf(expr, typeof column.as === 'string' ? column.as : undefined, dialect));
  }
  if (distinct && groupBy.some((key) => !selected.has(key.toLowerCase()))) {
    throw new Rejection(
      'DISTINCT_AGGREGATE',
      'SELECT DISTINCT over a grouped query that does not select every GROUP BY column',
    );
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
    throw new Rejection(
      'AGGREGATE_OF_EXPRESSION',
      `GROUP BY ${describe(target)} groups by an expression, not a column`,
    );
  }
  return columnName(target);
}

function aggregateOf(call: Node, alias: string | undefined, dialect: SqlDialect): IncrementalAggregate {
  const name = functionName(call).toUpperCase();
  if (!SUPPORTED_AGGREGATES.has(name) || call.type !== 'aggr_func') {
    throw new Rejection(
      'UNSUPPORTED_AGGREGATE',
      `The aggregate ${name}(…) is not maintained incrementally; COUNT, SUM, AVG, MIN and MAX are`,
    );
  }
  const fn = name as IncrementalAggregateFunction;
  const args = isObject(call.args) ? call.args : {};
  if (isDistinct(args.distinct))
    throw new Rejection('DISTINCT_AGGREGATE', `${fn}(DISTINCT …) is not maintained incrementally`);
  const argument = isObject(args.expr) ? args.expr : undefined;
  let column: string | null;
  if (argument?.type === 'star' && fn === 'COUNT') column = null;
  else if (argument !== undefined && isColumn(argument)) column = columnName(argument);
  else
    throw new Rejection(
      'AGGREGATE_OF_EXPRESSION',
      `${fn}(${argument === undefined ? '' : describe(argument)}) aggregates an expression, not a column`,
    );
  const defaultName = dialect === 'postgresql' ? fn.toLowerCase() : `${fn}(${column ?? '*'})`;
  return { fn, column, alias: alias ?? defaultName };
}
