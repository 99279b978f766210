import type { Knex } from 'knex';

/**
 * Discovery (DESIGN.md §11): the datasets discoverers published, each dataset's profiles as a time series, and the
 * errors discoverers and the profiler met (the latest one per discoverer, dataset and stage, with how often it
 * happened). JSON columns hold what is only shown, never filtered on in SQL; the search keeps its own index.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('datasets', (t) => {
    t.string('id', 255).primary();
    t.string('discoverer', 64).notNullable();
    t.string('local_id', 255).notNullable();
    /** `source`, `dynamic_table` or `file`. */
    t.string('kind', 16).notNullable();
    t.string('name', 255).notNullable();
    /** Where the rows are (a table of a catalog, a file), as JSON. */
    t.text('materialize', 'mediumtext').notNullable();
    /** What the discoverer said of it (description, columns, keywords, query), as JSON. */
    t.text('metadata', 'mediumtext').notNullable();
    t.bigInteger('row_count');
    /** The discoverer's `updatedAt`, compared with `profiled_version` to decide whether to profile again. */
    t.string('updated_at', 64);
    /** `discover` (removed when a later run no longer publishes it) or `query` (published for a search). */
    t.string('origin', 16).notNullable();
    /** `pending`, `profiled`, `empty`, `too_big`, `error` or `unprofilable`. */
    t.string('status', 16).notNullable();
    t.string('profiled_version', 64);
    /** The newest profile's summary (row count, per column semantic types, temporal coverage), as JSON. */
    t.text('summary', 'mediumtext');
    t.string('first_seen', 32).notNullable();
    t.string('last_seen', 32).notNullable();
    t.string('changed_at', 32).notNullable();
    t.index(['discoverer'], 'datasets_discoverer_idx');
  });
  await knex.schema.createTable('dataset_profiles', (t) => {
    t.increments('id');
    t.string('dataset_id', 255).notNullable();
    t.string('profiled_at', 32).notNullable();
    t.bigInteger('row_count').notNullable();
    t.bigInteger('profiled_rows').notNullable();
    t.boolean('sampled').notNullable();
    t.integer('duration_ms').notNullable();
    /** What asked for it: `discovery`, `refresh` or `request`. */
    t.string('trigger', 16).notNullable();
    t.text('profile', 'mediumtext').notNullable();
    t.index(['dataset_id', 'id'], 'dataset_profiles_dataset_idx');
  });
  await knex.schema.createTable('discovery_errors', (t) => {
    t.increments('id');
    t.string('discoverer', 64).notNullable();
    /** '' for an error of a whole run. */
    t.string('dataset_id', 255).notNullable();
    /** `discover`, `query`, `publish`, `profile` or `materialize`. */
    t.string('stage', 16).notNullable();
    t.text('message').notNullable();
    t.string('code', 32);
    t.integer('occurrences').notNullable();
    t.string('first_at', 32).notNullable();
    t.string('at', 32).notNullable();
    t.unique(['discoverer', 'dataset_id', 'stage'], { indexName: 'discovery_errors_key' });
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('discovery_errors');
  await knex.schema.dropTableIfExists('dataset_profiles');
  await knex.schema.dropTableIfExists('datasets');
}
