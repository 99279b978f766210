/**
 * SHOW [CREATE] DYNAMIC TABLE(S), DESCRIBE DYNAMIC TABLE and EXPLAIN CREATE DYNAMIC TABLE, and the plain
 * SHOW TABLES and DESCRIBE [TABLE] name that the gateway answers for every engine alike.
 */
import { CreateDynamicTableParser } from './ddl-create';
import { DdlReader } from './ddl-reader';
import type {
  DescribeDynamicTable,
  DescribeTable,
  ExplainCreateDynamicTable,
  ShowCreateDynamicTable,
  ShowDynamicTables,
  ShowTables,
} from './statements';
import { isWord, upperWord } from './tokenizer';

export class ShowDescribeParser extends DdlReader {
  parse():
    | ShowDynamicTables
    | ShowCreateDynamicTable
    | DescribeDynamicTable
    | ExplainCreateDynamicTable
    | ShowTables
    | DescribeTable {
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

  private show(): ShowDynamicTables | ShowCreateDynamicTable | ShowTables {
    if (isWord(this.peek(), 'TABLES')) {
      this.next();
      return { kind: 'showTables', like: this.like(), text: this.text };
    }
    if (this.acceptKeyword('CREATE') !== null) {
      const tableWord = upperWord(this.next());
      this.expectKeyword('TABLE', `TABLE after ${tableWord}`);
      const name = this.objectName();
      this.expectEnd();
      return { kind: 'showCreateDynamicTable', name, text: this.text };
    }
    const tableWord = upperWord(this.next());
    this.expectKeyword('TABLES', `TABLES after SHOW ${tableWord}`);
    return { kind: 'showDynamicTables', like: this.like(), text: this.text };
  }

  /** An optional `LIKE 'pattern'`, and the end of the statement. */
  private like(): string | null {
    const like =
      this.acceptKeyword('LIKE') === null
        ? null
        : this.expectString("a pattern as a string literal, such as LIKE 'orders%'").value;
    this.expectEnd();
    return like;
  }

  private describe(): DescribeDynamicTable | DescribeTable {
    if (!isWord(this.peek(), 'DYNAMIC', 'MATERIALIZED')) {
      this.acceptKeyword('TABLE');
      const name = this.objectName();
      this.expectEnd();
      return { kind: 'describeTable', name, text: this.text };
    }
    const tableWord = upperWord(this.next());
    this.expectKeyword('TABLE', `TABLE after ${tableWord}`);
    const name = this.objectName();
    this.expectEnd();
    return { kind: 'describeDynamicTable', name, text: this.text };
  }
}
