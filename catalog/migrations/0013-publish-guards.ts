import type { Knex } from 'knex';

/**
 * Publish guards (DESIGN.md §12): a dynamic table's row expectations (`CONSTRAINT … EXPECT …`, as JSON), and on
 * each refresh the guards' report (JSON), the name under which the engine keeps a blocked result, and what an
 * operator decided about it (`PUBLISHED` or `DISCARDED`), by whom and when.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('dynamic_tables', (t) => {
    t.text('expectations', 'longtext');
  });
  await knex.schema.alterTable('refresh_history', (t) => {
    t.text('guard_report', 'longtext');
    t.string('staged_result', 255);
    t.string('resolution', 16);
    t.string('resolved_by', 255);
    t.string('resolved_at', 32);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('refresh_history', (t) => {
    t.dropColumn('resolved_at');
    t.dropColumn('resolved_by');
    t.dropColumn('resolution');
    t.dropColumn('staged_result');
    t.dropColumn('guard_report');
  });
  await knex.schema.alterTable('dynamic_tables', (t) => {
    t.dropColumn('expectations');
  });
}
