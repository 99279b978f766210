/**
 * The built-in `catalogs` discoverer: every table of every configured catalog, with its columns and row count;
 * the tables Freshet maintains are datasets of kind `dynamic_table`, with their query and comment.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import type {
  CatalogTable,
  DatasetMetadata,
  Discoverer,
  DiscovererContext,
  DiscovererFactory,
  Materialize,
  Publish,
} from './discoverer';

const optionsSchema = z
  .object({
    /** Only these catalogs; every configured one when omitted. */
    catalogs: z.array(z.string().min(1)).min(1).optional(),
    /** Count each table's rows on every run (a full scan on most engines). */
    rowCounts: z.boolean().default(true),
  })
  .strict();

export type CatalogsDiscovererOptions = z.infer<typeof optionsSchema>;

/** The local id of a table's dataset: its identifier. */
export function catalogTableId(catalog: string, database: string, table: string): string {
  return `${catalog}.${database}.${table}`;
}

/**
 * What stands for a plain table's `updatedAt`: engines keep no time of a table's last change, so its row count and
 * columns do (a changed table almost always changes one of them).
 */
function fingerprint(table: CatalogTable, rowCount: number | null): string {
  const columns = table.columns.map((c) => `${c.name}:${c.type ?? ''}`).join(',');
  return `rows=${rowCount ?? '?'};columns=${createHash('sha256').update(columns).digest('hex').slice(0, 16)}`;
}

class CatalogsDiscoverer implements Discoverer {
  constructor(
    private readonly options: CatalogsDiscovererOptions,
    private readonly context: DiscovererContext,
  ) {}

  async discover(publish: Publish, signal: AbortSignal): Promise<void> {
    const failures: string[] = [];
    for (const catalog of this.options.catalogs ?? this.context.catalogs.names()) {
      signal.throwIfAborted();
      try {
        await this.discoverCatalog(catalog, publish, signal);
      } catch (error) {
        if (signal.aborted) throw error;
        failures.push(`catalog '${catalog}': ${(error as Error).message}`);
      }
    }
    // The catalogs that could be read were published; failing the run keeps the others' datasets from removal.
    if (failures.length > 0) throw new Error(`Could not list every catalog: ${failures.join('; ')}`);
  }

  private async discoverCatalog(catalog: string, publish: Publish, signal: AbortSignal): Promise<void> {
    const { catalogs } = this.context;
    for (const table of await catalogs.listTables(catalog)) {
      signal.throwIfAborted();
      const rowCount = this.options.rowCounts
        ? await catalogs.countRows(catalog, table.database, table.table, signal)
        : null;
      await publish(...publishedTable(table, rowCount));
    }
  }
}

/** What the `catalogs` discoverer publishes for a table: `publish`'s arguments. */
export function publishedTable(table: CatalogTable, rowCount: number | null): [Materialize, DatasetMetadata, string] {
  const { catalog, database, dynamic } = table;
  return [
    { kind: 'table', catalog, database, table: table.table },
    {
      name: table.table,
      kind: dynamic === null ? 'source' : 'dynamic_table',
      columns: table.columns,
      rowCount,
      ...(dynamic?.comment ? { description: dynamic.comment } : {}),
      ...(dynamic === null ? {} : { queryText: dynamic.query }),
      updatedAt: dynamic === null ? fingerprint(table, rowCount) : dynamic.refreshedAt,
      keywords: [catalog, database],
    },
    catalogTableId(catalog, database, table.table),
  ];
}

export const catalogsDiscovererFactory: DiscovererFactory<CatalogsDiscovererOptions> = {
  identifier: 'catalogs',
  optionsSchema,
  create: (options, context) => new CatalogsDiscoverer(options, context),
};
