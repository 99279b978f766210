/**
 * Text that is safe to splice into a generated Python file, and into the Jinja templates Airflow renders from
 * an operator's templated fields. Everything user-supplied (table names, tokens, option values) passes through
 * here, so a name such as `{{ 7*7 }}` or `"; import os` reaches the gateway exactly as written.
 */

const hex = (code: number, width: number) => code.toString(16).padStart(width, '0');

/** A double-quoted Python string literal holding `text`, in pure ASCII. */
export function pyString(text: string): string {
  let out = '"';
  for (const char of text) {
    const code = char.codePointAt(0) as number;
    if (char === '\\' || char === '"') out += `\\${char}`;
    else if (char === '\n') out += '\\n';
    else if (char === '\r') out += '\\r';
    else if (char === '\t') out += '\\t';
    else if (code < 0x20 || code === 0x7f) out += `\\x${hex(code, 2)}`;
    else if (code > 0xffff) out += `\\U${hex(code, 8)}`;
    else if (code > 0x7e) out += `\\u${hex(code, 4)}`;
    else out += char;
  }
  return `${out}"`;
}

/** `text` on one comment line: line breaks and other control characters become spaces. */
export function pyComment(text: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what a comment line must not hold
  return text.replace(/[\u0000-\u001f\u007f\u2028\u2029]+/g, ' ');
}

/**
 * A JSON string literal for `text` with `{` and every non-ASCII character written as `\uXXXX`: the JSON means
 * the same, it cannot open a Jinja block (`{{`, `{%`, `{#`), and it is plain ASCII (the HTTP operator sends a
 * string body encoded as Latin-1).
 */
export function jsonString(text: string): string {
  return JSON.stringify(text).replace(/[{\u007f-\uffff]/g, (char) => `\\u${hex(char.charCodeAt(0), 4)}`);
}

/** `text` as a Jinja template that renders to `text` itself. */
export function jinjaLiteral(text: string): string {
  return text.replace(/\{/g, "{{ '{' }}");
}

/** JSON on one line in pure ASCII, for the machine-readable header comment of a DAG file. */
export function asciiJson(value: unknown): string {
  return JSON.stringify(value).replace(/[\u007f-\uffff]/g, (char) => `\\u${hex(char.charCodeAt(0), 4)}`);
}
