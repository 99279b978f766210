/**
 * Parsed statements: plain, readonly, discriminated by `kind`. Positions are 1-based and refer to the whole
 * text the client sent (so an error in the third statement of a script points at the right line).
 */

export interface SourcePosition {
  /** 0-based character offset in the client's text. */
  readonly offset: number;
  readonly line: number;
  readonly column: number;
}

/** A possibly qualified name as written, unquoted: `[catalog.][database.]name` → 1 to 3 parts. */
export interface ObjectName {
  readonly parts: readonly string[];
  readonly position: SourcePosition;
}

import type { Freshness, PrimaryKeySpec, RowExpectation } from '../model';

export type { Freshness, FreshnessUnit, PrimaryKeySpec, RowExpectation, ViolationAction } from '../model';

/** `CONSTRAINT <name> EXPECT (<condition>) [ON VIOLATION …]` as written, with where its name is. */
export interface ExpectationSpec extends RowExpectation {
  readonly position: SourcePosition;
}

export type RefreshModeKeyword = 'FULL' | 'CONTINUOUS';

/** The defining query, exactly as written, and where it starts. */
export interface QueryText {
  readonly text: string;
  readonly position: SourcePosition;
}

export interface CreateDynamicTable {
  readonly kind: 'createDynamicTable';
  readonly orAlter: boolean;
  readonly ifNotExists: boolean;
  readonly name: ObjectName;
  /** Column names of the optional column list; null when there is no list. */
  readonly columns: readonly string[] | null;
  readonly primaryKey: PrimaryKeySpec | null;
  /** Row expectations of the column list, in the order written; empty when there are none. */
  readonly expectations: readonly ExpectationSpec[];
  readonly comment: string | null;
  readonly partitionKeys: readonly string[];
  readonly options: Readonly<Record<string, string>>;
  /** Null when FRESHNESS / TARGET_LAG is omitted. */
  readonly freshness: Freshness | null;
  /** Null when REFRESH_MODE is omitted (logical mode AUTOMATIC). */
  readonly refreshMode: RefreshModeKeyword | null;
  readonly query: QueryText;
  /** The whole statement as written. */
  readonly text: string;
}

export type AlterAction =
  | { readonly kind: 'suspend' }
  | { readonly kind: 'resume'; readonly options: Readonly<Record<string, string>> }
  | { readonly kind: 'refresh'; readonly partition: Readonly<Record<string, string>> | null }
  | { readonly kind: 'setFreshness'; readonly freshness: Freshness }
  | { readonly kind: 'setRefreshMode'; readonly mode: RefreshModeKeyword }
  | { readonly kind: 'setQuery'; readonly query: QueryText }
  /** `SET ('key' = 'value', …)`: options added or changed. */
  | { readonly kind: 'setOptions'; readonly options: Readonly<Record<string, string>> }
  /** `RESET ('key', …)`: options removed (back to their defaults). */
  | { readonly kind: 'resetOptions'; readonly keys: readonly string[] }
  /** Re-read the schema of the table and of the plain tables it reads now (reflection). */
  | { readonly kind: 'reflect' }
  | { readonly kind: 'backfill'; readonly from: TimeText; readonly to: TimeText };

/** A timestamp literal as written (`BACKFILL FROM '…'`), read in the gateway's time zone by the manager. */
export interface TimeText {
  readonly text: string;
  readonly position: SourcePosition;
}

export interface AlterDynamicTable {
  readonly kind: 'alterDynamicTable';
  readonly name: ObjectName;
  readonly action: AlterAction;
  readonly text: string;
}

export interface DropDynamicTable {
  readonly kind: 'dropDynamicTable';
  readonly name: ObjectName;
  readonly ifExists: boolean;
  readonly text: string;
}

export interface ShowDynamicTables {
  readonly kind: 'showDynamicTables';
  /** SQL LIKE pattern (`%`, `_`), or null. */
  readonly like: string | null;
  readonly text: string;
}

/** `SHOW REFRESHES [OF name] [LIMIT n]`: the refresh history, newest first. */
export interface ShowRefreshes {
  readonly kind: 'showRefreshes';
  /** The table whose refreshes are shown; every table's when null. */
  readonly name: ObjectName | null;
  /** Most rows shown; the gateway's default when null. */
  readonly limit: number | null;
  readonly text: string;
}

/** `SHOW SCHEMA HISTORY OF name`: the schema versions reflection recorded for a table, newest first. */
export interface ShowSchemaHistory {
  readonly kind: 'showSchemaHistory';
  readonly name: ObjectName;
  readonly text: string;
}

export interface ShowCreateDynamicTable {
  readonly kind: 'showCreateDynamicTable';
  readonly name: ObjectName;
  readonly text: string;
}

export interface DescribeDynamicTable {
  readonly kind: 'describeDynamicTable';
  readonly name: ObjectName;
  readonly text: string;
}

/** `SHOW TABLES [LIKE '…']`: every table of the namespace's catalog, dynamic or plain, internal ones left out. */
export interface ShowTables {
  readonly kind: 'showTables';
  /** SQL LIKE pattern (`%`, `_`), or null. */
  readonly like: string | null;
  readonly text: string;
}

/** `DESCRIBE [TABLE] name` of any table, dynamic or plain, answered by the gateway for every engine. */
export interface DescribeTable {
  readonly kind: 'describeTable';
  readonly name: ObjectName;
  readonly text: string;
}

/** `EXPLAIN CREATE DYNAMIC TABLE …`: what the CREATE would do, checked but not carried out. */
export interface ExplainCreateDynamicTable {
  readonly kind: 'explainCreateDynamicTable';
  readonly create: CreateDynamicTable;
  readonly text: string;
}

/** `EXPLAIN ALTER DYNAMIC TABLE … AS …`: what the new query would do to the table and its dependents, not done. */
export interface ExplainAlterDynamicTable {
  readonly kind: 'explainAlterDynamicTable';
  readonly alter: AlterDynamicTable & { readonly action: { readonly kind: 'setQuery' } };
  readonly text: string;
}

/**
 * `EXPLAIN ALTER TABLE …` / `EXPLAIN DROP TABLE …` (and MySQL's `EXPLAIN RENAME TABLE …`) of a plain table: which
 * dynamic tables read it, which columns they read, and whether the change would be refused; not done.
 */
export interface ExplainTableChange {
  readonly kind: 'explainTableChange';
  /** The change as the engine would get it. */
  readonly change: PassthroughStatement;
  readonly text: string;
}

/** What a pass-through statement does to a table, when the front-end can tell. */
export type PassthroughEffect = 'create' | 'drop' | 'alter' | 'write' | 'read' | 'other';

/** A statement the gateway does not own; it goes to the engine as written. */
export interface PassthroughStatement {
  readonly kind: 'passthrough';
  readonly text: string;
  readonly position: SourcePosition;
  /** Upper-cased leading keyword (`SELECT`, `INSERT`, `CREATE`, …). */
  readonly verb: string;
  readonly effect: PassthroughEffect;
  /**
   * The table the statement creates, drops, alters or writes (INSERT INTO / UPDATE / DELETE FROM / REPLACE INTO /
   * DROP TABLE / ALTER TABLE / CREATE TABLE), when it can be read from the leading keywords; null otherwise.
   */
  readonly target: ObjectName | null;
}

/** A string literal as written, with where it starts: instants whose meaning depends on a source's zone. */
export interface LiteralText {
  readonly value: string;
  readonly position: SourcePosition;
}

/** `SHOW SOURCES [LIKE '…']`: the registered sources (DESIGN.md §10). */
export interface ShowSources {
  readonly kind: 'showSources';
  readonly like: string | null;
  readonly text: string;
}

/** `SHOW PARTITIONS OF source [BETWEEN '<ts>' AND '<ts>']`: a source's partitions, latest first. */
export interface ShowPartitions {
  readonly kind: 'showPartitions';
  /** The source's name; a string literal is one part however many dots it holds. */
  readonly name: ObjectName;
  readonly between: { readonly start: LiteralText; readonly end: LiteralText } | null;
  readonly text: string;
}

/** `SHOW READINESS OF source-or-dynamic-table FOR '<start>' TO '<end>'`. */
export interface ShowReadiness {
  readonly kind: 'showReadiness';
  readonly name: ObjectName;
  readonly start: LiteralText;
  readonly end: LiteralText;
  readonly text: string;
}

/** `ALTER SOURCE name SET ('key' = 'value', …)`. */
export interface AlterSource {
  readonly kind: 'alterSource';
  readonly name: ObjectName;
  readonly options: Readonly<Record<string, string>>;
  readonly text: string;
}

/** `SHOW FRESHNESS [LIKE '…']`: every dynamic table's freshness state and cause, worst first. */
export interface ShowFreshness {
  readonly kind: 'showFreshness';
  /** SQL LIKE pattern on the table's name, or null. */
  readonly like: string | null;
  readonly text: string;
}

/** `SHOW DATASETS [LIKE '…']`: the discovered datasets (DESIGN.md §11). */
export interface ShowDatasets {
  readonly kind: 'showDatasets';
  /** SQL LIKE pattern on the dataset's name or id, or null. */
  readonly like: string | null;
  readonly text: string;
}

/** `DESCRIBE DATASET <id>`: a dataset's columns with its newest profile. */
export interface DescribeDataset {
  readonly kind: 'describeDataset';
  /** A string literal is one part (a dataset id such as `files:sales.csv`); a name may be dotted. */
  readonly name: ObjectName;
  readonly text: string;
}

/** `SEARCH DATASETS '<keywords>'`: datasets ranked by the keywords. */
export interface SearchDatasets {
  readonly kind: 'searchDatasets';
  readonly keywords: string;
  readonly text: string;
}

/** The statements about discovered datasets. */
export type DatasetStatement = ShowDatasets | DescribeDataset | SearchDatasets;

/** The statements about the source registry. */
export type RegistryStatement = ShowSources | ShowPartitions | ShowReadiness | AlterSource;

export type Statement =
  | RegistryStatement
  | DatasetStatement
  | ShowFreshness
  | CreateDynamicTable
  | AlterDynamicTable
  | DropDynamicTable
  | ShowDynamicTables
  | ShowCreateDynamicTable
  | ShowRefreshes
  | ShowSchemaHistory
  | DescribeDynamicTable
  | ShowTables
  | DescribeTable
  | ExplainCreateDynamicTable
  | ExplainAlterDynamicTable
  | ExplainTableChange
  | PassthroughStatement;
