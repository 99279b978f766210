/**
 * The backends gateway tests run on, SQLite and PostgreSQL: where the catalog lives and, on PostgreSQL, where the
 * dynamic tables live. Each `setUp` makes fresh throwaway databases and says how to drop them, so a test file
 * loops over {@link BACKENDS} instead of spelling the configuration out.
 */
import type { ConfigInput } from '../../src/config/config';
import { createDatabase, type ThrowawayDatabase } from './databases';

/**
 * Where the PostgreSQL backend keeps the tables: in the gateway's default SQLite warehouse (`sqlite`), in the
 * catalog's database (`with-catalog`), or in a database of their own (`own`).
 */
export type WarehousePlacement = 'sqlite' | 'with-catalog' | 'own';

export interface BackendOptions {
  /** `sqlite` unless given. */
  readonly warehouse?: WarehousePlacement;
  /**
   * What the PostgreSQL warehouse is configured as: `default` stands in for the SQLite warehouse; any other name
   * (`wh` unless given) is added and made the default catalog.
   */
  readonly warehouseName?: string;
}

export interface BackendSetUp {
  /** The gateway's configuration for this backend; tests add their own settings to it. */
  readonly overrides: ConfigInput;
  /** The catalog's URL (a SQLite one is relative to the gateway's data folder). */
  readonly catalogUrl: string;
  /** The PostgreSQL warehouse's URL; null when the tables are in SQLite. */
  readonly warehouseUrl: string | null;
  drop(): Promise<void>;
}

export interface Backend {
  /** `SQLite` or `PostgreSQL`, for test titles. */
  readonly name: string;
  readonly kind: 'sqlite' | 'postgres';
  setUp(options?: BackendOptions): Promise<BackendSetUp>;
}

const SQLITE: Backend = {
  name: 'SQLite',
  kind: 'sqlite',
  setUp: async () => ({ overrides: {}, catalogUrl: 'sqlite:catalog.db', warehouseUrl: null, drop: async () => {} }),
};

const POSTGRES: Backend = {
  name: 'PostgreSQL',
  kind: 'postgres',
  setUp: async (options = {}) => {
    const placement = options.warehouse ?? 'sqlite';
    const name = options.warehouseName ?? 'wh';
    const catalog = await createDatabase('postgres');
    const databases: ThrowawayDatabase[] = [catalog];
    let warehouseUrl: string | null = null;
    if (placement === 'with-catalog') warehouseUrl = catalog.url;
    else if (placement === 'own') {
      const warehouse = await createDatabase('postgres').catch(async (error: unknown) => {
        await catalog.drop();
        throw error;
      });
      databases.push(warehouse);
      warehouseUrl = warehouse.url;
    }
    const warehouse: ConfigInput =
      warehouseUrl === null
        ? {}
        : name === 'default'
          ? { catalogs: { default: { url: warehouseUrl } } }
          : { catalogs: { [name]: { url: warehouseUrl } }, defaultCatalog: name };
    return {
      overrides: { catalog: { url: catalog.url }, ...warehouse },
      catalogUrl: catalog.url,
      warehouseUrl,
      drop: async () => {
        for (const database of databases) await database.drop();
      },
    };
  },
};

export const BACKENDS: readonly Backend[] = [SQLITE, POSTGRES];
