/**
 * The lexical layer shared by the statement splitter and the DDL parser.
 *
 * Scanning never throws: a string, quoted identifier or comment that runs to the end of the text comes back with
 * `terminated: false`, and each caller decides what that means (the splitter keeps going, the parser reports it).
 * The parser pulls tokens lazily, so text it never looks at (such as the defining query after `AS`, which may use
 * engine-specific lexical rules like MySQL's backslash escapes) is never tokenised by it.
 */
import { parseError } from '../errors';
import type { SourcePosition } from './statements';

export type LexemeKind =
  | 'whitespace'
  | 'lineComment'
  | 'blockComment'
  | 'string'
  | 'quotedIdentifier'
  | 'dollarQuoted'
  | 'word'
  | 'number'
  | 'symbol';

/** A run of source text; offsets are relative to the scanned text, `end` exclusive. */
export interface Lexeme {
  readonly kind: LexemeKind;
  readonly start: number;
  readonly end: number;
  /** False for a string, quoted identifier, dollar-quoted body or block comment missing its closing mark. */
  readonly terminated: boolean;
}

const WHITESPACE = /\s+/y;
const WORD = /[\p{L}_][\p{L}\p{M}\p{N}_$]*/uy;
// `$1`, `$name`: parameters (SQLite, PostgreSQL), scanned as words so that they never open a dollar quote.
const PARAMETER_WORD = /\$[\p{L}\p{N}_]+/uy;
const NUMBER = /(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?/y;
// PostgreSQL dollar quoting: `$$ … $$` or `$tag$ … $tag$`.
const DOLLAR_TAG = /\$(?:[A-Za-z_][A-Za-z0-9_]*)?\$/y;

function matchAt(pattern: RegExp, text: string, start: number): string | null {
  pattern.lastIndex = start;
  const match = pattern.exec(text);
  return match === null ? null : match[0];
}

/** Scans a quoted run opened by `quote` at `start`; a doubled quote is an escaped quote, not the end. */
function scanQuoted(text: string, start: number, quote: string): { end: number; terminated: boolean } {
  let index = start + 1;
  for (;;) {
    const close = text.indexOf(quote, index);
    if (close < 0) return { end: text.length, terminated: false };
    if (text[close + 1] === quote) {
      index = close + 2;
      continue;
    }
    return { end: close + 1, terminated: true };
  }
}

/** The lexeme that starts at `start` (which must be inside `text`). */
export function scanLexeme(text: string, start: number): Lexeme {
  const char = text[start] ?? '';
  const next = text[start + 1] ?? '';
  const lexeme = (kind: LexemeKind, end: number, terminated = true): Lexeme => ({ kind, start, end, terminated });

  const space = matchAt(WHITESPACE, text, start);
  if (space !== null) return lexeme('whitespace', start + space.length);
  if (char === '-' && next === '-') {
    const newline = text.indexOf('\n', start);
    return lexeme('lineComment', newline < 0 ? text.length : newline);
  }
  if (char === '/' && next === '*') {
    const close = text.indexOf('*/', start + 2);
    return close < 0 ? lexeme('blockComment', text.length, false) : lexeme('blockComment', close + 2);
  }
  if (char === "'") {
    const { end, terminated } = scanQuoted(text, start, "'");
    return lexeme('string', end, terminated);
  }
  if (char === '"' || char === '`') {
    const { end, terminated } = scanQuoted(text, start, char);
    return lexeme('quotedIdentifier', end, terminated);
  }
  if (char === '$') {
    const tag = matchAt(DOLLAR_TAG, text, start);
    if (tag !== null) {
      const close = text.indexOf(tag, start + tag.length);
      return close < 0 ? lexeme('dollarQuoted', text.length, false) : lexeme('dollarQuoted', close + tag.length);
    }
    const parameter = matchAt(PARAMETER_WORD, text, start);
    if (parameter !== null) return lexeme('word', start + parameter.length);
  }
  const number = matchAt(NUMBER, text, start);
  if (number !== null) return lexeme('number', start + number.length);
  const word = matchAt(WORD, text, start);
  if (word !== null) return lexeme('word', start + word.length);
  const codePoint = text.codePointAt(start) ?? 0;
  return lexeme('symbol', start + (codePoint > 0xffff ? 2 : 1));
}

/** Every lexeme of `text`, in order, comments and whitespace included. */
export function* lexemes(text: string): Generator<Lexeme> {
  let offset = 0;
  while (offset < text.length) {
    const lexeme = scanLexeme(text, offset);
    yield lexeme;
    offset = lexeme.end;
  }
}

export const TEXT_START: SourcePosition = { offset: 0, line: 1, column: 1 };

/**
 * Maps offsets in `text` to positions in the client's whole text, given where `text` itself starts there.
 * Columns count UTF-16 code units, the way editors and node-sql-parser count them.
 */
export function createLocator(text: string, base: SourcePosition = TEXT_START): (offset: number) => SourcePosition {
  const lineStarts = [0];
  for (let index = text.indexOf('\n'); index >= 0; index = text.indexOf('\n', index + 1)) lineStarts.push(index + 1);
  return (offset) => {
    let low = 0;
    let high = lineStarts.length - 1;
    while (low < high) {
      const middle = (low + high + 1) >> 1;
      if ((lineStarts[middle] ?? 0) <= offset) low = middle;
      else high = middle - 1;
    }
    const column = offset - (lineStarts[low] ?? 0) + 1;
    return {
      offset: base.offset + offset,
      line: base.line + low,
      column: low === 0 ? base.column + column - 1 : column,
    };
  };
}

export type TokenKind = 'word' | 'quotedIdentifier' | 'string' | 'number' | 'symbol' | 'other' | 'invalid' | 'end';

/** A significant piece of a statement, as the parser sees it (whitespace and comments are skipped). */
export interface Token {
  readonly kind: TokenKind;
  /** The text as written (empty for `end`). */
  readonly raw: string;
  /**
   * Words: as written. Strings and quoted identifiers: the content with quotes removed and doubled quotes
   * collapsed. Invalid tokens: what is wrong with them.
   */
  readonly value: string;
  /** Offsets in the statement text, `end` exclusive. */
  readonly start: number;
  readonly end: number;
  /** Where the token starts in the client's whole text. */
  readonly position: SourcePosition;
}

function unquote(raw: string): string {
  const quote = raw[0] ?? '';
  return raw
    .slice(1, -1)
    .split(quote + quote)
    .join(quote);
}

const UNTERMINATED: Partial<Record<LexemeKind, string>> = {
  string: "Unterminated string literal: add the closing '",
  quotedIdentifier: 'Unterminated quoted identifier: add the closing quote',
  blockComment: 'Unterminated comment: add the closing */',
  dollarQuoted: 'Unterminated dollar-quoted string',
};

/**
 * Lazily tokenises one statement. `text` is the statement, `base` where it starts in the client's text, so that
 * every token carries an absolute position.
 */
export class TokenStream {
  private readonly buffer: Token[] = [];
  /** The part of the text the parser may read. */
  private readonly readable: string;
  private scanOffset = 0;
  private readIndex = 0;
  readonly locate: (offset: number) => SourcePosition;

  constructor(
    private readonly text: string,
    base: SourcePosition,
    /** Where the statement ends for the parser (e.g. before a trailing `;`); defaults to the end of `text`. */
    private readonly limit: number = text.length,
  ) {
    this.readable = text.slice(0, limit);
    this.locate = createLocator(text, base);
  }

  /** The token `ahead` tokens after the next one, without consuming anything. */
  peek(ahead = 0): Token {
    while (this.buffer.length <= this.readIndex + ahead) {
      const token = this.scanToken();
      this.buffer.push(token);
      if (token.kind === 'end') break;
    }
    return this.buffer[Math.min(this.readIndex + ahead, this.buffer.length - 1)] as Token;
  }

  next(): Token {
    const token = this.peek();
    if (token.kind !== 'end') this.readIndex += 1;
    return token;
  }

  private scanToken(): Token {
    while (this.scanOffset < this.limit) {
      const lexeme = scanLexeme(this.readable, this.scanOffset);
      this.scanOffset = lexeme.end;
      const unterminated = lexeme.terminated ? undefined : UNTERMINATED[lexeme.kind];
      if (unterminated !== undefined) return this.token('invalid', lexeme, unterminated);
      switch (lexeme.kind) {
        case 'whitespace':
        case 'lineComment':
        case 'blockComment':
          continue;
        case 'string':
        case 'quotedIdentifier':
          return this.token(lexeme.kind, lexeme, unquote(this.text.slice(lexeme.start, lexeme.end)));
        case 'dollarQuoted':
          return this.token('other', lexeme);
        default:
          return this.token(lexeme.kind, lexeme);
      }
    }
    return { kind: 'end', raw: '', value: '', start: this.limit, end: this.limit, position: this.locate(this.limit) };
  }

  private token(kind: TokenKind, lexeme: Lexeme, value?: string): Token {
    const raw = this.text.slice(lexeme.start, lexeme.end);
    return {
      kind,
      raw,
      value: value ?? raw,
      start: lexeme.start,
      end: lexeme.end,
      position: this.locate(lexeme.start),
    };
  }
}

/** The upper-cased text of a bare word; '' for anything else (quoted identifiers are never keywords). */
export function upperWord(token: Token): string {
  return token.kind === 'word' ? token.raw.toUpperCase() : '';
}

/** Whether `token` is a bare word equal (case-insensitively) to one of `words`. */
export function isWord(token: Token, ...words: string[]): boolean {
  return words.includes(upperWord(token));
}

export function isSymbol(token: Token, symbol: string): boolean {
  return token.kind === 'symbol' && token.raw === symbol;
}

/** A bare or quoted identifier. */
export function isIdentifierToken(token: Token): boolean {
  return token.kind === 'word' || token.kind === 'quotedIdentifier';
}

const MAX_SHOWN = 40;

/** How a token reads in an error message: `end of input`, `SELECT`, `')'`, `string 'text'`, `"quoted"`. */
export function describeToken(token: Token): string {
  if (token.kind === 'end') return 'end of input';
  const raw = token.raw.length > MAX_SHOWN ? `${token.raw.slice(0, MAX_SHOWN)}…` : token.raw;
  if (token.kind === 'symbol') return `'${raw}'`;
  if (token.kind === 'string') return `string ${raw}`;
  return raw;
}

/** ` at line L, column C`, the suffix of every parse error message. */
export const atPosition = (position: SourcePosition) => ` at line ${position.line}, column ${position.column}`;

/**
 * Strict reading over a {@link TokenStream}, for grammars the gateway owns: anything unexpected (including an
 * unterminated string or comment) becomes a PARSE_ERROR that says what was expected, what was found and where.
 */
export class TokenCursor {
  constructor(protected readonly tokens: TokenStream) {}

  protected peek(ahead = 0): Token {
    const token = this.tokens.peek(ahead);
    if (token.kind === 'invalid') throw parseError(`${token.value}${atPosition(token.position)}`, token.position);
    return token;
  }

  protected next(): Token {
    const token = this.peek();
    this.tokens.next();
    return token;
  }

  protected acceptKeyword(...words: string[]): Token | null {
    return isWord(this.peek(), ...words) ? this.next() : null;
  }

  protected expectKeyword(word: string, expected: string = word): Token {
    if (!isWord(this.peek(), word)) this.fail(expected);
    return this.next();
  }

  protected acceptSymbol(symbol: string): boolean {
    if (!isSymbol(this.peek(), symbol)) return false;
    this.next();
    return true;
  }

  protected expectSymbol(symbol: string, expected: string): void {
    if (!this.acceptSymbol(symbol)) this.fail(expected);
  }

  protected expectString(expected: string): Token {
    if (this.peek().kind !== 'string') this.fail(expected);
    return this.next();
  }

  protected identifier(expected: string): Token {
    if (!isIdentifierToken(this.peek())) this.fail(expected);
    return this.next();
  }

  protected expectEnd(): void {
    if (this.peek().kind !== 'end') this.fail('end of statement');
  }

  /** Throws `Expected <expected> but found <token> at line L, column C.`, plus a hint on how to fix it. */
  protected fail(expected: string, token: Token = this.peek(), hint?: string): never {
    const suffix = hint === undefined ? '' : ` ${hint}`;
    throw parseError(
      `Expected ${expected} but found ${describeToken(token)}${atPosition(token.position)}.${suffix}`,
      token.position,
    );
  }
}
