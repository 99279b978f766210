/** What the catalog stores, as the rest of Freshet sees it. */
import type {
  ColumnInfo,
  ColumnMapping,
  ContinuousJob,
  Freshness,
  GuardReport,
  GuardResolution,
  HistoryState,
  JobStatus,
  WaitingOn,
  LogicalRefreshMode,
  PrimaryKeySpec,
  RefreshAction,
  RefreshHandler,
  RefreshMode,
  RefreshStatus,
  RefreshTrigger,
  RowExpectation,
} from '../model';

export type { HistoryState, JobStatus, RefreshStatus, RefreshTrigger } from '../model';

export interface DynamicTableRecord {
  /** Lower-cased identifier; the catalog's key. */
  readonly key: string;
  /** `catalog.database.name` with the case the user wrote. */
  readonly identifier: string;
  readonly catalogName: string;
  readonly databaseName: string;
  readonly tableName: string;
  /** The query exactly as written. */
  readonly definitionQuery: string;
  readonly queryHash: string;
  /** The CREATE statement as written. */
  readonly createStatement: string;
  readonly freshness: Freshness;
  readonly logicalRefreshMode: LogicalRefreshMode;
  readonly refreshMode: RefreshMode;
  readonly refreshStatus: RefreshStatus;
  readonly partitionKeys: readonly string[];
  readonly options: Readonly<Record<string, string>>;
  readonly schema: readonly ColumnInfo[];
  readonly columnMapping: readonly ColumnMapping[];
  readonly primaryKey: PrimaryKeySpec | null;
  readonly comment: string | null;
  /** Keys of the tables the query reads (dynamic or not). */
  readonly sourceTables: readonly string[];
  readonly schedulerType: string | null;
  readonly cron: string | null;
  /** The scheduler workflow that refreshes the table; null while it has none (and for a continuous job). */
  readonly refreshHandler: RefreshHandler | null;
  /** The engine job that keeps a CONTINUOUS table fresh when its engine runs one (a streaming engine). */
  readonly continuousJob: ContinuousJob | null;
  /**
   * Why Freshet suspended the table itself (`SUSPENDED_DUE_TO_ERRORS` after failed refreshes, `UPSTREAM_SUSPENDED`
   * with a table it reads); null (or absent) while it is active or when a user suspended it. RESUME clears it.
   */
  readonly suspendedReason?: string | null;
  /** Row expectations of the column list (`CONSTRAINT … EXPECT …`), in declaration order; absent when none. */
  readonly expectations?: readonly RowExpectation[];
  readonly createdAt: string;
  readonly updatedAt: string;
}

export interface JobRecord {
  readonly jobId: string;
  /** Tables + schedule time; null for jobs that are never deduplicated. */
  readonly dedupeKey: string | null;
  readonly attempt: number;
  readonly trigger: RefreshTrigger;
  readonly status: JobStatus;
  /** Table keys in the order they are refreshed (upstream first). */
  readonly tables: readonly string[];
  /** ISO-8601 UTC. */
  readonly scheduleTime: string;
  readonly isPeriodic: boolean;
  readonly configuration: Readonly<Record<string, string>>;
  readonly staticPartitions: Readonly<Record<string, string>> | null;
  readonly clusterInfo: Readonly<Record<string, string>>;
  readonly error: string | null;
  readonly createdAt: string;
  readonly startedAt: string | null;
  readonly finishedAt: string | null;
}

export interface HistoryRecord {
  readonly id: number;
  readonly jobId: string;
  readonly tableKey: string;
  readonly identifier: string;
  readonly trigger: RefreshTrigger;
  readonly scheduleTime: string;
  readonly partition: Readonly<Record<string, string>> | null;
  readonly state: HistoryState;
  /** Rows inserted, or -1 when the engine cannot tell. */
  readonly rowsWritten: number | null;
  readonly rowsDeleted: number | null;
  /** What the refresh did; null until it has succeeded, and for rows recorded before Freshet kept it. */
  readonly action: RefreshAction | null;
  /** Why a table maintained incrementally was refreshed fully this time; null when there is nothing to say. */
  readonly actionDetail: string | null;
  /**
   * ISO-8601 UTC; set on a successful refresh: all source data up to it is in the table (DESIGN.md §9). Null
   * otherwise, and for a refresh that cannot vouch for the whole table (a one-off partition refresh, or one that
   * read an upstream dynamic table that had never been refreshed).
   */
  readonly dataTimestamp: string | null;
  /** While `WAITING`, and kept after: the sources not ready for the refresh's window, with gaps and locks. */
  readonly waitingOn: WaitingOn | null;
  /** Why a refresh ended without running or publishing, when there is a code for it (`NOT_READY`, `PUBLISH_BLOCKED`). */
  readonly errorCode: string | null;
  /** How the refresh's result fared against the table's publish guards; null when none were judged. */
  readonly guardReport: GuardReport | null;
  /** While a `BLOCKED` result waits for a decision: the name the engine keeps it under (null when it keeps none). */
  readonly staged: string | null;
  /** What an operator decided about a `BLOCKED` result; null while undecided (and for every other refresh). */
  readonly resolution: GuardResolution | null;
  /** Who decided, when the gateway knows (a token's name). */
  readonly resolvedBy: string | null;
  /** ISO-8601 UTC. */
  readonly resolvedAt: string | null;
  readonly startedAt: string | null;
  readonly finishedAt: string | null;
  readonly error: string | null;
}

/** A workflow a failed CREATE left in the scheduler, deleted once the scheduler answers again. */
export interface OrphanRecord {
  readonly id: number;
  readonly schedulerType: string;
  readonly tableIdentifier: string;
  readonly handler: RefreshHandler;
  readonly reason: string | null;
  readonly createdAt: string;
}

/**
 * Which gateway (replica) runs a refresh job and until when: several gateways may share one catalog, and a job
 * whose lease has passed is taken over by another gateway.
 */
export interface JobOwnership {
  /** The replica id of the gateway running the job. */
  readonly owner: string;
  /** ISO-8601 UTC; once it has passed, any gateway may take the job over. */
  readonly leaseUntil: string;
  /**
   * False when another gateway cannot run the job again from the catalog alone (ALTER … AS: the new definition
   * lives only in the gateway that started it); such a job is failed instead of taken over.
   */
  readonly resumable: boolean;
}

/** A job this gateway has just taken over from one that stopped renewing its lease. */
export interface ClaimedJob {
  readonly job: JobRecord;
  readonly resumable: boolean;
  /** The replica that held the job before, or null when nobody did. */
  readonly previousOwner: string | null;
}

/** A named lease (`scheduler-leader`, `table:<key>`): who holds it and until when. */
export interface LeaseRecord {
  readonly name: string;
  readonly owner: string;
  /** ISO-8601 UTC. */
  readonly until: string;
}
