import type { Knex } from 'knex';

/**
 * The source registry (DESIGN.md §10): sources (with the hash of their access token), their providers, the time
 * partitions providers register, and each partition's append-only LOCK / UNLOCK events. A partition keeps its
 * latest event's state beside it, and a source the longest partition it holds and a counter of partition changes,
 * so that a readiness check reads only the partitions near its interval and a cached answer knows when it is stale.
 * Instants are ISO-8601 UTC text of one width (`2026-01-31T12:00:00.000Z`), so that they order as text.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('registry_sources', (t) => {
    t.string('name', 255).primary();
    t.string('owner', 255).notNullable();
    t.string('catalog_name', 128);
    t.string('table_name', 255);
    t.string('time_zone', 64).notNullable();
    t.string('token_hash', 128).notNullable();
    /** `registered` (by a user) or `dynamic` (a dynamic table publishing its windows). */
    t.string('kind', 16).notNullable();
    t.text('options');
    t.bigInteger('max_span_ms').notNullable().defaultTo(0);
    t.bigInteger('change_count').notNullable().defaultTo(0);
    t.string('created_at', 32).notNullable();
    // Providers of the registry Freshet grew from name a source by its token alone.
    t.index(['token_hash'], 'registry_sources_token_idx');
  });
  await knex.schema.createTable('registry_providers', (t) => {
    t.string('source_name', 255).notNullable();
    t.string('name', 255).notNullable();
    t.string('created_at', 32).notNullable();
    t.primary(['source_name', 'name']);
  });
  await knex.schema.createTable('registry_partitions', (t) => {
    t.increments('id');
    t.string('source_name', 255).notNullable();
    t.string('provider', 255).notNullable();
    t.string('start_at', 32).notNullable();
    t.string('end_at', 32).notNullable();
    /** `REGISTERED` (no event yet), `LOCKED` or `READY` (the latest event was UNLOCK). */
    t.string('state', 16).notNullable();
    t.string('state_since', 32).notNullable();
    t.string('created_at', 32).notNullable();
    t.unique(['source_name', 'provider', 'start_at', 'end_at'], { indexName: 'registry_partitions_key' });
    t.index(['source_name', 'start_at'], 'registry_partitions_start_idx');
  });
  await knex.schema.createTable('registry_events', (t) => {
    t.increments('id');
    t.integer('partition_id').notNullable();
    t.string('source_name', 255).notNullable();
    t.string('event', 8).notNullable();
    t.string('at', 32).notNullable();
    t.index(['partition_id', 'id'], 'registry_events_partition_idx');
    t.index(['source_name', 'id'], 'registry_events_source_idx');
  });
}

export async function down(knex: Knex): Promise<void> {
  for (const table of ['registry_events', 'registry_partitions', 'registry_providers', 'registry_sources']) {
    await knex.schema.dropTableIfExists(table);
  }
}
