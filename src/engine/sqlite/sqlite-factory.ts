/** `sqlite:<path>`: a database file, relative paths under the gateway's data directory. */
import path from 'node:path';
import type { EngineFactory } from '../engine';
import { SqliteEngine } from './sqlite-engine';

export const SQLITE_ENGINE_FACTORY: EngineFactory = {
  schemes: ['sqlite'],
  urlForm: 'sqlite:<path>',
  create(url, { baseDir }) {
    const file = url.slice('sqlite:'.length);
    // Not a path to resolve: SqliteEngine refuses these itself, with the reason.
    const special = file === '' || file === ':memory:' || file.startsWith('file:');
    return new SqliteEngine({ path: special ? file : path.resolve(baseDir, file) });
  },
};
