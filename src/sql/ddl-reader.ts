/**
 * What the parsers of the gateway's own statements share: names, literals, WITH options, freshness, refresh
 * mode and the query after AS. Each statement family (ddl-create, ddl-alter-drop, ddl-show-describe) extends it.
 */
import { parseError } from '../errors';
import type {
  Freshness,
  FreshnessUnit,
  ObjectName,
  QueryText,
  RefreshModeKeyword,
  SourcePosition,
  Statement,
} from './statements';
import {
  atPosition,
  describeToken,
  isSymbol,
  isWord,
  lexemes,
  TokenCursor,
  type TokenStream,
  upperWord,
  type Token,
} from './tokenizer';

/** The longest table, database or catalog name a DYNAMIC TABLE statement may use. */
const MAX_NAME_LENGTH = 128;

const FRESHNESS_UNITS: ReadonlySet<string> = new Set<FreshnessUnit>(['SECOND', 'MINUTE', 'HOUR', 'DAY']);
const MAX_INTERVAL = 2 ** 31 - 1;
// Words that may follow an interval in CREATE: seeing one means the unit was left out, not misspelt.
const AFTER_INTERVAL: ReadonlySet<string> = new Set([
  'AS',
  'COMMENT',
  'PARTITIONED',
  'WITH',
  'FRESHNESS',
  'TARGET_LAG',
  'REFRESH_MODE',
]);

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
    throw parseError(
      `The freshness interval currently only supports positive integer type values. But was: ${text}`,
      position,
    );
  }
  return value;
}

/** A parser of one family of the gateway's statements, reading the statement's tokens from its first keyword. */
export abstract class DdlReader extends TokenCursor {
  constructor(
    tokens: TokenStream,
    /** The statement as written, without a trailing `;`. */
    protected readonly text: string,
  ) {
    super(tokens);
  }

  /** Parses the statement; its first keyword is next. */
  abstract parse(): Statement;

  /** `( 'key' = 'value' [, …] )`. */
  protected options(): Record<string, string> {
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

  /** After FRESHNESS or TARGET_LAG. */
  protected freshness(keyword: 'FRESHNESS' | 'TARGET_LAG'): Freshness {
    this.expectSymbol('=', `'=' after ${keyword}`);
    return keyword === 'FRESHNESS' ? this.interval() : this.targetLag();
  }

  /** `INTERVAL '<n>' <unit>`. */
  protected interval(): Freshness {
    const token = this.peek();
    if (!isWord(token, 'INTERVAL')) {
      throw parseError(
        `FRESHNESS must be an interval such as INTERVAL '5' MINUTE, ` +
          `but found ${describeToken(token)}${atPosition(token.position)}`,
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
      if (unitToken.kind === 'word' && !AFTER_INTERVAL.has(upperWord(unitToken)))
        throw unsupportedUnit(unitToken.position);
      this.fail('a time unit (SECOND, MINUTE, HOUR or DAY)');
    }
    this.next();
    // `DAY TO HOUR` and the like.
    if (isWord(this.peek(), 'TO')) throw unsupportedUnit(unitToken.position);
    return { interval, unit };
  }

  /** Snowflake's `'<n> <unit>'`. */
  protected targetLag(): Freshness {
    const token = this.peek();
    if (isWord(token, 'DOWNSTREAM') || (token.kind === 'string' && token.value.trim().toUpperCase() === 'DOWNSTREAM')) {
      throw parseError(
        'TARGET_LAG = DOWNSTREAM is not supported: ' +
          `give the lag as a duration, such as TARGET_LAG = '5 minutes'${atPosition(token.position)}`,
        token.position,
      );
    }
    if (token.kind !== 'string') this.fail("the target lag as a string literal, such as TARGET_LAG = '5 minutes'");
    this.next();
    const [count, unitWord, ...rest] = token.value.trim().split(/\s+/);
    if (count === undefined || unitWord === undefined || rest.length > 0) {
      throw parseError(
        "TARGET_LAG must be a number and a time unit, such as '5 minutes', " +
          `but was: ${token.value}${atPosition(token.position)}`,
        token.position,
      );
    }
    const interval = intervalValue(count, token.position);
    const unit = freshnessUnitOf(unitWord);
    if (unit === undefined) throw unsupportedUnit(token.position);
    return { interval, unit };
  }

  /** `= FULL | CONTINUOUS`. */
  protected refreshMode(): RefreshModeKeyword {
    this.expectSymbol('=', "'=' after REFRESH_MODE");
    const token = this.peek();
    const mode = upperWord(token);
    if (mode === 'FULL' || mode === 'CONTINUOUS') {
      this.next();
      return mode;
    }
    this.fail(
      'FULL or CONTINUOUS',
      token,
      mode === 'AUTOMATIC' ? 'Leave REFRESH_MODE out to let Freshet choose.' : undefined,
    );
  }

  /** The rest of the statement after `AS`, exactly as written. */
  protected query(as: Token): QueryText {
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

  protected objectName(): ObjectName {
    if (isWord(this.peek(), 'AS')) this.fail('a table name');
    const first = this.nameWithinLimit(this.identifier('a table name'));
    const parts = [first.value];
    while (this.acceptSymbol('.')) {
      const part = this.nameWithinLimit(this.identifier('a name after .'));
      if (parts.length === 3) {
        throw parseError(
          `A table name has at most three parts (catalog.database.name)${atPosition(part.position)}`,
          part.position,
        );
      }
      parts.push(part.value);
    }
    return { parts, position: first.position };
  }

  /** Names longer than any engine takes (PostgreSQL 63 bytes, MySQL 64 characters) are refused up front. */
  private nameWithinLimit<T extends { value: string; position: SourcePosition }>(name: T): T {
    if (name.value.length <= MAX_NAME_LENGTH) return name;
    throw parseError(
      `A name may have at most ${MAX_NAME_LENGTH} characters; this one has ` +
        `${name.value.length}${atPosition(name.position)}`,
      name.position,
    );
  }

  /** A string literal, or a number (kept as written), as a string. */
  protected literal(expected: string): string {
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
  protected tableWord(): string {
    for (let ahead = 0; ahead < 4; ahead += 1) {
      const word = upperWord(this.tokens.peek(ahead));
      if (word === 'DYNAMIC' || word === 'MATERIALIZED') return word;
    }
    return 'DYNAMIC';
  }

  /** `IF <rest…>` before a name; IF alone is the name itself. */
  protected acceptIf(...rest: string[]): boolean {
    const matches = isWord(this.peek(), 'IF') && rest.every((word, index) => isWord(this.tokens.peek(index + 1), word));
    if (!matches) return false;
    for (let index = 0; index <= rest.length; index += 1) this.next();
    return true;
  }

  /** Users write `… TABLE t IF EXISTS`; say where the clause belongs instead of a bare syntax error. */
  protected rejectLateIf(first: string, second: string | undefined, example: string): void {
    const token = this.peek();
    if (!isWord(token, 'IF') || !isWord(this.tokens.peek(1), first)) return;
    if (second !== undefined && !isWord(this.tokens.peek(2), second)) return;
    const clause = ['IF', first, second].filter((word) => word !== undefined).join(' ');
    throw parseError(
      `${clause} goes before the table name, as in ${example}${atPosition(token.position)}`,
      token.position,
    );
  }
}
