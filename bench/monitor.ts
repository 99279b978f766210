/**
 * The freshness monitor's pass over 1,000 dynamic tables on a SQLite catalog, each with 20 refreshes in its
 * history (every tenth table's newest one failed, every fiftieth suspended, every hundredth never refreshed). It
 * times `current` (what `GET /v3/freshness` computes) and `pass` (the same, plus comparing with and recording
 * transitions, none after the first). The baseline, measured in the same run, is one `listTables` call: the least
 * any pass must read.
 */
import { Catalog } from '../src/catalog/catalog';
import type { DynamicTableRecord } from '../src/catalog/records';
import { createLogger } from '../src/logger';
import { Alerts, DEFAULT_ALERTS } from '../src/manager/alerts';
import { FreshnessMonitor } from '../src/manager/freshness-monitor';
import {
  fmtInt,
  fmtMs,
  fmtRatio,
  heading,
  line,
  median,
  printVerdicts,
  temporaryFolder,
  verdict,
  type BenchSettings,
  type SummaryRow,
} from './support';

const TABLES = 1_000;
const REFRESHES_PER_TABLE = 20;
const PASSES = 20;
const GOAL_MS = 100;
const HOUR = 3_600_000;

function record(i: number, now: string): DynamicTableRecord {
  const name = `t${String(i).padStart(4, '0')}`;
  return {
    key: `default.main.${name}`,
    identifier: `default.main.${name}`,
    catalogName: 'default',
    databaseName: 'main',
    tableName: name,
    definitionQuery: i > 0 && i % 3 === 0 ? `SELECT * FROM t${String(i - 1).padStart(4, '0')}` : 'SELECT * FROM src',
    queryHash: 'h',
    createStatement: '',
    freshness: { interval: 1, unit: 'HOUR' },
    logicalRefreshMode: 'FULL',
    refreshMode: 'FULL',
    refreshStatus: i % 50 === 49 ? 'SUSPENDED' : 'ACTIVATED',
    partitionKeys: [],
    options: i % 7 === 0 ? { 'sla.warn_after': '2 hours' } : {},
    schema: [],
    columnMapping: [],
    primaryKey: null,
    comment: null,
    sourceTables: i > 0 && i % 3 === 0 ? [`default.main.t${String(i - 1).padStart(4, '0')}`] : ['default.main.src'],
    schedulerType: 'embedded',
    cron: null,
    refreshHandler: null,
    continuousJob: null,
    suspendedReason: null,
    createdAt: now,
    updatedAt: now,
  } as DynamicTableRecord;
}

async function load(catalog: Catalog, now: number): Promise<void> {
  const stamp = new Date(now).toISOString();
  const db = catalog.connection.db;
  for (let i = 0; i < TABLES; i++) {
    const table = record(i, stamp);
    await catalog.insertTable(table);
    if (i % 100 === 99) continue;
    const rows = [];
    for (let r = 0; r < REFRESHES_PER_TABLE; r++) {
      const at = new Date(now - (REFRESHES_PER_TABLE - r) * HOUR - (i % 5) * 600_000).toISOString();
      const failed = r === REFRESHES_PER_TABLE - 1 && i % 10 === 0;
      rows.push({
        job_id: `job-${i}-${r}`,
        table_key: table.key,
        identifier: table.identifier,
        trigger_kind: 'SCHEDULED',
        schedule_time: at,
        state: failed ? 'FAILED' : 'SUCCEEDED',
        data_timestamp: failed ? null : at,
        started_at: at,
        finished_at: at,
        error: failed ? 'engine said no' : null,
      });
    }
    await db('refresh_history').insert(rows);
  }
}

async function timed(work: () => Promise<unknown>): Promise<number[]> {
  await work();
  const times: number[] = [];
  for (let i = 0; i < PASSES; i++) {
    const began = performance.now();
    await work();
    times.push(performance.now() - began);
  }
  return times;
}

export async function runMonitor(_settings: BenchSettings): Promise<SummaryRow[]> {
  heading(`Freshness monitor (SQLite catalog, ${fmtInt(TABLES)} tables, ${REFRESHES_PER_TABLE} refreshes each)`);
  const folder = temporaryFolder('monitor');
  const catalog = new Catalog('sqlite:catalog.db', folder.path);
  const logger = createLogger('silent');
  const alerts = new Alerts(DEFAULT_ALERTS, () => '', logger);
  try {
    await catalog.open();
    const now = Date.now();
    await load(catalog, now);
    const monitor = new FreshnessMonitor(
      catalog,
      { intervalSeconds: 0 },
      () => true,
      () => null,
      alerts,
      logger,
    );
    const first = await monitor.pass(new Date(now));
    line('first pass records every table', `${fmtInt(first.length)} transitions`);
    const baseline = median(await timed(() => catalog.listTables()));
    line('baseline: one listTables call', fmtMs(baseline));
    const rows: SummaryRow[] = [];
    for (const [label, work] of [
      ['GET /v3/freshness (current)', () => monitor.current(new Date(now))],
      ['monitor pass (no transitions)', () => monitor.pass(new Date(now))],
    ] as const) {
      const times = await timed(work);
      const took = median(times);
      line(label, `median ${fmtMs(took)}, worst ${fmtMs(Math.max(...times))}`);
      rows.push({
        benchmark: `Freshness monitor: ${label}, ${fmtInt(TABLES)} tables`,
        measured: fmtMs(took),
        baseline: fmtMs(baseline),
        ratio: fmtRatio(took / baseline),
        goal: `< ${GOAL_MS} ms`,
        verdict: verdict(took < GOAL_MS),
      });
    }
    printVerdicts(rows);
    return rows;
  } finally {
    await alerts.close();
    await catalog.close();
    folder.dispose();
  }
}
