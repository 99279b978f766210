/**
 * Parses the statements the gateway owns (CREATE / ALTER / DROP / SHOW / DESCRIBE DYNAMIC TABLE, with
 * MATERIALIZED as a synonym of DYNAMIC) and classifies every other statement as a pass-through for the engine.
 *
 * The defining query after `AS` is not parsed here: it is kept exactly as written and checked by
 * `analyzeQuery` in the engine's dialect.
 */
import { parseError } from '../errors';
import { splitStatements, type StatementSlice } from './splitter';
import type {
  AlterAction,
  AlterDynamicTable,
  CreateDynamicTable,
  DescribeDynamicTable,
  DropDynamicTable,
  Freshness,
  FreshnessUnit,
  ObjectName,
  PassthroughEffect,
  PassthroughStatement,
  PrimaryKeySpec,
  QueryText,
  RefreshModeKeyword,
  ShowCreateDynamicTable,
  ShowDynamicTables,
  SourcePosition,
  Statement,
} from './statements';
import { isTemporaryWord, readObjectName } from './identifiers';
import {
  atPosition,
  describeToken,
  isIdentifierToken,
  isSymbol,
  isWord,
  lexemes,
  TokenCursor,
  TokenStream,
  upperWord,
  type Token,
} from './tokenizer';

/** Splits `script` into statements and parses each; positions refer to the whole script. */
export function parseScript(script: string): Statement[] {
  return splitStatements(script).map(parseStatement);
}

/** Parses one statement; a statement the gateway does not own becomes a `passthrough`. */
export function parseStatement(slice: StatementSlice): Statement {
  const text = slice.text.slice(0, endBeforeTrailingSemicolon(slice.text)).trimEnd();
  const tokens = new TokenStream(slice.text, slice.position, text.length);
  if (!isDynamicTableStatement(tokens)) return classifyPassthrough(tokens, text, slice.position);
  return new DynamicTableParser(tokens, text).parse();
}

/** Where the statement ends when it was handed over with its closing `;` still attached. */
function endBeforeTrailingSemicolon(text: string): number {
  let last: { start: number; isSemicolon: boolean } | undefined;
  for (const lexeme of lexemes(text)) {
    if (lexeme.kind === 'whitespace' || lexeme.kind === 'lineComment' || lexeme.kind === 'blockComment') continue;
    last = { start: lexeme.start, isSemicolon: lexeme.kind === 'symbol' && text[lexeme.start] === ';' };
  }
  return last?.isSemicolon === true ? last.start : text.length;
}

/**
 * Whether the leading keywords make this one of ours. `MATERIALIZED` counts only before TABLE(S), so that
 * PostgreSQL's own `CREATE / REFRESH / DROP MATERIALIZED VIEW` still reach the engine.
 */
function isDynamicTableStatement(tokens: TokenStream): boolean {
  const words = [0, 1, 2, 3, 4, 5].map((ahead) => upperWord(tokens.peek(ahead)));
  const namesDynamicTable = (index: number) =>
    words[index] === 'DYNAMIC' ||
    (words[index] === 'MATERIALIZED' && (words[index + 1] === 'TABLE' || words[index + 1] === 'TABLES'));
  switch (words[0]) {
    case 'CREATE': {
      const afterOr = words[1] === 'OR' ? 3 : 1;
      return namesDynamicTable(isTemporaryWord(words[afterOr]) ? afterOr + 1 : afterOr);
    }
    case 'EXPLAIN':
      return words[1] === 'CREATE' && namesDynamicTable(words[2] === 'OR' ? 4 : 2);
    case 'DROP':
      return namesDynamicTable(isTemporaryWord(words[1]) ? 2 : 1);
    case 'SHOW':
      return namesDynamicTable(words[1] === 'CREATE' ? 2 : 1);
    case 'ALTER':
    case 'DESCRIBE':
    case 'DESC':
      return namesDynamicTable(1);
    default:
      return false;
  }
}

const FRESHNESS_UNITS: ReadonlySet<string> = new Set<FreshnessUnit>(['SECOND', 'MINUTE', 'HOUR', 'DAY']);
const MAX_INTERVAL = 2 ** 31 - 1;
const CREATE_CLAUSES = 'COMMENT, PARTITIONED BY, WITH, FRESHNESS, TARGET_LAG, REFRESH_MODE';
// Words that may follow an interval in CREATE: seeing one means the unit was left out, not misspelt.
const AFTER_INTERVAL: ReadonlySet<string> = new Set(['AS', 'COMMENT', 'PARTITIONED', 'WITH', 'FRESHNESS', 'TARGET_LAG', 'REFRESH_MODE']);

/** `SECOND`, `seconds`, … → the unit; anything else → undefined. */
function freshnessUnitOf(word: string): FreshnessUnit | undefined {
  const upper = word.toUpperCase();
  const singular = upper.endsWith('S') ? upper.slice(0, -1) : upper;
  return FRESHNESS_UNITS.has(singular) ? (singular as FreshnessUnit) : undefined;
}

const unsupportedUnit = (position: SourcePosition) =>
  parseError('Freshness only supports SECOND, MINUTE, HOUR, DAY as the time unit.', position);

/** The `<n>` of an interval: a positive integer that fits in 32 bits, written as plain digits. */
function intervalValue(text: string, position: SourcePosition): number {
  const value = /^[0-9]+$/.test(text) ? Number(text) : Number.NaN;
  if (!(value >= 1 && value <= MAX_INTERVAL)) {
    throw parseError(`The freshness interval currently only supports positive integer type values. But was: ${text}`, position);
  }
  return value;
}

type CreateClauses = {
  -readonly [K in 'comment' | 'partitionKeys' | 'options' | 'freshness' | 'refreshMode']: CreateDynamicTable[K];
};

class DynamicTableParser extends TokenCursor {
  constructor(
    tokens: TokenStream,
    /** The statement as written, without a trailing `;`. */
    private readonly text: string,
  ) {
    super(tokens);
  }

  parse(): Statement {
    switch (upperWord(this.next())) {
      case 'CREATE':
        return this.create();
      case 'EXPLAIN':
        this.expectKeyword('CREATE', 'CREATE after EXPLAIN');
        return { kind: 'explainCreateDynamicTable', create: this.create(), text: this.text };
      case 'ALTER':
        return this.alter();
      case 'DROP':
        return this.drop();
      case 'SHOW':
        return this.show();
      default:
        return this.describe();
    }
  }

  // ----- statements -----

  private create(): CreateDynamicTable {
    let orAlter = false;
    if (this.acceptKeyword('OR') !== null) {
      const replace = this.peek();
      if (isWord(replace, 'REPLACE')) {
        const table = `${this.tableWord()} TABLE`;
        throw parseError(
          `CREATE OR REPLACE ${table} is not supported: use CREATE OR ALTER ${table} to change an existing table's query${atPosition(replace.position)}`,
          replace.position,
        );
      }
      this.expectKeyword('ALTER', 'ALTER after CREATE OR');
      orAlter = true;
    }
    const temporary = this.acceptKeyword('TEMP', 'TEMPORARY');
    if (temporary !== null) {
      throw parseError(
        `CREATE ${upperWord(temporary)} ${this.tableWord()} TABLE is not supported. Dynamic tables are always persistent: remove ${upperWord(temporary)}.`,
        temporary.position,
      );
    }
    const tableWord = upperWord(this.next());
    this.expectKeyword('TABLE', `TABLE after ${tableWord}`);
    const ifNotExists = this.acceptIf('NOT', 'EXISTS');
    const name = this.objectName();
    this.rejectLateIf('NOT', 'EXISTS', `CREATE ${tableWord} TABLE IF NOT EXISTS ${name.parts.join('.')}`);
    const { columns, primaryKey } = isSymbol(this.peek(), '(') ? this.columnList() : { columns: null, primaryKey: null };
    const clauses = this.createClauses();
    const query = this.query(this.next());
    return { kind: 'createDynamicTable', orAlter, ifNotExists, name, columns, primaryKey, ...clauses, query, text: this.text };
  }

  /** The clauses between the name (or column list) and AS: any order, each at most once. */
  private createClauses(): CreateClauses {
    const clauses: CreateClauses = { comment: null, partitionKeys: [], options: {}, freshness: null, refreshMode: null };
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

  private alter(): AlterDynamicTable {
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
      case 'AS':
        return { kind: 'alterDynamicTable', name, action: { kind: 'setQuery', query: this.query(this.next()) }, text: this.text };
      default:
        this.fail('one of SUSPEND, RESUME, REFRESH, SET, AS');
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
    this.fail('FRESHNESS, TARGET_LAG or REFRESH_MODE after SET');
  }

  private drop(): DropDynamicTable {
    const temporary = this.acceptKeyword('TEMP', 'TEMPORARY');
    if (temporary !== null) {
      throw parseError(
        `DROP ${upperWord(temporary)} ${this.tableWord()} TABLE is not supported: dynamic tables are never temporary; use DROP ${this.tableWord()} TABLE.`,
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
    const like = this.acceptKeyword('LIKE') === null ? null : this.expectString("a pattern as a string literal, such as LIKE 'orders%'").value;
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

  // ----- clauses -----

  private clauseOnce(seen: Set<string>, clause: string, token: Token): void {
    if (seen.has(clause)) throw parseError(`The ${clause} clause appears more than once${atPosition(token.position)}`, token.position);
    const other = clause === 'FRESHNESS' ? 'TARGET_LAG' : clause === 'TARGET_LAG' ? 'FRESHNESS' : undefined;
    if (other !== undefined && seen.has(other)) {
      throw parseError(`FRESHNESS and TARGET_LAG both set the freshness: give only one of them${atPosition(token.position)}`, token.position);
    }
    seen.add(clause);
  }

  /** `( column [, …] [, [CONSTRAINT c] PRIMARY KEY (cols) [NOT ENFORCED]] )`; the `(` is next. */
  private columnList(): { columns: string[] | null; primaryKey: PrimaryKeySpec | null } {
    this.next();
    const columns: string[] = [];
    let primaryKey: PrimaryKeySpec | null = null;
    do {
      const token = this.peek();
      if (isWord(token, 'CONSTRAINT', 'PRIMARY')) {
        if (primaryKey !== null) throw parseError(`Only one PRIMARY KEY may be declared${atPosition(token.position)}`, token.position);
        primaryKey = this.primaryKey();
        continue;
      }
      const column = this.identifier('a column name or PRIMARY KEY');
      this.rejectDuplicate(columns, column, 'the column list');
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
    const constraintName = this.acceptKeyword('CONSTRAINT') === null ? null : this.identifier('a constraint name').value;
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
    do {
      const name = this.identifier(expected);
      this.rejectDuplicate(names, name, clause);
      names.push(name.value);
    } while (this.acceptSymbol(','));
    this.expectSymbol(')', "',' or ')'");
    return names;
  }

  /** `( 'key' = 'value' [, …] )`. */
  private options(): Record<string, string> {
    this.expectSymbol('(', "'(' and options such as ('key' = 'value')");
    // A Map, then Object.fromEntries: a key such as '__proto__' must stay an ordinary key.
    const options = new Map<string, string>();
    do {
      const key = this.expectString("an option key as a string literal, such as 'initialize'");
      if (options.has(key.value)) {
        throw parseError(`Option '${key.value}' is given more than once${atPosition(key.position)}`, key.position);
      }
      this.expectSymbol('=', `'=' after the option key '${key.value}'`);
      options.set(key.value, this.literal(`a value for option '${key.value}' as a string literal`));
    } while (this.acceptSymbol(','));
    this.expectSymbol(')', "',' or ')'");
    return Object.fromEntries(options);
  }

  /** `( col = 'value' [, …] )` after REFRESH PARTITION. */
  private partitionSpec(): Record<string, string> {
    this.expectSymbol('(', "'(' and a partition such as (ds = '2024-01-01')");
    const partition = new Map<string, string>();
    do {
      const column = this.identifier("a partition column, as in PARTITION (ds = '2024-01-01')");
      if (partition.has(column.value)) {
        throw parseError(`Partition column '${column.value}' is given more than once${atPosition(column.position)}`, column.position);
      }
      this.expectSymbol('=', `'=' after the partition column ${column.value}`);
      partition.set(column.value, this.literal(`a value for partition column ${column.value} as a string literal`));
    } while (this.acceptSymbol(','));
    this.expectSymbol(')', "',' or ')'");
    return Object.fromEntries(partition);
  }

  /** After FRESHNESS or TARGET_LAG. */
  private freshness(keyword: 'FRESHNESS' | 'TARGET_LAG'): Freshness {
    this.expectSymbol('=', `'=' after ${keyword}`);
    return keyword === 'FRESHNESS' ? this.interval() : this.targetLag();
  }

  /** `INTERVAL '<n>' <unit>`. */
  private interval(): Freshness {
    const token = this.peek();
    if (!isWord(token, 'INTERVAL')) {
      throw parseError(
        `FRESHNESS must be an interval such as INTERVAL '5' MINUTE, but found ${describeToken(token)}${atPosition(token.position)}`,
        token.position,
      );
    }
    this.next();
    const literal = this.peek();
    if (literal.kind !== 'string') this.fail("the interval value as a string literal, as in INTERVAL '5' MINUTE");
    this.next();
    const interval = intervalValue(literal.value, literal.position);
    const unitToken = this.peek();
    const unit = unitToken.kind === 'word' ? freshnessUnitOf(unitToken.raw) : undefined;
    if (unit === undefined) {
      if (unitToken.kind === 'word' && !AFTER_INTERVAL.has(upperWord(unitToken))) throw unsupportedUnit(unitToken.position);
      this.fail('a time unit (SECOND, MINUTE, HOUR or DAY)');
    }
    this.next();
    // `DAY TO HOUR` and the like.
    if (isWord(this.peek(), 'TO')) throw unsupportedUnit(unitToken.position);
    return { interval, unit };
  }

  /** Snowflake's `'<n> <unit>'`. */
  private targetLag(): Freshness {
    const token = this.peek();
    if (isWord(token, 'DOWNSTREAM') || (token.kind === 'string' && token.value.trim().toUpperCase() === 'DOWNSTREAM')) {
      throw parseError(
        `TARGET_LAG = DOWNSTREAM is not supported: give the lag as a duration, such as TARGET_LAG = '5 minutes'${atPosition(token.position)}`,
        token.position,
      );
    }
    if (token.kind !== 'string') this.fail("the target lag as a string literal, such as TARGET_LAG = '5 minutes'");
    this.next();
    const [count, unitWord, ...rest] = token.value.trim().split(/\s+/);
    if (count === undefined || unitWord === undefined || rest.length > 0) {
      throw parseError(
        `TARGET_LAG must be a number and a time unit, such as '5 minutes', but was: ${token.value}${atPosition(token.position)}`,
        token.position,
      );
    }
    const interval = intervalValue(count, token.position);
    const unit = freshnessUnitOf(unitWord);
    if (unit === undefined) throw unsupportedUnit(token.position);
    return { interval, unit };
  }

  /** `= FULL | CONTINUOUS`. */
  private refreshMode(): RefreshModeKeyword {
    this.expectSymbol('=', "'=' after REFRESH_MODE");
    const token = this.peek();
    const mode = upperWord(token);
    if (mode === 'FULL' || mode === 'CONTINUOUS') {
      this.next();
      return mode;
    }
    this.fail('FULL or CONTINUOUS', token, mode === 'AUTOMATIC' ? 'Leave REFRESH_MODE out to let Freshet choose.' : undefined);
  }

  /** The rest of the statement after `AS`, exactly as written. */
  private query(as: Token): QueryText {
    let start = as.end;
    while (start < this.text.length && /\s/.test(this.text[start] ?? '')) start += 1;
    const text = this.text.slice(start);
    const hasContent = [...lexemes(text)].some(
      (lexeme) => lexeme.kind !== 'whitespace' && lexeme.kind !== 'lineComment' && lexeme.kind !== 'blockComment',
    );
    if (!hasContent) {
      const end = this.tokens.locate(this.text.length);
      throw parseError(`Expected a query after AS but found end of input${atPosition(end)}`, end);
    }
    return { text, position: this.tokens.locate(start) };
  }

  // ----- names and literals -----

  private objectName(): ObjectName {
    if (isWord(this.peek(), 'AS')) this.fail('a table name');
    const first = this.identifier('a table name');
    const parts = [first.value];
    while (this.acceptSymbol('.')) {
      const part = this.identifier('a name after .');
      if (parts.length === 3) {
        throw parseError(`A table name has at most three parts (catalog.database.name)${atPosition(part.position)}`, part.position);
      }
      parts.push(part.value);
    }
    return { parts, position: first.position };
  }

  private rejectDuplicate(names: readonly string[], name: Token, where: string): void {
    if (names.includes(name.value)) {
      throw parseError(`Column '${name.value}' appears more than once in ${where}${atPosition(name.position)}`, name.position);
    }
  }

  /** A string literal, or a number (kept as written), as a string. */
  private literal(expected: string): string {
    const sign = this.peek();
    const negative = isSymbol(sign, '-') && this.tokens.peek(1).kind === 'number';
    if (negative) this.next();
    const token = this.peek();
    if (token.kind !== 'string' && token.kind !== 'number') this.fail(expected);
    this.next();
    return negative ? `-${token.value}` : token.value;
  }

  // ----- keyword helpers -----

  /** DYNAMIC or MATERIALIZED, as the user wrote it, for messages about the statement being parsed. */
  private tableWord(): string {
    for (let ahead = 0; ahead < 4; ahead += 1) {
      const word = upperWord(this.tokens.peek(ahead));
      if (word === 'DYNAMIC' || word === 'MATERIALIZED') return word;
    }
    return 'DYNAMIC';
  }

  /** `IF <rest…>` before a name; IF alone is the name itself. */
  private acceptIf(...rest: string[]): boolean {
    const matches = isWord(this.peek(), 'IF') && rest.every((word, index) => isWord(this.tokens.peek(index + 1), word));
    if (!matches) return false;
    for (let index = 0; index <= rest.length; index += 1) this.next();
    return true;
  }

  /** Users write `… TABLE t IF EXISTS`; say where the clause belongs instead of a bare syntax error. */
  private rejectLateIf(first: string, second: string | undefined, example: string): void {
    const token = this.peek();
    if (!isWord(token, 'IF') || !isWord(this.tokens.peek(1), first)) return;
    if (second !== undefined && !isWord(this.tokens.peek(2), second)) return;
    const clause = ['IF', first, second].filter((word) => word !== undefined).join(' ');
    throw parseError(`${clause} goes before the table name, as in ${example}${atPosition(token.position)}`, token.position);
  }
}

// ----- pass-through statements -----

const READ_VERBS: ReadonlySet<string> = new Set(['SELECT', 'WITH', 'VALUES', 'TABLE', 'PRAGMA', 'EXPLAIN', 'SHOW', 'DESCRIBE', 'DESC']);

// Modifiers that may sit between a writing verb and its table, in SQLite, PostgreSQL and MySQL spellings.
const WRITE_MODIFIERS = {
  INSERT: ['OR', 'REPLACE', 'IGNORE', 'ABORT', 'FAIL', 'ROLLBACK', 'LOW_PRIORITY', 'DELAYED', 'HIGH_PRIORITY', 'INTO'],
  REPLACE: ['LOW_PRIORITY', 'DELAYED', 'INTO'],
  UPDATE: ['OR', 'REPLACE', 'IGNORE', 'ABORT', 'FAIL', 'ROLLBACK', 'LOW_PRIORITY', 'ONLY'],
  TRUNCATE: ['TABLE', 'ONLY'],
} as const;

/**
 * Reads what a statement for the engine does from its leading keywords only; it never fails, since the engine
 * reports the statement's own syntax errors. CREATE / DROP / ALTER of anything but a TABLE (views, indexes,
 * triggers, …) have a null target, so a CREATE INDEX is never mistaken for creating a table named like its index
 * or its table.
 */
function classifyPassthrough(tokens: TokenStream, text: string, position: SourcePosition): PassthroughStatement {
  while (isSymbol(tokens.peek(), '(')) tokens.next();
  const verb = upperWord(tokens.next());
  const skip = (...words: readonly string[]) => {
    while (isWord(tokens.peek(), ...words)) tokens.next();
  };
  const tableTarget = (...beforeName: string[]) => {
    if (!isWord(tokens.peek(), 'TABLE')) return null;
    tokens.next();
    skip(...beforeName);
    return readObjectName(tokens);
  };
  const result = (effect: PassthroughEffect, target: ObjectName | null): PassthroughStatement => ({
    kind: 'passthrough',
    text,
    position,
    verb,
    effect,
    target,
  });

  switch (verb) {
    case 'CREATE':
      skip('OR', 'REPLACE', 'TEMP', 'TEMPORARY', 'UNLOGGED', 'VIRTUAL', 'GLOBAL', 'LOCAL');
      return result('create', tableTarget('IF', 'NOT', 'EXISTS'));
    case 'DROP':
      return result('drop', tableTarget('IF', 'EXISTS'));
    case 'ALTER':
      return result('alter', tableTarget('IF', 'EXISTS', 'ONLY'));
    case 'DELETE':
      skip('LOW_PRIORITY', 'QUICK', 'IGNORE');
      // MySQL's multi-table `DELETE t1 FROM t1 JOIN …` has no single target.
      if (!isWord(tokens.peek(), 'FROM')) return result('write', null);
      tokens.next();
      skip('ONLY');
      return result('write', readObjectName(tokens));
    case 'INSERT':
    case 'REPLACE':
    case 'UPDATE':
    case 'TRUNCATE':
      skip(...WRITE_MODIFIERS[verb]);
      return result('write', readObjectName(tokens));
    default:
      return result(READ_VERBS.has(verb) ? 'read' : 'other', null);
  }
}
