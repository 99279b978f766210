/**
 * The data timestamp of a successful refresh (DESIGN.md §9): all source data up to it is in the table. For a table
 * over plain sources it is the refresh's schedule time, or its start when that came first (nothing after the start
 * can have been read); over dynamic tables, no later than the oldest data timestamp among the upstream tables it
 * read. A downstream table is therefore never reported fresher than what it read.
 */

export interface DataTimestampInput {
  /** ISO-8601 UTC: the tick the refresh ran for (or when it was asked for, without one). */
  readonly scheduleTime: string;
  /** ISO-8601 UTC. */
  readonly startedAt: string;
  /**
   * False for a refresh that rewrote one named partition on request (a backfill): the rest of the table is as
   * old as it was, so such a refresh vouches for nothing. A periodic partition refresh closes the newest window
   * and counts.
   */
  readonly vouchesForTable: boolean;
  /** The oldest data timestamp of the upstream dynamic tables read; null when one had none; undefined for none read. */
  readonly upstream: string | null | undefined;
}

/** ISO-8601 UTC, or null when the refresh cannot say how current the table is. */
export function dataTimestampOf(input: DataTimestampInput): string | null {
  if (!input.vouchesForTable || input.upstream === null) return null;
  const own = earlier(input.startedAt, input.scheduleTime);
  return input.upstream === undefined ? own : earlier(input.upstream, own);
}

/** The earlier of two ISO-8601 UTC instants (written alike, so they order as text). */
function earlier(a: string, b: string): string {
  return Date.parse(a) <= Date.parse(b) ? a : b;
}
