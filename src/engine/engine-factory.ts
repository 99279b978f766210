/**
 * Chooses and constructs an engine from a catalog URL. The URL's scheme names the engine; nothing is
 * connected until the engine's `open()`.
 */
import path from 'node:path';
import { validationError } from '../errors';
import type { Engine } from './engine';
import { FlinkEngine } from './flink/flink-engine';
import type { FlinkEngineOptionsInput } from './flink/flink-options';
import { MysqlEngine } from './mysql/mysql-engine';
import { PostgresEngine } from './postgres/postgres-engine';
import { SqliteEngine } from './sqlite/sqlite-engine';

export interface EngineFactoryOptions {
  /** Folder that relative `sqlite:` paths are resolved against (the gateway's data directory). */
  readonly baseDir: string;
}

/** The URL forms {@link createEngine} accepts, for messages and documentation. */
export const ENGINE_URL_FORMS = [
  'sqlite:<path>',
  'postgres://user:password@host:5432/database',
  'mysql://user:password@host:3306/database',
  'flink:http://sql-gateway:8083[?catalog=c&database=d&session.<key>=v&table.<key>=v]',
] as const;

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
    case 'flink':
      return new FlinkEngine(flinkOptionsFromUrl(url.slice('flink:'.length)));
    default:
      throw validationError(`The engine URL "${redact(url)}" has no engine Freshet knows; use one of: ${ENGINE_URL_FORMS.join(', ')}.`);
  }
}

/**
 * `flink:http://gateway:8083?catalog=paimon&database=db&session.parallelism.default=4&table.connector=…`: the SQL
 * Gateway's address, the catalog and database every session uses, session properties and the WITH options of the
 * tables Freshet creates.
 */
function flinkOptionsFromUrl(text: string): FlinkEngineOptionsInput {
  let parsed: URL;
  try {
    parsed = new URL(text);
  } catch {
    throw validationError(`The engine URL "flink:${redact(text)}" does not hold the SQL Gateway's http(s) address after 'flink:'.`);
  }
  const sessionProperties: Record<string, string> = {};
  const tableOptions: Record<string, string> = {};
  let catalog: string | undefined;
  let database: string | undefined;
  for (const [key, value] of parsed.searchParams) {
    if (key === 'catalog') catalog = value;
    else if (key === 'database') database = value;
    else if (key.startsWith('session.')) sessionProperties[key.slice('session.'.length)] = value;
    else if (key.startsWith('table.')) tableOptions[key.slice('table.'.length)] = value;
    else throw validationError(`The Flink engine URL has an unknown parameter '${key}'; use catalog, database, session.<key> or table.<key>.`);
  }
  return {
    url: `${parsed.protocol}//${parsed.host}${parsed.pathname === '/' ? '' : parsed.pathname}`,
    ...(catalog !== undefined ? { catalog } : {}),
    ...(database !== undefined ? { database } : {}),
    sessionProperties,
    tableOptions,
  };
}

/** The URL with any password hidden, for an error message. */
function redact(url: string): string {
  return url.replace(/\/\/([^:/@]*):[^@/]*@/, '//$1:***@');
}
