import type { Knex } from 'knex';

/** The catalog's first schema: dynamic tables, refresh jobs, refresh history and plugin state. */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('dynamic_tables', (t) => {
    t.string('table_key', 255).primary(); // lower-cased identifier: lookups are case-insensitive
    t.string('identifier', 255).notNullable();
    t.string('catalog_name', 128).notNullable();
    t.string('database_name', 128).notNullable();
    t.string('table_name', 128).notNullable();
    t.text('definition_query', 'longtext').notNullable();
    t.string('query_hash', 64).notNullable();
    t.text('create_statement', 'longtext').notNullable();
    t.integer('freshness_interval').notNullable();
    t.string('freshness_unit', 16).notNullable();
    t.string('logical_refresh_mode', 16).notNullable();
    t.string('refresh_mode', 16).notNullable();
    t.string('refresh_status', 16).notNullable();
    t.text('partition_keys').notNullable();
    t.text('options', 'longtext').notNullable();
    t.text('table_schema', 'longtext').notNullable();
    t.text('column_mapping', 'longtext').notNullable();
    t.text('primary_key');
    t.text('comment');
    t.text('source_tables').notNullable();
    t.string('scheduler_type', 64);
    t.string('cron', 64);
    t.text('refresh_handler');
    t.string('created_at', 32).notNullable();
    t.string('updated_at', 32).notNullable();
  });
  await knex.schema.createTable('refresh_jobs', (t) => {
    t.string('job_id', 64).primary();
    t.string('dedupe_key', 255);
    t.integer('attempt').notNullable();
    t.string('trigger_kind', 16).notNullable();
    t.string('status', 16).notNullable();
    t.text('tables').notNullable();
    t.string('schedule_time', 32).notNullable();
    t.boolean('is_periodic').notNullable();
    t.text('configuration').notNullable();
    t.text('static_partitions');
    t.text('cluster_info').notNullable();
    t.text('error');
    t.string('created_at', 32).notNullable();
    t.string('started_at', 32);
    t.string('finished_at', 32);
    t.unique(['dedupe_key', 'attempt']);
    t.index(['status']);
  });
  await knex.schema.createTable('refresh_history', (t) => {
    t.increments('id');
    t.string('job_id', 64).notNullable();
    t.string('table_key', 255).notNullable();
    t.string('identifier', 255).notNullable();
    t.string('trigger_kind', 16).notNullable();
    t.string('schedule_time', 32).notNullable();
    t.text('partition_spec');
    t.string('state', 16).notNullable();
    t.bigInteger('rows_written');
    t.bigInteger('rows_deleted');
    t.string('started_at', 32);
    t.string('finished_at', 32);
    t.text('error');
    t.index(['table_key', 'id']);
    t.index(['job_id']);
  });
  await knex.schema.createTable('plugin_state', (t) => {
    t.string('scope', 64).notNullable();
    t.string('state_key', 255).notNullable();
    t.text('state_value', 'longtext').notNullable();
    t.primary(['scope', 'state_key']);
  });
}

export async function down(knex: Knex): Promise<void> {
  for (const table of ['plugin_state', 'refresh_history', 'refresh_jobs', 'dynamic_tables']) {
    await knex.schema.dropTableIfExists(table);
  }
}
