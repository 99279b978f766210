/** CREATE [OR ALTER] DYNAMIC TABLE: the name, the optional column list and the clauses before AS. */
import { parseError } from '../errors';
import { DdlReader } from './ddl-reader';
import type { CreateDynamicTable, PrimaryKeySpec } from './statements';
import { atPosition, isIdentifierToken, isSymbol, isWord, upperWord, type Token } from './tokenizer';

const CREATE_CLAUSES = 'COMMENT, PARTITIONED BY, WITH, FRESHNESS, TARGET_LAG, REFRESH_MODE';

type CreateClauses = {
  -readonly [K in 'comment' | 'partitionKeys' | 'options' | 'freshness' | 'refreshMode']: CreateDynamicTable[K];
};

export class CreateDynamicTableParser extends DdlReader {
  parse(): CreateDynamicTable {
    this.next();
    return this.afterCreate();
  }

  /** The statement after its CREATE keyword (also the statement EXPLAIN shows). */
  afterCreate(): CreateDynamicTable {
    let orAlter = false;
    if (this.acceptKeyword('OR') !== null) {
      const replace = this.peek();
      if (isWord(replace, 'REPLACE')) {
        const table = `${this.tableWord()} TABLE`;
        throw parseError(
          `CREATE OR REPLACE ${table} is not supported: ` +
            `use CREATE OR ALTER ${table} to change an existing table's query${atPosition(replace.position)}`,
          replace.position,
        );
      }
      this.expectKeyword('ALTER', 'ALTER after CREATE OR');
      orAlter = true;
    }
    const temporary = this.acceptKeyword('TEMP', 'TEMPORARY');
    if (temporary !== null) {
      throw parseError(
        `CREATE ${upperWord(temporary)} ${this.tableWord()} TABLE is not supported. ` +
          `Dynamic tables are always persistent: remove ${upperWord(temporary)}.`,
        temporary.position,
      );
    }
    const tableWord = upperWord(this.next());
    this.expectKeyword('TABLE', `TABLE after ${tableWord}`);
    const ifNotExists = this.acceptIf('NOT', 'EXISTS');
    const name = this.objectName();
    this.rejectLateIf('NOT', 'EXISTS', `CREATE ${tableWord} TABLE IF NOT EXISTS ${name.parts.join('.')}`);
    const { columns, primaryKey } = isSymbol(this.peek(), '(')
      ? this.columnList()
      : { columns: null, primaryKey: null };
    const clauses = this.createClauses();
    const query = this.query(this.next());
    return {
      kind: 'createDynamicTable',
      orAlter,
      ifNotExists,
      name,
      columns,
      primaryKey,
      ...clauses,
      query,
      text: this.text,
    };
  }

  /** The clauses between the name (or column list) and AS: any order, each at most once. */
  private createClauses(): CreateClauses {
    const clauses: CreateClauses = {
      comment: null,
      partitionKeys: [],
      options: {},
      freshness: null,
      refreshMode: null,
    };
    const seen = new Set<string>();
    for (;;) {
      const token = this.peek();
      const keyword = upperWord(token);
      switch (keyword) {
        case 'AS':
          return clauses;
        case 'COMMENT':
          this.clauseOnce(seen, 'COMMENT', this.next());
          clauses.comment = this.expectString('the comment as a string literal').value;
          break;
        case 'PARTITIONED':
          this.clauseOnce(seen, 'PARTITIONED BY', this.next());
          this.expectKeyword('BY', 'BY after PARTITIONED');
          clauses.partitionKeys = this.nameList('a partition column', 'PARTITIONED BY');
          break;
        case 'WITH':
          this.clauseOnce(seen, 'WITH', this.next());
          clauses.options = this.options();
          break;
        case 'FRESHNESS':
        case 'TARGET_LAG':
          this.clauseOnce(seen, keyword, this.next());
          clauses.freshness = this.freshness(keyword);
          break;
        case 'REFRESH_MODE':
          this.clauseOnce(seen, 'REFRESH_MODE', this.next());
          clauses.refreshMode = this.refreshMode();
          break;
        default:
          this.fail(token.kind === 'end' ? 'AS <query>' : `AS <query> or a clause (${CREATE_CLAUSES})`);
      }
    }
  }

  // ----- clauses -----

  private clauseOnce(seen: Set<string>, clause: string, token: Token): void {
    if (seen.has(clause))
      throw parseError(`The ${clause} clause appears more than once${atPosition(token.position)}`, token.position);
    const other = clause === 'FRESHNESS' ? 'TARGET_LAG' : clause === 'TARGET_LAG' ? 'FRESHNESS' : undefined;
    if (other !== undefined && seen.has(other)) {
      throw parseError(
        `FRESHNESS and TARGET_LAG both set the freshness: give only one of them${atPosition(token.position)}`,
        token.position,
      );
    }
    seen.add(clause);
  }

  /** `( column [, …] [, [CONSTRAINT c] PRIMARY KEY (cols) [NOT ENFORCED]] )`; the `(` is next. */
  private columnList(): { columns: string[] | null; primaryKey: PrimaryKeySpec | null } {
    this.next();
    const columns: string[] = [];
    const seen = new Set<string>();
    let primaryKey: PrimaryKeySpec | null = null;
    do {
      const token = this.peek();
      if (isWord(token, 'CONSTRAINT', 'PRIMARY')) {
        if (primaryKey !== null)
          throw parseError(`Only one PRIMARY KEY may be declared${atPosition(token.position)}`, token.position);
        primaryKey = this.primaryKey();
        continue;
      }
      const column = this.identifier('a column name or PRIMARY KEY');
      this.rejectDuplicate(seen, column, 'the column list');
      columns.push(column.value);
      const after = this.peek();
      if (isIdentifierToken(after)) {
        this.fail("',' or ')'", after, 'The column list names columns only; their types come from the query.');
      }
    } while (this.acceptSymbol(','));
    this.expectSymbol(')', "',' or ')'");
    // A list holding only a PRIMARY KEY names no columns: the query decides them, as when there is no list.
    return { columns: columns.length > 0 ? columns : null, primaryKey };
  }

  private primaryKey(): PrimaryKeySpec {
    const constraintName =
      this.acceptKeyword('CONSTRAINT') === null ? null : this.identifier('a constraint name').value;
    this.expectKeyword('PRIMARY', 'PRIMARY KEY');
    this.expectKeyword('KEY', 'KEY after PRIMARY');
    const columns = this.nameList('a primary key column', 'PRIMARY KEY');
    let enforced = true;
    if (this.acceptKeyword('NOT') !== null) {
      this.expectKeyword('ENFORCED', 'ENFORCED after NOT');
      enforced = false;
    }
    return { constraintName, columns, enforced };
  }

  /** `( name [, …] )`, at least one name, no repeats. */
  private nameList(expected: string, clause: string): string[] {
    this.expectSymbol('(', `'(' and ${expected}`);
    const names: string[] = [];
    const seen = new Set<string>();
    do {
      const name = this.identifier(expected);
      this.rejectDuplicate(seen, name, clause);
      names.push(name.value);
    } while (this.acceptSymbol(','));
    this.expectSymbol(')', "',' or ')'");
    return names;
  }

  /** Adds `name` to `seen`, refusing a repeat (a set: a list thousands of names long stays linear). */
  private rejectDuplicate(seen: Set<string>, name: Token, where: string): void {
    if (seen.has(name.value)) {
      throw parseError(
        `Column '${name.value}' appears more than once in ${where}${atPosition(name.position)}`,
        name.position,
      );
    }
    seen.add(name.value);
  }
}
