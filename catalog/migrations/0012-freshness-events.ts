import type { Knex } from 'knex';

/**
 * The freshness monitor's transitions (DESIGN.md §12): each time a dynamic table's freshness state changes
 * (`FRESH`, `WARN`, `STALE`, `UNKNOWN`, `PAUSED`), one row with the lag, the target and the cause as JSON. A
 * table's newest row is its current state and since when it has held.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('freshness_events', (t) => {
    t.increments('id');
    t.string('table_key', 255).notNullable();
    t.string('identifier', 255).notNullable();
    t.string('state', 16).notNullable();
    t.string('previous_state', 16);
    t.bigInteger('lag_seconds');
    t.bigInteger('target_lag_seconds').notNullable();
    t.string('valid_through', 32);
    t.string('cause_kind', 64);
    t.text('cause');
    t.string('at', 32).notNullable();
    t.index(['table_key', 'id'], 'freshness_events_table_idx');
    t.index(['at'], 'freshness_events_at_idx');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('freshness_events');
}
