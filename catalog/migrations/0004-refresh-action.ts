import type { Knex } from 'knex';

/**
 * What each refresh did (`FULL`, `INCREMENTAL`, `NO_DATA`) and, for a table maintained incrementally that was
 * refreshed fully, why. Both stay null for rows written before this migration and for refreshes that have not
 * finished: an older row cannot say which it was.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('refresh_history', (t) => {
    t.string('action', 16);
    t.text('action_detail');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('refresh_history', (t) => {
    t.dropColumn('action_detail');
    t.dropColumn('action');
  });
}
