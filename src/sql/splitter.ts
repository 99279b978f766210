/**
 * Splits a client's script into statements on top-level `;`.
 *
 * A `;` does not end a statement inside '…' strings, "…" or `…` quoted identifiers, comments, PostgreSQL
 * dollar-quoted bodies ($$ … $$), or the BEGIN … END body of a `CREATE TRIGGER` (SQLite's trigger bodies hold
 * `;`-terminated statements of their own).
 */
import type { SourcePosition } from './statements';
import { isTemporaryWord } from './identifiers';
import { createLocator, lexemes } from './tokenizer';

/** One statement of a script, as written, and where it starts in the script. */
export interface StatementSlice {
  readonly text: string;
  readonly position: SourcePosition;
}

interface Segment {
  readonly start: number;
  /** Exclusive; the `;` that closed the segment is not part of it. */
  readonly end: number;
  /** Holds something other than whitespace and comments. */
  readonly hasContent: boolean;
  readonly closedBySemicolon: boolean;
}

interface Scan {
  readonly segments: readonly Segment[];
  /** The script ends inside a string, quoted identifier, comment or dollar-quoted body. */
  readonly endsUnterminated: boolean;
}

function opensTriggerBody(leading: readonly string[]): boolean {
  return (
    leading[0] === 'CREATE' && (leading[1] === 'TRIGGER' || (isTemporaryWord(leading[1]) && leading[2] === 'TRIGGER'))
  );
}

function scan(script: string): Scan {
  const segments: Segment[] = [];
  let start = 0;
  let hasContent = false;
  // Upper-cased first significant lexemes of the current statement ('' for non-words), to spot CREATE TRIGGER.
  let leading: string[] = [];
  // BEGIN … END nesting inside a trigger body; CASE … END nests too.
  let depth = 0;
  let endsUnterminated = false;

  for (const lexeme of lexemes(script)) {
    endsUnterminated = !lexeme.terminated;
    if (lexeme.kind === 'whitespace' || lexeme.kind === 'lineComment' || lexeme.kind === 'blockComment') continue;
    const text = script.slice(lexeme.start, lexeme.end);
    if (lexeme.kind === 'symbol' && text === ';' && depth === 0) {
      segments.push({ start, end: lexeme.start, hasContent, closedBySemicolon: true });
      start = lexeme.end;
      hasContent = false;
      leading = [];
      continue;
    }
    hasContent = true;
    const word = lexeme.kind === 'word' ? text.toUpperCase() : '';
    if (leading.length < 3) leading.push(word);
    if (word === 'BEGIN' && opensTriggerBody(leading)) depth += 1;
    else if (word === 'CASE' && depth > 0) depth += 1;
    else if (word === 'END' && depth > 0) depth -= 1;
  }
  segments.push({ start, end: script.length, hasContent, closedBySemicolon: false });
  return { segments, endsUnterminated };
}

/**
 * Splits on `;` outside '…' strings (with '' escapes), "…" and `…` quoted identifiers, -- line comments and
 * block comments (plus dollar-quoted bodies and trigger bodies, see the module comment). Empty statements (only
 * whitespace/comments) are dropped. `text` is trimmed of surrounding whitespace (comments stay); `position` is
 * where the trimmed text starts. A final statement without `;` is included.
 */
export function splitStatements(script: string): StatementSlice[] {
  const locate = createLocator(script);
  return scan(script)
    .segments.filter((segment) => segment.hasContent)
    .map((segment) => {
      const raw = script.slice(segment.start, segment.end);
      const leadingSpace = raw.length - raw.trimStart().length;
      return { text: raw.trim(), position: locate(segment.start + leadingSpace) };
    });
}

/**
 * True when `buffer` holds at least one complete statement ending in `;` and nothing but whitespace/comments after
 * the last `;` — used by an interactive prompt to know when to send. Unterminated quotes/comments → false.
 */
export function endsWithCompleteStatement(buffer: string): boolean {
  const { segments, endsUnterminated } = scan(buffer);
  if (endsUnterminated) return false;
  const last = segments[segments.length - 1];
  if (last === undefined || last.hasContent) return false;
  return segments.some((segment) => segment.closedBySemicolon && segment.hasContent);
}
