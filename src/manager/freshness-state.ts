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
  /** Lag up to which the table is FRESH (`sla.warn_after`, else its freshness). */
  readonly warnSeconds: number;
  /** Lag beyond which it is STALE (`sla.error_after`, else twice its freshness). */
  readonly errorSeconds: number;
}

/**
 * PAUSED when suspended, UNKNOWN when never refreshed, else FRESH up to the warn threshold, WARN up to the error
 * threshold, STALE beyond: the freshness monitor's rule (freshness-sla.ts gives the thresholds).
 */
export function freshnessStateOf(input: FreshnessInput): FreshnessState {
  if (input.suspended) return 'PAUSED';
  if (input.lagSeconds === null) return 'UNKNOWN';
  if (input.lagSeconds <= input.warnSeconds) return 'FRESH';
  return input.lagSeconds <= input.errorSeconds ? 'WARN' : 'STALE';
}
