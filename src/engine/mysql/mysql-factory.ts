/** `mysql://…` or `mariadb://…`: a connection URL that names the database. */
import type { EngineFactory } from '../engine';
import { MysqlEngine } from './mysql-engine';

export const MYSQL_ENGINE_FACTORY: EngineFactory = {
  schemes: ['mysql', 'mariadb'],
  urlForm: 'mysql://user:password@host:3306/database',
  create: (url) => new MysqlEngine({ url }),
};
