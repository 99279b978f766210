/** The callback tokens minted for scheduler workflows; only their hashes are kept. */
import type { Knex } from 'knex';
import { str, type Row } from './row-mapping';

/** Reads and writes `callback_tokens`. */
export class CallbackTokenStore {
  constructor(private readonly db: Knex) {}

  async insert(tokenHash: string, tableKey: string, at: string): Promise<void> {
    await this.db('callback_tokens').insert({ token_hash: tokenHash, table_key: tableKey, created_at: at });
  }

  /** The table a callback token was minted for, or null. */
  async tableOf(tokenHash: string): Promise<string | null> {
    const row = (await this.db('callback_tokens').where({ token_hash: tokenHash }).first()) as Row | undefined;
    return row ? str(row.table_key) : null;
  }

  /** Deletes the table's tokens, but for the one whose hash is `keep`. */
  async deleteOf(tableKey: string, keep?: string): Promise<void> {
    let query = this.db('callback_tokens').where({ table_key: tableKey });
    if (keep !== undefined) query = query.whereNot({ token_hash: keep });
    await query.delete();
  }
}
