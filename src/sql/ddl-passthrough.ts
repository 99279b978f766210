/** Statements for the engine: what they do, read from their leading keywords. */
import { readObjectName } from './identifiers';
import type { ObjectName, PassthroughEffect, PassthroughStatement, SourcePosition } from './statements';
import { isSymbol, isWord, upperWord, type TokenStream } from './tokenizer';

const READ_VERBS: ReadonlySet<string> = new Set([
  'SELECT',
  'WITH',
  'VALUES',
  'TABLE',
  'PRAGMA',
  'EXPLAIN',
  'SHOW',
  'DESCRIBE',
  'DESC',
]);

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
export function classifyPassthrough(tokens: TokenStream, text: string, position: SourcePosition): PassthroughStatement {
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
