/**
 * Incremental refresh on SQLite (writer worker side). Everything one refresh does — reading the changes since
 * the table's watermark, changing the table, its group state and the watermark, pruning the changelog — is one
 * `BEGIN IMMEDIATE` transaction, so a killed process leaves the table and its watermark together at the old
 * point or together at the new one.
 *
 * Engine-side bookkeeping, all in `main`:
 * - `__freshet_watermarks`: per (dynamic table, source) the last change id the table has applied. Its rows
 *   are also the list of tables reading a source incrementally: capture is removed with the last of them.
 * - `__freshet_state_<table>` (GROUP BY and DISTINCT only): per group its row count and, per SUM / AVG /
 *   COUNT(column), the sum and the count of non-null inputs.
 * - `__freshet_ix_<table>` on the dynamic table: an index over the columns deltas are matched on (group keys,
 *   or the first columns of the row).
 *
 * Rows are matched with `IS`, which treats NULLs as equal and can use an index.
 */
import type { Database } from 'better-sqlite3';
import type { IncrementalRefreshSpec, RefreshOutcome, TableRef } from '../engine';
import { DROP_ROW_RECOMPUTES, type WrittenRows, withReport } from '../guard-audit';
import { droppingExpectations } from '../publish-guards';
import {
  GROUP_COUNT,
  IncrementalUnavailable,
  WEIGHT,
  bagDeltaSql,
  countColumn,
  deltaColumn,
  extremes,
  extremesSql,
  groupDeltaSql,
  keyColumn,
  keyCountOf,
  outputExpressions,
  stateSql,
  sumColumn,
  summed,
  targetKeys,
  type ChangeSetSql,
} from '../incremental-sql';
import { renderTemplate, type GroupedMaintenance } from '../../sql/incremental-plan';
import {
  captureMismatch,
  changelogName,
  currentChangeId,
  installCapture,
  pruneChanges,
  removeCapture,
} from './sqlite-change-capture';
import { judgeChanges, judgeWritten, tentatively } from './sqlite-guard-audit';
import { tableExists } from './sqlite-introspection';
import { recordRefresh } from './sqlite-ledger';
import { INTERNAL_TABLE_PREFIX, qualifiedName, quoteIdentifier, refreshPlan, schemaOf } from './sqlite-sql';

const WATERMARKS = `main.${quoteIdentifier(`${INTERNAL_TABLE_PREFIX}_watermarks`)}`;
const DELTA = `temp.${quoteIdentifier(`${INTERNAL_TABLE_PREFIX}_delta`)}`;
const GROUPS = `temp.${quoteIdentifier(`${INTERNAL_TABLE_PREFIX}_groups`)}`;
const EXTREMES = `temp.${quoteIdentifier(`${INTERNAL_TABLE_PREFIX}_extremes`)}`;
/** Most columns of a row the lookup index covers; the rest are compared row by row. */
const INDEXED_COLUMNS = 8;

const tableKey = (table: TableRef) => `${schemaOf(table)}.${table.name}`;
const stateOf = (table: TableRef): TableRef => ({
  database: table.database,
  name: `${INTERNAL_TABLE_PREFIX}_state_${table.name}`,
});
const indexName = (table: TableRef) =>
  `${quoteIdentifier(schemaOf(table))}.${quoteIdentifier(`${INTERNAL_TABLE_PREFIX}_ix_${table.name}`)}`;
const stateIndexName = (table: TableRef) =>
  `${quoteIdentifier(schemaOf(table))}.${quoteIdentifier(`${INTERNAL_TABLE_PREFIX}_ix_state_${table.name}`)}`;
const isMain = (table: TableRef) => table.database === null || table.database.toLowerCase() === 'main';
const capturable = (db: Database, table: TableRef) =>
  isMain(table) &&
  !table.name.startsWith(INTERNAL_TABLE_PREFIX) &&
  tableExists(db, { database: 'main', name: table.name });
const same = (left: string, right: string) => `${left} IS ${right}`;

interface Watermark {
  readonly source: string;
  readonly changeId: number;
}

function ensureWatermarks(db: Database): void {
  db.exec(
    `CREATE TABLE IF NOT EXISTS ${WATERMARKS} (dynamic_table TEXT NOT NULL, source TEXT NOT NULL, change_id ` +
      `INTEGER NOT NULL, PRIMARY KEY (dynamic_table, source)) WITHOUT ROWID`,
  );
}

function watermarksOf(db: Database, table: TableRef): Map<string, number> {
  const rows = db
    .prepare(`SELECT source, change_id AS changeId FROM ${WATERMARKS} WHERE dynamic_table = ?`)
    .all(tableKey(table)) as Watermark[];
  return new Map(rows.map((row) => [row.source, row.changeId]));
}

/** Deletes the changes every table reading `source` has applied. */
function prune(db: Database, source: string): void {
  const row = db.prepare(`SELECT MIN(change_id) AS low FROM ${WATERMARKS} WHERE source = ?`).get(source) as {
    low: number | null;
  };
  if (row.low !== null) pruneChanges(db, source, row.low);
}

/**
 * Inside the caller's transaction: forgets `table`'s watermarks and group state, so that its next incremental
 * refresh starts with a full one. Every refresh that writes the table another way calls this.
 */
export function forgetIncremental(db: Database, table: TableRef): string[] {
  if (!tableExists(db, { database: 'main', name: `${INTERNAL_TABLE_PREFIX}_watermarks` })) return [];
  const sources = [...watermarksOf(db, table).keys()];
  db.prepare(`DELETE FROM ${WATERMARKS} WHERE dynamic_table = ?`).run(tableKey(table));
  db.exec(`DROP TABLE IF EXISTS ${qualifiedName(stateOf(table))}`);
  return sources;
}

/**
 * Inside the caller's transaction: forgets `table`'s incremental state and removes capture from the sources no
 * other table reads incrementally (a dropped table's part of it).
 */
export function releaseWithin(db: Database, table: TableRef): void {
  const sources = forgetIncremental(db, table);
  if (tableExists(db, table)) db.exec(`DROP INDEX IF EXISTS ${indexName(table)}`);
  for (const source of sources) {
    const still = db.prepare(`SELECT 1 FROM ${WATERMARKS} WHERE source = ? LIMIT 1`).get(source);
    if (still === undefined) removeCapture(db, source);
  }
}

/** {@link releaseWithin} as a transaction of its own. */
export function releaseIncremental(db: Database, table: TableRef): null {
  db.transaction(() => releaseWithin(db, table)).immediate();
  return null;
}

/** Which output column of the query fills each target column, by name when the names are unique, else by position. */
function targetColumns(
  db: Database,
  spec: IncrementalRefreshSpec,
): { targets: string[]; positions: number[]; width: number } {
  const names = db
    .prepare(spec.query)
    .columns()
    .map((column) => column.name);
  const unique = new Set(names.map((n) => n.toLowerCase())).size === names.length;
  const positions = spec.columns.map((mapping, i) =>
    unique ? names.findIndex((n) => n.toLowerCase() === mapping.source.toLowerCase()) : i,
  );
  if (positions.some((p) => p < 0 || p >= names.length))
    throw new IncrementalUnavailable("the table's columns no longer match its query");
  return { targets: spec.columns.map((m) => m.target), positions, width: names.length };
}

/**
 * An incremental refresh, or a full one when the changes cannot be used; see the module comment. A failure of
 * the incremental path rolls back and is retried as a full refresh, whose own failure is the refresh's error.
 * With guards, the result is judged before COMMIT; a blocked one is rolled back (table, state and watermark
 * stay, the changes stay pending) and reported with `staged: null`. A table with DROP ROW expectations is
 * always recomputed.
 */
export function refreshIncremental(db: Database, spec: IncrementalRefreshSpec): RefreshOutcome {
  const { guards } = spec;
  const dropsRows = guards !== undefined && droppingExpectations(guards).length > 0;
  let detail = DROP_ROW_RECOMPUTES;
  if (!dropsRows) {
    try {
      const outcome = tentatively(db, () => {
        const applied = applyChanges(db, spec);
        if (typeof applied === 'string') return applied;
        const judged = guards === undefined ? applied : judgeChanges(db, spec.table, guards, applied);
        return judged.guards?.blocked ? judged : recordRefresh(db, spec.table, spec.refreshId, judged);
      });
      if (typeof outcome !== 'string') return outcome;
      detail = outcome;
    } catch (error) {
      detail =
        `the changes could not be applied (${error instanceof Error ? error.message : String(error)}), so ` +
        `the table was recomputed`;
    }
  }
  return tentatively(db, () => {
    // Recomputed every time from now on: capture no other table reads goes.
    if (dropsRows) releaseWithin(db, spec.table);
    const outcome = fullRefresh(db, spec, detail, !dropsRows);
    return outcome.guards?.blocked ? outcome : recordRefresh(db, spec.table, spec.refreshId, outcome);
  });
}

/** Applies the changes since the watermark; returns why a full refresh is needed instead. */
function applyChanges(db: Database, spec: IncrementalRefreshSpec): RefreshOutcome | string {
  if (spec.partition !== null) return 'a partition refresh recomputes its partition';
  const uncapturable = spec.sources.find((source) => !capturable(db, source));
  if (uncapturable !== undefined)
    return `${uncapturable.name} is not a table of main whose changes can be captured (a view, or in an attached database)`;
  ensureWatermarks(db);
  const marks = watermarksOf(db, spec.table);
  if (spec.sources.some((source) => !marks.has(source.name)))
    return 'first refresh since the table became incrementally maintained';
  for (const source of spec.sources) {
    const mismatch = captureMismatch(db, source.name);
    if (mismatch !== null) return `${mismatch} The table was recomputed and capture reinstalled`;
  }
  const grouped = spec.plan.maintenance.kind === 'grouped';
  if (grouped && !tableExists(db, stateOf(spec.table))) return 'the group state of the table was missing';
  const upTo = spec.sources.map((source) => currentChangeId(db, source.name));
  const changes = new Map<number, ChangeSetSql>();
  spec.sources.forEach((source, i) => {
    const after = marks.get(source.name) ?? 0;
    const high = upTo[i] ?? 0;
    if (high > after) changes.set(i, changeSets(db, source.name, after, high));
  });
  if (changes.size === 0) return { action: 'NO_DATA', rowsWritten: 0, rowsDeleted: 0 };
  const outcome =
    spec.plan.maintenance.kind === 'bag'
      ? applyBag(db, spec, changes)
      : applyGrouped(db, spec, spec.plan.maintenance, changes);
  const advance = db.prepare(`UPDATE ${WATERMARKS} SET change_id = ? WHERE dynamic_table = ? AND source = ?`);
  for (const [i, source] of spec.sources.entries()) advance.run(upTo[i] ?? 0, tableKey(spec.table), source.name);
  for (const i of changes.keys()) prune(db, spec.sources[i]?.name ?? '');
  return outcome;
}

function changeSets(db: Database, source: string, after: number, upTo: number): ChangeSetSql {
  const columns = db
    .prepare(`SELECT * FROM main.${quoteIdentifier(source)} LIMIT 0`)
    .columns()
    .map((c) => quoteIdentifier(c.name))
    .join(', ');
  const from =
    `FROM main.${quoteIdentifier(changelogName(source))} WHERE "__change_id" > ${after} AND ` +
    `"__change_id" <= ${upTo}`;
  return { plus: `SELECT ${columns} ${from} AND "__op" = 'I'`, minus: `SELECT ${columns} ${from} AND "__op" = 'D'` };
}

function applyBag(
  db: Database,
  spec: IncrementalRefreshSpec,
  changes: ReadonlyMap<number, ChangeSetSql>,
): RefreshOutcome {
  if (spec.plan.maintenance.kind !== 'bag') throw new IncrementalUnavailable('not a bag query');
  const { targets, positions, width } = targetColumns(db, spec);
  const delta = bagDeltaSql(spec.plan.maintenance.branches, width, changes);
  if (delta === null) return { action: 'NO_DATA', rowsWritten: 0, rowsDeleted: 0 };
  db.exec(`DROP TABLE IF EXISTS ${DELTA}`);
  db.exec(`CREATE TABLE ${DELTA} AS ${delta}`);
  try {
    const target = qualifiedName(spec.table);
    const match = targets
      .map((column, i) => same(`t.${quoteIdentifier(column)}`, `d.${deltaColumn(positions[i] ?? i)}`))
      .join(' AND ');
    const expected = (
      db.prepare(`SELECT COALESCE(SUM(-${WEIGHT}), 0) AS n FROM ${DELTA} WHERE ${WEIGHT} < 0`).get() as { n: number }
    ).n;
    const rowsDeleted =
      expected === 0
        ? 0
        : db
            .prepare(
              `DELETE FROM ${target} WHERE rowid IN (SELECT rid FROM (` +
                `SELECT t.rowid AS rid, d.${WEIGHT} AS w, row_number() OVER (PARTITION BY d.rowid) AS rn ` +
                `FROM ${DELTA} AS d JOIN ${target} AS t ON ${match} WHERE d.${WEIGHT} < 0) WHERE rn <= -w)`,
            )
            .run().changes;
    if (rowsDeleted !== expected) {
      throw new IncrementalUnavailable(
        `the table lacked ${expected - rowsDeleted} of the ${expected} rows its sources' changes remove`,
      );
    }
    const values = targets.map((_, i) => `d.${deltaColumn(positions[i] ?? i)}`).join(', ');
    const copies =
      `WITH RECURSIVE __copies(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM __copies WHERE i < ` +
      `(SELECT MAX(${WEIGHT}) FROM ${DELTA}))`;
    const rowsWritten = db
      .prepare(
        `${copies} INSERT INTO ${target} (${targets.map(quoteIdentifier).join(', ')}) ` +
          `SELECT ${values} FROM ${DELTA} AS d JOIN __copies ON __copies.i <= d.${WEIGHT} WHERE d.${WEIGHT} > 0`,
      )
      .run().changes;
    return { action: 'INCREMENTAL', rowsWritten, rowsDeleted };
  } finally {
    db.exec(`DROP TABLE IF EXISTS ${DELTA}`);
  }
}

function inputWidthOf(db: Database, plan: GroupedMaintenance): number {
  return db.prepare(renderTemplate(plan.input, () => null)).columns().length;
}

function applyGrouped(
  db: Database,
  spec: IncrementalRefreshSpec,
  plan: GroupedMaintenance,
  changes: ReadonlyMap<number, ChangeSetSql>,
): RefreshOutcome {
  const { targets, positions, width } = targetColumns(db, spec);
  const inputWidth = inputWidthOf(db, plan);
  const keys = keyCountOf(plan, inputWidth);
  const inputDelta = bagDeltaSql([plan.input], inputWidth, changes);
  if (inputDelta === null) return { action: 'NO_DATA', rowsWritten: 0, rowsDeleted: 0 };
  const state = qualifiedName(stateOf(spec.table));
  const target = qualifiedName(spec.table);
  const keyMatch = (left: string, right: string) =>
    keys === 0
      ? '1'
      : Array.from({ length: keys }, (_, i) => same(`${left}.${keyColumn(i)}`, `${right}.${keyColumn(i)}`)).join(
          ' AND ',
        );
  db.exec(`DROP TABLE IF EXISTS ${GROUPS}`);
  db.exec(`CREATE TABLE ${GROUPS} AS ${groupDeltaSql(plan, inputWidth, inputDelta)}`);
  try {
    const sums = summed(plan);
    const plus = (column: string) => `${column} = COALESCE(s.${column}, 0) + COALESCE(g.${column}, 0)`;
    const sets = [
      `${GROUP_COUNT} = s.${GROUP_COUNT} + g.${GROUP_COUNT}`,
      ...sums.flatMap((j) => [plus(sumColumn(j)), plus(countColumn(j))]),
    ];
    db.exec(`UPDATE ${state} AS s SET ${sets.join(', ')} FROM ${GROUPS} AS g WHERE ${keyMatch('s', 'g')}`);
    const stateCols = [
      ...Array.from({ length: keys }, (_, i) => keyColumn(i)),
      GROUP_COUNT,
      ...sums.flatMap((j) => [sumColumn(j), countColumn(j)]),
    ];
    db.exec(
      `INSERT INTO ${state} (${stateCols.join(', ')}) SELECT ${stateCols.map((c) => `g.${c}`).join(', ')} FROM ` +
        `${GROUPS} AS g ` +
        `WHERE NOT EXISTS (SELECT 1 FROM ${state} AS s WHERE ${keyMatch('s', 'g')})`,
    );
    if (keys > 0) {
      db.exec(
        `DELETE FROM ${state} WHERE rowid IN (SELECT s.rowid FROM ${GROUPS} AS g JOIN ${state} AS s ON ` +
          `${keyMatch('s', 'g')} WHERE s.${GROUP_COUNT} = 0)`,
      );
    }
    const keyTargets = targetKeys(plan, keys, targets, positions);
    // Every group is rewritten when a key is not among the table's columns (its rows cannot be found by key).
    const affected = keyTargets === null ? null : GROUPS;
    const hasExtremes = extremes(plan).length > 0;
    if (hasExtremes) {
      db.exec(`DROP TABLE IF EXISTS ${EXTREMES}`);
      const sql = extremesSql(plan, inputWidth, affected, same);
      db.exec(`CREATE TABLE ${EXTREMES} AS ${sql}`);
    }
    let rowsDeleted: number;
    if (affected === null || keys === 0) {
      rowsDeleted = db.prepare(`DELETE FROM ${target}`).run().changes;
    } else {
      const match = (keyTargets ?? [])
        .map((column, i) => same(`t.${quoteIdentifier(column)}`, `g.${keyColumn(i)}`))
        .join(' AND ');
      rowsDeleted = db
        .prepare(
          `DELETE FROM ${target} WHERE rowid IN (SELECT t.rowid FROM ${GROUPS} AS g JOIN ${target} AS t ON ${match})`,
        )
        .run().changes;
    }
    const expressions = outputExpressions(plan, width, (sum, count) => `CAST(${sum} AS REAL) / ${count}`);
    const values = targets.map((_, i) => expressions[positions[i] ?? i] ?? 'NULL').join(', ');
    const extremesJoin = hasExtremes ? ` LEFT JOIN ${EXTREMES} AS m ON ${keyMatch('m', 's')}` : '';
    const from =
      affected === null || keys === 0
        ? `FROM ${state} AS s${extremesJoin}`
        : `FROM ${GROUPS} AS g JOIN ${state} AS s ON ${keyMatch('s', 'g')}${extremesJoin}`;
    const where = keys === 0 ? '' : ` WHERE s.${GROUP_COUNT} > 0`;
    const rowsWritten = db
      .prepare(`INSERT INTO ${target} (${targets.map(quoteIdentifier).join(', ')}) SELECT ${values} ${from}${where}`)
      .run().changes;
    return { action: 'INCREMENTAL', rowsWritten, rowsDeleted };
  } finally {
    db.exec(`DROP TABLE IF EXISTS ${GROUPS}`);
    db.exec(`DROP TABLE IF EXISTS ${EXTREMES}`);
  }
}

/**
 * Recomputes the table from its sources and makes it incrementally maintained from here on: capture installed
 * (reinstalled where it could not be trusted, which also sends every other table reading that source back to a
 * full refresh), the lookup index and group state built, the watermarks set to the newest change.
 */
function fullRefresh(db: Database, spec: IncrementalRefreshSpec, detail: string, maintain: boolean): RefreshOutcome {
  forgetIncremental(db, spec.table);
  const plan = refreshPlan(spec);
  const rowsDeleted = plan.deleteSql === null ? 0 : db.prepare(plan.deleteSql).run(...plan.params).changes;
  const written = db.prepare(plan.insertSql).run(...plan.params).changes;
  const report =
    spec.guards === undefined
      ? undefined
      : judgeWritten(db, spec.guards, writtenRows(spec), { rowsBefore: rowsDeleted, rowsWritten: written });
  const rowsWritten = written - (report?.rowsDropped ?? 0);
  const uncapturable = spec.sources.find((source) => !capturable(db, source));
  if (spec.partition !== null || uncapturable !== undefined || !maintain || report?.blocked) {
    const why =
      uncapturable === undefined || !maintain
        ? detail
        : `${uncapturable.name} is not a table of main whose changes can be captured (a view, or in an attached ` +
          `database)`;
    return withReport({ action: 'FULL', actionDetail: why, rowsWritten, rowsDeleted }, report);
  }
  ensureWatermarks(db);
  for (const source of spec.sources) {
    if (captureMismatch(db, source.name) === null) continue;
    db.prepare(`DELETE FROM ${WATERMARKS} WHERE source = ?`).run(source.name);
    removeCapture(db, source.name);
    installCapture(db, source.name);
  }
  const { targets, positions } = targetColumns(db, spec);
  const maintenance = spec.plan.maintenance;
  let indexed = targets.slice(0, INDEXED_COLUMNS);
  if (maintenance.kind === 'grouped') {
    const inputWidth = inputWidthOf(db, maintenance);
    const keys = keyCountOf(maintenance, inputWidth);
    const state = stateOf(spec.table);
    db.exec(`CREATE TABLE ${qualifiedName(state)} AS ${stateSql(maintenance, inputWidth)}`);
    if (keys > 0) {
      const keyList = Array.from({ length: keys }, (_, i) => keyColumn(i))
        .slice(0, INDEXED_COLUMNS)
        .join(', ');
      db.exec(`CREATE INDEX ${stateIndexName(spec.table)} ON ${quoteIdentifier(state.name)} (${keyList})`);
    }
    indexed = (targetKeys(maintenance, keys, targets, positions) ?? []).slice(0, INDEXED_COLUMNS);
  }
  if (indexed.length > 0) {
    db.exec(
      `CREATE INDEX IF NOT EXISTS ${indexName(spec.table)} ON ${quoteIdentifier(spec.table.name)} ` +
        `(${indexed.map(quoteIdentifier).join(', ')})`,
    );
  }
  const record = db.prepare(`INSERT OR REPLACE INTO ${WATERMARKS} (dynamic_table, source, change_id) VALUES (?, ?, ?)`);
  for (const source of spec.sources) {
    record.run(tableKey(spec.table), source.name, currentChangeId(db, source.name));
    prune(db, source.name);
  }
  return withReport({ action: 'FULL', actionDetail: detail, rowsWritten, rowsDeleted }, report);
}

/** The rows a full refresh wrote: the table, or the partition it was limited to. */
function writtenRows(spec: IncrementalRefreshSpec): WrittenRows {
  const partition = Object.entries(spec.partition ?? {});
  const where =
    partition.length === 0 ? null : partition.map(([column]) => `${quoteIdentifier(column)} = ?`).join(' AND ');
  return { table: qualifiedName(spec.table), where, params: partition.map(([, value]) => value) };
}
