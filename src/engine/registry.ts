/**
 * The engines Freshet knows, by URL scheme. Adding an engine is one line here: its factory (see
 * {@link EngineFactory}). Configuration accepts the schemes listed here and no others.
 */
import { validationError } from '../errors';
import type { Engine, EngineFactory, EngineFactoryOptions } from './engine';
import { redactUrl, schemeOf } from './engine-url';
import { FLINK_ENGINE_FACTORY } from './flink/flink-factory';
import { MYSQL_ENGINE_FACTORY } from './mysql/mysql-factory';
import { POSTGRES_ENGINE_FACTORY } from './postgres/postgres-factory';
import { SQLITE_ENGINE_FACTORY } from './sqlite/sqlite-factory';

const FACTORIES: readonly EngineFactory[] = [
  SQLITE_ENGINE_FACTORY,
  POSTGRES_ENGINE_FACTORY,
  MYSQL_ENGINE_FACTORY,
  FLINK_ENGINE_FACTORY,
];

/** Every engine factory by each of its URL schemes. */
export const ENGINE_FACTORIES: ReadonlyMap<string, EngineFactory> = new Map(
  FACTORIES.flatMap((factory) => factory.schemes.map((scheme) => [scheme, factory] as const)),
);

/** The URL forms {@link createEngine} accepts, for messages and documentation. */
export const ENGINE_URL_FORMS: readonly string[] = FACTORIES.map((factory) => factory.urlForm);

/** The factory for a URL's scheme (compared without case), or undefined when no engine has that scheme. */
export function findEngineFactory(url: string): EngineFactory | undefined {
  const scheme = schemeOf(url);
  return scheme === undefined ? undefined : ENGINE_FACTORIES.get(scheme);
}

/**
 * The engine for a URL, chosen by its scheme; nothing is connected until the engine's `open()`. Throws
 * VALIDATION_ERROR for a URL no engine takes, or one its engine cannot use (a MySQL URL without a database).
 */
export function createEngine(url: string, options: EngineFactoryOptions): Engine {
  const factory = findEngineFactory(url);
  if (factory === undefined) {
    throw validationError(
      `The engine URL "${redactUrl(url)}" has no engine Freshet knows; use one of: ${ENGINE_URL_FORMS.join(', ')}.`,
    );
  }
  return factory.create(url, options);
}
