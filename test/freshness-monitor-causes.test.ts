/**
 * The causes the freshness monitor names, table-driven over the pure evaluation: those that are hard to bring about
 * through a running gateway (a workflow missing at the scheduler, slow refreshes, a publish guard, reasons of
 * suspension that arrive with other features).
 */
import { strict as assert } from 'node:assert';
import type { DynamicTableRecord, HistoryRecord } from '../src/catalog/records';
import { baseStates, evaluate, type FreshnessInputs, needsDurations } from '../src/manager/freshness-evaluation';
import type { DriftReport } from '../src/manager/scheduler-drift';

const NOW = new Date('2026-01-01T12:00:00.000Z');
const HOUR_AGO = '2026-01-01T11:00:00.000Z';
const TWO_HOURS_AGO = '2026-01-01T10:00:00.000Z';

function table(name: string, extra: Partial<DynamicTableRecord> = {}): DynamicTableRecord {
  return {
    key: `default.main.${name}`,
    identifier: `default.main.${name}`,
    freshness: { interval: 30, unit: 'MINUTE' },
    refreshStatus: 'ACTIVATED',
    options: {},
    sourceTables: [],
    ...extra,
  } as unknown as DynamicTableRecord;
}

function refresh(name: string, state: string, extra: Partial<HistoryRecord> = {}): HistoryRecord {
  return {
    id: 1,
    jobId: 'j',
    tableKey: `default.main.${name}`,
    state,
    scheduleTime: HOUR_AGO,
    startedAt: HOUR_AGO,
    finishedAt: HOUR_AGO,
    error: null,
    errorCode: null,
    waitingOn: null,
    ...extra,
  } as unknown as HistoryRecord;
}

const drift = {
  checkedAt: HOUR_AGO,
  missing: [{ table: 'default.main.lost' }],
  wronglyPaused: [{ table: 'default.main.frozen', expectedPaused: false, actualPaused: true }],
} as unknown as DriftReport;

function run(tables: DynamicTableRecord[], settled: HistoryRecord[], recent: HistoryRecord[] = []) {
  const inputs: FreshnessInputs = {
    tables,
    validThrough: new Map(tables.map((t) => [t.key, HOUR_AGO])),
    settled: new Map(settled.map((h) => [h.tableKey, h])),
    drift,
    now: NOW,
  };
  const states = baseStates(inputs);
  const wanted = new Set(needsDurations(inputs, states));
  const byTable = new Map<string, HistoryRecord[]>();
  for (const h of recent) if (wanted.has(h.tableKey)) byTable.set(h.tableKey, [...(byTable.get(h.tableKey) ?? []), h]);
  return new Map(evaluate(inputs, states, byTable, new Map()).map((t) => [t.table.replace('default.main.', ''), t]));
}

describe('freshness causes', () => {
  it('names each cause Freshet knows, in order of precedence', () => {
    const got = run(
      [
        table('lost'),
        table('frozen'),
        table('slow'),
        table('blocked'),
        table('after_up_failed'),
        table('idle'),
        table('dropped_behind', { refreshStatus: 'SUSPENDED', suspendedReason: 'SCHEMA_DRIFT' }),
        table('by_errors', { refreshStatus: 'SUSPENDED', suspendedReason: 'SUSPENDED_DUE_TO_ERRORS' }),
        table('up', { refreshStatus: 'SUSPENDED' }),
        table('down', {
          refreshStatus: 'SUSPENDED',
          suspendedReason: 'UPSTREAM_SUSPENDED',
          sourceTables: ['default.main.up'],
        }),
      ],
      [
        refresh('blocked', 'BLOCKED', { error: 'row count fell by 90%' }),
        refresh('after_up_failed', 'UPSTREAM_FAILED', {
          error: 'Not refreshed because the refresh of its upstream table default.main.up failed: boom',
        }),
        refresh('idle', 'SUCCEEDED'),
        refresh('slow', 'SUCCEEDED', { startedAt: TWO_HOURS_AGO, finishedAt: HOUR_AGO }),
      ],
      [
        refresh('slow', 'SUCCEEDED', { startedAt: TWO_HOURS_AGO, finishedAt: HOUR_AGO }),
        refresh('idle', 'SUCCEEDED', { startedAt: HOUR_AGO, finishedAt: HOUR_AGO }),
      ],
    );
    const kinds = Object.fromEntries([...got].map(([name, t]) => [name, [t.state, t.cause?.kind, t.cause?.reason]]));
    assert.deepEqual(kinds, {
      lost: ['WARN', 'workflowMissing', undefined],
      frozen: ['WARN', 'workflowPaused', undefined],
      slow: ['WARN', 'refreshSlow', undefined],
      blocked: ['WARN', 'blockedByGuard', undefined],
      after_up_failed: ['WARN', 'upstreamFailed', undefined],
      idle: ['WARN', 'notRefreshed', undefined],
      dropped_behind: ['PAUSED', 'suspended', 'SCHEMA_DRIFT'],
      by_errors: ['PAUSED', 'suspended', 'SUSPENDED_DUE_TO_ERRORS'],
      up: ['PAUSED', 'suspended', 'MANUAL'],
      down: ['PAUSED', 'suspended', 'UPSTREAM_SUSPENDED'],
    });
    assert.equal(got.get('after_up_failed')?.cause?.upstream, 'default.main.up');
    assert.equal(got.get('down')?.cause?.upstream, 'default.main.up');
    assert.equal(got.get('slow')?.cause?.averageDurationSeconds, 3600);
    assert.match(String(got.get('blocked')?.cause?.message), /publish guard: row count fell by 90%/);
  });

  it('derives the missing threshold so that WARN always comes before STALE', () => {
    const got = run(
      [
        table('warn_only', { options: { 'sla.warn_after': '2 hours' } }),
        table('error_only', { options: { 'sla.error_after': '45 minutes' } }),
      ],
      [],
    );
    assert.deepEqual([got.get('warn_only')?.warnAfterSeconds, got.get('warn_only')?.errorAfterSeconds], [7200, 7200]);
    assert.deepEqual([got.get('error_only')?.warnAfterSeconds, got.get('error_only')?.errorAfterSeconds], [1800, 2700]);
    assert.equal(got.get('warn_only')?.state, 'FRESH');
    assert.equal(got.get('error_only')?.state, 'STALE', 'an hour is past 45 minutes');
  });
});
