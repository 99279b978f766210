/**
 * `flink:http://gateway:8083?catalog=paimon&database=db&session.parallelism.default=4&table.connector=…`: the SQL
 * Gateway's address, the catalog and database every session uses, session properties and the WITH options of the
 * tables Freshet creates.
 */
import { validationError } from '../../errors';
import type { EngineFactory } from '../engine';
import { redactUrl } from '../engine-url';
import { FlinkEngine } from './flink-engine';
import type { FlinkEngineOptionsInput } from './flink-options';

export const FLINK_ENGINE_FACTORY: EngineFactory = {
  schemes: ['flink'],
  urlForm: 'flink:http://sql-gateway:8083[?catalog=c&database=d&session.<key>=v&table.<key>=v]',
  create: (url) => new FlinkEngine(flinkOptionsFromUrl(url.slice('flink:'.length))),
};

function flinkOptionsFromUrl(text: string): FlinkEngineOptionsInput {
  let parsed: URL;
  try {
    parsed = new URL(text);
  } catch {
    throw validationError(
      `The engine URL "flink:${redactUrl(text)}" does not hold the SQL Gateway's http(s) address after 'flink:'.`,
    );
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
    else {
      throw validationError(
        `The Flink engine URL has an unknown parameter '${key}'; use catalog, database, session.<key> or table.<key>.`,
      );
    }
  }
  return {
    url: `${parsed.protocol}//${parsed.host}${parsed.pathname === '/' ? '' : parsed.pathname}`,
    ...(catalog !== undefined ? { catalog } : {}),
    ...(database !== undefined ? { database } : {}),
    sessionProperties,
    tableOptions,
  };
}
