/**
 * Turns a query that {@link classifyIncremental} accepts into what incremental maintenance needs: the query's
 * text with a hole wherever it names a source table, so that an engine can evaluate the same query over a
 * source's captured changes instead of the whole table; and, for GROUP BY and DISTINCT queries, the query
 * that yields the aggregates' inputs plus where each output column comes from.
 *
 * Working on the text (not on a re-printed syntax tree) keeps every expression exactly as the user wrote it,
 * in the engine's own dialect. A source reference is replaced together with an alias, so `orders.amount` still
 * resolves when `orders` has become a sub-select of its changes. Pure: reads only the query text.
 */
import type { SqlDialect } from '../model';
import {
  classifyIncremental,
  type IncrementalAggregateFunction,
  type IncrementalShape,
  type NotIncrementalReason,
} from './incremental-shape';
import { TEXT_START, TokenStream, isIdentifierToken, isSymbol, upperWord, type Token } from './tokenizer';

/** A query text with holes where it names its source tables: slot i sits between piece i and piece i + 1. */
export interface QueryTemplate {
  readonly pieces: readonly string[];
  readonly slots: readonly TemplateSlot[];
}

export interface TemplateSlot {
  /** Index into {@link IncrementalPlan.sources}. */
  readonly source: number;
  /** The reference as written (`main.orders`), put back when the slot reads the table itself. */
  readonly written: string;
  /** What must follow a replacement relation: `AS orders` when the query gave the table no alias, else ''. */
  readonly alias: string;
}

/** Each output column of a grouped query: one of the GROUP BY keys, or one of the aggregates. */
export type GroupedOutput = { readonly key: number } | { readonly aggregate: number };

export interface GroupedAggregate {
  readonly fn: IncrementalAggregateFunction;
  /** The column of {@link GroupedMaintenance.input} the aggregate reads; null for COUNT(*). */
  readonly input: number | null;
}

/** UNION ALL branches, projections, filters and inner joins: every output row stands for itself. */
export interface BagMaintenance {
  readonly kind: 'bag';
  readonly branches: readonly QueryTemplate[];
}

/** GROUP BY and DISTINCT: output rows are groups, kept from per-group state. */
export interface GroupedMaintenance {
  readonly kind: 'grouped';
  /** A bag query over the one source: the group keys first, then the aggregates' input columns. */
  readonly input: QueryTemplate;
  /** How many leading columns of `input` are the group keys; 'all' for SELECT DISTINCT (every column). */
  readonly keyCount: number | 'all';
  readonly aggregates: readonly GroupedAggregate[];
  /** Per output column; null for SELECT DISTINCT, whose output column i is key i. */
  readonly outputs: readonly GroupedOutput[] | null;
}

export interface IncrementalPlan {
  readonly shape: IncrementalShape;
  /**
   * The source tables, each as its name parts with quotes removed (`['main', 'orders']`), unquoted names
   * lower-cased for PostgreSQL as it does itself.
   */
  readonly sources: ReadonlyArray<readonly string[]>;
  readonly maintenance: BagMaintenance | GroupedMaintenance;
}

export type IncrementalPlanResult =
  | { readonly incremental: true; readonly plan: IncrementalPlan }
  | { readonly incremental: false; readonly reason: NotIncrementalReason; readonly detail: string };

/** Plans the incremental maintenance of `query`, or says why it refreshes fully. Never throws. */
export function planIncremental(query: string, dialect: SqlDialect): IncrementalPlanResult {
  const verdict = classifyIncremental(query, dialect);
  if (!verdict.incremental) return verdict;
  if (
    verdict.shape.kind === 'unionAll' &&
    verdict.shape.branches.some((b) => b.kind === 'aggregate' || b.kind === 'distinct')
  ) {
    return {
      incremental: false,
      reason: 'AGGREGATE_IN_UNION',
      detail: 'A UNION ALL branch that aggregates or uses DISTINCT is not maintained incrementally',
    };
  }
  try {
    return { incremental: true, plan: buildPlan(query, verdict.shape, dialect) };
  } catch (error) {
    if (error instanceof PlanFailure) return { incremental: false, reason: 'UNPARSABLE', detail: error.message };
    throw error;
  }
}

/** The template's text with each slot filled by `fill(slot)`, or by the table as written when that gives null. */
export function renderTemplate(template: QueryTemplate, fill: (slot: TemplateSlot) => string | null): string {
  let text = template.pieces[0] ?? '';
  template.slots.forEach((slot, i) => {
    const relation = fill(slot);
    text += relation === null ? slot.written : `${relation}${slot.alias === '' ? '' : ` ${slot.alias}`}`;
    text += template.pieces[i + 1] ?? '';
  });
  return text;
}

class PlanFailure extends Error {}

const AGGREGATES = new Set(['COUNT', 'SUM', 'AVG', 'MIN', 'MAX']);
/** Words that may follow a table reference and are therefore never its alias. */
const AFTER_TABLE = new Set([
  'JOIN',
  'INNER',
  'LEFT',
  'RIGHT',
  'FULL',
  'CROSS',
  'NATURAL',
  'ON',
  'USING',
  'WHERE',
  'GROUP',
  'ORDER',
  'HAVING',
  'LIMIT',
  'UNION',
  'WINDOW',
  'OFFSET',
  'FETCH',
  'INDEXED',
  'NOT',
  'EXCEPT',
  'INTERSECT',
  'TABLESAMPLE',
]);
const CLAUSES = ['FROM', 'WHERE', 'GROUP', 'HAVING', 'WINDOW', 'ORDER', 'LIMIT'] as const;

interface Scanned {
  readonly text: string;
  readonly tokens: readonly Token[];
  /** Parenthesis depth of each token (the parenthesis itself counts as outside). */
  readonly depth: readonly number[];
}

function scan(query: string): Scanned {
  const stream = new TokenStream(query, TEXT_START);
  const tokens: Token[] = [];
  for (let token = stream.next(); token.kind !== 'end'; token = stream.next()) tokens.push(token);
  while (tokens.length > 0 && isSymbol(tokens[tokens.length - 1] as Token, ';')) tokens.pop();
  const depth: number[] = [];
  let level = 0;
  for (const token of tokens) {
    if (isSymbol(token, ')')) level -= 1;
    depth.push(level);
    if (isSymbol(token, '(')) level += 1;
  }
  return { text: query, tokens, depth };
}

/** A run of tokens [from, to) of the scanned query. */
interface Range {
  readonly from: number;
  readonly to: number;
}

function buildPlan(query: string, shape: IncrementalShape, dialect: SqlDialect): IncrementalPlan {
  const scanned = scan(query);
  const branches = splitUnionAll(scanned);
  const sources: string[][] = [];
  // PostgreSQL folds unquoted names to lower case; SQLite compares them case-insensitively.
  const sourceIndex = (tokens: readonly Token[]) => {
    const parts = tokens.map((t) => (t.kind === 'word' && dialect === 'postgresql' ? t.value.toLowerCase() : t.value));
    const key = parts.map((p) => p.toLowerCase()).join('\u0000');
    const found = sources.findIndex((s) => s.map((p) => p.toLowerCase()).join('\u0000') === key);
    if (found >= 0) return found;
    sources.push(parts);
    return sources.length - 1;
  };
  const shapes = shape.kind === 'unionAll' ? shape.branches : [shape];
  if (shapes.length !== branches.length)
    throw new PlanFailure('The UNION ALL branches of the query could not be told apart');
  if (shape.kind === 'aggregate' || shape.kind === 'distinct') {
    const [branch] = branches;
    if (branch === undefined) throw new PlanFailure('The query has no SELECT');
    return { shape, sources, maintenance: groupedMaintenance(scanned, branch, shape, sourceIndex) };
  }
  const templates = branches.map((branch, i) => {
    const template = branchTemplate(scanned, withoutOrderBy(scanned, branch), sourceIndex);
    const expected = sourcesOf(shapes[i]);
    if (template.slots.length !== expected) {
      throw new PlanFailure(
        `Found ${template.slots.length} table references in a SELECT that reads ${expected} tables`,
      );
    }
    return template;
  });
  return { shape, sources, maintenance: { kind: 'bag', branches: templates } };
}

function sourcesOf(shape: IncrementalShape | undefined): number {
  if (shape === undefined) return 0;
  if (shape.kind === 'innerJoin') return shape.sources.length;
  if (shape.kind === 'unionAll') return shape.branches.reduce((n, b) => n + sourcesOf(b), 0);
  return 1;
}

/** The top-level SELECTs joined by UNION ALL. */
function splitUnionAll(scanned: Scanned): Range[] {
  const ranges: Range[] = [];
  let from = 0;
  scanned.tokens.forEach((token, i) => {
    if (scanned.depth[i] === 0 && upperWord(token) === 'UNION') {
      ranges.push({ from, to: i });
      from = i + 2; // UNION ALL: the classifier admits no other set operator.
    }
  });
  ranges.push({ from, to: scanned.tokens.length });
  // A parenthesised branch, `(SELECT …) UNION ALL (SELECT …)`, is a SELECT on its own once unwrapped.
  return ranges.map((range) => unwrap(scanned, range));
}

function unwrap(scanned: Scanned, range: Range): Range {
  const first = scanned.tokens[range.from];
  const last = scanned.tokens[range.to - 1];
  if (
    first !== undefined &&
    last !== undefined &&
    isSymbol(first, '(') &&
    isSymbol(last, ')') &&
    closes(scanned, range.from) === range.to - 1
  ) {
    return unwrap(scanned, { from: range.from + 1, to: range.to - 1 });
  }
  return range;
}

/** The index of the parenthesis closing the one at `open`. */
function closes(scanned: Scanned, open: number): number {
  const level = scanned.depth[open];
  for (let i = open + 1; i < scanned.tokens.length; i += 1) {
    if (scanned.depth[i] === level && isSymbol(scanned.tokens[i] as Token, ')')) return i;
  }
  return -1;
}

/** Where each clause of one SELECT starts (top level of that SELECT only). */
function clausesOf(scanned: Scanned, range: Range): Map<(typeof CLAUSES)[number], number> {
  const level = scanned.depth[range.from] ?? 0;
  const found = new Map<(typeof CLAUSES)[number], number>();
  for (let i = range.from; i < range.to; i += 1) {
    const word = upperWord(scanned.tokens[i] as Token);
    if (
      scanned.depth[i] === level &&
      (CLAUSES as readonly string[]).includes(word) &&
      !found.has(word as (typeof CLAUSES)[number])
    ) {
      found.set(word as (typeof CLAUSES)[number], i);
    }
  }
  return found;
}

/** ORDER BY without LIMIT orders nothing that is stored; it is dropped so a branch stands alone. */
function withoutOrderBy(scanned: Scanned, range: Range): Range {
  const order = clausesOf(scanned, range).get('ORDER');
  return order === undefined ? range : { from: range.from, to: order };
}

/** Text of the tokens [from, to), with the original spacing. */
function textOf(scanned: Scanned, from: number, to: number): string {
  if (to <= from) return '';
  return scanned.text.slice((scanned.tokens[from] as Token).start, (scanned.tokens[to - 1] as Token).end);
}

/**
 * The template of one SELECT: its text from `range.from` to `range.to`, holes at the table references of its
 * FROM clause (after FROM or JOIN, or an opening parenthesis of a parenthesised join).
 */
function branchTemplate(
  scanned: Scanned,
  range: Range,
  sourceIndex: (tokens: readonly Token[]) => number,
  skip: ReadonlySet<number> = new Set(),
): QueryTemplate {
  const clauses = clausesOf(scanned, range);
  const fromAt = clauses.get('FROM');
  if (fromAt === undefined) throw new PlanFailure('The query has no FROM clause');
  const fromEnd = Math.min(...[...clauses.entries()].filter(([name]) => name !== 'FROM').map(([, at]) => at), range.to);
  const pieces: string[] = [];
  const slots: TemplateSlot[] = [];
  const tokenAt = (i: number) => scanned.tokens[i] as Token;
  let cursor = tokenAt(range.from).start;
  let current = '';
  for (let i = range.from; i < range.to; i += 1) {
    if (skip.has(i)) {
      current += scanned.text.slice(cursor, tokenAt(i).start);
      cursor = tokenAt(i).end;
      continue;
    }
    if (i <= fromAt || i >= fromEnd) continue;
    const before = tokenAt(i - 1);
    if (!(upperWord(before) === 'FROM' || upperWord(before) === 'JOIN' || isSymbol(before, '('))) continue;
    const chain = identifierChain(scanned, i, fromEnd);
    if (chain === null) continue;
    const after = chain.to < fromEnd ? scanned.tokens[chain.to] : undefined;
    if (after !== undefined && isSymbol(after, '(')) continue; // a table-valued function, not a table
    const parts = scanned.tokens.slice(i, chain.to).filter((_, k) => k % 2 === 0);
    const hasAlias =
      after !== undefined &&
      (upperWord(after) === 'AS' || (isIdentifierToken(after) && !AFTER_TABLE.has(upperWord(after))));
    pieces.push(current + scanned.text.slice(cursor, tokenAt(i).start));
    current = '';
    const last = parts[parts.length - 1] as Token;
    slots.push({
      source: sourceIndex(parts),
      written: textOf(scanned, i, chain.to),
      alias: hasAlias ? '' : `AS ${last.raw}`,
    });
    cursor = tokenAt(chain.to - 1).end;
    i = chain.to - 1;
  }
  const rangeEnd = range.to > range.from ? tokenAt(range.to - 1).end : cursor;
  pieces.push(current + scanned.text.slice(cursor, rangeEnd));
  return { pieces, slots };
}

/** `a`, `a.b`, `a.b.c` starting at `at`: the token range, or null when `at` is not an identifier. */
function identifierChain(scanned: Scanned, at: number, limit: number): Range | null {
  const first = scanned.tokens[at];
  if (first === undefined || !isIdentifierToken(first) || (first.kind === 'word' && AFTER_TABLE.has(upperWord(first))))
    return null;
  let to = at + 1;
  while (
    to + 1 < limit &&
    isSymbol(scanned.tokens[to] as Token, '.') &&
    isIdentifierToken(scanned.tokens[to + 1] as Token)
  )
    to += 2;
  return { from: at, to };
}

/** Splits tokens [from, to) at top-level commas (top level relative to `from`). */
function splitCommas(scanned: Scanned, from: number, to: number): Range[] {
  const level = scanned.depth[from] ?? 0;
  const items: Range[] = [];
  let start = from;
  for (let i = from; i < to; i += 1) {
    if (scanned.depth[i] === level && isSymbol(scanned.tokens[i] as Token, ',')) {
      items.push({ from: start, to: i });
      start = i + 1;
    }
  }
  if (start < to) items.push({ from: start, to });
  return items;
}

/** A select item without its alias (`SUM(x) AS s`, `SUM(x) s` → `SUM(x)`; `o.region` stays whole). */
function withoutAlias(scanned: Scanned, item: Range): Range {
  const last = scanned.tokens[item.to - 1] as Token;
  const previous = scanned.tokens[item.to - 2];
  if (item.to - item.from >= 2 && previous !== undefined && isIdentifierToken(last) && !isSymbol(previous, '.')) {
    return { from: item.from, to: upperWord(previous) === 'AS' ? item.to - 2 : item.to - 1 };
  }
  return item;
}

/** The last part of a column reference, unquoted and lower-cased, or null when the text is not a column. */
function columnKey(scanned: Scanned, expr: Range): string | null {
  const chain = identifierChain(scanned, expr.from, expr.to);
  if (chain === null || chain.to !== expr.to) return null;
  return (scanned.tokens[expr.to - 1] as Token).value.toLowerCase();
}

function groupedMaintenance(
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
  const keyTexts =
    groupAt === undefined
      ? []
      : splitCommas(scanned, groupAt + 2, groupEnd).map((key) => {
          const token = scanned.tokens[key.from] as Token;
          if (key.to - key.from === 1 && token.kind === 'number') {
            const item = items[Number(token.raw) - 1];
            if (item === undefined) throw new PlanFailure(`GROUP BY ${token.raw} names no select item`);
            return item;
          }
          return key;
        });
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
