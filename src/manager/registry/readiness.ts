/**
 * Whether an interval of a source is ready (DESIGN.md §10): partitions whose latest event is UNLOCK cover it with
 * no gap, and no partition overlapping it is LOCKed. Intervals are half-open, `[start, end)`. Unlike the registry
 * Freshet grew from, a partition strictly inside the interval counts (overlap is `p.start < end && p.end > start`),
 * and coverage extends to the largest end seen so far, so a short partition after a long one makes no false gap.
 * A zero-length partition holds no instant: it neither covers nor locks anything.
 */
import type { PartitionRecord } from '../../model';

export interface LockedPartition {
  readonly start: string;
  readonly end: string;
  readonly provider: string;
  /** When it was locked. */
  readonly since: string;
}

export interface Readiness {
  readonly ready: boolean;
  /** The parts of the interval ready partitions cover, merged, in order. */
  readonly covered: ReadonlyArray<readonly [string, string]>;
  /** The parts of the interval no ready partition covers, in order. */
  readonly gaps: ReadonlyArray<readonly [string, string]>;
  /** Locked partitions overlapping the interval. */
  readonly locked: readonly LockedPartition[];
}

type Span = readonly [number, number];

/** Readiness of `[start, end)` (ISO-8601 UTC) from the partitions of one source; any may lie outside it. */
export function readinessOf(partitions: readonly PartitionRecord[], start: string, end: string): Readiness {
  const a = Date.parse(start);
  const b = Date.parse(end);
  const overlapping = partitions.filter((p) => {
    const s = Date.parse(p.start);
    const e = Date.parse(p.end);
    return s < e && s < b && e > a;
  });
  const locked = overlapping
    .filter((p) => p.state === 'LOCKED')
    .map((p) => ({ start: p.start, end: p.end, provider: p.provider, since: p.stateSince }));
  const readySpans = overlapping
    .filter((p) => p.state === 'READY')
    .map((p): Span => [Math.max(a, Date.parse(p.start)), Math.min(b, Date.parse(p.end))])
    .filter(([s, e]) => s < e)
    .sort((x, y) => x[0] - y[0] || x[1] - y[1]);
  const covered = mergeSpans(readySpans);
  const gaps: Span[] = [];
  let cursor = a;
  for (const [s, e] of covered) {
    if (s > cursor) gaps.push([cursor, s]);
    cursor = Math.max(cursor, e);
  }
  if (cursor < b) gaps.push([cursor, b]);
  return {
    ready: a < b && gaps.length === 0 && locked.length === 0,
    covered: covered.map(isoSpan),
    gaps: gaps.map(isoSpan),
    locked,
  };
}

/**
 * The end of the gapless run of ready partitions from the earliest one, cut at the start of a locked partition
 * inside the run; null when nothing is ready. `partitions` are every partition of the source.
 */
export function readyThroughOf(
  partitions: ReadonlyArray<Pick<PartitionRecord, 'start' | 'end' | 'state'>>,
): string | null {
  const spans = partitions
    .filter((p) => p.state === 'READY')
    .map((p): Span => [Date.parse(p.start), Date.parse(p.end)])
    .filter(([s, e]) => s < e)
    .sort((x, y) => x[0] - y[0] || x[1] - y[1]);
  const first = spans[0];
  if (first === undefined) return null;
  let through = first[1];
  for (const [s, e] of spans) {
    if (s > through) break;
    through = Math.max(through, e);
  }
  for (const p of partitions) {
    if (p.state !== 'LOCKED') continue;
    const s = Date.parse(p.start);
    const e = Date.parse(p.end);
    if (s < e && s < through && e > first[0]) through = Math.max(first[0], s);
  }
  return through > first[0] ? new Date(through).toISOString() : null;
}

/** Merges sorted spans that touch or overlap. */
function mergeSpans(sorted: readonly Span[]): Span[] {
  const merged: Array<[number, number]> = [];
  for (const [s, e] of sorted) {
    const last = merged[merged.length - 1];
    if (last !== undefined && s <= last[1]) last[1] = Math.max(last[1], e);
    else merged.push([s, e]);
  }
  return merged;
}

function isoSpan([s, e]: Span): readonly [string, string] {
  return [new Date(s).toISOString(), new Date(e).toISOString()];
}
