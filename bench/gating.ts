/**
 * The cost of gating: periodic refreshes of two identical aggregating dynamic tables, one gated on a registered
 * source (`readiness.sources`) whose partitions make every window ready, one not, alternating tick by tick. Each
 * side is timed around the scheduler's callback (`?wait=`), which includes waiting for readiness; the ratio of the
 * medians is the gating check's cost per refresh.
 */
import * as path from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { loadConfig } from '../src/config/config';
import { type Gateway, startGateway } from '../src/gateway';
import {
  fmtInt,
  fmtMs,
  fmtRatio,
  heading,
  line,
  median,
  postJson,
  printVerdicts,
  sql,
  temporaryFolder,
  verdict,
  type BenchSettings,
  type SummaryRow,
} from './support';

const GOAL_RATIO = 1.05;
const HOUR_MS = 3_600_000;
/** Hourly partitions the gating source holds: the check reads only those near each window. */
const PARTITIONS = 10_000;
const FIRST_TICK = Date.parse('2025-01-01T00:00:00.000Z');
const QUERY = 'SELECT g, COUNT(*) AS n, SUM(x) AS sx FROM src GROUP BY g';

async function seed(gateway: Gateway, folder: string, settings: BenchSettings): Promise<void> {
  const db = new BetterSqlite3(path.join(folder, 'warehouse.db'));
  try {
    db.pragma('journal_mode = WAL');
    db.exec(`CREATE TABLE src (id INTEGER PRIMARY KEY, g INTEGER NOT NULL, x INTEGER NOT NULL);
      WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < ${settings.rows})
      INSERT INTO src SELECT i, i % ${settings.groups}, (i * 7919) % 1000 FROM c;`);
  } finally {
    db.close();
  }
  const registry = gateway.manager.registry;
  const { accessToken } = await registry.registerSource({ name: 'landing', owner: 'bench' });
  await registry.registerProvider({ name: 'loader', source: 'landing', accessToken });
  for (let i = 0; i < PARTITIONS; i++) {
    const start = new Date(FIRST_TICK - HOUR_MS + i * HOUR_MS).toISOString();
    const end = new Date(FIRST_TICK + i * HOUR_MS).toISOString();
    await registry.registerPartition('landing', { provider: 'loader', start, end }, 'ready');
  }
  await sql(
    gateway.url,
    `CREATE DYNAMIC TABLE plain WITH ('initialize' = 'on_schedule') FRESHNESS = INTERVAL '1' HOUR AS ${QUERY};
     CREATE DYNAMIC TABLE gated WITH ('initialize' = 'on_schedule', 'readiness.sources' = 'landing')
       FRESHNESS = INTERVAL '1' HOUR AS ${QUERY}`,
  );
}

async function refresh(gatewayUrl: string, table: string, tick: number): Promise<number> {
  const began = performance.now();
  const res = await postJson(`${gatewayUrl}/v3/dynamic-tables/refresh?wait=600`, {
    tables: [table],
    scheduleTime: new Date(tick).toISOString(),
  });
  const ms = performance.now() - began;
  if (res.status !== 200)
    throw new Error(`the refresh of ${table} did not succeed (${res.status}): ${JSON.stringify(res.body)}`);
  return ms;
}

export async function runGating(settings: BenchSettings): Promise<SummaryRow[]> {
  heading('Gating (periodic refresh gated on a ready source vs. the same refresh ungated)');
  const folder = temporaryFolder('gating');
  const config = loadConfig({ env: {}, overrides: { dataDir: folder.path, logLevel: 'silent', server: { port: 0 } } });
  const gateway = await startGateway(config);
  try {
    const seeding = performance.now();
    await seed(gateway, folder.path, settings);
    line('source rows / groups', `${fmtInt(settings.rows)} / ${fmtInt(settings.groups)}`);
    line('gating source partitions', `${fmtInt(PARTITIONS)} (seeded in ${fmtMs(performance.now() - seeding)})`);
    const pairs = Math.max(20, settings.repetitions * 8);
    // One warm-up of each side, then alternate, so drift in the machine hits both.
    await refresh(gateway.url, 'plain', FIRST_TICK);
    await refresh(gateway.url, 'gated', FIRST_TICK);
    const plain: number[] = [];
    const gated: number[] = [];
    for (let i = 1; i <= pairs; i++) {
      const tick = FIRST_TICK + i * HOUR_MS;
      // ABBA: which side goes first alternates, so neither always follows the other's writes.
      if (i % 2 === 0) {
        plain.push(await refresh(gateway.url, 'plain', tick));
        gated.push(await refresh(gateway.url, 'gated', tick));
      } else {
        gated.push(await refresh(gateway.url, 'gated', tick));
        plain.push(await refresh(gateway.url, 'plain', tick));
      }
    }
    const ratio = median(gated) / median(plain);
    line('ungated refresh, median', fmtMs(median(plain)));
    line('gated refresh, median', fmtMs(median(gated)));
    line('ratio gated ÷ ungated', fmtRatio(ratio));
    const rows: SummaryRow[] = [
      {
        benchmark: 'gated refresh (SQLite, ready source)',
        measured: fmtMs(median(gated)),
        baseline: `${fmtMs(median(plain))} ungated`,
        ratio: fmtRatio(ratio),
        goal: `≤ ${GOAL_RATIO}`,
        verdict: verdict(ratio <= GOAL_RATIO),
      },
    ];
    printVerdicts(rows);
    return rows;
  } finally {
    await gateway.close();
    folder.dispose();
  }
}
