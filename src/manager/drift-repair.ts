/**
 * Scheduler drift: every FULL table's workflow compared with what the scheduler holds, and on request repaired
 * (missing workflows re-created, wrongly paused ones paused or resumed, wrong schedules fixed, extras deleted).
 */
import type { DynamicTableRecord } from '../catalog/records';
import { messageOf } from '../errors';
import type { RefreshHandler } from '../model';
import type { ListedWorkflow } from '../scheduler/workflow-scheduler';
import type { ManagerParts } from './manager-parts';
import { type DriftReport, type TableInspection, compareDrift } from './scheduler-drift';

export async function checkDrift(parts: ManagerParts, repair: boolean): Promise<DriftReport> {
  const report = await driftReport(parts);
  if (!repair) return report;
  const repaired: string[] = [];
  const attempt = async (what: string, action: () => Promise<void>) => {
    try {
      await action();
      repaired.push(what);
    } catch (error) {
      repaired.push(`could not ${what}: ${messageOf(error)}`);
    }
  };
  const { scheduler } = parts.workflows;
  /** Applies a change to a table's workflow and stores the handler the scheduler returns. */
  const update = async (identifier: string, change: (table: DynamicTableRecord) => Promise<RefreshHandler>) => {
    const table = await parts.lookup.requireText(identifier);
    const handler = await change(table);
    await parts.catalog.updateTable({ ...table, refreshHandler: handler, updatedAt: new Date().toISOString() });
  };
  for (const { table: identifier } of report.missing) {
    await attempt(`re-create the workflow of ${identifier}`, () =>
      update(identifier, async (table) => {
        const handler = await parts.workflows.create(table, table.createStatement);
        if (table.refreshStatus !== 'SUSPENDED') return handler;
        return scheduler.modifyRefreshWorkflow(handler, { kind: 'suspend' });
      }),
    );
  }
  for (const { table: identifier, expectedPaused } of report.wronglyPaused) {
    await attempt(`${expectedPaused ? 'pause' : 'resume'} the workflow of ${identifier}`, () =>
      update(identifier, (table) =>
        scheduler.modifyRefreshWorkflow(
          handlerOf(table),
          expectedPaused ? { kind: 'suspend' } : { kind: 'resume', dynamicOptions: {} },
        ),
      ),
    );
  }
  for (const { table: identifier } of report.wrongSchedule) {
    await attempt(`reschedule the workflow of ${identifier}`, () =>
      update(identifier, (table) =>
        scheduler.modifyRefreshWorkflow(handlerOf(table), {
          kind: 'reschedule',
          schedule: parts.workflows.schedule(table),
        }),
      ),
    );
  }
  for (const extra of report.extra) {
    await attempt(`delete the extra workflow of ${extra.tableIdentifier ?? 'an unknown table'}`, () =>
      scheduler.deleteRefreshWorkflow(extra.handler),
    );
  }
  return { ...(await driftReport(parts)), repaired };
}

async function driftReport(parts: ManagerParts): Promise<DriftReport> {
  const { workflows, catalog, settings } = parts;
  const errors: Array<{ table?: string; message: string }> = [];
  const orphansPending = await workflows.cleanOrphans();
  const tables = (await catalog.listTables()).filter(
    (t) => t.refreshMode === 'FULL' && t.refreshStatus !== 'INITIALIZING',
  );
  const inspected: TableInspection[] = [];
  for (const table of tables) {
    if (!table.refreshHandler) {
      inspected.push({ table, inspection: null });
      continue;
    }
    try {
      inspected.push({ table, inspection: await workflows.scheduler.inspect(table.refreshHandler) });
    } catch (error) {
      inspected.push({ table, inspection: null, error: messageOf(error) });
    }
  }
  let listed: readonly ListedWorkflow[] = [];
  try {
    listed = await workflows.scheduler.listRefreshWorkflows();
  } catch (error) {
    errors.push({ message: `Could not list the scheduler's workflows: ${messageOf(error)}` });
  }
  return compareDrift({
    scheduler: settings.schedulerType,
    inspected,
    listed,
    expectedSchedules: (t) => {
      const schedule = workflows.schedule(t);
      return [schedule.quartzCron, ...(schedule.unixCron ? [schedule.unixCron] : [])];
    },
    orphansPending,
    errors,
    now: new Date(),
  });
}

/** The drift check reports a paused or mis-scheduled workflow only for a table that has one. */
function handlerOf(table: DynamicTableRecord): RefreshHandler {
  if (table.refreshHandler === null) throw new Error(`${table.identifier} has no workflow any more`);
  return table.refreshHandler;
}
