import type { Knex } from 'knex';

/**
 * Why a table is suspended, when Freshet rather than a user suspended it (`SUSPENDED_DUE_TO_ERRORS` after too
 * many failed refreshes in a row); NULL for active tables and for a user's ALTER … SUSPEND.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('dynamic_tables', (t) => {
    t.text('suspended_reason');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('dynamic_tables', (t) => {
    t.dropColumn('suspended_reason');
  });
}
