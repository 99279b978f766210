/** The parts every DDL operation of the manager works with, assembled once by the manager. */
import type { Catalog } from '../catalog/catalog';
import type { Logger } from '../logger';
import type { Alerts } from './alerts';
import type { RefreshRunner } from '../refresh/refresh-runner';
import type { ContinuousRefreshes } from './continuous-refreshes';
import type { ManagerSettings } from './manager-types';
import type { Namespaces } from './namespaces';
import type { RefreshRequests } from './refresh-requests';
import type { RefreshStrategy } from './refresh-strategy';
import type { SourceRegistry } from './registry/source-registry';
import type { TableLookup } from './table-lookup';
import type { Workflows } from './workflows';

export interface ManagerParts {
  readonly catalog: Catalog;
  readonly namespaces: Namespaces;
  readonly lookup: TableLookup;
  readonly strategy: RefreshStrategy;
  readonly runner: RefreshRunner;
  readonly requests: RefreshRequests;
  /** Sources, providers, partitions and readiness (DESIGN.md §10). */
  readonly registry: SourceRegistry;
  readonly workflows: Workflows;
  readonly continuous: ContinuousRefreshes;
  readonly settings: ManagerSettings;
  readonly logger: Logger;
  /** Alert channels: what the manager tells operators about (suspensions, freshness). */
  readonly alerts: Alerts;
}
