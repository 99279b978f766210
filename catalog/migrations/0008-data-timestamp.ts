import type { Knex } from 'knex';

/**
 * The data timestamp of each successful refresh: all source data up to it is in the table (its schedule time, or
 * an earlier data timestamp of an upstream dynamic table it read). A table's valid-through is the newest one.
 * Rows recorded before this migration took their schedule time as valid-through, so they keep it.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('refresh_history', (t) => {
    t.string('data_timestamp', 32);
  });
  await knex('refresh_history')
    .where({ state: 'SUCCEEDED' })
    .update({ data_timestamp: knex.ref('schedule_time') });
  await knex.schema.alterTable('refresh_history', (t) => {
    t.index(['table_key', 'data_timestamp'], 'refresh_history_data_timestamp_idx');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('refresh_history', (t) => {
    t.dropIndex(['table_key', 'data_timestamp'], 'refresh_history_data_timestamp_idx');
    t.dropColumn('data_timestamp');
  });
}
