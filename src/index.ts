/**
 * Freshet's public API for code outside the gateway: scheduler plugin authors (everything in the plugin API),
 * and programs that embed a gateway.
 */
export * from './plugin-api';
export type { Engine, EngineCapabilities } from './engine/engine';
export { ConfigError, loadConfig, type FreshetConfig, type ConfigInput } from './config/config';
export { loadGatewayConfig, startGateway, type Gateway } from './gateway';
