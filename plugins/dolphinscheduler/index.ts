/**
 * The DolphinScheduler scheduler plugin (`scheduler.type = 'dolphinscheduler'`): each FULL dynamic table gets a
 * DolphinScheduler workflow whose HTTP task calls Freshet's refresh endpoint on the table's Quartz schedule.
 * Set-up on the DolphinScheduler side: examples/dolphinscheduler/README.md.
 */
import type { WorkflowSchedulerFactory } from '../../src/plugin-api';
import { dolphinSchedulerOptionsSchema, type DolphinSchedulerOptions } from './ds-options';
import { DolphinSchedulerScheduler } from './ds-scheduler';

export const dolphinSchedulerFactory: WorkflowSchedulerFactory<DolphinSchedulerOptions> = {
  identifier: 'dolphinscheduler',
  optionsSchema: dolphinSchedulerOptionsSchema,
  create: (options, context) => new DolphinSchedulerScheduler(options, context),
};

/** The name the module-path loader looks for first. */
export const schedulerFactory = dolphinSchedulerFactory;

export { dolphinSchedulerOptionsSchema, type DolphinSchedulerOptions } from './ds-options';
export { DolphinSchedulerScheduler } from './ds-scheduler';
export type { DolphinSchedulerVersion } from './ds-paths';
export type { DsHandler } from './ds-workflow';
