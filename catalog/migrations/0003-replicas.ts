import type { Knex } from 'knex';

/**
 * Several gateways on one catalog: each refresh job records the gateway (replica) that runs it and until when
 * its lease holds, so that another gateway can take the job over when that one stops; `leases` holds named
 * leases (`scheduler-leader`, and one per table being refreshed) with their holder and expiry.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('refresh_jobs', (t) => {
    t.string('owner', 128);
    // ISO-8601 UTC, so that string order is time order on every catalog database.
    t.string('lease_until', 32);
    // False for jobs another gateway cannot run again from the catalog alone (ALTER … AS rebuilds).
    t.boolean('resumable').notNullable().defaultTo(true);
  });
  await knex.schema.createTable('leases', (t) => {
    t.string('name', 300).primary();
    t.string('owner', 128).notNullable();
    t.string('lease_until', 32).notNullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('leases');
  await knex.schema.alterTable('refresh_jobs', (t) => {
    t.dropColumn('resumable');
    t.dropColumn('lease_until');
    t.dropColumn('owner');
  });
}
