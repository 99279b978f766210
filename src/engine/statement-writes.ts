/**
 * Write targets read from a statement's tokens (see `statement-lexer.ts`), wherever they sit: the statement's
 * own verb, data-modifying CTEs, the bodies of triggers and rules. Used where the server cannot say itself (DDL,
 * MySQL's plans, Flink), and next to the server's plan where it can, so that a statement the plan cannot be
 * had for (parameters, a syntax the planner refuses) still has its targets. It errs towards reporting a write.
 */
import type { SqlToken } from './statement-lexer';

/** A table name as written, split into its parts (`["db", "t"]`), unquoted. */
export type NameParts = readonly string[];

const isName = (token: SqlToken | undefined) => token?.kind === 'word' || token?.kind === 'identifier';
const isSymbol = (token: SqlToken | undefined, symbol: string) => token?.kind === 'symbol' && token.value === symbol;
const keywordOf = (token: SqlToken | undefined) => token?.keyword ?? '';

/** Words after which an `UPDATE`/`DELETE`/`INSERT` is part of another clause (`ON UPDATE`, `FOR UPDATE`). */
const NOT_A_VERB_AFTER = new Set(['ON', 'FOR', 'KEY', 'OR', 'AFTER', 'BEFORE', 'OF']);
/** Words that cannot start the table name after an `UPDATE`. */
const NOT_A_TABLE = new Set([
  'SET',
  'OF',
  'ON',
  'OR',
  'FROM',
  'WHERE',
  'NOWAIT',
  'SKIP',
  'TO',
  'CASCADE',
  'RESTRICT',
  'NO',
  'CURRENT_TIMESTAMP',
  'NOW',
  'LOCALTIMESTAMP',
  'AND',
  'THEN',
  'ELSE',
  'END',
  'WHEN',
  'VALUES',
  'DEFAULT',
  'SELECT',
]);
const INSERT_MODIFIERS = ['LOW_PRIORITY', 'DELAYED', 'HIGH_PRIORITY', 'IGNORE', 'INTO', 'OVERWRITE', 'TABLE'];

/** A cursor over tokens for the readers below. */
export class TokenWalk {
  constructor(
    readonly tokens: readonly SqlToken[],
    public at = 0,
  ) {}

  peek(ahead = 0): SqlToken | undefined {
    return this.tokens[this.at + ahead];
  }

  /** Consumes the next token when it is one of `words`. */
  accept(...words: string[]): boolean {
    if (!words.includes(keywordOf(this.peek()))) return false;
    this.at += 1;
    return true;
  }

  skip(...words: string[]): void {
    while (this.accept(...words));
  }

  /** `a.b.c` at the cursor, or null when no name starts there. */
  name(): NameParts | null {
    if (!isName(this.peek())) return null;
    const parts = [(this.peek() as SqlToken).value];
    this.at += 1;
    while (isSymbol(this.peek(), '.') && isName(this.peek(1))) {
      parts.push((this.peek(1) as SqlToken).value);
      this.at += 2;
    }
    return parts;
  }

  /** Names separated by commas, each after optional `words` (`DROP TABLE a, IF EXISTS b` is not SQL, `ONLY` is). */
  names(...words: string[]): NameParts[] {
    const found: NameParts[] = [];
    for (;;) {
      this.skip(...words);
      const name = this.name();
      if (name === null) return found;
      found.push(name);
      if (isSymbol(this.peek(), '.') && isSymbol(this.peek(1), '*')) this.at += 2;
      if (isSymbol(this.peek(), '*')) this.at += 1;
      if (!isSymbol(this.peek(), ',')) return found;
      this.at += 1;
    }
  }
}

/** Whether the token at `index` is a verb, not a word of another clause. */
function verbAt(tokens: readonly SqlToken[], index: number): boolean {
  const before = tokens[index - 1];
  return !isSymbol(before, '.') && !NOT_A_VERB_AFTER.has(keywordOf(before));
}

/** The DML targets named at `index` (an INSERT, UPDATE, DELETE, REPLACE, MERGE), if it is a verb there. */
function dmlTargets(walk: TokenWalk, index: number): NameParts[] {
  const { tokens } = walk;
  const word = keywordOf(tokens[index]);
  if (!verbAt(tokens, index)) return [];
  walk.at = index + 1;
  switch (word) {
    case 'INSERT':
    case 'REPLACE':
    case 'MERGE': {
      if (word === 'REPLACE' && isSymbol(walk.peek(), '(')) return []; // the REPLACE() function
      walk.skip(...INSERT_MODIFIERS);
      if (NOT_A_TABLE.has(keywordOf(walk.peek()))) return [];
      const name = walk.name();
      return name === null ? [] : [name];
    }
    case 'UPDATE': {
      walk.skip('LOW_PRIORITY', 'IGNORE', 'ONLY');
      if (NOT_A_TABLE.has(keywordOf(walk.peek()))) return [];
      const name = walk.name();
      return name === null ? [] : [name];
    }
    case 'DELETE': {
      walk.skip('LOW_PRIORITY', 'QUICK', 'IGNORE');
      if (!walk.accept('FROM')) return [];
      return walk.names('ONLY');
    }
    default:
      return [];
  }
}

/** The tables a DDL statement starting at `index` changes (ALTER, DROP, TRUNCATE, RENAME, triggers, rules). */
function ddlTargets(walk: TokenWalk, index: number): NameParts[] {
  const word = keywordOf(walk.tokens[index]);
  walk.at = index + 1;
  switch (word) {
    case 'ALTER':
      walk.skip('ONLINE', 'IGNORE');
      if (!walk.accept('TABLE')) return [];
      walk.skip('IF', 'EXISTS', 'ONLY');
      return walk.names();
    case 'DROP':
      walk.skip('TEMPORARY', 'FOREIGN');
      if (!walk.accept('TABLE')) return [];
      return walk.names('IF', 'EXISTS');
    case 'TRUNCATE':
      walk.skip('TABLE');
      return walk.names('ONLY');
    case 'RENAME':
      if (!walk.accept('TABLE')) return [];
      return renamedTables(walk);
    case 'COMMENT':
      return commentTarget(walk);
    case 'CREATE':
      return createTargets(walk);
    default:
      return [];
  }
}

/** MySQL's `RENAME TABLE a TO b, c TO d`: both sides of every pair. */
function renamedTables(walk: TokenWalk): NameParts[] {
  const found: NameParts[] = [];
  for (;;) {
    const from = walk.name();
    if (from === null || !walk.accept('TO')) return found;
    const to = walk.name();
    found.push(...(to === null ? [from] : [from, to]));
    if (!isSymbol(walk.peek(), ',')) return found;
    walk.at += 1;
  }
}

function commentTarget(walk: TokenWalk): NameParts[] {
  if (!walk.accept('ON')) return [];
  if (walk.accept('TABLE')) return walk.names();
  if (!walk.accept('COLUMN')) return [];
  const column = walk.name();
  return column === null || column.length < 2 ? [] : [column.slice(0, -1)];
}

/** `CREATE OR REPLACE TABLE t`, `CREATE TRIGGER … ON t`, `CREATE RULE … TO t`, `INHERITS (t)`, `PARTITION OF t`. */
function createTargets(walk: TokenWalk): NameParts[] {
  const start = walk.at;
  const replaces = walk.accept('OR') && walk.accept('REPLACE');
  walk.skip('TEMPORARY', 'TEMP', 'UNLOGGED', 'GLOBAL', 'LOCAL', 'CONSTRAINT');
  if (walk.accept('TABLE')) {
    walk.skip('IF', 'NOT', 'EXISTS');
    const table = walk.name();
    return replaces && table !== null ? [table] : [];
  }
  // MySQL puts `DEFINER = user` before TRIGGER: look a little further for it.
  const { tokens } = walk;
  const limit = Math.min(tokens.length, start + 12);
  for (let index = start; index < limit; index += 1) {
    const word = keywordOf(tokens[index]);
    if (word !== 'TRIGGER' && word !== 'RULE') continue;
    const marker = word === 'TRIGGER' ? 'ON' : 'TO';
    const depth = tokens[index]?.depth ?? 0;
    for (let at = index + 1; at < tokens.length; at += 1) {
      if (keywordOf(tokens[at]) === marker && tokens[at]?.depth === depth) {
        walk.at = at + 1;
        const name = walk.name();
        return name === null ? [] : [name];
      }
    }
    return [];
  }
  return [];
}

/** `INHERITS (a, b)`, `INHERIT a`, `PARTITION OF a`, `WITH TABLE a`: tables whose rows another table joins. */
function inheritanceTargets(walk: TokenWalk, index: number): NameParts[] {
  const { tokens } = walk;
  const word = keywordOf(tokens[index]);
  walk.at = index + 1;
  if (word === 'INHERITS' && isSymbol(walk.peek(), '(')) {
    walk.at += 1;
    return walk.names();
  }
  if (word === 'INHERIT' && keywordOf(tokens[index - 1]) !== 'NO') return walk.names();
  if (word === 'PARTITION' && walk.accept('OF')) return walk.names();
  if (word === 'EXCHANGE') {
    // MySQL: ALTER TABLE a EXCHANGE PARTITION p WITH TABLE b swaps b's rows in.
    for (let at = index + 1; at < tokens.length; at += 1) {
      if (keywordOf(tokens[at]) === 'WITH' && keywordOf(tokens[at + 1]) === 'TABLE') {
        walk.at = at + 2;
        return walk.names();
      }
    }
  }
  return [];
}

const DML_VERBS = new Set(['INSERT', 'UPDATE', 'DELETE', 'REPLACE', 'MERGE']);
const DDL_VERBS = new Set(['ALTER', 'DROP', 'TRUNCATE', 'RENAME', 'COMMENT', 'CREATE']);
const INHERITANCE = new Set(['INHERITS', 'INHERIT', 'PARTITION', 'EXCHANGE']);

/**
 * Every table the tokens name as written to, in order, duplicates included. DDL verbs count where a statement
 * starts (first token, or after `;` or a body's `BEGIN`); DML verbs count anywhere they are verbs. The token at
 * `skipIndex` is left to the caller (MySQL reads its multi-table UPDATE and DELETE itself).
 */
export function writtenNames(tokens: readonly SqlToken[], skipIndex = -1): NameParts[] {
  const walk = new TokenWalk(tokens);
  const found: NameParts[] = [];
  tokens.forEach((token, index) => {
    const word = index === skipIndex ? '' : token.keyword;
    if (DML_VERBS.has(word)) found.push(...dmlTargets(walk, index));
    else if (DDL_VERBS.has(word) && startsStatement(tokens, index)) found.push(...ddlTargets(walk, index));
    else if (INHERITANCE.has(word)) found.push(...inheritanceTargets(walk, index));
  });
  return found;
}

function startsStatement(tokens: readonly SqlToken[], index: number): boolean {
  const before = tokens[index - 1];
  return before === undefined || isSymbol(before, ';') || ['BEGIN', 'DO', 'ALSO', 'INSTEAD'].includes(before.keyword);
}

/** The first word of the statement after leading parentheses (`''` for none). */
export function leadingVerb(tokens: readonly SqlToken[]): string {
  return tokens.find((token) => !isSymbol(token, '('))?.keyword ?? '';
}

/** The index of the statement's main verb: the first word after leading parentheses and a WITH clause. */
export function mainVerbIndex(tokens: readonly SqlToken[]): number {
  let index = tokens.findIndex((token) => !isSymbol(token, '('));
  if (index < 0 || tokens[index]?.keyword !== 'WITH') return index;
  const depth = tokens[index]?.depth ?? 0;
  for (index += 1; index < tokens.length; index += 1) {
    const token = tokens[index] as SqlToken;
    if (token.depth !== depth || token.kind !== 'word') continue;
    if (token.keyword !== 'RECURSIVE' && !isSymbol(tokens[index - 1], ')') && tokens[index + 1]?.keyword !== 'AS') {
      if (!isSymbol(tokens[index + 1], '(')) return index;
    }
    if (isSymbol(tokens[index - 1], ')') && token.keyword !== 'AS') return index;
  }
  return -1;
}

/** Whether a word or quoted name equal to one of `names` (lower case) is called as a function anywhere. */
export function calledFunction(tokens: readonly SqlToken[], names: ReadonlySet<string>): string | null {
  for (let index = 0; index + 1 < tokens.length; index += 1) {
    const token = tokens[index] as SqlToken;
    if (!isName(token) || !isSymbol(tokens[index + 1], '(')) continue;
    const name = token.kind === 'word' ? token.value.toLowerCase() : token.value;
    if (names.has(name)) return name;
  }
  return null;
}

/** Whether the word sequence `words` occurs anywhere in the tokens. */
export function hasWords(tokens: readonly SqlToken[], ...words: string[]): boolean {
  return tokens.some((_, index) => words.every((word, offset) => tokens[index + offset]?.keyword === word));
}

/**
 * Schemas (databases) whose every table the statement drops or renames: `DROP SCHEMA|DATABASE [IF EXISTS] a, b`,
 * `ALTER SCHEMA a RENAME TO b`. The engine lists their tables as written.
 */
export function droppedSchemas(tokens: readonly SqlToken[]): string[] {
  const walk = new TokenWalk(tokens);
  if (walk.accept('DROP') && walk.accept('SCHEMA', 'DATABASE')) {
    return walk.names('IF', 'EXISTS').map((parts) => parts[parts.length - 1] as string);
  }
  walk.at = 0;
  if (walk.accept('ALTER') && walk.accept('SCHEMA', 'DATABASE')) {
    const schema = walk.name();
    return schema !== null && walk.accept('RENAME') ? [schema[schema.length - 1] as string] : [];
  }
  return [];
}
