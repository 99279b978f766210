/** `SHOW FRESHNESS [LIKE '…']`: the rows of `GET /v3/freshness`, worst first. */
import { likeMatcher } from '../sql/like';
import type { DynamicTableManager } from './dynamic-table-manager';

const COLUMNS = [
  'table',
  'state',
  'lag_seconds',
  'target_lag_seconds',
  'warn_after_seconds',
  'error_after_seconds',
  'valid_through',
  'since',
  'cause',
  'cause_message',
];

/** `like` matches the table's name (the last part of its identifier), as SHOW DYNAMIC TABLES does. */
export async function showFreshness(manager: DynamicTableManager, like: string | null, rowLimit: number) {
  const pattern = like === null ? null : likeMatcher(like);
  const rows = (await manager.freshness())
    .filter((t) => pattern === null || pattern.matches(t.table.split('.').pop() ?? t.table))
    .map((t) => [
      t.table,
      t.state,
      t.lagSeconds,
      t.targetLagSeconds,
      t.warnAfterSeconds,
      t.errorAfterSeconds,
      t.validThrough,
      t.since,
      t.cause?.kind ?? null,
      t.cause?.message ?? null,
    ]);
  return {
    kind: 'rows' as const,
    columns: COLUMNS,
    rows: rows.slice(0, rowLimit),
    ...(rows.length > rowLimit ? { truncated: true } : {}),
  };
}
