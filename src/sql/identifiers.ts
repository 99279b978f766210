/**
 * Helpers about names, shared by the DDL parser and the pass-through classifier.
 */
import type { ObjectName } from './statements';
import { isIdentifierToken, isSymbol, type TokenStream } from './tokenizer';

export function isTemporaryWord(word: string | undefined): boolean {
  return word === 'TEMP' || word === 'TEMPORARY';
}

/**
 * Reads `[catalog.][database.]name` if the stream is at an identifier, without ever failing: used to pick the
 * target out of statements that go to the engine as written (the engine reports their syntax errors).
 */
export function readObjectName(tokens: TokenStream): ObjectName | null {
  const first = tokens.peek();
  if (!isIdentifierToken(first)) return null;
  tokens.next();
  const parts = [first.value];
  while (parts.length < 3 && isSymbol(tokens.peek(), '.') && isIdentifierToken(tokens.peek(1))) {
    tokens.next();
    parts.push(tokens.next().value);
  }
  return { parts, position: first.position };
}
