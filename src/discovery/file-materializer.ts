/**
 * `POST /v3/datasets/{id}/materialize`: a file dataset loaded into a catalog as a source table, which a dynamic
 * table can then read like any other. The table is new unless `replace` is asked for; a dynamic table is never
 * replaced. The file's column types come from its newest profile when the file has not changed since, and are
 * read from the file otherwise.
 */
import { statSync } from 'node:fs';
import type { DynamicTableStore } from '../catalog/table-store';
import { alreadyExists, FreshetError, invalidState, messageOf, notFound, validationError } from '../errors';
import type { EngineCatalogAccess } from './catalog-access';
import type { DatasetBook } from './dataset-book';
import type { Dataset } from './dataset-view';
import { loadFile } from './file-load';
import type { ValueType } from './file-values';

export interface MaterializeRequest {
  /** The default catalog when omitted. */
  readonly catalog?: string;
  /** The catalog's default database when omitted. */
  readonly database?: string;
  /** The dataset's name made into an identifier when omitted. */
  readonly table?: string;
  /** Replace a table that exists (never a dynamic table). */
  readonly replace?: boolean;
}

export interface Materialized {
  readonly dataset: string;
  /** `catalog.database.table`. */
  readonly table: string;
  readonly rows: number;
  readonly columns: ReadonlyArray<{ readonly name: string; readonly type: string }>;
  /** The id of the table's own dataset (a source), when the `catalogs` discoverer runs. */
  readonly sourceDataset: string | null;
}

export interface MaterializerParts {
  readonly book: DatasetBook;
  readonly catalogs: EngineCatalogAccess;
  readonly tables: Pick<DynamicTableStore, 'list'>;
  readonly defaultCatalog: string;
  /** Publishes a table as the `catalogs` discoverer would; its dataset's id. */
  readonly discovered: (catalog: string, database: string, table: string) => Promise<string | null>;
  readonly now: () => Date;
}

const VALUE_TYPES: ReadonlySet<string> = new Set(['integer', 'float', 'boolean', 'date', 'timestamp', 'text']);
const TABLE_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

/** A dataset's name as a table name: letters, digits and `_`, not starting with a digit. */
export function tableNameOf(name: string): string {
  const cleaned = name
    .toLowerCase()
    .replace(/[^a-z0-9_]+/g, '_')
    .replace(/^_+|_+$/g, '')
    .slice(0, 60);
  return /^[a-z_]/.test(cleaned) ? cleaned : `t_${cleaned}`;
}

export class FileMaterializer {
  constructor(private readonly parts: MaterializerParts) {}

  async materialize(dataset: Dataset, request: MaterializeRequest): Promise<Materialized> {
    const file = dataset.materialize;
    if (file.kind !== 'file') {
      throw invalidState(`Dataset ${dataset.id} is a table already; only file datasets are materialised.`);
    }
    const catalog = request.catalog ?? this.parts.defaultCatalog;
    const engine = this.parts.catalogs.engineOf(catalog);
    if (engine === undefined) {
      throw notFound(
        `Catalog '${catalog}' does not exist; the catalogs are ${this.parts.catalogs.names().join(', ')}.`,
      );
    }
    const database = request.database ?? engine.defaultDatabase;
    const table = request.table ?? tableNameOf(dataset.name);
    if (!TABLE_NAME.test(table)) {
      throw validationError(`'${table}' cannot name the table: use letters, digits and _ (not first), up to 63.`);
    }
    const key = `${catalog}.${database}.${table}`.toLowerCase();
    if ((await this.parts.tables.list()).some((t) => t.key === key)) {
      throw invalidState(
        `${catalog}.${database}.${table} is a dynamic table; materialise the file under another name.`,
      );
    }
    if (request.replace !== true && (await engine.describeTable({ database, name: table })) !== null) {
      throw alreadyExists(`Table ${catalog}.${database}.${table} exists; send "replace": true to replace its rows.`);
    }
    try {
      const loaded = await loadFile(file, { engine, database, table, types: this.knownTypes(dataset) });
      await this.parts.book.store.clearError(dataset.discoverer, dataset.id, 'materialize');
      const sourceDataset = await this.parts.discovered(catalog, database, table).catch(() => null);
      return { dataset: dataset.id, table: `${catalog}.${database}.${table}`, ...loaded, sourceDataset };
    } catch (error) {
      await this.parts.book.store
        .recordError(
          {
            discoverer: dataset.discoverer,
            datasetId: dataset.id,
            stage: 'materialize',
            message: messageOf(error),
            code: error instanceof FreshetError ? error.code : null,
          },
          this.parts.now().toISOString(),
        )
        .catch(() => undefined);
      throw error;
    }
  }

  /** The column types of the newest profile, when it was made of the file as it is now. */
  private knownTypes(dataset: Dataset): ValueType[] | null {
    const file = dataset.materialize;
    const summary = dataset.summary;
    if (file.kind !== 'file' || summary === null || dataset.status !== 'profiled') return null;
    let modified: string;
    try {
      modified = statSync(file.path).mtime.toISOString();
    } catch {
      return null;
    }
    if (dataset.updatedAt !== modified || dataset.profiledVersion !== modified) return null;
    const types = summary.columns.map((c) => c.declaredType);
    return types.every((t) => VALUE_TYPES.has(t)) ? (types as ValueType[]) : null;
  }
}
