/**
 * Freshet's shared value types: the words of DESIGN.md §1 as TypeScript. Every layer may import this module;
 * it imports nothing, so no layer reaches another through it.
 */

/** node-sql-parser's name for an engine's SQL dialect. */
export type SqlDialect = 'sqlite' | 'postgresql' | 'mysql';

export type FreshnessUnit = 'SECOND' | 'MINUTE' | 'HOUR' | 'DAY';

/** The declared maximum staleness of a dynamic table. */
export interface Freshness {
  /** A positive integer. */
  readonly interval: number;
  readonly unit: FreshnessUnit;
}

/** What the user wrote: `AUTOMATIC` when there is no `REFRESH_MODE` clause. */
export type LogicalRefreshMode = 'AUTOMATIC' | 'FULL' | 'CONTINUOUS';

/** What actually runs. */
export type RefreshMode = 'FULL' | 'CONTINUOUS';

export type RefreshStatus = 'INITIALIZING' | 'ACTIVATED' | 'SUSPENDED';
export type RefreshTrigger = 'SCHEDULED' | 'MANUAL' | 'CREATION' | 'CONTINUOUS';
/**
 * `WAITING`: a gated refresh waits for its sources to be ready for its window; `SKIPPED`: it did not run because
 * they were not (`readiness.on_not_ready = 'skip'`).
 */
export type JobStatus = 'PENDING' | 'WAITING' | 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'SKIPPED';
/**
 * One table's refresh: a job's states, and `UPSTREAM_FAILED` for a refresh that did not run because the refresh of
 * an upstream dynamic table it waited for failed.
 */
export type HistoryState = JobStatus | 'UPSTREAM_FAILED' | 'BLOCKED';

// ---- publish guards (DESIGN.md §12) ----

/** What a row expectation does to the refresh when rows break it (Databricks' `ON VIOLATION`). */
export type ViolationAction = 'WARN' | 'DROP_ROW' | 'FAIL_REFRESH';

/**
 * `CONSTRAINT <name> EXPECT (<condition>) [ON VIOLATION …]`. A row breaks it when the condition is not true
 * (false or NULL): write `x IS NULL OR x > 0` to let NULLs through.
 */
export interface RowExpectation {
  readonly name: string;
  /** A boolean SQL expression over the table's own column names, in the engine's dialect. */
  readonly condition: string;
  readonly onViolation: ViolationAction;
}

/** The guards of one dynamic table, from its options and its column list. */
export interface PublishGuards {
  /** `guard.allow_empty`: false (the default) refuses an empty result over a non-empty table or partition. */
  readonly allowEmpty: boolean;
  /** `guard.min_rows`. */
  readonly minRows: number | null;
  /** `guard.max_row_change_ratio`: the most |after − before| / before may be (before > 0). */
  readonly maxRowChangeRatio: number | null;
  /** `guard.max_null_ratio.<column>`: table column → the highest share of NULLs allowed (0…1). */
  readonly maxNullRatio: Readonly<Record<string, number>>;
  readonly expectations: readonly RowExpectation[];
}

/** The outcome of one guard on one refresh's result. */
export interface GuardResult {
  /** `allow_empty`, `min_rows`, `max_row_change_ratio`, `max_null_ratio.<column>` or `expect.<name>`. */
  readonly guard: string;
  readonly verdict: 'PASSED' | 'WARNED' | 'BLOCKED';
  /** What the result showed (a row count, a ratio, a number of violating rows). */
  readonly observed: number;
  /** What the guard asks for, as a person reads it (`> 0 rows`, `≤ 0.5`). */
  readonly expected: string;
}

/** Every guard's outcome on one refresh's result. */
export interface GuardReport {
  readonly blocked: boolean;
  readonly results: readonly GuardResult[];
  /** Rows removed by `DROP ROW` expectations (they are not in `rowsWritten`). */
  readonly rowsDropped: number;
}

/** What an operator decided about a result a publish guard blocked. */
export type GuardResolution = 'PUBLISHED' | 'DISCARDED';

/** What a gated refresh waits for: the sources not ready for its window `[start, end)`. */
export interface WaitingOn {
  readonly start: string;
  readonly end: string;
  /** ISO-8601 UTC: when the wait ends (`readiness.timeout` after it began). */
  readonly until: string;
  readonly sources: ReadonlyArray<{
    readonly source: string;
    readonly gaps: ReadonlyArray<readonly [string, string]>;
    readonly locked: ReadonlyArray<{ readonly start: string; readonly end: string; readonly provider: string }>;
    /** Why there is nothing to read, when the source is not registered. */
    readonly problem?: string;
  }>;
}

/**
 * What a refresh did: recomputed the whole query (`FULL`), applied the sources' captured changes
 * (`INCREMENTAL`), or found no change to apply and wrote nothing (`NO_DATA`).
 */
export type RefreshAction = 'FULL' | 'INCREMENTAL' | 'NO_DATA';

export interface PrimaryKeySpec {
  readonly constraintName: string | null;
  readonly columns: readonly string[];
  /** False when written `NOT ENFORCED`. */
  readonly enforced: boolean;
}

/** A table as an engine knows it. `database` null means the engine's default schema. */
export interface TableRef {
  readonly database: string | null;
  readonly name: string;
}

export interface ColumnInfo {
  readonly name: string;
  /** The engine's type name; empty string when the engine has none for it (SQLite expressions). */
  readonly type: string;
  readonly nullable: boolean;
}

/** One target column of a dynamic table and the query output column that fills it. */
export interface ColumnMapping {
  readonly target: string;
  readonly source: string;
}

/** JSON describing one workflow, as returned by the scheduler plugin that created it. */
export type RefreshHandler = Readonly<Record<string, unknown>>;

/** A long-running job of an engine that keeps a CONTINUOUS table fresh (a streaming engine's job). */
export interface ContinuousJob {
  readonly jobId: string;
  readonly clusterInfo: Readonly<Record<string, string>>;
}

/** A small persistent key-value store the gateway keeps for a plugin in its catalog. */
export interface PluginStateStore {
  get(key: string): Promise<unknown>;
  put(key: string, value: unknown): Promise<void>;
  delete(key: string): Promise<void>;
  list(): Promise<ReadonlyArray<{ readonly key: string; readonly value: unknown }>>;
}

// ---- the source registry (DESIGN.md §10) ----

/** `registered` by a user or provider; `dynamic`: a dynamic table publishing the windows it refreshes. */
export type SourceKind = 'registered' | 'dynamic';
export type PartitionEventKind = 'LOCK' | 'UNLOCK';
/** A partition's latest event: none yet (`REGISTERED`), `LOCK` (`LOCKED`) or `UNLOCK` (`READY`). */
export type PartitionState = 'REGISTERED' | 'LOCKED' | 'READY';

/** A place data lands that Freshet does not write, or a dynamic table as others read it. */
export interface SourceRecord {
  readonly name: string;
  readonly owner: string;
  /** Where the source's data lives, when it is a table of a catalog. */
  readonly catalogName: string | null;
  readonly tableName: string | null;
  /** The zone instants without an offset are read in. */
  readonly timeZone: string;
  readonly kind: SourceKind;
  /** `availability.time_column` and the like. */
  readonly options: Readonly<Record<string, string>>;
  readonly createdAt: string;
}

export interface ProviderRecord {
  readonly source: string;
  readonly name: string;
  readonly createdAt: string;
}

/** The half-open interval `[start, end)` of a source, ISO-8601 UTC, as a provider registered it. */
export interface PartitionRecord {
  readonly id: number;
  readonly source: string;
  readonly provider: string;
  readonly start: string;
  readonly end: string;
  readonly state: PartitionState;
  readonly stateSince: string;
  readonly createdAt: string;
}

export interface PartitionEventRecord {
  readonly id: number;
  readonly partitionId: number;
  readonly event: PartitionEventKind;
  readonly at: string;
  readonly provider: string;
  readonly start: string;
  readonly end: string;
}
