import type { Knex } from 'knex';

/**
 * The engine job that keeps a CONTINUOUS table fresh (a streaming engine's job) gets its own column. It used to
 * be kept in `refresh_handler` as `{"continuousJob": …}`, where a scheduler's workflow handler belongs; such
 * values move to `continuous_job`, leaving `refresh_handler` NULL. Rows are moved in JavaScript because the
 * three catalog databases share no JSON functions.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('dynamic_tables', (t) => {
    t.text('continuous_job');
  });
  const rows = (await knex('dynamic_tables')
    .whereNotNull('refresh_handler')
    .andWhere('refresh_handler', 'like', '%continuousJob%')
    .select('table_key', 'refresh_handler')) as Array<{ table_key: string; refresh_handler: string }>;
  for (const row of rows) {
    const job = continuousJobIn(row.refresh_handler);
    if (job === undefined) continue;
    await knex('dynamic_tables')
      .where({ table_key: row.table_key })
      .update({ continuous_job: JSON.stringify(job), refresh_handler: null });
  }
}

export async function down(knex: Knex): Promise<void> {
  const rows = (await knex('dynamic_tables')
    .whereNotNull('continuous_job')
    .select('table_key', 'continuous_job')) as Array<{ table_key: string; continuous_job: string }>;
  for (const row of rows) {
    const handler = JSON.stringify({ continuousJob: JSON.parse(row.continuous_job) as unknown });
    await knex('dynamic_tables').where({ table_key: row.table_key }).update({ refresh_handler: handler });
  }
  await knex.schema.alterTable('dynamic_tables', (t) => {
    t.dropColumn('continuous_job');
  });
}

/** The job of a handler that is exactly `{"continuousJob": {…}}`; undefined for a scheduler's handler. */
function continuousJobIn(handler: string): unknown {
  let parsed: unknown;
  try {
    parsed = JSON.parse(handler);
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return undefined;
  const keys = Object.keys(parsed);
  const job = (parsed as { continuousJob?: unknown }).continuousJob;
  return keys.length === 1 && typeof job === 'object' && job !== null ? job : undefined;
}
