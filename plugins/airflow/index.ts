/**
 * The `airflow` scheduler plugin: one Airflow DAG per dynamic table, on Airflow 2 (`apiVersion: 1`) or Airflow 3
 * (`apiVersion: 2`). `scheduler.type` may name it by identifier once registered, or by this folder's path.
 */
import type { WorkflowSchedulerFactory } from '../../src/plugin-api';
import { airflowOptionsSchema, type AirflowOptions } from './airflow-options';
import { AirflowScheduler } from './airflow-scheduler';

export const airflowSchedulerFactory: WorkflowSchedulerFactory<AirflowOptions> = {
  identifier: 'airflow',
  optionsSchema: airflowOptionsSchema,
  create: (options, context) => new AirflowScheduler(options, context),
};

/** The name the module-path loader looks for first. */
export const schedulerFactory = airflowSchedulerFactory;

export { AirflowScheduler } from './airflow-scheduler';
export { AirflowClient, type AirflowClientOptions, type AirflowDag, type AirflowImportError } from './airflow-client';
export { airflowOptionsSchema, type AirflowOptions } from './airflow-options';
export { dagIdFor, readHandler, type AirflowHandler } from './airflow-handler';
export {
  SCHEDULE_TIME_TEMPLATE,
  renderDagFile,
  refreshBodyTemplate,
  dagSpecOf,
  type DagSpec,
  type DagRenderSettings,
} from './dag-file';
