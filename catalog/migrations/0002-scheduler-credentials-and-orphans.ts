import type { Knex } from 'knex';

/**
 * Callback tokens minted for scheduler workflows (only their hashes are kept), and workflows left behind by a
 * CREATE that failed half-way, to be deleted once the scheduler answers again.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('callback_tokens', (t) => {
    t.string('token_hash', 64).primary();
    t.string('table_key', 255).notNullable();
    t.string('created_at', 32).notNullable();
    t.index(['table_key']);
  });
  await knex.schema.createTable('scheduler_orphans', (t) => {
    t.increments('id');
    t.string('scheduler_type', 64).notNullable();
    t.string('table_identifier', 255).notNullable();
    t.text('handler').notNullable();
    t.text('reason');
    t.string('created_at', 32).notNullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('scheduler_orphans');
  await knex.schema.dropTableIfExists('callback_tokens');
}
