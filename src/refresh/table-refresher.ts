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
}

/**
 * Carries out one table's refresh for the runner. The runner decides when a refresh runs and records it; the
 * refresher decides how (on the table's engine, incrementally or fully, or streamed from another catalog).
 */
export interface TableRefresher {
  /** Refreshes the table with the job's configuration; rejects when the refresh failed. */
  refresh(refresh: TableRefresh, configuration: Readonly<Record<string, string>>): Promise<RefreshOutcome>;
}
