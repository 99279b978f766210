/**
 * Freshet's public API for code outside the gateway: scheduler plugin authors, and programs that embed a gateway.
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
  SchedulerLogger,
  WorkflowInspection,
  WorkflowModification,
  WorkflowScheduler,
  WorkflowSchedulerFactory,
} from './scheduler/workflow-scheduler';
export { runSchedulerConformance, conformanceRequest, type ConformanceHarness } from './scheduler/conformance';
export {
  runEngineConformance,
  type EngineConformanceHarness,
  type EngineConformancePart,
  type EngineUnderTest,
} from './engine/conformance';
export { MemoryStateStore } from './scheduler/memory-state-store';
export { FreshetError, schedulerError, validationError, type ErrorCode } from './errors';
export type { Freshness, FreshnessUnit } from './sql/statements';
export type { Engine, EngineCapabilities } from './engine/engine';
export { loadConfig, type FreshetConfig, type ConfigInput } from './config/config';
export { startGateway, type Gateway } from './gateway';
