/** How the manager words a table's mode, freshness and partition in the messages users read. */
import type { DynamicTableRecord } from '../catalog/records';
import type { Freshness } from '../model';

export function describeMode(t: DynamicTableRecord): string {
  return t.refreshMode === 'FULL'
    ? `FULL refresh, CRON ${t.cron}`
    : `CONTINUOUS refresh every ${describeFreshnessText(t.freshness)}`;
}

export function describeFreshnessText(f: Freshness): string {
  return `${f.interval} ${f.unit.toLowerCase()}${f.interval === 1 ? '' : 's'}`;
}

export function formatPartition(p: Readonly<Record<string, string>>): string {
  return `(${Object.entries(p)
    .map(([k, v]) => `${k} = '${v}'`)
    .join(', ')})`;
}
