/** CREATE [OR ALTER] DYNAMIC TABLE: the name, the optional column list and the clauses before AS. */
import { parseError } from '../errors';
import { DdlReader } from './ddl-reader';
import type { CreateDynamicTable, ExpectationSpec, PrimaryKeySpec, ViolationAction } from './statements';
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
    const { columns, primaryKey, expectations } = isSymbol(this.peek(), '(')
      ? this.columnList()
      : { columns: null, primaryKey: null, expectations: [] };
    const clauses = this.createClauses();
    const query = this.query(this.next());
    return {
      kind: 'createDynamicTable',
      orAlter,
      ifNotExists,
      name,
      columns,
      primaryKey,
      expectations,
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

  /**
   * `( column [, …] [, [CONSTRAINT c] PRIMARY KEY (cols) [NOT ENFORCED]] [, CONSTRAINT e EXPECT (…) …] )`, in
   * any order; the `(` is next.
   */
  private columnList(): {
    columns: string[] | null;
    primaryKey: PrimaryKeySpec | null;
    expectations: ExpectationSpec[];
  } {
    this.next();
    const columns: string[] = [];
    const seen = new Set<string>();
    const expectations: ExpectationSpec[] = [];
    let primaryKey: PrimaryKeySpec | null = null;
    do {
      const token = this.peek();
      if (isWord(token, 'CONSTRAINT') && isWord(this.tokens.peek(2), 'EXPECT')) {
        expectations.push(this.expectation(expectations, primaryKey));
        continue;
      }
      if (isWord(token, 'CONSTRAINT', 'PRIMARY')) {
        if (primaryKey !== null)
          throw parseError(`Only one PRIMARY KEY may be declared${atPosition(token.position)}`, token.position);
        primaryKey = this.primaryKey();
        continue;
      }
      const column = this.identifier('a column name, PRIMARY KEY or CONSTRAINT … EXPECT (…)');
      this.rejectDuplicate(seen, column, 'the column list');
      columns.push(column.value);
      const after = this.peek();
      if (isIdentifierToken(after)) {
        this.fail("',' or ')'", after, 'The column list names columns only; their types come from the query.');
      }
    } while (this.acceptSymbol(','));
    this.expectSymbol(')', "',' or ')'");
    const clash = expectations.find((e) => e.name.toLowerCase() === primaryKey?.constraintName?.toLowerCase());
    if (clash !== undefined) {
      throw parseError(
        `Constraint '${clash.name}' is declared more than once; give each constraint its own name` +
          `${atPosition(clash.position)}`,
        clash.position,
      );
    }
    // A list holding only constraints names no columns: the query decides them, as when there is no list.
    return { columns: columns.length > 0 ? columns : null, primaryKey, expectations };
  }

  /**
   * `CONSTRAINT <name> EXPECT (<condition>) [ON VIOLATION WARN | DROP ROW | FAIL REFRESH]` (Databricks' grammar);
   * the condition is kept exactly as written between its parentheses, for the engine to evaluate.
   */
  private expectation(before: readonly ExpectationSpec[], primaryKey: PrimaryKeySpec | null): ExpectationSpec {
    this.next();
    const name = this.identifier('a constraint name');
    const taken = [...before.map((e) => e.name), primaryKey?.constraintName ?? null];
    if (taken.some((other) => other !== null && other.toLowerCase() === name.value.toLowerCase())) {
      throw parseError(
        `Constraint '${name.value}' is declared more than once; give each constraint its own name` +
          `${atPosition(name.position)}`,
        name.position,
      );
    }
    this.next(); // EXPECT
    const condition = this.condition(name.value);
    let onViolation: ViolationAction = 'WARN';
    if (this.acceptKeyword('ON') !== null) {
      this.expectKeyword('VIOLATION', 'VIOLATION after ON');
      onViolation = this.violationAction();
    }
    return { name: name.value, condition, onViolation, position: name.position };
  }

  /** `( <condition> )`: the text between the parentheses, which must balance and hold something. */
  private condition(name: string): string {
    const open = this.peek();
    if (!isSymbol(open, '(')) this.fail(`'(' and a condition after EXPECT, as in EXPECT (amount > 0)`);
    this.next();
    let depth = 1;
    for (;;) {
      const token = this.peek();
      if (token.kind === 'end') this.fail(`')' closing the condition of constraint '${name}'`);
      if (isSymbol(token, ';')) this.fail(`')' closing the condition of constraint '${name}'`, token);
      this.next();
      if (isSymbol(token, '(')) depth += 1;
      else if (isSymbol(token, ')')) depth -= 1;
      if (depth > 0) continue;
      const condition = this.text.slice(open.end, token.start).trim();
      if (condition === '') {
        throw parseError(
          `Constraint '${name}' needs a condition between the parentheses, as in EXPECT (amount > 0)` +
            `${atPosition(token.position)}`,
          token.position,
        );
      }
      return condition;
    }
  }

  /** `WARN`, `DROP ROW` or `FAIL REFRESH` after ON VIOLATION. */
  private violationAction(): ViolationAction {
    const token = this.peek();
    const expected = 'WARN, DROP ROW or FAIL REFRESH after ON VIOLATION';
    switch (upperWord(token)) {
      case 'WARN':
        this.next();
        return 'WARN';
      case 'DROP':
        this.next();
        this.expectKeyword('ROW', 'ROW after DROP');
        return 'DROP_ROW';
      case 'FAIL':
        this.next();
        if (!isWord(this.peek(), 'REFRESH')) {
          const hint = isWord(this.peek(), 'UPDATE')
            ? 'Freshet writes FAIL REFRESH where Databricks writes FAIL UPDATE.'
            : undefined;
          this.fail('REFRESH after FAIL', this.peek(), hint);
        }
        this.next();
        return 'FAIL_REFRESH';
      default:
        this.fail(expected, token);
    }
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
