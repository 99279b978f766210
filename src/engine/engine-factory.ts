/**
 * Chooses and constructs an engine from a catalog URL. The URL's scheme names the engine; nothing is
 * connected until the engine's `open()`.
 */
import path from 'node:path';
import { validationError } from '../errors';
import type { Engine } from './engine';
import { MysqlEngine } from './mysql/mysql-engine';
import { PostgresEngine } from './postgres/postgres-engine';
import { SqliteEngine } from './sqlite/sqlite-engine';

export interface EngineFactoryOptions {
  /** Folder that relative `sqlite:` paths are resolved against (the gateway's data directory). */
  readonly baseDir: string;
}

/** The URL forms {@link createEngine} accepts, for messages and documentation. */
export const ENGINE_URL_FORMS = ['sqlite:<path>', 'postgres://user:password@host:5432/database', 'mysql://user:password@host:3306/database'] as const;

/**
 * The engine for a URL: `sqlite:<path>` (relative to `options.baseDir`), `postgres://…` or `postgresql://…`,
 * `mysql://…` or `mariadb://…`. Throws VALIDATION_ERROR for any other URL, or a MySQL URL without a database.
 */
export function createEngine(url: string, options: EngineFactoryOptions): Engine {
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(url)?.[1]?.toLowerCase();
  switch (scheme) {
    case 'sqlite': {
      const file = url.slice('sqlite:'.length);
      // Not a path to resolve: SqliteEngine refuses these itself, with the reason.
      const special = file === '' || file === ':memory:' || file.startsWith('file:');
      return new SqliteEngine({ path: special ? file : path.resolve(options.baseDir, file) });
    }
    case 'postgres':
    case 'postgresql':
      return new PostgresEngine({ url });
    case 'mysql':
    case 'mariadb':
      return new MysqlEngine({ url });
    default:
      throw validationError(`The engine URL "${redact(url)}" has no engine Freshet knows; use one of: ${ENGINE_URL_FORMS.join(', ')}.`);
  }
}

/** The URL with any password hidden, for an error message. */
function redact(url: string): string {
  return url.replace(/\/\/([^:/@]*):[^@/]*@/, '//$1:***@');
}
