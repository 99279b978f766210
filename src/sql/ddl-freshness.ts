/** `SHOW FRESHNESS [LIKE '…']`: every dynamic table's freshness state, worst first (DESIGN.md §12). */
import { DdlReader } from './ddl-reader';
import type { ShowFreshness } from './statements';
import { type TokenStream, upperWord } from './tokenizer';

export function isShowFreshness(tokens: TokenStream): boolean {
  return upperWord(tokens.peek()) === 'SHOW' && upperWord(tokens.peek(1)) === 'FRESHNESS';
}

export class ShowFreshnessParser extends DdlReader {
  parse(): ShowFreshness {
    this.next();
    this.next();
    const like =
      this.acceptKeyword('LIKE') === null
        ? null
        : this.expectString("a pattern as a string literal, such as LIKE 'orders%'").value;
    this.expectEnd();
    return { kind: 'showFreshness', like, text: this.text };
  }
}
