/**
 * The Engine extension point: where source tables and dynamic tables live and where refreshes execute.
 * One implementation per folder (`src/engine/sqlite/`, …). Engines never touch the catalog; they are told
 * what to do by the Dynamic Table Manager and the refresh runner.
 */
import type { ColumnInfo, ColumnMapping, ContinuousJob, RefreshAction, SqlDialect, TableRef } from '../model';
import type { IncrementalPlan } from '../sql/incremental-plan';
import type { GuardReport, PublishGuards } from './publish-guards';

export type { ColumnInfo, ColumnMapping, ContinuousJob, RefreshAction, SqlDialect, TableRef } from '../model';

/** What an engine's factory is given besides the URL. */
export interface EngineFactoryOptions {
  /** Folder that relative `sqlite:` paths are resolved against (the gateway's data directory). */
  readonly baseDir: string;
}

/**
 * Builds one kind of engine from a catalog URL. Listed in `registry.ts`, which picks the factory by the URL's
 * scheme; configuration accepts exactly the schemes the registry lists.
 */
export interface EngineFactory {
  /** The URL schemes (the part before the first `:`, lower case) that name this engine. */
  readonly schemes: readonly string[];
  /** The URL's form, for messages and documentation (`mysql://user:password@host:3306/database`). */
  readonly urlForm: string;
  /**
   * The engine for a URL with one of {@link schemes}, not yet connected (nothing is connected until
   * {@link Engine.open}). Throws VALIDATION_ERROR for a URL it cannot use, without the URL's password.
   */
  create(url: string, options: EngineFactoryOptions): Engine;
}

/** Plain facts about an engine; what it can additionally do is given by its optional capability objects. */
export interface EngineCapabilities {
  /** DDL takes part in transactions (a table can be rebuilt and swapped atomically). */
  readonly transactionalDdl: boolean;
  /** Can delete and rewrite one partition atomically. */
  readonly partitionedRefresh: boolean;
  /**
   * Identifiers may name databases (schemas) other than {@link Engine.defaultDatabase}. False where an engine
   * sees a single database (SQLite: `main`), so that a name with another database is refused up front.
   */
  readonly otherDatabases: boolean;
}

/** The kinds of column type every engine can name, the common ground when rows move between engines. */
export type PortableTypeFamily =
  | 'integer'
  | 'float'
  | 'decimal'
  | 'boolean'
  | 'timestamptz'
  | 'timestamp'
  | 'date'
  | 'time'
  | 'binary'
  | 'json'
  | 'text';

/** A column type independent of any engine. */
export interface PortableType {
  readonly family: PortableTypeFamily;
  /** Digits of a `decimal` with a declared precision, else null. */
  readonly precision: number | null;
  /** Digits after the point of a `decimal` that declares them, else null. */
  readonly scale: number | null;
}

/**
 * An engine's own type names. Types map by family; precision is kept where both sides have it, and anything an
 * engine does not recognise is text (every engine can hold any value as text).
 */
export interface TypeTranslation {
  /** The portable type of one of this engine's column types. */
  toPortable(type: string): PortableType;
  /** This engine's column type for a portable type. */
  fromPortable(type: PortableType): string;
}

export interface TableDescription {
  readonly columns: readonly ColumnInfo[];
  readonly primaryKey: readonly string[];
}

export interface TableDefinition {
  readonly table: TableRef;
  readonly columns: readonly ColumnInfo[];
  /** Created as a real constraint only when non-null. */
  readonly primaryKey: readonly string[] | null;
}

export interface RefreshSpec {
  readonly table: TableRef;
  /** Session settings and dynamic options for the refresh (an engine that has no use for them ignores them). */
  readonly configuration?: Readonly<Record<string, string>>;
  /** The definition query exactly as stored. */
  readonly query: string;
  readonly columns: readonly ColumnMapping[];
  /**
   * Null: replace the whole table. Otherwise replace only the rows whose target columns equal these values
   * (keys are target column names), with the query's rows filtered the same way.
   */
  readonly partition: Readonly<Record<string, string>> | null;
  /**
   * Names this refresh for {@link Engine.ledger}: an engine with a ledger records it (with the outcome) in the
   * same transaction as the new rows. Absent: nothing is recorded.
   */
  readonly refreshId?: string;
  /**
   * Publish guards to judge the result by before it replaces the table (see `publish-guards.ts`). Absent: the
   * result is published unjudged (a refresh an operator forced through).
   */
  readonly guards?: PublishGuards;
}

export interface RefreshOutcome {
  /** Rows written (inserted), or -1 when the engine cannot tell (a remote batch job). */
  readonly rowsWritten: number;
  readonly rowsDeleted: number;
  /** `FULL` when absent. */
  readonly action?: RefreshAction;
  /** Why a table maintained incrementally was refreshed fully this time (first refresh, lost changes, …). */
  readonly actionDetail?: string;
  /** Where the refresh ran (job id, cluster), for the job's `clusterInfo`. */
  readonly clusterInfo?: Readonly<Record<string, string>>;
  /** How the result fared against {@link RefreshSpec.guards}; absent when the refresh had none. */
  readonly guards?: GuardReport;
  /**
   * Set when a guard blocked the result: the table kept its rows, and the engine keeps the result under this
   * name for {@link StagedResults.publish} or {@link StagedResults.discard}. Null when a blocked result could
   * not be kept (an incremental refresh: its changes stay pending instead).
   */
  readonly staged?: string | null;
}

/**
 * A refresh that applies the sources' captured changes since the table's watermark. The engine falls back to
 * a full refresh (reporting why in {@link RefreshOutcome.actionDetail}) whenever it cannot trust the changes:
 * on the first refresh, after capture was lost or a source's columns changed, or when the delta cannot be
 * expressed. Capture on the sources is installed by the first such refresh.
 */
export interface IncrementalRefreshSpec extends RefreshSpec {
  readonly plan: IncrementalPlan;
  /** The plan's sources resolved to tables, in the same order as {@link IncrementalPlan.sources}. */
  readonly sources: readonly TableRef[];
}

/** Rows in the order of a read's columns. */
export type RowBatch = readonly (readonly unknown[])[];

/** What to read from the source catalog of a cross-catalog dynamic table. */
export interface ReadSpec {
  readonly query: string;
  /** Output columns of the query, in the order each row carries them. */
  readonly columns: readonly string[];
  /** Output column → value: only the rows of one partition. */
  readonly filter: Readonly<Record<string, string>> | null;
  /** Most rows held in memory at a time. */
  readonly batchRows: number;
}

/** Where streamed rows go: a table of the target catalog, replaced atomically. */
export interface LoadSpec {
  /** The table's definition, its columns in the order the rows carry them; a changed definition rebuilds it. */
  readonly definition: TableDefinition;
  /** Column → value: replace only this partition's rows. */
  readonly partition: Readonly<Record<string, string>> | null;
  /** As {@link RefreshSpec.refreshId}: recorded in the ledger with the swap that puts the rows in place. */
  readonly refreshId?: string;
  /** As {@link RefreshSpec.guards}: judged on the staged rows before the swap. */
  readonly guards?: PublishGuards;
}

export type StatementResult =
  | {
      readonly kind: 'rows';
      readonly columns: readonly string[];
      readonly rows: readonly (readonly unknown[])[];
      /** True when more rows existed than the row limit allowed. */
      readonly truncated: boolean;
    }
  | { readonly kind: 'update'; readonly rowsAffected: number };

/** What a pass-through statement would do to data and to the engine's surroundings. */
export interface StatementEffects {
  /**
   * Tables whose rows or definition the statement would change (INSERT, UPDATE, DELETE, REPLACE, UPSERT, MERGE,
   * TRUNCATE, ALTER, DROP, CREATE TRIGGER on it, …), as the engine resolves their names.
   */
  readonly writes: readonly TableRef[];
  /**
   * Set when the statement would reach outside the engine's data: attach or write a file, run a program, reveal
   * file system paths, or leave the connection changed for later statements. A short name of what it does, as
   * the refusal names it (`ATTACH DATABASE`, `VACUUM INTO`, `PRAGMA journal_mode`, `COPY … TO a file`).
   */
  readonly escapes: string | null;
}

export interface ExecuteOptions {
  /** Most rows returned for a statement that reads. */
  readonly rowLimit: number;
  /**
   * Aborted when the client cancels, disconnects or runs out of time: the engine stops the statement on the
   * server (not merely stops waiting for it) and rejects with the signal's reason.
   */
  readonly signal?: AbortSignal;
}

/**
 * An engine. Errors a client caused (bad SQL, a missing table, a constraint violation) are thrown as
 * FreshetError VALIDATION_ERROR with the engine's own message; failures of the engine itself as ENGINE_ERROR.
 */
export interface Engine {
  /** Short name shown to users (`sqlite`). */
  readonly name: string;
  readonly dialect: SqlDialect;
  /** The database name used when an identifier has none (`main` on SQLite). */
  readonly defaultDatabase: string;
  capabilities(): EngineCapabilities;
  /** The engine's column type names, to and from portable types: how a column's type crosses catalogs. */
  readonly types: TypeTranslation;
  open(): Promise<void>;
  close(): Promise<void>;
  /** Cheap liveness check for `/health`. */
  ping(): Promise<void>;
  listTables(): Promise<readonly TableRef[]>;
  /** Null when the table does not exist. */
  describeTable(table: TableRef): Promise<TableDescription | null>;
  /** The output columns of a query, with types, without running it. Unique names are not enforced here. */
  describeQuery(query: string): Promise<readonly ColumnInfo[]>;
  createTable(definition: TableDefinition): Promise<void>;
  dropTable(table: TableRef): Promise<void>;
  /**
   * Atomically replaces a table by one with a new definition, filled by a full refresh: readers see the old
   * table or the new one, never neither.
   */
  rebuildTable(definition: TableDefinition, refresh: RefreshSpec): Promise<RefreshOutcome>;
  /** Atomic full or partition refresh (see {@link RefreshSpec.partition}). */
  refresh(spec: RefreshSpec): Promise<RefreshOutcome>;
  /** Runs one statement the gateway does not own. */
  execute(sql: string, options: ExecuteOptions): Promise<StatementResult>;
  /**
   * What a statement the gateway does not own would do, read from what the engine would execute (its compiled
   * program or plan), never from the statement's first words: comments, CTE prefixes, quoting and case do not
   * change the answer. Runs nothing. Syntax errors are not reported here; `execute` reports them.
   */
  inspectStatement(sql: string): Promise<StatementEffects>;
  /**
   * Present on an engine that can maintain a table incrementally: without it, every refresh is a full one and
   * a table that demands incremental refreshes is refused at CREATE.
   */
  readonly incremental?: IncrementalMaintenance;
  /**
   * Present on an engine that can stream rows out and in: without it, the engine takes no part in a dynamic
   * table whose query runs on another catalog (as either side).
   */
  readonly streaming?: RowStreaming;
  /**
   * Present on a streaming engine that keeps CONTINUOUS tables fresh with long-running jobs of its own; without
   * it, Freshet's in-process runner refreshes them every freshness interval.
   */
  readonly continuousJobs?: ContinuousJobRunner;
  /**
   * Present on an engine that records each refresh's {@link RefreshSpec.refreshId} in the same transaction as
   * its rows: recovery asks it whether a refresh whose gateway stopped did commit. Without it (Flink), such a
   * refresh counts as not applied and runs again.
   */
  readonly ledger?: RefreshLedger;
  /** Present on an engine that keeps results blocked by a publish guard for an operator to decide on. */
  readonly staging?: StagedResults;
}

/** Refresh results a publish guard blocked, kept by the engine (outside the table) until someone decides. */
export interface StagedResults {
  /**
   * Replaces the table's rows (or the partition's, per `spec.partition`) by the staged result in one
   * transaction, records `spec.refreshId` in the ledger, and forgets the staged result. INVALID_STATE (409) when it
   * is gone (published or discarded already); VALIDATION_ERROR for a name that is not a staged result's.
   */
  publish(spec: RefreshSpec, staged: string): Promise<RefreshOutcome>;
  /** Forgets a staged result; one already gone is a success. */
  discard(table: TableRef, staged: string): Promise<void>;
}

/**
 * The engine's record of the refreshes it committed, the latest one per table (older ones are pruned): what
 * makes a refresh's outcome known exactly once, also when the gateway stopped between the engine's commit and
 * the catalog's write.
 */
export interface RefreshLedger {
  /**
   * The outcome recorded with the refresh `refreshId` of `table` when that refresh committed and is still the
   * table's latest recorded one; null when it did not commit (or a later refresh of the table replaced it).
   */
  committed(table: TableRef, refreshId: string): Promise<RefreshOutcome | null>;
}

/**
 * Incremental maintenance: refreshes that apply the sources' captured changes. It includes change capture: the
 * engine installs capture on a table's sources itself (on the first incremental refresh) and removes it when no
 * table reads the source incrementally any more; nothing outside the engine installs or reads captured changes.
 */
export interface IncrementalMaintenance {
  /** An incremental refresh (see {@link IncrementalRefreshSpec}); never partitioned. */
  refresh(spec: IncrementalRefreshSpec): Promise<RefreshOutcome>;
  /**
   * Forgets a table's incremental state and watermarks, and removes change capture from the sources no other
   * table still reads incrementally. A no-op for a table that has none.
   */
  release(table: TableRef): Promise<void>;
  /**
   * Runs `sql`, a statement that changes the columns of `table` (a pass-through ALTER TABLE), like
   * {@link Engine.execute}, keeping change capture on `table` honest: in one transaction with the statement,
   * capture that the new columns would block or corrupt is set aside (its changelog stays), so that the next
   * incremental refresh of each reader finds the columns changed, refreshes fully and says so.
   */
  alterSource(table: TableRef, sql: string, options: ExecuteOptions): Promise<StatementResult>;
}

/** Moving rows between catalogs: what a dynamic table whose query runs on another catalog needs on both sides. */
export interface RowStreaming {
  /** The query's rows in batches, never more than one batch in memory. */
  readBatches(spec: ReadSpec): AsyncIterable<RowBatch>;
  /**
   * Replaces the table's rows (or one partition's) with the streamed rows. The rows are staged first and swapped
   * in at the end, so readers see the old rows or the new ones, also when the copy fails or the process is killed
   * part-way. An error thrown by `batches` (the source engine's) comes out unchanged.
   */
  replaceFromBatches(load: LoadSpec, batches: AsyncIterable<RowBatch>): Promise<RefreshOutcome>;
}

/** What a continuous job is started with: the table's refresh, and how fresh the table must be kept. */
export interface ContinuousJobSpec extends RefreshSpec {
  /**
   * The table's freshness in seconds. The engine derives its own settings from it (Flink: the checkpoint
   * interval, which is when a streaming job's results become visible); `configuration` overrides them.
   */
  readonly freshnessSeconds: number;
}

/** Long-running jobs that keep CONTINUOUS tables fresh on the engine itself (a streaming engine). */
export interface ContinuousJobRunner {
  /** Starts the job that keeps the table fresh (a streaming INSERT INTO); returns once the engine accepted it. */
  start(spec: ContinuousJobSpec): Promise<ContinuousJob>;
  /** Stops (cancels) that job; a job already gone is a success. */
  stop(jobId: string): Promise<void>;
}
