/** Query templates: a SELECT's text with holes at the table references of its FROM clause, and their filling. */
import type { QueryTemplate, TemplateSlot } from './incremental-plan-types';
import {
  AFTER_TABLE,
  clausesOf,
  identifierChain,
  PlanFailure,
  type Range,
  type Scanned,
  textOf,
} from './incremental-scan';
import { isIdentifierToken, isSymbol, upperWord, type Token } from './tokenizer';

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

/**
 * The template of one SELECT: its text from `range.from` to `range.to`, holes at the table references of its
 * FROM clause (after FROM or JOIN, or an opening parenthesis of a parenthesised join).
 */
export function branchTemplate(
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
