/**
 * What the manager adds to each table refresh the runner carries out (DESIGN.md §10): a gated refresh waits until
 * the sources it reads are ready for its window, and every refresh publishes the window it wrote, so that others
 * can ask the same readiness question of a dynamic table. The runner records what happens; the hooks decide.
 */
import type { DynamicTableRecord, JobRecord } from '../catalog/records';
import type { WaitingOn } from '../model';
import type { TableRefresh } from './table-refresher';

/** How a refresh may go on after its sources were checked. */
export type ReadinessOutcome =
  | { readonly kind: 'ready' }
  /** Not ready, and the table's policy is to skip the window (recorded SKIPPED) or fail it (FAILED, NOT_READY). */
  | { readonly kind: 'skip' | 'fail'; readonly reason: string; readonly waitingOn: WaitingOn };

export interface RefreshHooks {
  /**
   * Resolves once the refresh may run, or may not. `waiting` is called (again when what is missing changes) while
   * it waits, for the runner to record the refresh WAITING with what it waits for.
   */
  awaitReadiness(
    job: JobRecord,
    table: DynamicTableRecord,
    waiting: (on: WaitingOn) => Promise<void>,
  ): Promise<ReadinessOutcome>;
  /** The refresh is about to write its window (which readers now see locked). Must not throw. */
  started(job: JobRecord, refresh: TableRefresh): Promise<void>;
  /** The refresh committed, with this data timestamp (null: it vouches for nothing). Must not throw. */
  succeeded(job: JobRecord, refresh: TableRefresh, dataTimestamp: string | null): Promise<void>;
  /** Ends every wait at once (the gateway is stopping). */
  close(): void;
}

/** Hooks that gate nothing and publish nothing. */
export const NO_HOOKS: RefreshHooks = {
  awaitReadiness: async () => ({ kind: 'ready' }),
  started: async () => undefined,
  succeeded: async () => undefined,
  close: () => undefined,
};
