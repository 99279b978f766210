/**
 * SET FRESHNESS and SET REFRESH_MODE: the physical mode is deduced again, and the workflow or the continuous
 * runner follow (FULL→FULL reschedules, a mode change swaps one for the other).
 */
import type { DynamicTableRecord } from '../catalog/records';
import { deduceRefreshMode, freshnessToQuartzCron } from '../freshness';
import type { Freshness, LogicalRefreshMode, RefreshHandler } from '../model';
import type { ManagerParts } from './manager-parts';

export async function reschedule(
  parts: ManagerParts,
  table: DynamicTableRecord,
  freshness: Freshness,
  logical: LogicalRefreshMode,
): Promise<DynamicTableRecord> {
  const { runner, catalog, continuous, settings } = parts;
  const mode = deduceRefreshMode(logical, freshness, settings.thresholdSeconds);
  const cron = mode === 'FULL' ? freshnessToQuartzCron(freshness, { deduced: logical === 'AUTOMATIC' }) : null;
  const updatedAt = new Date().toISOString();
  const next: DynamicTableRecord = {
    ...table,
    freshness,
    logicalRefreshMode: logical,
    refreshMode: mode,
    cron,
    updatedAt,
  };
  return runner.exclusive(table.key, async () => {
    const handler = await followMode(parts, table, next);
    const schedulerType = mode === 'FULL' ? settings.schedulerType : null;
    // Whatever ran the table continuously was stopped above; a CONTINUOUS table gets its job again from start().
    const updated: DynamicTableRecord = { ...next, refreshHandler: handler, continuousJob: null, schedulerType };
    await catalog.updateTable(updated);
    if (mode === 'CONTINUOUS' && updated.refreshStatus === 'ACTIVATED') return continuous.start(updated);
    return updated;
  });
}

/** Moves what keeps the table fresh from its old mode to its new one; returns the new handler. */
async function followMode(
  parts: ManagerParts,
  table: DynamicTableRecord,
  next: DynamicTableRecord,
): Promise<RefreshHandler | null> {
  const { workflows, continuous, catalog } = parts;
  const handler = table.refreshHandler;
  if (table.refreshMode === 'FULL' && next.refreshMode === 'FULL') {
    return handler && next.cron !== table.cron ? workflows.reschedule(next, handler) : handler;
  }
  if (table.refreshMode === 'FULL') {
    if (handler) await workflows.delete(table, handler);
    await catalog.deleteCallbackTokens(table.key);
    return null;
  }
  if (next.refreshMode === 'FULL') {
    await continuous.stop(table);
    const created = await workflows.create(next, table.createStatement);
    return table.refreshStatus === 'SUSPENDED' ? workflows.suspend(table, created) : created;
  }
  await continuous.stop(table);
  return handler;
}
