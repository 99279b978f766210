/**
 * SHOW [CREATE] DYNAMIC TABLE(S), SHOW REFRESHES, SHOW SCHEMA HISTORY OF, DESCRIBE DYNAMIC TABLE and EXPLAIN CREATE DYNAMIC TABLE, and the
 * plain SHOW TABLES and DESCRIBE [TABLE] name that the gateway answers for every engine alike.
 */
import { parseError } from '../errors';
import { AlterDropParser } from './ddl-alter-drop';
import { CreateDynamicTableParser } from './ddl-create';
import { DdlReader } from './ddl-reader';
import type {
  DescribeDynamicTable,
  DescribeTable,
  ExplainAlterDynamicTable,
  ExplainCreateDynamicTable,
  ShowCreateDynamicTable,
  ShowDynamicTables,
  ShowRefreshes,
  ShowSchemaHistory,
  ShowTables,
} from './statements';
import { atPosition, isWord, upperWord } from './tokenizer';

/** The most rows `SHOW REFRESHES … LIMIT n` may ask for (the gateway's row limit caps what it returns). */
const MAX_SHOW_LIMIT = 1_000_000;

export class ShowDescribeParser extends DdlReader {
  parse():
    | ShowDynamicTables
    | ShowCreateDynamicTable
    | ShowRefreshes
    | ShowSchemaHistory
    | DescribeDynamicTable
    | ExplainCreateDynamicTable
    | ExplainAlterDynamicTable
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

  private explain(): ExplainCreateDynamicTable | ExplainAlterDynamicTable {
    if (this.acceptKeyword('ALTER') !== null) {
      const at = this.peek().position;
      const alter = new AlterDropParser(this.tokens, this.text).afterAlter();
      if (alter.action.kind !== 'setQuery') {
        throw parseError(`EXPLAIN ALTER explains ALTER DYNAMIC TABLE … AS (a new query) only${atPosition(at)}.`, at);
      }
      return { kind: 'explainAlterDynamicTable', alter: { ...alter, action: alter.action }, text: this.text };
    }
    this.expectKeyword('CREATE', 'CREATE or ALTER after EXPLAIN');
    const create = new CreateDynamicTableParser(this.tokens, this.text).afterCreate();
    return { kind: 'explainCreateDynamicTable', create, text: this.text };
  }

  private show(): ShowDynamicTables | ShowCreateDynamicTable | ShowRefreshes | ShowSchemaHistory | ShowTables {
    if (this.acceptKeyword('REFRESHES') !== null) return this.showRefreshes();
    if (this.acceptKeyword('SCHEMA') !== null) {
      this.expectKeyword('HISTORY', 'HISTORY after SHOW SCHEMA');
      this.expectKeyword('OF', 'OF and a table after SHOW SCHEMA HISTORY');
      const name = this.objectName();
      this.expectEnd();
      return { kind: 'showSchemaHistory', name, text: this.text };
    }
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

  /** After `SHOW REFRESHES`: `[OF name] [LIMIT n]`. */
  private showRefreshes(): ShowRefreshes {
    const name = this.acceptKeyword('OF') === null ? null : this.objectName();
    let limit: number | null = null;
    if (this.acceptKeyword('LIMIT') !== null) {
      const token = this.peek();
      const value = token.kind === 'number' && /^[0-9]+$/.test(token.raw) ? Number(token.raw) : Number.NaN;
      if (!(value >= 1 && value <= MAX_SHOW_LIMIT)) this.fail(`a whole number of rows from 1 to ${MAX_SHOW_LIMIT}`);
      this.next();
      limit = value;
    }
    this.expectEnd();
    return { kind: 'showRefreshes', name, limit, text: this.text };
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
