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

/** A catalog as names see it: what it is called and which database an unqualified name means. */
export interface CatalogInfo {
  readonly name: string;
  readonly defaultDatabase: string;
  /** True when the catalog has exactly one database (SQLite). */
  readonly onlyDefaultDatabase: boolean;
}

/** Where unqualified names point, and which catalogs exist. */
export interface NameDefaults {
  readonly catalogName: string;
  readonly databaseName: string;
  /** Keyed by lower-cased catalog name. */
  readonly catalogs: ReadonlyMap<string, CatalogInfo>;
}

export function resolveName(parts: readonly string[], defaults: NameDefaults): ResolvedName {
  if (parts.length === 0 || parts.length > 3 || parts.some((p) => p === '')) {
    throw validationError(`"${parts.join('.')}" is not a table identifier: use [catalog.][database.]name`);
  }
  const tableName = parts[parts.length - 1] as string;
  const catalogText = parts.length === 3 ? (parts[0] as string) : defaults.catalogName;
  const catalog = defaults.catalogs.get(catalogText.toLowerCase());
  if (!catalog) {
    throw notFound(
      `Catalog '${catalogText}' does not exist; the catalogs are ` +
        `${[...defaults.catalogs.values()].map((c) => `'${c.name}'`).join(', ')}.`,
    );
  }
  const sameCatalog = catalog.name.toLowerCase() === defaults.catalogName.toLowerCase();
  const databaseText =
    parts.length >= 2
      ? (parts[parts.length - 2] as string)
      : sameCatalog
        ? defaults.databaseName
        : catalog.defaultDatabase;
  const isDefault = databaseText.toLowerCase() === catalog.defaultDatabase.toLowerCase();
  if (!isDefault && catalog.onlyDefaultDatabase) {
    throw notFound(
      `Database '${catalog.name}.${databaseText}' does not exist; catalog '${catalog.name}' has only database ` +
        `'${catalog.defaultDatabase}'.`,
    );
  }
  const databaseName = isDefault ? catalog.defaultDatabase : databaseText;
  const identifier = `${catalog.name}.${databaseName}.${tableName}`;
  return { catalogName: catalog.name, databaseName, tableName, identifier, key: identifier.toLowerCase() };
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
