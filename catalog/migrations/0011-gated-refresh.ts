import type { Knex } from 'knex';

/**
 * Gated refreshes (DESIGN.md §10): what a `WAITING` refresh waits for (the sources not ready for its window, with
 * their gaps and locks, as JSON), and a code for why a refresh ended without running (`NOT_READY`).
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('refresh_history', (t) => {
    t.text('waiting_on');
    t.string('error_code', 32);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('refresh_history', (t) => {
    t.dropColumn('error_code');
    t.dropColumn('waiting_on');
  });
}
