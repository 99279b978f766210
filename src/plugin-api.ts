/**
 * What a plugin may use of Freshet: the WorkflowScheduler and Discoverer extension points, the error catalogue,
 * time zone checks, an HTTP helper and the conformance suites. The plugins shipped with Freshet import this module;
 * `src/index.ts` (the package `freshet`) re-exports it for third-party plugins.
 *
 * Nothing imported from here may load a plugin: the gateway registers the built-in plugins, and they import this
 * module, so anything here that reached the gateway would make an import cycle.
 */
export type {
  CallbackTarget,
  CreateRefreshWorkflowRequest,
  ListedWorkflow,
  PluginStateStore,
  RefreshHandler,
  RefreshSchedule,
  ScheduledRefresh,
  SchedulerContext,
  SchedulerLeadership,
  SchedulerLogger,
  WorkflowInspection,
  WorkflowModification,
  WorkflowScheduler,
  WorkflowSchedulerFactory,
} from './scheduler/workflow-scheduler';
export type { Freshness, FreshnessUnit } from './model';
export {
  FreshetError,
  isFreshetError,
  messageOf,
  schedulerError,
  validationError,
  type ErrorCode,
  type ErrorOptions,
} from './errors';
export { isValidTimeZone } from './freshness/schedule-time';
export {
  httpRequest,
  HttpUnreachableError,
  jsonOrText,
  type HttpAnswer,
  type HttpFailureKind,
  type HttpRequest,
} from './http-request';
export {
  CONFORMANCE_RESCHEDULE,
  CONFORMANCE_SCHEDULE,
  conformanceRequest,
  runSchedulerConformance,
  type ConformanceHarness,
} from './scheduler/conformance';
export { MemoryStateStore } from './scheduler/memory-state-store';
export type {
  CatalogAccess,
  CatalogTable,
  DatasetColumn,
  DatasetKind,
  DatasetMetadata,
  Discoverer,
  DiscovererContext,
  DiscovererFactory,
  DiscovererLogger,
  DiscoveryQuery,
  FileFormat,
  Materialize,
  Publish,
} from './discovery/discoverer';
export {
  recordingPublish,
  runDiscovererConformance,
  type DiscovererConformanceHarness,
  type PublishedForTest,
} from './discovery/conformance';
