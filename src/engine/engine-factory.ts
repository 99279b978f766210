/** Kept for existing imports: engines are created through the registry (`registry.ts`). */
export type { EngineFactoryOptions } from './engine';
export { ENGINE_URL_FORMS, createEngine } from './registry';
