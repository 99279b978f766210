/** ALTER DYNAMIC TABLE (SUSPEND, RESUME, REFRESH, REFLECT, BACKFILL, SET, RESET, AS) and DROP DYNAMIC TABLE. */
import { parseError } from '../errors';
import { DdlReader } from './ddl-reader';
import type { AlterAction, AlterDynamicTable, DropDynamicTable, TimeText } from './statements';
import { atPosition, isSymbol, upperWord } from './tokenizer';

export class AlterDropParser extends DdlReader {
  parse(): AlterDynamicTable | DropDynamicTable {
    return upperWord(this.next()) === 'ALTER' ? this.afterAlter() : this.drop();
  }

  /** The statement after its ALTER keyword (also the statement EXPLAIN ALTER shows). */
  afterAlter(): AlterDynamicTable {
    const tableWord = upperWord(this.next());
    this.expectKeyword('TABLE', `TABLE after ${tableWord}`);
    const name = this.objectName();
    let action: AlterAction;
    switch (upperWord(this.peek())) {
      case 'SUSPEND':
        this.next();
        action = { kind: 'suspend' };
        break;
      case 'RESUME':
        this.next();
        action = { kind: 'resume', options: this.acceptKeyword('WITH') === null ? {} : this.options() };
        break;
      case 'REFRESH':
        this.next();
        action = { kind: 'refresh', partition: this.acceptKeyword('PARTITION') === null ? null : this.partitionSpec() };
        break;
      case 'SET':
        this.next();
        action = this.setAction();
        break;
      case 'RESET':
        this.next();
        action = { kind: 'resetOptions', keys: this.optionKeys() };
        break;
      case 'REFLECT':
        this.next();
        action = { kind: 'reflect' };
        break;
      case 'BACKFILL':
        this.next();
        action = { kind: 'backfill', from: this.timeAfter('FROM'), to: this.timeAfter('TO') };
        break;
      case 'AS':
        return {
          kind: 'alterDynamicTable',
          name,
          action: { kind: 'setQuery', query: this.query(this.next()) },
          text: this.text,
        };
      default:
        this.fail('one of SUSPEND, RESUME, REFRESH, REFLECT, BACKFILL, SET, RESET, AS');
    }
    this.expectEnd();
    return { kind: 'alterDynamicTable', name, action, text: this.text };
  }

  private setAction(): AlterAction {
    const token = this.peek();
    const keyword = upperWord(token);
    if (keyword === 'FRESHNESS' || keyword === 'TARGET_LAG') {
      this.next();
      return { kind: 'setFreshness', freshness: this.freshness(keyword) };
    }
    if (keyword === 'REFRESH_MODE') {
      this.next();
      return { kind: 'setRefreshMode', mode: this.refreshMode() };
    }
    if (isSymbol(token, '(')) return { kind: 'setOptions', options: this.options() };
    this.fail("FRESHNESS, TARGET_LAG, REFRESH_MODE or options such as ('guard.min_rows' = '1') after SET");
  }

  /** `( 'key' [, …] )` after RESET: the options to remove, each once. */
  private optionKeys(): string[] {
    this.expectSymbol('(', "'(' and the option keys to reset, as in RESET ('guard.min_rows')");
    const keys: string[] = [];
    do {
      const key = this.expectString("an option key as a string literal, such as 'guard.min_rows'");
      if (keys.includes(key.value)) {
        throw parseError(`Option '${key.value}' is given more than once${atPosition(key.position)}`, key.position);
      }
      keys.push(key.value);
    } while (this.acceptSymbol(','));
    this.expectSymbol(')', "',' or ')'");
    return keys;
  }

  /** `FROM '<timestamp>'` or `TO '<timestamp>'` of BACKFILL. */
  private timeAfter(keyword: 'FROM' | 'TO'): TimeText {
    const example = keyword === 'FROM' ? "FROM '2024-01-01 00:00:00'" : "TO '2024-01-08 00:00:00'";
    this.expectKeyword(keyword, `${keyword} and a timestamp, as in BACKFILL ${example}`);
    const token = this.expectString(`a timestamp as a string literal after ${keyword}, as in ${example}`);
    return { text: token.value, position: token.position };
  }

  private drop(): DropDynamicTable {
    const temporary = this.acceptKeyword('TEMP', 'TEMPORARY');
    if (temporary !== null) {
      throw parseError(
        `DROP ${upperWord(temporary)} ${this.tableWord()} TABLE is not supported: ` +
          `dynamic tables are never temporary; use DROP ${this.tableWord()} TABLE.`,
        temporary.position,
      );
    }
    const tableWord = upperWord(this.next());
    this.expectKeyword('TABLE', `TABLE after ${tableWord}`);
    const ifExists = this.acceptIf('EXISTS');
    const name = this.objectName();
    this.rejectLateIf('EXISTS', undefined, `DROP ${tableWord} TABLE IF EXISTS ${name.parts.join('.')}`);
    this.expectEnd();
    return { kind: 'dropDynamicTable', name, ifExists, text: this.text };
  }

  /** `( col = 'value' [, …] )` after REFRESH PARTITION. */
  private partitionSpec(): Record<string, string> {
    this.expectSymbol('(', "'(' and a partition such as (ds = '2024-01-01')");
    const partition = new Map<string, string>();
    do {
      const column = this.identifier("a partition column, as in PARTITION (ds = '2024-01-01')");
      if (partition.has(column.value)) {
        throw parseError(
          `Partition column '${column.value}' is given more than once${atPosition(column.position)}`,
          column.position,
        );
      }
      this.expectSymbol('=', `'=' after the partition column ${column.value}`);
      partition.set(column.value, this.literal(`a value for partition column ${column.value} as a string literal`));
    } while (this.acceptSymbol(','));
    this.expectSymbol(')', "',' or ')'");
    return Object.fromEntries(partition);
  }
}
