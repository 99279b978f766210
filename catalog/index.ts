/**
 * The catalog's schema migrations, in order. They are listed here (not discovered from the folder) so the
 * same list runs from TypeScript sources and from compiled JavaScript, on every catalog database.
 */
import type { Knex } from 'knex';
import * as initial from './migrations/0001-initial';
import * as credentials from './migrations/0002-scheduler-credentials-and-orphans';
import * as replicas from './migrations/0003-replicas';
import * as refreshAction from './migrations/0004-refresh-action';
import * as continuousJob from './migrations/0005-continuous-job';
import * as suspendedReason from './migrations/0006-suspended-reason';
import * as historyRetention from './migrations/0007-history-retention';
import * as dataTimestamp from './migrations/0008-data-timestamp';
import * as sourceRegistry from './migrations/0009-source-registry';
import * as gatedRefresh from './migrations/0011-gated-refresh';
import * as schemaVersions from './migrations/0010-schema-versions';
import * as freshnessEvents from './migrations/0012-freshness-events';
import * as publishGuards from './migrations/0013-publish-guards';
import * as datasets from './migrations/0014-datasets';

export interface CatalogMigration {
  readonly name: string;
  up(knex: Knex): Promise<void>;
  down(knex: Knex): Promise<void>;
}

export const CATALOG_MIGRATIONS: readonly CatalogMigration[] = [
  { name: '0001-initial', ...initial },
  { name: '0002-scheduler-credentials-and-orphans', ...credentials },
  { name: '0003-replicas', ...replicas },
  { name: '0004-refresh-action', ...refreshAction },
  { name: '0005-continuous-job', ...continuousJob },
  { name: '0006-suspended-reason', ...suspendedReason },
  { name: '0007-history-retention', ...historyRetention },
  { name: '0008-data-timestamp', ...dataTimestamp },
  { name: '0009-source-registry', ...sourceRegistry },
  { name: '0010-schema-versions', ...schemaVersions },
  { name: '0011-gated-refresh', ...gatedRefresh },
  { name: '0012-freshness-events', ...freshnessEvents },
  { name: '0013-publish-guards', ...publishGuards },
  { name: '0014-datasets', ...datasets },
];
