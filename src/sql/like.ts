/**
 * SQL LIKE matching without regular expressions: a RegExp built from `%%%…%!` backtracks exponentially, and one
 * built from a long pattern is refused by the engine. `%` matches any run of characters, `_` exactly one, and
 * case is ignored; there is no ESCAPE character.
 *
 * The pattern is cut at every `%` into pieces; each piece is matched at its leftmost place after the previous
 * one (which is always as good as any later place), the first piece at the start and the last at the end. No
 * choice is ever revisited, so a match costs at most (text length) × (pattern length) steps.
 */

/** A compiled LIKE pattern: `matches(text)` tells whether the whole text matches it. */
export interface LikeMatcher {
  matches(text: string): boolean;
}

/** Compiles `pattern` once, for matching many texts. */
export function likeMatcher(pattern: string): LikeMatcher {
  const pieces = pattern.toLowerCase().split('%');
  const anchoredStart = pieces.shift() ?? '';
  // With no `%` the whole pattern is one piece, anchored at both ends.
  const anchoredEnd = pieces.length === 0 ? null : (pieces.pop() ?? '');
  const floating = pieces.filter((piece) => piece !== '');
  return {
    matches(text: string): boolean {
      const lower = text.toLowerCase();
      if (anchoredEnd === null) return lower.length === anchoredStart.length && pieceAt(lower, 0, anchoredStart);
      if (!pieceAt(lower, 0, anchoredStart)) return false;
      let from = anchoredStart.length;
      const endAt = lower.length - anchoredEnd.length;
      for (const piece of floating) {
        const at = findPiece(lower, from, endAt, piece);
        if (at < 0) return false;
        from = at + piece.length;
      }
      return from <= endAt && pieceAt(lower, endAt, anchoredEnd);
    },
  };
}

/** Whether `piece` (with `_` matching any one character) matches `text` at `at`. */
function pieceAt(text: string, at: number, piece: string): boolean {
  if (at < 0 || at + piece.length > text.length) return false;
  for (let i = 0; i < piece.length; i += 1) {
    const expected = piece.charCodeAt(i);
    if (expected !== UNDERSCORE && expected !== text.charCodeAt(at + i)) return false;
  }
  return true;
}

/** The leftmost place in [from, limit - piece.length] where `piece` matches, or -1. */
function findPiece(text: string, from: number, limit: number, piece: string): number {
  for (let at = from; at + piece.length <= limit; at += 1) {
    if (pieceAt(text, at, piece)) return at;
  }
  return -1;
}

const UNDERSCORE = '_'.charCodeAt(0);
