/**
 * What a pass-through `ALTER TABLE` (or MySQL's `RENAME TABLE`) does to the columns of its table, read from its
 * text in the SQLite, PostgreSQL and MySQL spellings: what the gateway checks against the dynamic tables that
 * read the table before the statement reaches the engine. It never fails; what it cannot read is `unknown`, which
 * the caller treats as possibly breaking anything.
 */
import type { SourcePosition } from './statements';
import { isIdentifierToken, isSymbol, isWord, type Token, TokenStream, upperWord } from './tokenizer';

/** One change of an ALTER TABLE, as a discriminated node. */
export type TableChange =
  | { readonly kind: 'addColumn' }
  | { readonly kind: 'dropColumn'; readonly column: string }
  | { readonly kind: 'renameColumn'; readonly column: string; readonly to: string }
  /** A new type for the column (PostgreSQL `ALTER … TYPE`, MySQL `MODIFY`, and `CHANGE` under the same name). */
  | { readonly kind: 'retypeColumn'; readonly column: string; readonly type: string }
  /** The table gets another name or schema (`RENAME TO`, `SET SCHEMA`, `RENAME TABLE`). */
  | { readonly kind: 'renameTable' }
  /** Leaves every column's name and type as they are (constraints, defaults, indexes, options). */
  | { readonly kind: 'keepsColumns' }
  | { readonly kind: 'unknown'; readonly text: string };

// Words that start a change which leaves columns as they are, after ADD or DROP or on their own.
const CONSTRAINT_WORDS = [
  'CONSTRAINT',
  'PRIMARY',
  'UNIQUE',
  'CHECK',
  'FOREIGN',
  'EXCLUDE',
  'INDEX',
  'KEY',
  'FULLTEXT',
  'SPATIAL',
  'PARTITION',
];
const OPTION_WORDS = [
  'OWNER',
  'SET',
  'RESET',
  'ENABLE',
  'DISABLE',
  'CLUSTER',
  'INHERIT',
  'NO',
  'REPLICA',
  'VALIDATE',
  'ENGINE',
  'AUTO_INCREMENT',
  'COMMENT',
  'CHARACTER',
  'CHARSET',
  'COLLATE',
  'DEFAULT',
  'ALGORITHM',
  'LOCK',
  'ORDER',
  'FORCE',
  'ROW_FORMAT',
  'KEY_BLOCK_SIZE',
  'STATS_PERSISTENT',
  'ATTACH',
  'DETACH',
  'OF',
  'NOT',
];
// Words that end a column's type in a column definition.
const AFTER_TYPE_WORDS = [
  'NOT',
  'NULL',
  'DEFAULT',
  'PRIMARY',
  'UNIQUE',
  'CHECK',
  'REFERENCES',
  'COLLATE',
  'AUTO_INCREMENT',
  'COMMENT',
  'GENERATED',
  'AS',
  'FIRST',
  'AFTER',
  'CONSTRAINT',
  'USING',
  'ON',
  'INVISIBLE',
  'VISIBLE',
  'STORAGE',
  'COMPRESSION',
];

const START: SourcePosition = { offset: 0, line: 1, column: 1 };

/**
 * The changes `text` (one ALTER TABLE or RENAME TABLE statement) makes, in order; `[{kind: 'unknown'}]` when it is
 * not one that this reader understands.
 */
export function readTableChanges(text: string): TableChange[] {
  const tokens = new TokenStream(text, START);
  const words = (count: number) => Array.from({ length: count }, (_, i) => upperWord(tokens.peek(i)));
  const [verb, table] = words(2);
  if (verb === 'RENAME' && table === 'TABLE') return [{ kind: 'renameTable' }];
  if (verb !== 'ALTER' || table !== 'TABLE') return [{ kind: 'unknown', text }];
  tokens.next();
  tokens.next();
  while (isWord(tokens.peek(), 'IF', 'EXISTS', 'ONLY')) tokens.next();
  if (!skipName(tokens)) return [{ kind: 'unknown', text }];
  if (isSymbol(tokens.peek(), '*')) tokens.next();
  return splitActions(tokens, text).map(readAction);
}

function skipName(tokens: TokenStream): boolean {
  if (!isIdentifierToken(tokens.peek())) return false;
  tokens.next();
  while (isSymbol(tokens.peek(), '.') && isIdentifierToken(tokens.peek(1))) {
    tokens.next();
    tokens.next();
  }
  return true;
}

/** The comma-separated actions, each as its tokens (commas inside parentheses do not separate). */
function splitActions(tokens: TokenStream, text: string): Array<{ tokens: Token[]; text: string }> {
  const actions: Array<{ tokens: Token[]; text: string }> = [];
  let current: Token[] = [];
  let depth = 0;
  const close = () => {
    const first = current[0];
    const last = current.at(-1);
    if (first !== undefined && last !== undefined) {
      actions.push({ tokens: current, text: text.slice(first.start, last.end) });
    }
    current = [];
  };
  for (let token = tokens.next(); token.kind !== 'end'; token = tokens.next()) {
    if (isSymbol(token, ';') && depth === 0) break;
    if (isSymbol(token, '(')) depth += 1;
    if (isSymbol(token, ')')) depth -= 1;
    if (isSymbol(token, ',') && depth === 0) close();
    else current.push(token);
  }
  close();
  return actions;
}

/** Reads one action over a small cursor. */
function readAction(action: { tokens: Token[]; text: string }): TableChange {
  const list = action.tokens;
  let at = 0;
  const peek = (ahead = 0) => list[at + ahead];
  const word = (ahead = 0) => {
    const token = peek(ahead);
    return token === undefined ? '' : upperWord(token);
  };
  const accept = (...words: string[]) => {
    if (!words.includes(word())) return false;
    at += 1;
    return true;
  };
  const name = (): string | null => {
    const token = peek();
    if (token === undefined || !isIdentifierToken(token)) return null;
    at += 1;
    return token.value;
  };
  const unknown: TableChange = { kind: 'unknown', text: action.text };
  const base = list[0]?.start ?? 0;
  const typeText = () => {
    const start = peek();
    let end: Token | undefined;
    let depth = 0;
    while (peek() !== undefined && (depth > 0 || !AFTER_TYPE_WORDS.includes(word()))) {
      const token = peek() as Token;
      if (isSymbol(token, '(')) depth += 1;
      if (isSymbol(token, ')')) depth -= 1;
      end = token;
      at += 1;
    }
    return start === undefined || end === undefined ? '' : action.text.slice(start.start - base, end.end - base);
  };
  const first = word();
  at += 1;
  switch (first) {
    case 'ADD':
      return { kind: CONSTRAINT_WORDS.includes(word()) ? 'keepsColumns' : 'addColumn' };
    case 'DROP': {
      if (CONSTRAINT_WORDS.includes(word()) || word() === 'DEFAULT') return { kind: 'keepsColumns' };
      accept('COLUMN');
      if (accept('IF')) accept('EXISTS');
      const column = name();
      return column === null ? unknown : { kind: 'dropColumn', column };
    }
    case 'RENAME': {
      if (accept('TO', 'AS')) return { kind: 'renameTable' };
      if (['CONSTRAINT', 'INDEX', 'KEY'].includes(word())) return { kind: 'keepsColumns' };
      accept('COLUMN');
      const column = name();
      if (column === null) return unknown;
      // MySQL's `RENAME new_name`: TO is optional there.
      if (!accept('TO')) return { kind: 'renameTable' };
      const to = name();
      return to === null ? unknown : { kind: 'renameColumn', column, to };
    }
    case 'ALTER': {
      if (['INDEX', 'CONSTRAINT', 'CHECK'].includes(word())) return { kind: 'keepsColumns' };
      accept('COLUMN');
      const column = name();
      if (column === null) return unknown;
      if (accept('SET') && accept('DATA')) accept('TYPE');
      else if (!accept('TYPE')) return { kind: 'keepsColumns' };
      return { kind: 'retypeColumn', column, type: typeText() };
    }
    case 'MODIFY': {
      accept('COLUMN');
      const column = name();
      return column === null ? unknown : { kind: 'retypeColumn', column, type: typeText() };
    }
    case 'CHANGE': {
      accept('COLUMN');
      const column = name();
      const to = name();
      if (column === null || to === null) return unknown;
      if (column.toLowerCase() !== to.toLowerCase()) return { kind: 'renameColumn', column, to };
      return { kind: 'retypeColumn', column, type: typeText() };
    }
    case 'SET':
      return word() === 'SCHEMA' ? { kind: 'renameTable' } : { kind: 'keepsColumns' };
    default:
      return OPTION_WORDS.includes(first) || CONSTRAINT_WORDS.includes(first) ? { kind: 'keepsColumns' } : unknown;
  }
}
