/** `postgres://…` or `postgresql://…`: a libpq-style connection URL. */
import type { EngineFactory } from '../engine';
import { PostgresEngine } from './postgres-engine';

export const POSTGRES_ENGINE_FACTORY: EngineFactory = {
  schemes: ['postgres', 'postgresql'],
  urlForm: 'postgres://user:password@host:5432/database',
  create: (url) => new PostgresEngine({ url }),
};
