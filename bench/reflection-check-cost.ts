/**
 * What the schema check at the start of each refresh costs on SQLite (engine and catalog): the time of the check
 * itself, measured around it, and the refresh latency with and without it, for a dynamic table reading one and
 * three plain tables. Run: `npx tsc -p tsconfig.json && node dist/bench/reflection-check-cost.js [refreshes]`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadConfig } from '../src/config/config';
import { startGateway } from '../src/gateway';
import { RefreshStrategy } from '../src/manager/refresh-strategy';

type Check = Parameters<RefreshStrategy['checkBeforeEachRefresh']>[0];

const original = RefreshStrategy.prototype.checkBeforeEachRefresh;
let mode: 'timed' | 'off' = 'timed';
const checkTimes: number[] = [];
RefreshStrategy.prototype.checkBeforeEachRefresh = function (this: RefreshStrategy, check: Check) {
  if (mode === 'off') return;
  original.call(this, async (table) => {
    const started = performance.now();
    try {
      await check(table);
    } finally {
      checkTimes.push(performance.now() - started);
    }
  });
};

const SETUP = `
CREATE TABLE orders (id INTEGER, region TEXT, amount INTEGER, customer INTEGER);
CREATE TABLE customers (id INTEGER, name TEXT);
CREATE TABLE regions (name TEXT, manager TEXT);
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1000)
  INSERT INTO orders SELECT i, 'r' || (i % 10), i % 97, i % 50 FROM n;
INSERT INTO customers VALUES (1, 'ada'), (2, 'bob');
INSERT INTO regions VALUES ('r1', 'cyd');
CREATE DYNAMIC TABLE one_source AS SELECT region, SUM(amount) AS total FROM orders GROUP BY region;
CREATE DYNAMIC TABLE three_sources AS
  SELECT r.manager, c.name, SUM(o.amount) AS total
  FROM orders o JOIN customers c ON c.id = o.customer JOIN regions r ON r.name = o.region
  GROUP BY r.manager, c.name;
`;

const percentile = (values: readonly number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
};
const ms = (value: number) => `${value.toFixed(3)} ms`;

async function measure(table: string, refreshes: number): Promise<{ latency: number[]; check: number[] }> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'freshet-bench-reflection-'));
  const gateway = await startGateway(
    loadConfig({ env: {}, overrides: { dataDir, logLevel: 'silent', server: { port: 0 } } }),
  );
  try {
    const post = async (route: string, body: unknown) => {
      const res = await fetch(`${gateway.url}${route}`, { method: 'POST', body: JSON.stringify(body) });
      if (!res.ok) throw new Error(`${route}: ${res.status} ${await res.text()}`);
      return res.json() as Promise<any>;
    };
    await post('/v3/statements', { statement: SETUP });
    for (let i = 0; i < 20; i++) await post('/v3/dynamic-tables/refresh?wait=10', { tables: [table] });
    checkTimes.length = 0;
    const latency: number[] = [];
    for (let i = 0; i < refreshes; i++) {
      const started = performance.now();
      const answer = await post('/v3/dynamic-tables/refresh?wait=10', { tables: [table] });
      if (answer.job.status !== 'SUCCEEDED') throw new Error(JSON.stringify(answer.job));
      latency.push(performance.now() - started);
    }
    return { latency, check: [...checkTimes] };
  } finally {
    await gateway.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const refreshes = Number(process.argv[2] ?? 300);
  console.log(`| table | check p50 | check p95 | refresh p50 with check | refresh p50 without | difference |`);
  console.log(`|---|---|---|---|---|---|`);
  for (const table of ['one_source', 'three_sources']) {
    mode = 'timed';
    const withCheck = await measure(table, refreshes);
    mode = 'off';
    const without = await measure(table, refreshes);
    const on = percentile(withCheck.latency, 50);
    const off = percentile(without.latency, 50);
    console.log(
      `| ${table} | ${ms(percentile(withCheck.check, 50))} | ${ms(percentile(withCheck.check, 95))} | ` +
        `${ms(on)} | ${ms(off)} | ${ms(on - off)} |`,
    );
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
