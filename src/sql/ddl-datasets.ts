/**
 * The statements about discovered datasets (DESIGN.md §11): `SHOW DATASETS [LIKE '…']`, `DESCRIBE DATASET <id>`
 * and `SEARCH DATASETS '<keywords>'`. A dataset's id holds a `:` (`files:sales/2024.csv`), so it is written as a
 * string literal; a plain or dotted name (`orders`, `default.main.orders`) is matched against the datasets' names.
 */
import { DdlReader } from './ddl-reader';
import type { DatasetStatement } from './statements';
import { type TokenStream, upperWord } from './tokenizer';

/** Whether the leading keywords make this a statement about datasets. */
export function isDatasetStatement(tokens: TokenStream): boolean {
  const first = upperWord(tokens.peek());
  const second = upperWord(tokens.peek(1));
  if (first === 'SHOW' || first === 'SEARCH') return second === 'DATASETS';
  return (first === 'DESCRIBE' || first === 'DESC') && second === 'DATASET';
}

export class DatasetStatementParser extends DdlReader {
  parse(): DatasetStatement {
    const verb = upperWord(this.next());
    this.next();
    if (verb === 'SHOW') {
      const like =
        this.acceptKeyword('LIKE') === null
          ? null
          : this.expectString("a pattern as a string literal, such as LIKE 'sales%'").value;
      this.expectEnd();
      return { kind: 'showDatasets', like, text: this.text };
    }
    if (verb === 'SEARCH') {
      const keywords = this.expectString("the keywords as a string literal, such as SEARCH DATASETS 'rainfall oslo'");
      this.expectEnd();
      return { kind: 'searchDatasets', keywords: keywords.value, text: this.text };
    }
    const token = this.peek();
    if (token.kind === 'string') {
      this.next();
      this.expectEnd();
      return { kind: 'describeDataset', name: { parts: [token.value], position: token.position }, text: this.text };
    }
    const name = this.objectName();
    this.expectEnd();
    return { kind: 'describeDataset', name, text: this.text };
  }
}
