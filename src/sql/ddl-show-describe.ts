/** SHOW [CREATE] DYNAMIC TABLE(S), DESCRIBE DYNAMIC TABLE and EXPLAIN CREATE DYNAMIC TABLE. */
import { CreateDynamicTableParser } from './ddl-create';
import { DdlReader } from './ddl-reader';
import type {
  DescribeDynamicTable,
  ExplainCreateDynamicTable,
  ShowCreateDynamicTable,
  ShowDynamicTables,
} from './statements';
import { upperWord } from './tokenizer';

export class ShowDescribeParser extends DdlReader {
  parse(): ShowDynamicTables | ShowCreateDynamicTable | DescribeDynamicTable | ExplainCreateDynamicTable {
    switch (upperWord(this.next())) {
      case 'EXPLAIN':
        return this.explain();
      case 'SHOW':
        return this.show();
      default:
        return this.describe();
    }
  }

  private explain(): ExplainCreateDynamicTable {
    this.expectKeyword('CREATE', 'CREATE after EXPLAIN');
    const create = new CreateDynamicTableParser(this.tokens, this.text).afterCreate();
    return { kind: 'explainCreateDynamicTable', create, text: this.text };
  }

  private show(): ShowDynamicTables | ShowCreateDynamicTable {
    if (this.acceptKeyword('CREATE') !== null) {
      const tableWord = upperWord(this.next());
      this.expectKeyword('TABLE', `TABLE after ${tableWord}`);
      const name = this.objectName();
      this.expectEnd();
      return { kind: 'showCreateDynamicTable', name, text: this.text };
    }
    const tableWord = upperWord(this.next());
    this.expectKeyword('TABLES', `TABLES after SHOW ${tableWord}`);
    const like =
      this.acceptKeyword('LIKE') === null
        ? null
        : this.expectString("a pattern as a string literal, such as LIKE 'orders%'").value;
    this.expectEnd();
    return { kind: 'showDynamicTables', like, text: this.text };
  }

  private describe(): DescribeDynamicTable {
    const tableWord = upperWord(this.next());
    this.expectKeyword('TABLE', `TABLE after ${tableWord}`);
    const name = this.objectName();
    this.expectEnd();
    return { kind: 'describeDynamicTable', name, text: this.text };
  }
}
