/**
 * Start-up recovery: of the refreshes a stopped process left running, those the engine's ledger shows committed
 * are recorded SUCCEEDED and the rest FAILED (see the refresh runner's `recover`), and tables whose CREATE never
 * finished are removed again, so a half-made CREATE leaves nothing.
 */
import type { DynamicTableRecord } from '../catalog/records';
import type { ManagerParts } from './manager-parts';

/** How long past the statement wait an INITIALIZING table on a shared catalog is left to the gateway creating it. */
const ABANDON_AFTER_MS = 10 * 60 * 1000;

export async function recover(parts: ManagerParts): Promise<void> {
  const { runner, catalog, settings, logger } = parts;
  const now = new Date();
  const failed = await runner.recover(now);
  if (failed > 0) logger.warn('refresh jobs interrupted by the last stop were marked FAILED', { jobs: failed });
  // On a shared catalog another gateway may be creating a table right now: only a CREATE older than any CREATE
  // can take is abandoned.
  const abandonBefore = catalog.shared ? now.getTime() - settings.statementWaitMs - ABANDON_AFTER_MS : Infinity;
  for (const table of await catalog.listTables()) {
    if (table.refreshStatus === 'INITIALIZING' && Date.parse(table.updatedAt) < abandonBefore) {
      await abandonCreate(parts, table);
    }
  }
}

async function abandonCreate(parts: ManagerParts, table: DynamicTableRecord): Promise<void> {
  const { continuous, workflows, namespaces, catalog, logger } = parts;
  logger.warn('removing a dynamic table whose CREATE did not finish', { table: table.identifier });
  await continuous.stop(table).catch(() => undefined);
  if (table.refreshHandler) {
    await workflows.scheduler.deleteRefreshWorkflow(table.refreshHandler).catch(() => undefined);
  }
  const engine = namespaces.engineOf(table.catalogName);
  await engine.dropTable({ database: table.databaseName, name: table.tableName }).catch(() => undefined);
  await catalog.deleteHistoryOfTable(table.key);
  await catalog.deleteTable(table.key);
}
