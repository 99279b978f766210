/**
 * A table's freshness thresholds: `WARN` beyond `sla.warn_after` (default its freshness), `STALE` beyond
 * `sla.error_after` (default twice its freshness), both durations in its `WITH (…)`.
 */
import type { DynamicTableRecord } from '../catalog/records';
import { validationError } from '../errors';
import { freshnessToSeconds, parseDurationSeconds } from '../freshness';

export const SLA_WARN_AFTER_OPTION = 'sla.warn_after';
export const SLA_ERROR_AFTER_OPTION = 'sla.error_after';

export interface FreshnessThresholds {
  /** The table's freshness, its target lag. */
  readonly targetSeconds: number;
  readonly warnSeconds: number;
  readonly errorSeconds: number;
}

/**
 * The thresholds of a table with this freshness and these options. A bad duration, or an `error_after` shorter
 * than `warn_after`, is a 400 that names the option; a missing one is derived so that warn ≤ error always holds.
 */
export function thresholdsOf(targetSeconds: number, options: Readonly<Record<string, string>>): FreshnessThresholds {
  const warn = durationOption(options, SLA_WARN_AFTER_OPTION);
  const error = durationOption(options, SLA_ERROR_AFTER_OPTION);
  if (warn !== null && error !== null && error < warn) {
    throw validationError(
      `'${SLA_ERROR_AFTER_OPTION}' (${error} s) must be at least '${SLA_WARN_AFTER_OPTION}' (${warn} s): a table ` +
        'is WARN before it is STALE.',
    );
  }
  const warnSeconds = warn ?? (error === null ? targetSeconds : Math.min(targetSeconds, error));
  const errorSeconds = error ?? Math.max(2 * targetSeconds, warnSeconds);
  return { targetSeconds, warnSeconds, errorSeconds };
}

/** The thresholds of a table in the catalog; options that no longer parse fall back to the defaults. */
export function tableThresholds(table: Pick<DynamicTableRecord, 'freshness' | 'options'>): FreshnessThresholds {
  const target = freshnessToSeconds(table.freshness);
  try {
    return thresholdsOf(target, table.options);
  } catch {
    return thresholdsOf(target, {});
  }
}

function durationOption(options: Readonly<Record<string, string>>, key: string): number | null {
  const text = options[key];
  if (text === undefined) return null;
  try {
    return parseDurationSeconds(text);
  } catch (error) {
    throw validationError(`'${key}': ${(error as Error).message}`);
  }
}
