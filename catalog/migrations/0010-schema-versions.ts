import type { Knex } from 'knex';

/**
 * Reflection (DESIGN.md §10): `schema_versions` keeps every version of the columns of a table Freshet reflects (a
 * dynamic table, or a table dynamic tables read) with its diff and what it did to the dynamic tables reading it;
 * `reflected_tables` keeps each such table's current state: the fingerprint last read, whether it is missing, and
 * the schema drift recorded against it as a reader.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('schema_versions', (t) => {
    t.increments('id');
    t.string('table_key', 255).notNullable();
    t.string('identifier', 255).notNullable();
    t.string('table_kind', 16).notNullable();
    t.integer('major').notNullable();
    t.integer('minor').notNullable();
    t.text('columns', 'longtext').notNullable();
    t.text('diff', 'longtext');
    t.string('fingerprint', 64).notNullable();
    t.text('impacts', 'longtext').notNullable();
    t.string('created_at', 32).notNullable();
    t.unique(['table_key', 'major', 'minor']);
    t.index(['table_key', 'id']);
  });
  await knex.schema.createTable('reflected_tables', (t) => {
    t.string('table_key', 255).primary();
    t.string('identifier', 255).notNullable();
    t.string('table_kind', 16).notNullable();
    // Null until the table has been read once (a reader whose drift was recorded before it was reflected).
    t.string('fingerprint', 64);
    t.string('missing_since', 32);
    t.string('checked_at', 32).notNullable();
    t.text('drift', 'longtext').notNullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('reflected_tables');
  await knex.schema.dropTableIfExists('schema_versions');
}
