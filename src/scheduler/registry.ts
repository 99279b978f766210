/**
 * Which scheduler plugin `scheduler.type` selects. Built-in plugins are listed here; a value that is not a
 * built-in identifier is loaded as a module path or package name exporting a WorkflowSchedulerFactory.
 */
import * as path from 'node:path';
import { airflowSchedulerFactory } from '../../plugins/airflow';
import { dolphinSchedulerFactory } from '../../plugins/dolphinscheduler';
import { embeddedSchedulerFactory } from './embedded/embedded-factory';
import type { WorkflowSchedulerFactory } from './workflow-scheduler';

export const BUILT_IN_SCHEDULERS: ReadonlyMap<string, WorkflowSchedulerFactory<any>> = new Map<string, WorkflowSchedulerFactory<any>>([
  [embeddedSchedulerFactory.identifier, embeddedSchedulerFactory],
  [airflowSchedulerFactory.identifier, airflowSchedulerFactory],
  [dolphinSchedulerFactory.identifier, dolphinSchedulerFactory],
]);

function isFactory(value: unknown): value is WorkflowSchedulerFactory<unknown> {
  const v = value as Partial<WorkflowSchedulerFactory<unknown>> | null;
  return typeof v === 'object' && v !== null && typeof v.identifier === 'string' && typeof v.create === 'function' && v.optionsSchema !== undefined;
}

/** The factory for `type`; throws an Error naming what was tried when there is none. */
export function findSchedulerFactory(type: string, baseDir = process.cwd()): WorkflowSchedulerFactory<unknown> {
  const builtIn = BUILT_IN_SCHEDULERS.get(type);
  if (builtIn) return builtIn;
  const specifier = type.startsWith('.') || path.isAbsolute(type) ? path.resolve(baseDir, type) : type;
  let loaded: unknown;
  try {
    loaded = require(specifier);
  } catch (error) {
    throw new Error(
      `scheduler.type '${type}' is neither a built-in scheduler (${[...BUILT_IN_SCHEDULERS.keys()].join(', ')}) nor a module that can be loaded: ${(error as Error).message}`,
    );
  }
  const moduleExports = loaded as Record<string, unknown>;
  const factory = [moduleExports.schedulerFactory, moduleExports.default, ...Object.values(moduleExports)].find(isFactory);
  if (!factory) throw new Error(`Module '${type}' does not export a WorkflowSchedulerFactory (an object with identifier, optionsSchema and create).`);
  return factory;
}

/** Validates plugin options, reporting every problem and naming the plugin. */
export function parseSchedulerOptions(factory: WorkflowSchedulerFactory<unknown>, options: unknown): unknown {
  const parsed = factory.optionsSchema.safeParse(options);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((i) => `scheduler.options${i.path.length > 0 ? `.${i.path.join('.')}` : ''}: ${i.message}`);
  throw new Error(`Invalid options for scheduler '${factory.identifier}':\n${problems.map((p) => `    - ${p}`).join('\n')}`);
}
