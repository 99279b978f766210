/**
 * Freshet's public API for code outside the gateway: scheduler plugin authors (everything in the plugin API),
 * engine authors (the Engine contract and its conformance suite), and programs that embed a gateway.
 */
export * from './plugin-api';
export type {
  ContinuousJobRunner,
  ContinuousJobSpec,
  Engine,
  EngineCapabilities,
  EngineFactory,
  EngineFactoryOptions,
  IncrementalMaintenance,
  RowStreaming,
  TypeTranslation,
} from './engine/engine';
export {
  runEngineConformance,
  type EngineConformanceHarness,
  type EngineConformancePart,
  type EngineUnderTest,
} from './engine/conformance';
export { MissingTableError } from './errors';
export { ConfigError, loadConfig, type FreshetConfig, type ConfigInput } from './config/config';
export { loadGatewayConfig, startGateway, type Gateway } from './gateway';
