/**
 * Limits on a dynamic table's defining query, checked on its tokens before node-sql-parser reads it. The parser
 * backtracks exponentially on unbalanced or deeply nested parentheses and slows down quadratically with the
 * number of joins, so a query outside these limits is refused at once with the limit named, instead of holding
 * the gateway. The limits are far above what a hand-written or generated query needs.
 */
import type { SqlDialect } from '../model';
import { type FreshetError, parseError, validationError } from '../errors';
import type { QueryText } from './statements';
import { atPosition, createLocator, type Lexeme, scanLexeme } from './tokenizer';

export const QUERY_LIMITS = Object.freeze({
  /** Parentheses and CASE … END inside one another. */
  maxNestingDepth: 64,
  /** Operators in expressions: arithmetic, comparison, `||`, AND, OR, NOT, LIKE, IN, BETWEEN, IS. */
  maxOperators: 2_000,
  /** Tables in FROM lists and JOINs, plus UNION / INTERSECT / EXCEPT branches. */
  maxTableReferences: 256,
});

const OPERATOR_WORDS = new Set(['AND', 'OR', 'NOT', 'XOR', 'LIKE', 'ILIKE', 'GLOB', 'REGEXP', 'IN', 'BETWEEN', 'IS']);
const NOT_OPERATORS = new Set(['(', ')', ',', ';', '.', '[', ']', '{', '}', ':', '?', '@', '$']);
const SET_OPERATORS = new Set(['UNION', 'INTERSECT', 'EXCEPT', 'MINUS']);
/** Words that end a FROM list at its own nesting level. */
const AFTER_FROM = new Set([
  'WHERE',
  'GROUP',
  'HAVING',
  'WINDOW',
  'QUALIFY',
  'ORDER',
  'LIMIT',
  'OFFSET',
  'FETCH',
  'FOR',
  'UNION',
  'INTERSECT',
  'EXCEPT',
  'MINUS',
  'ON',
  'USING',
  'RETURNING',
]);

interface Counts {
  operators: number;
  tables: number;
}

/**
 * Throws PARSE_ERROR for an unbalanced parenthesis (at the one left open or the one closing nothing) and
 * VALIDATION_ERROR when the query goes past one of {@link QUERY_LIMITS}, at the token that went past it.
 */
export function checkQueryLimits(query: QueryText, dialect: SqlDialect): void {
  const { text } = query;
  const locate = createLocator(text, query.position);
  const at = (offset: number) => {
    const position = locate(offset);
    return { position, where: atPosition(position) };
  };
  // One entry per open parenthesis or CASE: where it opened, and whether a FROM list is open inside it.
  const open: Array<{ offset: number; isCase: boolean; inFrom: boolean }> = [];
  let inFrom = false;
  let operatorEnd = -1;
  // The first limit gone past; reported after the scan, as an unbalanced parenthesis is the likelier mistake.
  let violation: FreshetError | undefined;
  const counts: Counts = { operators: 0, tables: 0 };
  const countTable = (offset: number) => {
    counts.tables += 1;
    if (counts.tables > QUERY_LIMITS.maxTableReferences) {
      const { position, where } = at(offset);
      violation ??= validationError(
        `The query reads more than ${QUERY_LIMITS.maxTableReferences} tables (joins, FROM items and UNION ` +
          `branches)${where}; the limit is ${QUERY_LIMITS.maxTableReferences} table references.`,
        position,
      );
    }
  };
  for (let offset = 0; offset < text.length; ) {
    const lexeme = scanQueryLexeme(text, offset, dialect);
    offset = lexeme.end;
    if (lexeme.kind === 'whitespace' || lexeme.kind === 'lineComment' || lexeme.kind === 'blockComment') continue;
    const raw = text.slice(lexeme.start, lexeme.end);
    const word = lexeme.kind === 'word' ? raw.toUpperCase() : '';
    if (raw === '(' || word === 'CASE') {
      open.push({ offset: lexeme.start, isCase: word === 'CASE', inFrom });
      inFrom = false;
      if (open.length > QUERY_LIMITS.maxNestingDepth) {
        const { position, where } = at(lexeme.start);
        violation ??= validationError(
          `The query nests parentheses (and CASE expressions) more than ${QUERY_LIMITS.maxNestingDepth} deep` +
            `${where}; the limit is a nesting depth of ${QUERY_LIMITS.maxNestingDepth}.`,
          position,
        );
      }
    } else if (word === 'END' && open.at(-1)?.isCase === true) {
      inFrom = open.pop()?.inFrom ?? false;
    } else if (raw === ')') {
      // A CASE left without its END inside the parentheses ends with them (the parser reports the missing END).
      while (open.at(-1)?.isCase === true) open.pop();
      const closed = open.pop();
      if (closed === undefined) {
        const { position, where } = at(lexeme.start);
        throw parseError(`Unbalanced parentheses: this ')' closes no '('${where}`, position);
      }
      inFrom = closed.inFrom;
    } else if (word === 'FROM') {
      inFrom = true;
      countTable(lexeme.start);
    } else if (word === 'JOIN' || SET_OPERATORS.has(word) || (raw === ',' && inFrom)) {
      countTable(lexeme.start);
    } else if (AFTER_FROM.has(word)) {
      inFrom = false;
    }
    const isOperatorSymbol = lexeme.kind === 'symbol' && !NOT_OPERATORS.has(raw);
    // `||`, `<=`, `->>`: one operator spelt with several symbols.
    const continues = isOperatorSymbol && lexeme.start === operatorEnd;
    if (isOperatorSymbol) operatorEnd = lexeme.end;
    if (!continues && (OPERATOR_WORDS.has(word) || isOperatorSymbol)) {
      counts.operators += 1;
      if (counts.operators > QUERY_LIMITS.maxOperators) {
        const { position, where } = at(lexeme.start);
        violation ??= validationError(
          `The query's expressions have more than ${QUERY_LIMITS.maxOperators} operators${where}; the limit is ` +
            `${QUERY_LIMITS.maxOperators} operators (split the expression or compute part of it in another table).`,
          position,
        );
      }
    }
  }
  const unclosed = open.filter((entry) => !entry.isCase).at(-1);
  if (unclosed !== undefined) {
    const { position, where } = at(unclosed.offset);
    throw parseError(`Unbalanced parentheses: this '(' is never closed${where}`, position);
  }
  if (violation !== undefined) throw violation;
}

/**
 * The shared lexer, plus the string escapes it does not know: MySQL's backslash escapes in '…' and "…", and
 * PostgreSQL's E'…' strings. Without them a quote or parenthesis inside such a string would be miscounted.
 */
function scanQueryLexeme(text: string, start: number, dialect: SqlDialect): Lexeme {
  const char = text[start];
  const escapedString =
    (dialect === 'mysql' && (char === "'" || char === '"')) ||
    (dialect === 'postgresql' && (char === 'E' || char === 'e') && text[start + 1] === "'");
  if (!escapedString) return scanLexeme(text, start);
  const quote = char === 'E' || char === 'e' ? "'" : (char as string);
  for (let index = start + (quote === char ? 1 : 2); index < text.length; index += 1) {
    const current = text[index];
    if (current === '\\') index += 1;
    else if (current === quote) {
      if (text[index + 1] !== quote) return { kind: 'string', start, end: index + 1, terminated: true };
      index += 1;
    }
  }
  return { kind: 'string', start, end: text.length, terminated: false };
}
