/**
 * Catalogs and where names point: which engine holds a catalog, what an unqualified name means for a request,
 * and in which catalog a table's query runs.
 */
import type { DynamicTableRecord } from '../catalog/records';
import type { Engine } from '../engine/engine';
import { FreshetError, notFound, validationError } from '../errors';
import type { ObjectName } from '../sql/statements';
import { type CatalogInfo, type NameDefaults, type ResolvedName, resolveName, resolveObjectName } from './identifiers';

/** The option naming the catalog a dynamic table's query runs on, when it is not the table's own. */
export const SOURCE_CATALOG_OPTION = 'source.catalog';

/** True when a table's rows come from another catalog. */
export function isCrossCatalog(table: DynamicTableRecord): boolean {
  return table.options[SOURCE_CATALOG_OPTION] !== undefined;
}

export class Namespaces {
  private readonly catalogs: ReadonlyMap<string, CatalogInfo>;

  constructor(
    /** One engine per catalog (engine connection), by catalog name. */
    readonly engines: ReadonlyMap<string, Engine>,
    private readonly defaultCatalog: string,
  ) {
    this.catalogs = new Map(
      [...engines].map(([name, engine]) => [
        name.toLowerCase(),
        { name, defaultDatabase: engine.defaultDatabase, onlyDefaultDatabase: !engine.capabilities().otherDatabases },
      ]),
    );
    if (!this.catalogs.has(defaultCatalog.toLowerCase())) {
      throw new Error(
        `The default catalog '${defaultCatalog}' is not among the catalogs ${[...engines.keys()].join(', ')}.`,
      );
    }
  }

  /** The engine holding a catalog's tables. */
  engineOf(catalogName: string): Engine {
    const wanted = catalogName.toLowerCase();
    const engine = [...this.engines].find(([name]) => name.toLowerCase() === wanted)?.[1];
    if (!engine) throw new FreshetError('INTERNAL', `No engine for catalog '${catalogName}'.`);
    return engine;
  }

  /** Where unqualified names point for a statement request (`catalog`, `database` of POST /v3/statements). */
  namespace(catalog?: string, database?: string): NameDefaults {
    const info = this.catalogs.get((catalog ?? this.defaultCatalog).toLowerCase());
    if (!info) {
      const names = [...this.catalogs.values()].map((c) => `'${c.name}'`).join(', ');
      throw notFound(`Catalog '${catalog}' does not exist; the catalogs are ${names}.`);
    }
    const ns: NameDefaults = { catalogName: info.name, databaseName: info.defaultDatabase, catalogs: this.catalogs };
    if (database === undefined) return ns;
    const resolved = resolveName([info.name, database, 'any'], ns);
    return { ...ns, databaseName: resolved.databaseName };
  }

  get defaults(): NameDefaults {
    return this.namespace();
  }

  /**
   * Where a new table's query runs: the catalog named by WITH ('source.catalog' = …), else the request's current
   * catalog (as in Flink, unqualified names in a query resolve in the session's catalog and database).
   */
  sourceNamespace(options: Readonly<Record<string, string>>, ns: NameDefaults): NameDefaults {
    const named = options[SOURCE_CATALOG_OPTION];
    if (named === undefined || named.toLowerCase() === ns.catalogName.toLowerCase()) return ns;
    try {
      return this.namespace(named);
    } catch (error) {
      throw validationError(`Option '${SOURCE_CATALOG_OPTION}' names catalog '${named}', which does not exist.`, {
        cause: error,
      });
    }
  }

  /** The namespace a stored table's query runs in. */
  queryNamespaceOf(table: DynamicTableRecord): NameDefaults {
    const source = table.options[SOURCE_CATALOG_OPTION];
    if (source !== undefined) return this.namespace(source);
    return { catalogName: table.catalogName, databaseName: table.databaseName, catalogs: this.catalogs };
  }

  /** A source table named in a query, resolved; a name that cannot be resolved is the query's error, at its place. */
  resolveSource(source: ObjectName, within: NameDefaults): ResolvedName {
    try {
      return resolveObjectName(source, within);
    } catch (error) {
      if (error instanceof FreshetError) {
        throw validationError(`Table '${source.parts.join('.')}' used in the query cannot be read: ${error.message}`, {
          line: source.position.line,
          column: source.position.column,
        });
      }
      throw error;
    }
  }
}
