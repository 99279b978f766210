/** What the refresh runner asks of the rest of the gateway: carrying out one table's refresh. */
import type { DynamicTableRecord } from '../catalog/records';
import type { RefreshOutcome, TableDefinition } from '../engine/engine';

/** One table of a refresh job. */
export interface TableRefresh {
  readonly table: DynamicTableRecord;
  /** Null: the whole table. */
  readonly partition: Readonly<Record<string, string>> | null;
  /** Set when the table must be rebuilt with a new definition (ALTER … AS). */
  readonly rebuild?: TableDefinition;
  /**
   * Names this refresh in the engine's ledger (the runner sets it: job id and table), so that whether it
   * committed can be asked after its gateway stopped.
   */
  readonly refreshId?: string;
  /**
   * True when the result is to replace the table without the table's publish guards judging it: an operator
   * publishing a blocked result that the engine could not keep.
   */
  readonly unguarded?: boolean;
}

/**
 * Carries out one table's refresh for the runner. The runner decides when a refresh runs and records it; the
 * refresher decides how (on the table's engine, incrementally or fully, or streamed from another catalog).
 */
export interface TableRefresher {
  /** Refreshes the table with the job's configuration; rejects when the refresh failed. */
  refresh(refresh: TableRefresh, configuration: Readonly<Record<string, string>>): Promise<RefreshOutcome>;
  /**
   * The outcome the table's engine recorded for the refresh `refreshId` when it committed, else null; absent or
   * null where the engine keeps no ledger (then a refresh whose gateway stopped counts as not applied).
   */
  committed?(refresh: TableRefresh, refreshId: string): Promise<RefreshOutcome | null>;
}
