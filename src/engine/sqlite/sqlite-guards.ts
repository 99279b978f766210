/**
 * Publish guards on SQLite (worker side; DESIGN.md §12). A guarded refresh judges its rows inside its own write
 * transaction, after the INSERT: `DROP ROW` expectations delete what breaks them, one audit query measures the
 * rest when a guard needs more than the statements' row counts, and a blocked result rolls the transaction back.
 * The blocked result is then written again, in a transaction of its own, into a staged table
 * (`__freshet_staged_<table>_<hash>`, hidden like the engine's other tables) that an operator publishes or discards.
 */
import { createHash, randomUUID } from 'node:crypto';
import type { Database } from 'better-sqlite3';
import { FreshetError, validationError } from '../../errors';
import type { RefreshOutcome, RefreshSpec, TableRef } from '../engine';
import type { GuardReport, PublishGuards } from '../publish-guards';
import { judgeWritten } from './sqlite-guard-audit';
import { forgetIncremental } from './sqlite-incremental';
import { describeTable, tableExists } from './sqlite-introspection';
import { recordRefresh } from './sqlite-ledger';
import { INTERNAL_TABLE_PREFIX, createTableSql, qualifiedName, quoteIdentifier, refreshPlan } from './sqlite-sql';

const STAGED_PREFIX = `${INTERNAL_TABLE_PREFIX}_staged_`;
const HASH_LENGTH = 12;

/** Where a refresh's rows were written: a table, and the partition filter (with its values) they lie within. */
export interface WrittenRows {
  readonly into: TableRef;
  readonly filter: string | null;
  readonly params: readonly string[];
}

/** Thrown inside a write transaction to roll it back: the guards blocked its result. */
export class BlockedResult extends Error {
  constructor(readonly report: GuardReport) {
    super('blocked by a publish guard');
  }
}

/**
 * Inside the write's transaction, after its INSERT: removes the rows `DROP ROW` expectations refuse, measures the
 * result (one audit pass, only when a guard needs it) and judges it. `rowsBefore` is what the table (or partition)
 * held, `rowsWritten` what the INSERT wrote: with the default guard nothing else is read.
 */
export function judgeWrite(
  db: Database,
  guards: PublishGuards,
  written: WrittenRows,
  counts: { readonly rowsBefore: number; readonly rowsWritten: number },
): GuardReport {
  const rows = { table: qualifiedName(written.into), where: written.filter, params: written.params };
  return judgeWritten(db, guards, rows, counts);
}

/** The staged table of a refresh's blocked result: one per refresh (its ledger id), never two alike. */
export function stagedTableOf(table: TableRef, refreshId: string | undefined): TableRef {
  const hash = createHash('sha256')
    .update(refreshId ?? randomUUID())
    .digest('hex')
    .slice(0, HASH_LENGTH);
  return { database: table.database, name: `${STAGED_PREFIX}${table.name}_${hash}` };
}

/** Whether `name` is one of the staged tables of `table`, by its exact shape (a prefix alone would match `t_2`'s). */
function isStagedOf(table: TableRef, name: string): boolean {
  const own = `${STAGED_PREFIX}${table.name}_`;
  const hash = name.slice(own.length);
  return name.startsWith(own) && hash.length === HASH_LENGTH && /^[0-9a-f]+$/.test(hash);
}

/** The staged tables kept for one table. */
function stagedTablesOf(db: Database, table: TableRef): TableRef[] {
  const rows = db
    .prepare(`SELECT name FROM main.sqlite_schema WHERE type = 'table' AND substr(name, 1, ?) = ?`)
    .all(STAGED_PREFIX.length, STAGED_PREFIX) as { name: string }[];
  return rows.filter((row) => isStagedOf(table, row.name)).map((row) => ({ database: table.database, name: row.name }));
}

/**
 * After the refresh's transaction rolled back: writes its result into a staged table in a transaction of its own
 * and judges it again (the sources may have moved on meanwhile). Still blocked: the outcome names the staged
 * table and reports the staged rows' measures. Passing now: it is published at once.
 */
export function stageBlocked(db: Database, spec: RefreshSpec, guards: PublishGuards): RefreshOutcome {
  const staged = stagedTableOf(spec.table, spec.refreshId);
  const target = refreshPlan(spec);
  const plan = refreshPlan(spec, staged, true);
  const stage = db.transaction((): GuardReport => {
    const description = describeTable(db, spec.table);
    if (description === null) throw validationError(`Table ${qualifiedName(spec.table)} does not exist.`);
    const columns = description.columns.map((column) => ({ ...column, nullable: true }));
    db.prepare(`DROP TABLE IF EXISTS ${qualifiedName(staged)}`).run();
    db.prepare(createTableSql({ table: staged, columns, primaryKey: null })).run();
    const rowsWritten = db.prepare(plan.insertSql).run(...plan.params).changes;
    const where = target.targetFilter === null ? '' : ` WHERE ${target.targetFilter}`;
    const before = db.prepare(`SELECT count(*) AS n FROM ${qualifiedName(spec.table)}${where}`).get(...target.params);
    const rowsBefore = (before as { n: number }).n;
    return judgeWrite(db, guards, { into: staged, filter: null, params: [] }, { rowsBefore, rowsWritten });
  });
  const report = stage.immediate();
  if (!report.blocked) return { ...publishStaged(db, spec, staged.name), guards: report };
  return { rowsWritten: 0, rowsDeleted: 0, guards: report, staged: staged.name };
}

/** Refuses a name that is not one of this engine's staged tables: it is about to be read, or dropped. */
function stagedTable(table: TableRef, name: string): TableRef {
  if (!isStagedOf(table, name)) {
    throw validationError(`'${name}' is not a staged result of ${qualifiedName(table)}.`);
  }
  return { database: table.database, name };
}

/**
 * Replaces the table's rows (or the partition's) by a staged result in one transaction, recorded in the ledger
 * under `spec.refreshId`, and drops the staged table. INVALID_STATE when it is gone.
 */
export function publishStaged(db: Database, spec: RefreshSpec, name: string): RefreshOutcome {
  const staged = stagedTable(spec.table, name);
  if (!tableExists(db, staged)) {
    throw new FreshetError(
      'INVALID_STATE',
      `The blocked result of ${qualifiedName(spec.table)} is gone (${name}): it was published or discarded already; refresh the table instead.`,
    );
  }
  const plan = refreshPlan(spec);
  const columns = spec.columns.map((mapping) => quoteIdentifier(mapping.target)).join(', ');
  const where = plan.targetFilter === null ? '' : ` WHERE ${plan.targetFilter}`;
  const publish = db.transaction((): RefreshOutcome => {
    forgetIncremental(db, spec.table);
    const rowsDeleted = db.prepare(`DELETE FROM ${qualifiedName(spec.table)}${where}`).run(...plan.params).changes;
    const rowsWritten = db
      .prepare(`INSERT INTO ${qualifiedName(spec.table)} (${columns}) SELECT ${columns} FROM ${qualifiedName(staged)}`)
      .run().changes;
    db.prepare(`DROP TABLE ${qualifiedName(staged)}`).run();
    return recordRefresh(db, spec.table, spec.refreshId, { rowsWritten, rowsDeleted });
  });
  return publish.immediate();
}

/** Drops a staged result; one already gone is a success. */
export function discardStaged(db: Database, table: TableRef, name: string): null {
  db.prepare(`DROP TABLE IF EXISTS ${qualifiedName(stagedTable(table, name))}`).run();
  return null;
}

/** Inside the caller's transaction: drops every staged result of a table being dropped. */
export function dropStagedOf(db: Database, table: TableRef): void {
  for (const staged of stagedTablesOf(db, table)) db.prepare(`DROP TABLE ${qualifiedName(staged)}`).run();
}
