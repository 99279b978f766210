/**
 * Type names are spliced into DDL, so an engine accepts one only when it is made entirely of its dialect's type
 * tokens, with balanced parentheses and commas only inside them: nothing that could end a column definition.
 */
export function isTypeName(type: string, start: RegExp, token: RegExp): boolean {
  if (!start.test(type)) return false;
  const scan = new RegExp(token.source, 'y');
  let depth = 0;
  while (scan.lastIndex < type.length) {
    const match = scan.exec(type);
    if (match === null) return false;
    const text = match[0];
    if (text === '(') depth += 1;
    if (text === ')') depth -= 1;
    if (depth < 0 || (text === ',' && depth === 0)) return false;
  }
  return depth === 0;
}
