/**
 * The refresh ledger on PostgreSQL: `<schema>.__freshet_refreshes` holds, per dynamic table, the id and outcome
 * of the latest refresh that committed. Every refresh writes its row inside its own transaction, so the row
 * exists exactly when the refresh's rows do; recovery reads it to tell a refresh that committed from one that
 * did not.
 */
import type { RefreshOutcome, TableRef } from '../engine';
import { LEDGER_COLUMNS, type LedgerRow, ledgerOutcome, ledgerValues } from '../ledger-row';
import type { PgPool, PgPoolClient } from './postgres-driver';
import { sql, tableKey } from './postgres-incremental-state';
import { run } from './postgres-pool';
import { INTERNAL_TABLE_PREFIX, quoteIdentifier } from './postgres-sql';

const LEDGER_NAME = `${INTERNAL_TABLE_PREFIX}_refreshes`;
const ledgerOf = (schema: string) => `${quoteIdentifier(schema)}.${quoteIdentifier(LEDGER_NAME)}`;
const UNIQUE_VIOLATION = '23505';

async function ledgerExists(db: PgPool | PgPoolClient, schema: string): Promise<boolean> {
  const found = await run<{ found: string | null }>(db, sql('SELECT to_regclass($1)::text AS found'), [
    ledgerOf(schema),
  ]);
  return found.rows[0]?.found != null;
}

/**
 * Creates the ledger when it is missing, in a statement of its own before a refresh's transaction: two first
 * refreshes creating it at once must not fail one another (the loser of that race finds it made).
 */
export async function ensureLedger(pool: PgPool, schema: string, refreshId: string | undefined): Promise<void> {
  if (refreshId === undefined || (await ledgerExists(pool, schema))) return;
  const columns =
    'dynamic_table text PRIMARY KEY, refresh_id text NOT NULL, rows_written bigint NOT NULL, ' +
    'rows_deleted bigint NOT NULL, action text, action_detail text';
  try {
    await run(pool, sql(`CREATE TABLE IF NOT EXISTS ${ledgerOf(schema)} (${columns})`));
  } catch (error) {
    const code = (error as { cause?: { code?: unknown } }).cause?.code;
    if (code !== UNIQUE_VIOLATION || !(await ledgerExists(pool, schema))) throw error;
  }
}

/**
 * Inside the refresh's transaction (after {@link ensureLedger}): records `outcome` as the table's latest
 * committed refresh, replacing the one before. A refresh without an id records nothing.
 */
export async function recordRefresh(
  client: PgPoolClient,
  table: TableRef,
  schema: string,
  refreshId: string | undefined,
  outcome: RefreshOutcome,
): Promise<RefreshOutcome> {
  if (refreshId === undefined) return outcome;
  await run(
    client,
    sql(
      `INSERT INTO ${ledgerOf(schema)} AS l (${LEDGER_COLUMNS}) ` +
        'VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (dynamic_table) DO UPDATE SET ' +
        'refresh_id = EXCLUDED.refresh_id, rows_written = EXCLUDED.rows_written, ' +
        'rows_deleted = EXCLUDED.rows_deleted, action = EXCLUDED.action, action_detail = EXCLUDED.action_detail',
    ),
    ledgerValues(tableKey(table, schema), refreshId, outcome),
  );
  return outcome;
}

/** Inside the caller's transaction: forgets a dropped table's ledger row. */
export async function forgetRefreshes(client: PgPoolClient, table: TableRef, schema: string): Promise<void> {
  if (!(await ledgerExists(client, schema))) return;
  await run(client, sql(`DELETE FROM ${ledgerOf(schema)} WHERE dynamic_table = $1`), [tableKey(table, schema)]);
}

/** The outcome recorded for `refreshId` when it is the table's latest committed refresh, else null. */
export async function committedRefresh(
  pool: PgPool,
  table: TableRef,
  refreshId: string,
  schema: string,
): Promise<RefreshOutcome | null> {
  if (!(await ledgerExists(pool, schema))) return null;
  const select = sql(
    `SELECT refresh_id, rows_written, rows_deleted, action, action_detail FROM ${ledgerOf(schema)} ` +
      'WHERE dynamic_table = $1',
  );
  return ledgerOutcome((await run<LedgerRow>(pool, select, [tableKey(table, schema)])).rows[0], refreshId);
}
