import type { PluginStateStore } from './workflow-scheduler';

/**
 * A {@link PluginStateStore} held in memory: for tests, and for plugin authors who want to run their plugin
 * without a gateway. Values go through JSON on the way in and out, as they do in the catalog-backed store, so
 * a plugin that stores something JSON cannot represent (a `Date`, a `Map`) fails here the same way, and no
 * caller can change a stored value by mutating an object it passed in or got back.
 */
export class MemoryStateStore implements PluginStateStore {
  readonly #entries = new Map<string, string>();

  async get(key: string): Promise<unknown> {
    const text = this.#entries.get(key);
    return text === undefined ? undefined : JSON.parse(text);
  }

  async put(key: string, value: unknown): Promise<void> {
    this.#entries.set(key, JSON.stringify(value) ?? 'null');
  }

  async delete(key: string): Promise<void> {
    this.#entries.delete(key);
  }

  async list(): Promise<ReadonlyArray<{ readonly key: string; readonly value: unknown }>> {
    return [...this.#entries].map(([key, text]) => ({ key, value: JSON.parse(text) }));
  }
}
