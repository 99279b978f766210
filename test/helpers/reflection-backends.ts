/**
 * Backends for the reflection tests: a gateway's configuration, and a connection to its warehouse that goes
 * around Freshet, so that a schema can change behind its back as it does in real life.
 */
import * as path from 'node:path';
import Database from 'better-sqlite3';
import knexFactory from 'knex';
import type { ConfigInput } from '../../src/config/config';
import { BACKENDS } from './backends';

export interface ReflectionBackend {
  readonly name: string;
  /** The configuration of a gateway on this backend, and how to drop its databases afterwards. */
  setUp(): Promise<{
    overrides: ConfigInput;
    outside: (dataDir: string, sql: string) => Promise<void>;
    drop(): Promise<void>;
  }>;
}

export const REFLECTION_BACKENDS: readonly ReflectionBackend[] = [
  {
    name: 'SQLite',
    setUp: async () => ({
      overrides: {},
      outside: async (dataDir, sql) => {
        const db = new Database(path.join(dataDir, 'warehouse.db'));
        try {
          db.exec(sql);
        } finally {
          db.close();
        }
      },
      drop: async () => undefined,
    }),
  },
  {
    name: 'PostgreSQL',
    setUp: async () => {
      const postgres = BACKENDS.find((b) => b.kind === 'postgres');
      const setUp = await postgres!.setUp({ warehouse: 'own', warehouseName: 'default' });
      return {
        overrides: setUp.overrides,
        outside: async (_dataDir, sql) => {
          const db = knexFactory({ client: 'pg', connection: setUp.warehouseUrl! });
          try {
            await db.raw(sql);
          } finally {
            await db.destroy();
          }
        },
        drop: setUp.drop,
      };
    },
  },
];
