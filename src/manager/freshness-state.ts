/**
 * A table's freshness state from its lag against its freshness (DESIGN.md §12). Kept to one pure function so the
 * freshness monitor can take it over (or replace it) without touching its callers.
 */

export type FreshnessState = 'FRESH' | 'WARN' | 'STALE' | 'UNKNOWN' | 'PAUSED';

export const FRESHNESS_STATES: readonly FreshnessState[] = ['FRESH', 'WARN', 'STALE', 'UNKNOWN', 'PAUSED'];

export interface FreshnessInput {
  /** The table is suspended: it is not meant to be fresh. */
  readonly suspended: boolean;
  /** Seconds from the table's valid-through to now; null while no refresh has vouched for the whole table. */
  readonly lagSeconds: number | null;
  /** The table's freshness (target lag) in seconds. */
  readonly targetSeconds: number;
}

/** PAUSED when suspended, UNKNOWN when never refreshed, else FRESH up to the target lag, WARN up to twice it, STALE. */
export function freshnessStateOf(input: FreshnessInput): FreshnessState {
  if (input.suspended) return 'PAUSED';
  if (input.lagSeconds === null) return 'UNKNOWN';
  if (input.lagSeconds <= input.targetSeconds) return 'FRESH';
  return input.lagSeconds <= 2 * input.targetSeconds ? 'WARN' : 'STALE';
}
