/** Resolving what users write (`t`, `main.t`, `default.main.t`) to the one identifier Freshet stores. */
import { notFound, validationError } from '../errors';
import type { ObjectName } from '../sql/statements';

export interface ResolvedName {
  readonly catalogName: string;
  readonly databaseName: string;
  readonly tableName: string;
  /** `catalog.database.name` as written. */
  readonly identifier: string;
  /** Lower-cased identifier (names are case-insensitive, as in SQLite). */
  readonly key: string;
}

export interface NameDefaults {
  readonly catalogName: string;
  readonly databaseName: string;
}

export function resolveName(parts: readonly string[], defaults: NameDefaults): ResolvedName {
  if (parts.length === 0 || parts.length > 3 || parts.some((p) => p === '')) {
    throw validationError(`"${parts.join('.')}" is not a table identifier: use [catalog.][database.]name`);
  }
  const tableName = parts[parts.length - 1] as string;
  const databaseName = parts.length >= 2 ? (parts[parts.length - 2] as string) : defaults.databaseName;
  const catalogName = parts.length === 3 ? (parts[0] as string) : defaults.catalogName;
  if (catalogName.toLowerCase() !== defaults.catalogName.toLowerCase()) {
    throw notFound(`Catalog '${catalogName}' does not exist; the only catalog is '${defaults.catalogName}'.`);
  }
  if (databaseName.toLowerCase() !== defaults.databaseName.toLowerCase()) {
    throw notFound(`Database '${catalogName}.${databaseName}' does not exist; the only database is '${defaults.databaseName}'.`);
  }
  const identifier = `${defaults.catalogName}.${defaults.databaseName}.${tableName}`;
  return { catalogName: defaults.catalogName, databaseName: defaults.databaseName, tableName, identifier, key: identifier.toLowerCase() };
}

export function resolveObjectName(name: ObjectName, defaults: NameDefaults): ResolvedName {
  return resolveName(name.parts, defaults);
}

/**
 * Splits identifier text from a URL or a refresh call (`default.main.t`, `"My.Table"`, `` `t` ``) into parts.
 */
export function splitIdentifierText(text: string): string[] {
  const parts: string[] = [];
  let current = '';
  let quote: string | null = null;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i] as string;
    if (quote !== null) {
      if (ch === quote) {
        if (text[i + 1] === quote) {
          current += ch;
          i++;
        } else quote = null;
      } else current += ch;
    } else if (ch === '"' || ch === '`') quote = ch;
    else if (ch === '.') {
      parts.push(current.trim());
      current = '';
    } else current += ch;
  }
  if (quote !== null) throw validationError(`Identifier ${text} has an unterminated quote.`);
  parts.push(current.trim());
  return parts;
}
