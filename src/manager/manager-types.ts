/** The manager's settings and the shapes its parts hand each other and their callers. */
import type { HistoryState, JobRecord, JobStatus, RefreshTrigger } from '../catalog/records';
import type { CallbackTarget } from '../scheduler/workflow-scheduler';
import type { AlertSettings } from './alerts';
import type { MonitorSettings } from './freshness-monitor';
import type { RetentionSettings } from './history-retention';

export interface ManagerSettings {
  /** The catalog unqualified names and statements use unless a request names another. */
  readonly defaultCatalog: string;
  readonly timeZone: string;
  readonly thresholdSeconds: number;
  readonly defaultFreshness: { readonly continuousSeconds: number; readonly fullSeconds: number };
  /** How long CREATE and ALTER … REFRESH wait for their refresh before answering. */
  readonly statementWaitMs: number;
  /** Failed refreshes in a row after which Freshet suspends a table; 0 (or absent) never. */
  readonly maxConsecutiveFailures?: number;
  readonly schedulerType: string;
  /** Where workflows call back; each workflow gets its own token when auth is on. */
  readonly callback: Pick<CallbackTarget, 'refreshUrl' | 'jobsUrl'>;
  readonly authEnabled: boolean;
  /** False while another gateway on a shared catalog leads continuous refreshes; always leader when omitted. */
  readonly isLeader?: () => boolean;
  /** How long the refresh history is kept (`history.*`); the defaults when omitted. */
  readonly history?: RetentionSettings;
  /** How often the leader reflects every table's schema (`reflection.intervalSeconds`; 0: only on demand). */
  readonly reflectionIntervalSeconds?: number;
  /** How often the freshness monitor runs (`monitor.*`); the defaults when omitted. */
  readonly monitor?: MonitorSettings;
  /** Alert channels (`alerts.*`); none when omitted. */
  readonly alerts?: AlertSettings;
  /** The gateway's public URL, for links in alerts. */
  readonly publicUrl?: string;
}

/** Which jobs `GET /v3/jobs` lists; `table` is an identifier, resolved as everywhere else. */
export interface JobQuery {
  readonly status?: JobStatus;
  readonly table?: string;
  readonly trigger?: RefreshTrigger;
  readonly since?: Date;
  readonly limit: number;
  readonly offset: number;
}

/** Which refreshes a table's history (or every table's) lists. */
export interface RefreshQuery {
  readonly status?: HistoryState;
  readonly since?: Date;
  readonly limit: number;
  readonly offset: number;
}

export interface RefreshRequest {
  readonly tables: readonly string[];
  /** Text as the scheduler sent it, or a Date from an in-process scheduler; absent → now, no deduplication. */
  readonly scheduleTime?: string | Date;
  readonly timeZone?: string;
  readonly configuration?: Readonly<Record<string, string>>;
  readonly isPeriodic?: boolean;
  readonly staticPartitions?: Readonly<Record<string, string>>;
  readonly trigger?: RefreshTrigger;
}

export interface DdlOutcome {
  readonly message: string;
  readonly identifier: string;
  readonly job?: JobRecord;
  /** BACKFILL: one job per window, oldest first. */
  readonly windows?: readonly WindowJob[];
}

/** The job that refreshes one window of a partitioned table. */
export interface WindowJob {
  readonly jobId: string;
  /** The window's tick, `yyyy-MM-dd HH:mm:ss` in the gateway's time zone. */
  readonly scheduleTime: string;
  readonly partition: Readonly<Record<string, string>> | null;
}
