import type { Knex } from 'knex';

/**
 * Indexes for listing jobs newest first (`GET /v3/jobs`) and for the background pruning of the refresh history,
 * which looks rows up by age and each table's newest successful refresh.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('refresh_jobs', (t) => {
    t.index(['created_at'], 'refresh_jobs_created_at_idx');
  });
  await knex.schema.alterTable('refresh_history', (t) => {
    t.index(['finished_at'], 'refresh_history_finished_at_idx');
    t.index(['table_key', 'state', 'schedule_time'], 'refresh_history_table_state_idx');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('refresh_history', (t) => {
    t.dropIndex(['table_key', 'state', 'schedule_time'], 'refresh_history_table_state_idx');
    t.dropIndex(['finished_at'], 'refresh_history_finished_at_idx');
  });
  await knex.schema.alterTable('refresh_jobs', (t) => {
    t.dropIndex(['created_at'], 'refresh_jobs_created_at_idx');
  });
}
