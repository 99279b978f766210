import { validationError } from '../errors';
import type { Freshness, FreshnessUnit, LogicalRefreshMode, RefreshMode } from '../model';

export type { LogicalRefreshMode, RefreshMode } from '../model';

/** The freshness units, smallest first, with their length in seconds. */
export const FRESHNESS_UNIT_SECONDS: Readonly<Record<FreshnessUnit, number>> = Object.freeze({
  SECOND: 1,
  MINUTE: 60,
  HOUR: 3600,
  DAY: 86400,
});

const UNITS_LARGEST_FIRST: readonly FreshnessUnit[] = ['DAY', 'HOUR', 'MINUTE', 'SECOND'];

export function isFreshnessUnit(value: string): value is FreshnessUnit {
  return Object.hasOwn(FRESHNESS_UNIT_SECONDS, value);
}

/**
 * Checks what every freshness must satisfy whatever the refresh mode: a positive integer interval and one of the
 * four units. The parser already enforces this for SQL text; this guards values from the catalog and REST bodies.
 */
export function validateFreshness(f: Freshness): void {
  if (!Number.isSafeInteger(f.interval) || f.interval <= 0) {
    throw validationError(
      `The freshness interval currently only supports positive integer type values. But was: ${String(f.interval)}`,
    );
  }
  if (!isFreshnessUnit(f.unit)) {
    throw validationError(
      `Dynamic table freshness only supports SECOND, MINUTE, HOUR, DAY as the time unit. But was: ${String(f.unit)}`,
    );
  }
}

/** The freshness as a number of seconds (a day is always 86 400 s, as in Flink). */
export function freshnessToSeconds(f: Freshness): number {
  validateFreshness(f);
  return f.interval * FRESHNESS_UNIT_SECONDS[f.unit];
}

/** SQL form, as SHOW CREATE prints it: `INTERVAL '5' MINUTE`. */
export function formatFreshness(f: Freshness): string {
  return `INTERVAL '${f.interval}' ${f.unit}`;
}

/** Human form for messages and DESCRIBE: `5 minutes`, `1 hour`. */
export function describeFreshness(f: Freshness): string {
  const word = f.unit.toLowerCase();
  return `${f.interval} ${f.interval === 1 ? word : `${word}s`}`;
}

/** Largest whole unit: 60 s → 1 MINUTE, 3600 s → 1 HOUR, 2 days → 2 DAY, 90 s → 90 SECOND. */
export function freshnessFromSeconds(seconds: number): Freshness {
  if (!Number.isSafeInteger(seconds) || seconds <= 0) {
    throw validationError(`A freshness must be a positive whole number of seconds, but was: ${String(seconds)}`);
  }
  for (const unit of UNITS_LARGEST_FIRST) {
    const size = FRESHNESS_UNIT_SECONDS[unit];
    if (seconds % size === 0) return { interval: seconds / size, unit };
  }
  // Unreachable: every integer is a whole number of seconds.
  return { interval: seconds, unit: 'SECOND' };
}

/**
 * DESIGN §4: explicit mode wins; otherwise freshness < threshold (strict) → CONTINUOUS, else FULL.
 * The threshold is passed in rather than read from configuration so that a table keeps the mode it was
 * created with when the threshold later changes.
 */
export function deduceRefreshMode(
  logical: LogicalRefreshMode,
  freshness: Freshness,
  thresholdSeconds: number,
): RefreshMode {
  if (logical === 'FULL' || logical === 'CONTINUOUS') return logical;
  return freshnessToSeconds(freshness) < thresholdSeconds ? 'CONTINUOUS' : 'FULL';
}

/** Freshness when omitted: the continuous default for AUTOMATIC/CONTINUOUS, the full default for FULL. */
export function defaultFreshness(
  logical: LogicalRefreshMode,
  defaults: { continuousSeconds: number; fullSeconds: number },
): Freshness {
  return freshnessFromSeconds(logical === 'FULL' ? defaults.fullSeconds : defaults.continuousSeconds);
}

/** The logical mode for a parsed `REFRESH_MODE` clause (null when the clause is absent). */
export function logicalRefreshModeOf(keyword: 'FULL' | 'CONTINUOUS' | null): LogicalRefreshMode {
  return keyword ?? 'AUTOMATIC';
}
