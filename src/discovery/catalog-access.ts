/**
 * The gateway's catalogs as discoverers see them (`CatalogAccess`): every table of every configured catalog with its
 * columns, the dynamic ones marked, and row counts. Read-only.
 */
import type { DynamicTableStore } from '../catalog/table-store';
import type { JobStore } from '../catalog/job-store';
import type { Engine } from '../engine/engine';
import type { CatalogAccess, CatalogTable } from './discoverer';
import { dialectOf, tableReference } from './sql-dialect';

/** The parts of the gateway catalog access reads. */
export interface CatalogAccessParts {
  /** One engine per catalog, by catalog name. */
  readonly engines: ReadonlyMap<string, Engine>;
  readonly tables: Pick<DynamicTableStore, 'list'>;
  readonly jobs: Pick<JobStore, 'recentSuccesses'>;
}

export class EngineCatalogAccess implements CatalogAccess {
  constructor(private readonly parts: CatalogAccessParts) {}

  names(): readonly string[] {
    return [...this.parts.engines.keys()];
  }

  engineOf(catalog: string): Engine | undefined {
    const wanted = catalog.toLowerCase();
    return [...this.parts.engines].find(([name]) => name.toLowerCase() === wanted)?.[1];
  }

  async listTables(catalog: string): Promise<readonly CatalogTable[]> {
    const engine = this.engineOf(catalog);
    if (engine === undefined) throw new Error(`Catalog '${catalog}' is not configured.`);
    const dynamic = await this.dynamicTables(catalog);
    const found: CatalogTable[] = [];
    for (const ref of await engine.listTables()) {
      const table = await this.describe(engine, catalog, ref.database ?? engine.defaultDatabase, ref.name, dynamic);
      if (table !== null) found.push(table); // null: dropped since it was listed
    }
    return found;
  }

  /** One table of a catalog as {@link listTables} lists it; null when it does not exist. */
  async describeTable(catalog: string, database: string, table: string): Promise<CatalogTable | null> {
    const engine = this.engineOf(catalog);
    if (engine === undefined) return null;
    return this.describe(engine, catalog, database, table, await this.dynamicTables(catalog));
  }

  private async describe(
    engine: Engine,
    catalog: string,
    database: string,
    name: string,
    dynamic: ReadonlyMap<string, CatalogTable['dynamic']>,
  ): Promise<CatalogTable | null> {
    const description = await engine.describeTable({ database, name });
    if (description === null) return null;
    return {
      catalog,
      database,
      table: name,
      columns: description.columns.map((c) => ({ name: c.name, type: c.type })),
      dynamic: dynamic.get(`${catalog}.${database}.${name}`.toLowerCase()) ?? null,
    };
  }

  /** The dynamic tables of a catalog by key, with when each was last refreshed. */
  private async dynamicTables(catalog: string): Promise<Map<string, CatalogTable['dynamic']>> {
    const records = (await this.parts.tables.list()).filter(
      (t) => t.catalogName.toLowerCase() === catalog.toLowerCase(),
    );
    const refreshed = await this.parts.jobs.recentSuccesses(
      records.map((t) => t.key),
      1,
    );
    return new Map(
      records.map((record) => [
        record.key,
        {
          identifier: record.identifier,
          query: record.definitionQuery,
          comment: record.comment,
          refreshedAt: refreshed.get(record.key)?.[0]?.finishedAt ?? null,
        },
      ]),
    );
  }

  async countRows(catalog: string, database: string, table: string, signal?: AbortSignal): Promise<number | null> {
    const engine = this.engineOf(catalog);
    const dialect = engine === undefined ? null : dialectOf(engine);
    if (engine === undefined || dialect === null) return null;
    const sql = `SELECT COUNT(*) FROM ${tableReference(dialect, database, table)}`;
    const result = await engine.execute(sql, { rowLimit: 1, ...(signal ? { signal } : {}) });
    if (result.kind !== 'rows') return null;
    return Number(result.rows[0]?.[0] ?? 0);
  }
}
