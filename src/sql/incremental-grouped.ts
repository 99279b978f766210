/** The maintenance of GROUP BY and DISTINCT queries: the query yielding the aggregates' inputs, and the outputs. */
import type { IncrementalAggregateFunction, IncrementalShape } from './incremental-shape-types';
import type { GroupedAggregate, GroupedMaintenance, GroupedOutput } from './incremental-plan-types';
import {
  clausesOf,
  closes,
  columnKey,
  PlanFailure,
  type Range,
  type Scanned,
  splitCommas,
  textOf,
  withoutAlias,
  withoutOrderBy,
} from './incremental-scan';
import { branchTemplate } from './incremental-template';
import { isSymbol, upperWord, type Token } from './tokenizer';

const AGGREGATES = new Set(['COUNT', 'SUM', 'AVG', 'MIN', 'MAX']);

/** The grouped maintenance of one GROUP BY or DISTINCT SELECT, `branch` of `scanned`. */
export function groupedMaintenance(
  scanned: Scanned,
  branch: Range,
  shape: Extract<IncrementalShape, { kind: 'aggregate' | 'distinct' }>,
  sourceIndex: (tokens: readonly Token[]) => number,
): GroupedMaintenance {
  const range = withoutOrderBy(scanned, branch);
  const clauses = clausesOf(scanned, range);
  const fromAt = clauses.get('FROM');
  if (fromAt === undefined) throw new PlanFailure('The query has no FROM clause');
  let listStart = range.from + 1;
  const distinctAt = upperWord(scanned.tokens[listStart] as Token) === 'DISTINCT' ? listStart : -1;
  if (distinctAt >= 0) listStart += 1;
  if (shape.kind === 'distinct') {
    const input = branchTemplate(scanned, range, sourceIndex, new Set([distinctAt]));
    if (input.slots.length !== 1) throw new PlanFailure('Expected one table reference in the DISTINCT query');
    return { kind: 'grouped', input, keyCount: 'all', aggregates: [], outputs: null };
  }
  const items = splitCommas(scanned, listStart, fromAt).map((item) => withoutAlias(scanned, item));
  const groupAt = clauses.get('GROUP');
  const groupEnd = Math.min(
    ...[clauses.get('HAVING'), clauses.get('WINDOW'), clauses.get('ORDER'), clauses.get('LIMIT'), range.to].filter(
      (n): n is number => n !== undefined,
    ),
  );
  const keyTexts = groupAt === undefined ? [] : groupKeys(scanned, { from: groupAt + 2, to: groupEnd }, items);
  const { inputs, aggregates, outputs } = locateOutputs(scanned, items, keyTexts);
  if (aggregates.length !== shape.aggregates.length || aggregates.some((a, i) => a.fn !== shape.aggregates[i]?.fn)) {
    throw new PlanFailure('The aggregates of the query could not be located in its text');
  }
  const fromEnd = Math.min(
    ...[
      groupAt,
      clauses.get('HAVING'),
      clauses.get('WINDOW'),
      clauses.get('ORDER'),
      clauses.get('LIMIT'),
      range.to,
    ].filter((n): n is number => n !== undefined),
  );
  const body = branchTemplate(scanned, { from: fromAt, to: fromEnd }, sourceIndex);
  if (body.slots.length !== 1) throw new PlanFailure('Expected one table reference in the grouped query');
  const pieces = [...body.pieces];
  // COUNT(*) alone reads no column, but a SELECT needs one.
  pieces[0] = `SELECT ${inputs.length === 0 ? '1' : inputs.join(', ')} ${pieces[0] ?? ''}`;
  return { kind: 'grouped', input: { pieces, slots: body.slots }, keyCount: keyTexts.length, aggregates, outputs };
}

/** The GROUP BY keys in `list`, a position (`GROUP BY 1`) replaced by the select item it names. */
function groupKeys(scanned: Scanned, list: Range, items: readonly Range[]): Range[] {
  return splitCommas(scanned, list.from, list.to).map((key) => {
    const token = scanned.tokens[key.from] as Token;
    if (key.to - key.from === 1 && token.kind === 'number') {
      const item = items[Number(token.raw) - 1];
      if (item === undefined) throw new PlanFailure(`GROUP BY ${token.raw} names no select item`);
      return item;
    }
    return key;
  });
}

interface LocatedOutputs {
  /** The input query's select list: the group keys, then each aggregate's argument (none for COUNT(*)). */
  readonly inputs: string[];
  readonly aggregates: GroupedAggregate[];
  readonly outputs: GroupedOutput[];
}

/** Tells each select item apart as a GROUP BY key or an aggregate over an input column. */
function locateOutputs(scanned: Scanned, items: readonly Range[], keyTexts: readonly Range[]): LocatedOutputs {
  const keyNames = keyTexts.map((key) => columnKey(scanned, key));
  const inputs: string[] = keyTexts.map((key) => textOf(scanned, key.from, key.to));
  const aggregates: GroupedAggregate[] = [];
  const outputs: GroupedOutput[] = items.map((item) => {
    const head = scanned.tokens[item.from] as Token;
    const open = scanned.tokens[item.from + 1];
    const fn = upperWord(head);
    if (
      AGGREGATES.has(fn) &&
      open !== undefined &&
      isSymbol(open, '(') &&
      closes(scanned, item.from + 1) === item.to - 1
    ) {
      const argument = { from: item.from + 2, to: item.to - 1 };
      const star = argument.to - argument.from === 1 && isSymbol(scanned.tokens[argument.from] as Token, '*');
      let input: number | null = null;
      if (!star) {
        inputs.push(textOf(scanned, argument.from, argument.to));
        input = inputs.length - 1;
      }
      aggregates.push({ fn: fn as IncrementalAggregateFunction, input });
      return { aggregate: aggregates.length - 1 };
    }
    const name = columnKey(scanned, item);
    const key = keyNames.findIndex((k) => k !== null && k === name);
    if (key < 0)
      throw new PlanFailure(
        `The select item ${textOf(scanned, item.from, item.to)} is neither a GROUP BY key nor an aggregate`,
      );
    return { key };
  });
  return { inputs, aggregates, outputs };
}
