/**
 * The token-level view of a query that the incremental planner works on: tokens with their parenthesis depth,
 * and where a SELECT's clauses, UNION ALL branches, select items and table references lie in them.
 */
import { TEXT_START, TokenStream, isIdentifierToken, isSymbol, upperWord, type Token } from './tokenizer';

/** The query's text cannot be matched with the shape the classifier found; the query refreshes fully. */
export class PlanFailure extends Error {}

/** Words that may follow a table reference and are therefore never its alias. */
export const AFTER_TABLE = new Set([
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
/** The clauses of a SELECT that {@link clausesOf} finds. */
export type Clause = (typeof CLAUSES)[number];

/** A query as tokens: what every other helper here reads. */
export interface Scanned {
  readonly text: string;
  readonly tokens: readonly Token[];
  /** Parenthesis depth of each token (the parenthesis itself counts as outside). */
  readonly depth: readonly number[];
}

/** Tokenizes `query`, dropping trailing semicolons. */
export function scan(query: string): Scanned {
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
export interface Range {
  readonly from: number;
  readonly to: number;
}

/** The top-level SELECTs joined by UNION ALL. */
export function splitUnionAll(scanned: Scanned): Range[] {
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
export function closes(scanned: Scanned, open: number): number {
  const level = scanned.depth[open];
  for (let i = open + 1; i < scanned.tokens.length; i += 1) {
    if (scanned.depth[i] === level && isSymbol(scanned.tokens[i] as Token, ')')) return i;
  }
  return -1;
}

/** Where each clause of one SELECT starts (top level of that SELECT only). */
export function clausesOf(scanned: Scanned, range: Range): Map<Clause, number> {
  const level = scanned.depth[range.from] ?? 0;
  const found = new Map<Clause, number>();
  for (let i = range.from; i < range.to; i += 1) {
    const word = upperWord(scanned.tokens[i] as Token);
    if (scanned.depth[i] === level && (CLAUSES as readonly string[]).includes(word) && !found.has(word as Clause)) {
      found.set(word as Clause, i);
    }
  }
  return found;
}

/** ORDER BY without LIMIT orders nothing that is stored; it is dropped so a branch stands alone. */
export function withoutOrderBy(scanned: Scanned, range: Range): Range {
  const order = clausesOf(scanned, range).get('ORDER');
  return order === undefined ? range : { from: range.from, to: order };
}

/** Text of the tokens [from, to), with the original spacing. */
export function textOf(scanned: Scanned, from: number, to: number): string {
  if (to <= from) return '';
  return scanned.text.slice((scanned.tokens[from] as Token).start, (scanned.tokens[to - 1] as Token).end);
}

/** `a`, `a.b`, `a.b.c` starting at `at`: the token range, or null when `at` is not an identifier. */
export function identifierChain(scanned: Scanned, at: number, limit: number): Range | null {
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
export function splitCommas(scanned: Scanned, from: number, to: number): Range[] {
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
export function withoutAlias(scanned: Scanned, item: Range): Range {
  const last = scanned.tokens[item.to - 1] as Token;
  const previous = scanned.tokens[item.to - 2];
  if (item.to - item.from >= 2 && previous !== undefined && isIdentifierToken(last) && !isSymbol(previous, '.')) {
    return { from: item.from, to: upperWord(previous) === 'AS' ? item.to - 2 : item.to - 1 };
  }
  return item;
}

/** The last part of a column reference, unquoted and lower-cased, or null when the text is not a column. */
export function columnKey(scanned: Scanned, expr: Range): string | null {
  const chain = identifierChain(scanned, expr.from, expr.to);
  if (chain === null || chain.to !== expr.to) return null;
  return (scanned.tokens[expr.to - 1] as Token).value.toLowerCase();
}
