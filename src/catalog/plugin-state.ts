/** The small key-value stores the gateway keeps for its plugins, one per scope (a plugin's identifier). */
import type { Knex } from 'knex';
import type { PluginStateStore } from '../model';
import { json, str, type Row } from './row-mapping';

/** Reads and writes `plugin_state`, one {@link PluginStateStore} per scope. */
export class PluginStates {
  constructor(private readonly db: Knex) {}

  /** The store of one scope; values are kept as JSON. */
  store(scope: string): PluginStateStore {
    const db = this.db;
    return {
      async get(key) {
        const row = (await db('plugin_state').where({ scope, state_key: key }).first()) as Row | undefined;
        return row ? JSON.parse(str(row.state_value)) : undefined;
      },
      async put(key, value) {
        await db('plugin_state')
          .insert({ scope, state_key: key, state_value: json(value) })
          .onConflict(['scope', 'state_key'])
          .merge(['state_value']);
      },
      async delete(key) {
        await db('plugin_state').where({ scope, state_key: key }).delete();
      },
      async list() {
        const rows = (await db('plugin_state').where({ scope }).orderBy('state_key')) as Row[];
        return rows.map((row) => ({ key: str(row.state_key), value: JSON.parse(str(row.state_value)) as unknown }));
      },
    };
  }
}
