/**
 * A lexer that reads a statement the way one server reads it, for deciding what a pass-through statement does.
 * The gateway's own tokenizer (`src/sql/tokenizer.ts`) is generous on purpose and shared by every dialect; here
 * a misread is a way around a refusal, so each server's rules count: MySQL's `#` comments, `--` that is only a
 * comment before a space, backslash escapes and the `/*! … *​/` comments it executes; PostgreSQL's nested block
 * comments, `E'…'` escapes and dollar-quoted bodies (read as well, since they hold function and DO bodies).
 */

/** How a server reads its text. */
export interface LexerRules {
  /** `#` starts a line comment (MySQL). */
  readonly hashComments: boolean;
  /** `--` starts a comment only when followed by whitespace or the end (MySQL). */
  readonly dashCommentNeedsSpace: boolean;
  /** Block comments nest (PostgreSQL). */
  readonly nestedComments: boolean;
  /** `/*! … *​/` and `/*M! … *​/` hold code the server runs (MySQL, MariaDB). */
  readonly executableComments: boolean;
  /** Backslash escapes in every quoted string (MySQL); otherwise only in `E'…'` (PostgreSQL). */
  readonly backslashStrings: boolean;
  /** `$tag$ … $tag$` strings (PostgreSQL). */
  readonly dollarQuotes: boolean;
  /** `"…"` is a string (MySQL without ANSI_QUOTES) rather than an identifier. */
  readonly doubleQuotedStrings: boolean;
  /** Unquoted identifiers fold to lower case (PostgreSQL); elsewhere they keep their case. */
  readonly foldToLowerCase: boolean;
}

export type SqlTokenKind = 'word' | 'identifier' | 'string' | 'number' | 'symbol' | 'body';

export interface SqlToken {
  readonly kind: SqlTokenKind;
  /** Words: as the server names them (folded where it folds); quoted text: without its quotes. */
  readonly value: string;
  /** The upper-cased word for keyword tests; '' for anything but a bare word. */
  readonly keyword: string;
  /** Parentheses open around the token. */
  readonly depth: number;
}

const WORD = /[\p{L}_][\p{L}\p{M}\p{N}_$]*/uy;
const NUMBER = /(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?/y;
const DOLLAR_TAG = /\$(?:[A-Za-z_][A-Za-z0-9_]*)?\$/y;
const PARAMETER = /\$\d+/y;
const EXECUTABLE_OPEN = /\/\*M?!\d*/y;

function sticky(pattern: RegExp, text: string, at: number): string | null {
  pattern.lastIndex = at;
  return pattern.exec(text)?.[0] ?? null;
}

/** The end of a quoted run opened at `start`, and its content; a doubled quote is one quote. */
function scanQuoted(text: string, start: number, backslash: boolean): { end: number; value: string } {
  const quote = text[start] as string;
  let value = '';
  let index = start + 1;
  while (index < text.length) {
    const char = text[index] as string;
    if (backslash && char === '\\') {
      value += text[index + 1] ?? '';
      index += 2;
    } else if (char === quote && text[index + 1] === quote) {
      value += quote;
      index += 2;
    } else if (char === quote) {
      return { end: index + 1, value };
    } else {
      value += char;
      index += 1;
    }
  }
  return { end: text.length, value };
}

/** The end of a block comment opened at `start`. */
function blockCommentEnd(text: string, start: number, nested: boolean): number {
  let depth = 0;
  let index = start;
  while (index < text.length) {
    if (text.startsWith('/*', index)) {
      depth = nested ? depth + 1 : 1;
      index += 2;
    } else if (text.startsWith('*/', index)) {
      depth -= 1;
      index += 2;
      if (depth <= 0) return index;
    } else {
      index += 1;
    }
  }
  return text.length;
}

/** Every token of `text` (comments and whitespace dropped), read by `rules`. Never throws. */
export function lexStatement(text: string, rules: LexerRules): SqlToken[] {
  const tokens: SqlToken[] = [];
  let depth = 0;
  let executable = false;
  let index = 0;
  const push = (kind: SqlTokenKind, value: string, keyword = '') => {
    tokens.push({ kind, value, keyword, depth });
  };
  while (index < text.length) {
    const char = text[index] as string;
    const next = text[index + 1] ?? '';
    if (/\s/.test(char)) {
      index += 1;
    } else if (char === '-' && next === '-' && (!rules.dashCommentNeedsSpace || /^\s?$/.test(text[index + 2] ?? ''))) {
      index = lineEnd(text, index);
    } else if (char === '#' && rules.hashComments) {
      index = lineEnd(text, index);
    } else if (char === '/' && next === '*') {
      const open = rules.executableComments ? sticky(EXECUTABLE_OPEN, text, index) : null;
      if (open !== null && open.length > 2) {
        executable = true;
        index += open.length;
      } else {
        index = blockCommentEnd(text, index, rules.nestedComments);
      }
    } else if (char === '*' && next === '/' && executable) {
      executable = false;
      index += 2;
    } else {
      index = lexSignificant(text, index, rules, push, (change) => {
        depth = Math.max(0, depth + change);
      });
    }
  }
  return tokens;
}

function lineEnd(text: string, start: number): number {
  const newline = text.indexOf('\n', start);
  return newline < 0 ? text.length : newline;
}

type Push = (kind: SqlTokenKind, value: string, keyword?: string) => void;

/** Reads the token at `index` (not whitespace or a comment) and returns where the next one starts. */
function lexSignificant(text: string, index: number, rules: LexerRules, push: Push, nest: (by: number) => void) {
  const char = text[index] as string;
  if (char === "'" || (char === '"' && rules.doubleQuotedStrings)) {
    const { end, value } = scanQuoted(text, index, rules.backslashStrings);
    push('string', value);
    return end;
  }
  if (char === '"' || char === '`') {
    const { end, value } = scanQuoted(text, index, false);
    push('identifier', value);
    return end;
  }
  if (char === '$' && rules.dollarQuotes) {
    const tag = sticky(DOLLAR_TAG, text, index);
    if (tag !== null) {
      const close = text.indexOf(tag, index + tag.length);
      const end = close < 0 ? text.length : close;
      push('body', text.slice(index + tag.length, end));
      return close < 0 ? text.length : close + tag.length;
    }
    const parameter = sticky(PARAMETER, text, index);
    if (parameter !== null) {
      push('symbol', parameter);
      return index + parameter.length;
    }
  }
  const number = sticky(NUMBER, text, index);
  if (number !== null) {
    push('number', number);
    return index + number.length;
  }
  const word = sticky(WORD, text, index);
  if (word !== null) {
    const end = index + word.length;
    // PostgreSQL's E'…' string takes backslash escapes even where plain strings do not.
    if (/^[eE]$/.test(word) && text[end] === "'") {
      const quoted = scanQuoted(text, end, true);
      push('string', quoted.value);
      return quoted.end;
    }
    push('word', rules.foldToLowerCase ? word.toLowerCase() : word, word.toUpperCase());
    return end;
  }
  if (char === ')') nest(-1);
  push('symbol', char);
  if (char === '(') nest(1);
  return index + 1;
}
