/** Engine URLs in messages: never with their password. */

/** The URL with any password hidden (`//user:***@`), for a message; works on text that is not a valid URL. */
export function redactUrl(url: string): string {
  return url.replace(/\/\/([^:/@]*):[^@/]*@/, '//$1:***@');
}

/** The scheme of a URL (`postgres` of `postgres://…`), lower case; undefined when it has none. */
export function schemeOf(url: string): string | undefined {
  return /^([a-z][a-z0-9+.-]*):/i.exec(url)?.[1]?.toLowerCase();
}

/** A URL without its password, for messages; `fallback` when the text is not a URL. */
export function displayUrl(url: string, fallback: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== '') parsed.password = '***';
    return parsed.toString();
  } catch {
    return fallback;
  }
}
