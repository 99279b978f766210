/**
 * Pass-through statements (worker side): one statement the gateway does not own, run in its own transaction.
 *
 * Values come back JSON-ready: integers beyond ±(2^53 − 1) as decimal strings (exact, where a number would
 * silently round), BLOBs as upper-case hex (what SQLite's `hex()` prints; `X'<hex>'` writes it back).
 */
import type { Database, Statement } from 'better-sqlite3';
import { validationError } from '../../errors';
import type { StatementResult, TableRef } from '../engine';
import { acrossSchemaChange, changelogName } from './sqlite-change-capture';
import type { NeedsWriter } from './sqlite-protocol';

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);
const MIN_SAFE = BigInt(Number.MIN_SAFE_INTEGER);

function toJsonValue(value: unknown): unknown {
  if (typeof value === 'bigint') return value >= MIN_SAFE && value <= MAX_SAFE ? Number(value) : value.toString();
  if (Buffer.isBuffer(value)) return value.toString('hex').toUpperCase();
  return value;
}

function readRows(statement: Statement, rowLimit: number): StatementResult {
  statement.raw(true);
  statement.safeIntegers(true);
  const columns = statement.columns().map((column) => column.name);
  const rows: unknown[][] = [];
  let truncated = false;
  // Leaving the loop early resets the statement, so rows past the limit are never read.
  for (const row of statement.iterate() as IterableIterator<unknown[]>) {
    if (rows.length >= rowLimit) {
      truncated = true;
      break;
    }
    rows.push(row.map(toJsonValue));
  }
  return { kind: 'rows', columns, rows, truncated };
}

/**
 * Prepares `sql`, once more after reading the schema when it fails: SQLite compiles against the schema this
 * connection last read, and some errors against a stale copy (another connection dropped or added a column:
 * `table t has 3 columns but 2 values were supplied`) are not retried by SQLite itself. Running any statement on
 * `main` checks the schema cookie and reloads a stale schema.
 */
function prepareFresh(db: Database, sql: string): Statement {
  try {
    return db.prepare(sql);
  } catch {
    db.prepare('SELECT 1 FROM main.sqlite_schema LIMIT 1').get();
    return db.prepare(sql);
  }
}

/**
 * Runs one statement. With `readOnly`, a statement that would write is not run: the caller is told to send it
 * to the writer, so writes queue behind refreshes instead of waiting on SQLite's lock inside the reader.
 */
export function executeStatement(
  db: Database,
  sql: string,
  rowLimit: number,
  readOnly: boolean,
): StatementResult | NeedsWriter {
  const statement = prepareFresh(db, sql);
  if (readOnly && !statement.readonly) return { kind: 'needsWriter' };
  const result: StatementResult = statement.reader
    ? readRows(statement, rowLimit)
    : { kind: 'update', rowsAffected: statement.run().changes };
  // The connection is shared by every client, so a transaction must not outlive its statement.
  if (db.inTransaction) {
    db.exec('ROLLBACK');
    throw validationError(
      'SQLite: transaction control (BEGIN, SAVEPOINT, …) is not supported here; every statement runs in its own ' +
        'transaction.',
    );
  }
  return result;
}

/** A pass-through ALTER TABLE of `table`, through {@link acrossSchemaChange} when the table's changes are captured. */
export function alterSourceTable(db: Database, table: TableRef, sql: string): StatementResult {
  const captured =
    (table.database === null || table.database.toLowerCase() === 'main') &&
    db.prepare("SELECT 1 FROM main.sqlite_schema WHERE type = 'table' AND name = ?").get(changelogName(table.name)) !==
      undefined;
  if (!captured) return executeStatement(db, sql, 0, false) as StatementResult;
  return acrossSchemaChange(db, table.name, () => ({ kind: 'update', rowsAffected: db.prepare(sql).run().changes }));
}
