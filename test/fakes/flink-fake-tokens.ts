/**
 * A small tokenizer and cursor for the statements the fake gateway reads itself (DDL, SHOW, DESCRIBE, USE,
 * INSERT heads, STOP JOB); queries are left to node-sql-parser. Parse errors are Flink's
 * (`SQL parse failed. Encountered "x" at line 1, column 8.`).
 */
import { type JavaThrowable, parseErrorAt } from './flink-fake-errors';

export interface Token {
  readonly kind: 'word' | 'quoted' | 'string' | 'number' | 'symbol';
  /** Unquoted value (backticks and quotes removed, doubled quotes undone). */
  readonly value: string;
  readonly start: number;
  readonly end: number;
}

export function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let at = 0;
  while (at < text.length) {
    const rest = text.slice(at);
    const skip = /^(\s+|--[^\n]*|\/\*[\s\S]*?\*\/)/.exec(rest);
    if (skip) {
      at += skip[0].length;
      continue;
    }
    const quoted = /^`((?:[^`]|``)*)`/.exec(rest) ?? /^'((?:[^']|'')*)'/.exec(rest);
    const word = /^[A-Za-z_][A-Za-z0-9_$]*/.exec(rest);
    const number = /^\d+(\.\d+)?/.exec(rest);
    if (quoted) {
      const backtick = rest.startsWith('`');
      tokens.push({
        kind: backtick ? 'quoted' : 'string',
        value: (quoted[1] ?? '').replace(backtick ? /``/g : /''/g, backtick ? '`' : "'"),
        start: at,
        end: at + quoted[0].length,
      });
      at += quoted[0].length;
    } else if (word || number) {
      const match = (word ?? number) as RegExpExecArray;
      tokens.push({ kind: word ? 'word' : 'number', value: match[0], start: at, end: at + match[0].length });
      at += match[0].length;
    } else {
      tokens.push({ kind: 'symbol', value: rest[0] ?? '', start: at, end: at + 1 });
      at += 1;
    }
  }
  return tokens;
}

/** Walks the tokens of one statement. Keywords match case-insensitively; identifiers keep their case. */
export class Cursor {
  #index = 0;

  constructor(
    readonly text: string,
    readonly tokens: readonly Token[] = tokenize(text),
  ) {}

  get done(): boolean {
    return this.#index >= this.tokens.length;
  }

  /** Where the next token starts (the text's length at the end). */
  get offset(): number {
    return this.tokens[this.#index]?.start ?? this.text.length;
  }

  /** The token `ahead` positions after the next one. */
  peek(ahead = 0): Token | undefined {
    return this.tokens[this.#index + ahead];
  }

  peekWord(...words: string[]): boolean {
    return words.every((word, ahead) => {
      const token = this.tokens[this.#index + ahead];
      return token?.kind === 'word' && token.value.toUpperCase() === word;
    });
  }

  acceptWord(...words: string[]): boolean {
    if (!this.peekWord(...words)) return false;
    this.#index += words.length;
    return true;
  }

  expectWord(...words: string[]): void {
    for (const word of words) if (!this.acceptWord(word)) throw this.unexpected();
  }

  peekSymbol(symbol: string): boolean {
    const token = this.tokens[this.#index];
    return token?.kind === 'symbol' && token.value === symbol;
  }

  acceptSymbol(symbol: string): boolean {
    if (!this.peekSymbol(symbol)) return false;
    this.#index += 1;
    return true;
  }

  expectSymbol(symbol: string): void {
    if (!this.acceptSymbol(symbol)) throw this.unexpected();
  }

  /** The next token, whatever it is. */
  next(): Token {
    const token = this.tokens[this.#index];
    if (token === undefined) throw this.unexpected();
    this.#index += 1;
    return token;
  }

  identifier(): string {
    const token = this.tokens[this.#index];
    if (token === undefined || (token.kind !== 'word' && token.kind !== 'quoted')) throw this.unexpected();
    this.#index += 1;
    return token.value;
  }

  /** `a[.b[.c]]`. */
  path(): string[] {
    const parts = [this.identifier()];
    while (this.acceptSymbol('.')) parts.push(this.identifier());
    return parts;
  }

  /** `( a, b, … )`. */
  identifierList(): string[] {
    this.expectSymbol('(');
    const names = [this.identifier()];
    while (this.acceptSymbol(',')) names.push(this.identifier());
    this.expectSymbol(')');
    return names;
  }

  string(): string {
    const token = this.tokens[this.#index];
    if (token?.kind !== 'string') throw this.unexpected();
    this.#index += 1;
    return token.value;
  }

  expectEnd(): void {
    if (!this.done) throw this.unexpected();
  }

  /** Flink's parse error at the next token. */
  unexpected(): JavaThrowable {
    const token = this.tokens[this.#index];
    const before = this.text.slice(0, token?.start ?? this.text.length).split('\n');
    const at = { line: before.length, column: (before[before.length - 1]?.length ?? 0) + 1 };
    return parseErrorAt(token === undefined ? '<EOF>' : this.text.slice(token.start, token.end), at);
  }
}
