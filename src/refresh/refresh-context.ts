/** What the parts of the refresh runner (submitting, executing, waiting, taking over) share. */
import type { JobStore } from '../catalog/job-store';
import { messageOf } from '../errors';
import type { HistoryState, RefreshAction, RefreshTrigger } from '../model';
import type { LeaseStore } from '../catalog/lease-store';
import type { DynamicTableStore } from '../catalog/table-store';
import type { Logger } from '../logger';
import type { Clock } from '../replica/clock';
import type { LeaseKeeper } from './lease-keeper';
import type { TableRefresher } from './table-refresher';
import type { TableLocks } from './table-locks';
import type { RefreshHooks } from './refresh-hooks';
import type { UpstreamGate } from './upstream-gate';

/** The catalog stores the refresh runner uses. */
export interface RunnerStores {
  /** Read when a job taken over from another gateway is resumed. */
  readonly tables: Pick<DynamicTableStore, 'get'>;
  readonly jobs: JobStore;
  readonly leases: LeaseStore;
  /** Whether other gateways may share the catalog: only then are jobs and tables leased. */
  readonly shared: boolean;
}

export interface RunnerContext {
  readonly stores: RunnerStores;
  readonly refresher: TableRefresher;
  /** One refresh of a table at a time in this process. */
  readonly locks: TableLocks;
  /** Null for a catalog this gateway does not share: there is nobody to lease jobs or tables against. */
  readonly keeper: LeaseKeeper | null;
  readonly replicaId: string;
  /** How long a job or table lease holds without renewal. */
  readonly leaseMs: number;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Keeps a table's scheduled refresh behind the refreshes of its upstream tables for the same tick. */
  readonly gate: UpstreamGate;
  /** Readiness gating and the publishing of windows, as the manager decides them. */
  hooks: RefreshHooks;
  /** Told the tables (keys) that failed once a job's end is recorded; see {@link RefreshRunner.onJobFinished}. */
  readonly finishedListeners: Array<(jobId: string, failed: ReadonlySet<string>) => void>;
  /** Told each table refresh's end, as its log line tells it; see {@link RefreshRunner.onRefreshEnded}. */
  readonly refreshListeners: Array<(end: RefreshEnded) => void>;
}

/** How one table's refresh ended, for observers such as the gateway's metrics and alerts. */
export interface RefreshEnded {
  /** The table's identifier. */
  readonly table: string;
  readonly jobId: string;
  readonly trigger: RefreshTrigger;
  /** The state its history row ended in (`BLOCKED`: a publish guard kept the result from replacing the table). */
  readonly state: HistoryState;
  /** The history row's error code, when it has one that says why (`NOT_READY`: the refresh did not run). */
  readonly errorCode?: string;
  /** What a successful refresh did; null for one that failed or did not run. */
  readonly action: RefreshAction | null;
  readonly durationMs: number;
  /** -1 when the engine cannot count them. */
  readonly rowsWritten: number;
  readonly rowsDeleted: number;
  /** Why it failed or was blocked; null when it succeeded. */
  readonly error: string | null;
  /** The publish guards that blocked the result (`min_rows`, `expect.<name>`, …); empty unless BLOCKED. */
  readonly blockedBy: readonly string[];
  /** When it ended (ISO-8601 UTC). */
  readonly at: string;
}

/** Tells every refresh observer how a table's refresh ended; an observer's fault never fails the refresh. */
export function tellRefreshEnded(context: RunnerContext, ended: RefreshEnded): void {
  for (const listener of context.refreshListeners) {
    try {
      listener(ended);
    } catch (error) {
      context.logger.warn('a refresh observer failed', { table: ended.table, error: messageOf(error) });
    }
  }
}

/** Job and history states that are not final. */
export const UNFINISHED: ReadonlySet<string> = new Set(['PENDING', 'WAITING', 'RUNNING']);

/** What executing a job has learnt so far. */
export interface Progress {
  readonly failed: Set<string>;
  /** Tables whose window was skipped: their sources were not ready (`readiness.on_not_ready = 'skip'`). */
  readonly skipped: Set<string>;
  /** What went wrong, by table identifier, for the job's own error. */
  readonly causes: Map<string, string>;
  /** The same by table key, for the refreshes of the tables that read them. */
  readonly causesByKey: Map<string, string>;
  started: boolean;
  /** True while the job shows WAITING: the next refresh to start sets it RUNNING again. */
  waiting: boolean;
}
