/**
 * What a SQLite statement's text says where its compiled program does not: the pragma a PRAGMA names, the table a
 * CREATE INDEX, CREATE TRIGGER or ALTER TABLE concerns (their programs only rewrite `sqlite_schema`), the tables a
 * trigger's body writes (compiled only when it fires), and table-valued pragmas or outside-reaching functions
 * named inside a view or trigger definition. SQLite's own quoting is honoured: `"t"`, `` `t` `` and `[t]`.
 */
import { scanLexeme } from '../../sql/tokenizer';

type WordKind = 'word' | 'name' | 'string' | 'symbol' | 'other' | 'end';

/** A significant piece of the text: `word` is a bare word, `name` a quoted identifier (its value unquoted). */
export interface Word {
  readonly kind: WordKind;
  readonly value: string;
  readonly start: number;
  readonly end: number;
}

/** A possibly schema-qualified name as written, quotes removed. */
export interface WrittenName {
  readonly schema: string | null;
  readonly name: string;
}

function unquote(raw: string): string {
  const quote = raw[0] ?? '';
  const close = quote === '[' ? ']' : quote;
  const body = raw.endsWith(close) && raw.length > 1 ? raw.slice(1, -1) : raw.slice(1);
  return quote === '[' ? body : body.split(quote + quote).join(quote);
}

// SQLite's `$name` parameter: PostgreSQL's dollar quoting (`$a$ … $a$`), which the shared scanner knows, does not
// exist in SQLite and must not hide the text between two such parameters.
const PARAMETER = /\$[\p{L}\p{N}_$\u0080-\uffff]*/uy;

/** Scans one word at `start`, past whitespace and comments. */
function scanWord(text: string, start: number): Word {
  let offset = start;
  while (offset < text.length) {
    if (text[offset] === '[') {
      // SQLite's bracket quoting (from MS Access); nothing inside is escaped.
      const close = text.indexOf(']', offset + 1);
      const end = close < 0 ? text.length : close + 1;
      return { kind: 'name', value: unquote(text.slice(offset, end)), start: offset, end };
    }
    if (text[offset] === '$') {
      PARAMETER.lastIndex = offset;
      const end = offset + (PARAMETER.exec(text)?.[0].length ?? 1);
      return { kind: 'other', value: text.slice(offset, end), start: offset, end };
    }
    const lexeme = scanLexeme(text, offset);
    const raw = text.slice(lexeme.start, lexeme.end);
    const word = (kind: WordKind, value = raw): Word => ({ kind, value, start: lexeme.start, end: lexeme.end });
    switch (lexeme.kind) {
      case 'whitespace':
      case 'lineComment':
      case 'blockComment':
        offset = lexeme.end;
        continue;
      case 'word':
        return word('word');
      case 'quotedIdentifier':
        return word('name', unquote(raw));
      case 'string':
        return word('string', unquote(raw));
      case 'symbol':
        return word('symbol');
      default:
        return word('other');
    }
  }
  return { kind: 'end', value: '', start: text.length, end: text.length };
}

/** A forward-only reader of words, with one word of lookahead. */
export class StatementWords {
  private current: Word;

  constructor(
    readonly text: string,
    start = 0,
  ) {
    this.current = scanWord(text, start);
  }

  peek(): Word {
    return this.current;
  }

  next(): Word {
    const word = this.current;
    if (word.kind !== 'end') this.current = scanWord(this.text, word.end);
    return word;
  }

  /** Whether the next word is one of `keywords` (bare, any case); consumes it when it is. */
  accept(...keywords: string[]): boolean {
    if (!isKeyword(this.current, ...keywords)) return false;
    this.next();
    return true;
  }

  /** Consumes words up to and including the first bare `keyword`; false when the text ends first. */
  skipPast(keyword: string): boolean {
    for (let word = this.next(); word.kind !== 'end'; word = this.next()) {
      if (isKeyword(word, keyword)) return true;
    }
    return false;
  }

  /** Reads `[schema.]name`; null when the next word is not a name. */
  readName(): WrittenName | null {
    if (!isName(this.current)) return null;
    const first = this.next().value;
    if (!isSymbolWord(this.current, '.')) return { schema: null, name: first };
    this.next();
    if (!isName(this.current)) return null;
    return { schema: first, name: this.next().value };
  }
}

export function isKeyword(word: Word, ...keywords: string[]): boolean {
  return word.kind === 'word' && keywords.includes(word.value.toUpperCase());
}

function isName(word: Word): boolean {
  // SQLite also takes a string where it expects a name (`CREATE TRIGGER x AFTER INSERT ON 't'`).
  return word.kind === 'word' || word.kind === 'name' || word.kind === 'string';
}

function isSymbolWord(word: Word, symbol: string): boolean {
  return word.kind === 'symbol' && word.value === symbol;
}

/** The statement behind `EXPLAIN [QUERY PLAN]`, which only describes it. */
export interface LeadingStatement {
  /** Whether the client's statement was an EXPLAIN of `text`. */
  readonly explained: boolean;
  /** The statement itself, from its first word: EXPLAIN and what comes before removed. */
  readonly text: string;
  /** Its upper-cased first word ('' when it does not start with one). */
  readonly verb: string;
  /** True when the text holds nothing but comments and white space. */
  readonly empty: boolean;
}

export function leadingStatement(sql: string): LeadingStatement {
  const words = new StatementWords(sql);
  // SQLite skips empty statements before the first one; EXPLAIN would not.
  while (isSymbolWord(words.peek(), ';')) words.next();
  const explained = words.accept('EXPLAIN');
  if (explained && isKeyword(words.peek(), 'QUERY')) {
    words.next();
    words.accept('PLAN');
  }
  const first = words.peek();
  const text = sql.slice(first.start);
  const verb = first.kind === 'word' ? first.value.toUpperCase() : '';
  return { explained, text, verb, empty: first.kind === 'end' };
}

/** The pragma a PRAGMA statement names, lower-cased (`table_info` in `PRAGMA main."TABLE_INFO"(t)`). */
export function pragmaName(text: string): string | null {
  const words = new StatementWords(text);
  if (!words.accept('PRAGMA')) return null;
  return words.readName()?.name.toLowerCase() ?? null;
}

/** True when a PRAGMA statement passes a value (`= v` or `(v)`) instead of only reading its pragma's value. */
export function pragmaTakesValue(text: string): boolean {
  const words = new StatementWords(text);
  if (!words.accept('PRAGMA') || words.readName() === null) return false;
  return words.peek().kind !== 'end';
}

/** `CREATE [TEMP] [UNIQUE|VIRTUAL] <kind>`: the kind upper-cased (`TABLE`, `INDEX`, `VIEW`, `TRIGGER`). */
export function createdKind(text: string): string {
  const words = new StatementWords(text);
  if (!words.accept('CREATE')) return '';
  while (words.accept('TEMP', 'TEMPORARY', 'UNIQUE', 'VIRTUAL')) {
    // modifiers only
  }
  const kind = words.peek();
  return kind.kind === 'word' ? kind.value.toUpperCase() : '';
}

/** The tables a schema-changing statement concerns by name (its program only rewrites `sqlite_schema`). */
export interface SchemaChangeTargets {
  /** The table whose definition changes: indexed, given a trigger, or altered. */
  readonly table: WrittenName | null;
  /** Tables a created trigger's body writes (unqualified in SQLite: in the trigger's schema). */
  readonly bodyWrites: readonly WrittenName[];
}

const NONE: SchemaChangeTargets = { table: null, bodyWrites: [] };

/** Reads CREATE INDEX … ON t, CREATE TRIGGER … ON t … BEGIN … END and ALTER TABLE t. */
export function schemaChangeTargets(text: string): SchemaChangeTargets {
  const words = new StatementWords(text);
  if (words.accept('ALTER')) return words.accept('TABLE') ? { table: words.readName(), bodyWrites: [] } : NONE;
  if (!words.accept('CREATE')) return NONE;
  words.accept('TEMP', 'TEMPORARY');
  words.accept('UNIQUE');
  if (words.accept('INDEX')) {
    words.accept('IF');
    words.accept('NOT');
    words.accept('EXISTS');
    const index = words.readName();
    if (index === null || !words.accept('ON')) return NONE;
    const table = words.readName();
    return { table: table && { schema: index.schema, name: table.name }, bodyWrites: [] };
  }
  if (!words.accept('TRIGGER')) return NONE;
  const bodyWrites = triggerBodyWrites(new StatementWords(text, words.peek().start));
  return { table: words.skipPast('ON') ? words.readName() : null, bodyWrites };
}

/**
 * The targets of the INSERT, REPLACE, UPDATE and DELETE statements of a trigger body. SQLite allows neither a
 * WITH prefix nor a qualified target there, so each target directly follows its leading keywords. The whole text
 * is searched, not just what follows BEGIN: BEGIN may also be a column name in the WHEN clause, and these word
 * sequences occur nowhere else in a trigger (at worst a header word such as `ON` is taken for a table name).
 */
function triggerBodyWrites(words: StatementWords): WrittenName[] {
  const targets: WrittenName[] = [];
  for (let word = words.next(); word.kind !== 'end'; word = words.next()) {
    let target: WrittenName | null = null;
    if (isKeyword(word, 'INSERT', 'REPLACE', 'UPDATE')) {
      if (words.accept('OR')) words.next();
      words.accept('INTO');
      target = words.readName();
    } else if (isKeyword(word, 'DELETE') && words.accept('FROM')) {
      target = words.readName();
    }
    if (target !== null) targets.push(target);
  }
  return targets;
}

/**
 * The parent tables of the foreign keys a CREATE TABLE or ALTER TABLE declares: with foreign keys enforced, a child
 * table constrains every later write of its parent, refreshes included.
 */
export function referencedTables(text: string): WrittenName[] {
  const words = new StatementWords(text);
  const parents: WrittenName[] = [];
  for (let word = words.next(); word.kind !== 'end'; word = words.next()) {
    const parent = isKeyword(word, 'REFERENCES') ? words.readName() : null;
    if (parent !== null) parents.push(parent);
  }
  return parents;
}

/** Functions that reach outside the database, by the name SQL calls them. */
export const OUTSIDE_FUNCTIONS: ReadonlyMap<string, string> = new Map([
  ['load_extension', 'load_extension()'],
  ['fts3_tokenizer', 'fts3_tokenizer()'],
  ['readfile', 'readfile()'],
  ['writefile', 'writefile()'],
]);

/**
 * The first table-valued pragma (`pragma_<name>`, one of `pragmas` and not `allowed`) or outside-reaching
 * function the text names anywhere. The program of `CREATE VIEW` or `CREATE TRIGGER` does not contain its body,
 * so this is what keeps such a body from smuggling them into a later statement.
 */
export function namedEscape(text: string, pragmas: ReadonlySet<string>, allowed: ReadonlySet<string>): string | null {
  const words = new StatementWords(text);
  for (let word = words.next(); word.kind !== 'end'; word = words.next()) {
    if (word.kind !== 'word' && word.kind !== 'name') continue;
    const name = word.value.toLowerCase();
    const pragma = name.startsWith('pragma_') ? name.slice('pragma_'.length) : null;
    if (pragma !== null && pragmas.has(pragma) && !allowed.has(pragma)) return `PRAGMA ${pragma}`;
    const outside = OUTSIDE_FUNCTIONS.get(name);
    if (outside !== undefined && isSymbolWord(words.peek(), '(')) return outside;
  }
  return null;
}
