/**
 * What the three benchmarks share: settings from the environment, temporary folders, a small JSON client,
 * statistics and the printed blocks.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/** Every knob of a run; defaults are the issue's sizes, `BENCH_QUICK=1` shrinks them for a smoke run. */
export interface BenchSettings {
  /** Rows in the refresh benchmark's source table. */
  readonly rows: number;
  /** Distinct groups the refresh benchmark's dynamic table aggregates to. */
  readonly groups: number;
  /** Timed repetitions of each side of the refresh benchmark (after one warm-up each). */
  readonly repetitions: number;
  /** Seconds of load per callback target. */
  readonly durationSeconds: number;
  readonly connections: number;
  /** CREATE statements per DDL variant. */
  readonly ddlStatements: number;
  /** Partitions of the readiness benchmark's source. */
  readonly registryPartitions: number;
  /** Timed readiness checks per pass. */
  readonly readinessChecks: number;
  /** Dynamic tables of the metrics benchmark's gateway. */
  readonly metricsTables: number;
  /** Timed scrapes of `/metrics` (and of the baseline). */
  readonly metricsScrapes: number;
  /** When set, gateway processes write V8 CPU profiles (`--cpu-prof`) into this folder. */
  readonly cpuProfileDir: string | null;
}

function envNumber(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} must be a positive number; got '${raw}'.`);
  return value;
}

export function readSettings(env: NodeJS.ProcessEnv = process.env): BenchSettings {
  const quick = env.BENCH_QUICK === '1' || env.BENCH_QUICK === 'true';
  return {
    rows: Math.round(envNumber(env, 'BENCH_ROWS', quick ? 100_000 : 1_000_000)),
    groups: Math.round(envNumber(env, 'BENCH_GROUPS', quick ? 1_000 : 10_000)),
    repetitions: Math.round(envNumber(env, 'BENCH_REPS', quick ? 2 : 5)),
    durationSeconds: envNumber(env, 'BENCH_DURATION', quick ? 2 : 10),
    connections: Math.round(envNumber(env, 'BENCH_CONNECTIONS', 10)),
    ddlStatements: Math.round(envNumber(env, 'BENCH_DDL_STATEMENTS', quick ? 50 : 500)),
    registryPartitions: Math.round(envNumber(env, 'BENCH_REGISTRY_PARTITIONS', quick ? 10_000 : 100_000)),
    readinessChecks: Math.round(envNumber(env, 'BENCH_READINESS_CHECKS', quick ? 1_000 : 10_000)),
    metricsTables: Math.round(envNumber(env, 'BENCH_METRICS_TABLES', 1_000)),
    metricsScrapes: Math.round(envNumber(env, 'BENCH_METRICS_SCRAPES', quick ? 200 : 500)),
    cpuProfileDir:
      env.BENCH_CPU_PROF === undefined || env.BENCH_CPU_PROF === '' ? null : path.resolve(env.BENCH_CPU_PROF),
  };
}

const liveFolders = new Set<string>();

/** A temporary folder that `dispose` removes with everything in it. */
export function temporaryFolder(prefix: string): { readonly path: string; dispose(): void } {
  const dir = mkdtempSync(path.join(os.tmpdir(), `freshet-bench-${prefix}-`));
  liveFolders.add(dir);
  return {
    path: dir,
    dispose: () => {
      rmSync(dir, { recursive: true, force: true });
      liveFolders.delete(dir);
    },
  };
}

/** Removes the folders of benchmarks that were interrupted before they could clean up. */
export function disposeAllFolders(): void {
  for (const dir of liveFolders) rmSync(dir, { recursive: true, force: true });
  liveFolders.clear();
}

export interface JsonResponse {
  readonly status: number;
  readonly body: any;
}

/** A gateway that stops answering must fail the benchmark, not hang it. */
const DEFAULT_TIMEOUT_MS = 120_000;

export async function postJson(url: string, body: unknown, timeoutMs = DEFAULT_TIMEOUT_MS): Promise<JsonResponse> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(timeoutMs),
  });
  const text = await res.text();
  return { status: res.status, body: text === '' ? null : JSON.parse(text) };
}

export async function getJson(url: string): Promise<JsonResponse> {
  const res = await fetch(url, { signal: AbortSignal.timeout(DEFAULT_TIMEOUT_MS) });
  const text = await res.text();
  return { status: res.status, body: text === '' ? null : JSON.parse(text) };
}

/** Runs SQL through the gateway's statement endpoint and fails loudly with the gateway's answer. */
export async function sql(gatewayUrl: string, statement: string): Promise<any[]> {
  const res = await postJson(`${gatewayUrl}/v3/statements`, { statement });
  if (res.status !== 200)
    throw new Error(`SQL failed (${res.status}): ${JSON.stringify(res.body)}\n${statement.slice(0, 300)}`);
  return res.body.results as any[];
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** The value at quantile q (0..1) of the samples, nearest-rank. */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

export const fmtMs = (ms: number): string => `${ms >= 100 ? ms.toFixed(0) : ms.toFixed(1)} ms`;
export const fmtRate = (perSecond: number, unit: string): string =>
  `${Math.round(perSecond).toLocaleString('en-US')} ${unit}`;
export const fmtRatio = (ratio: number): string => (Number.isFinite(ratio) ? ratio.toFixed(2) : 'n/a');
export const fmtInt = (n: number): string => n.toLocaleString('en-US');

export type Verdict = 'PASS' | 'MISS' | 'ERROR';

/** One line of the closing Markdown table. */
export interface SummaryRow {
  readonly benchmark: string;
  readonly measured: string;
  readonly baseline: string;
  readonly ratio: string;
  readonly goal: string;
  readonly verdict: Verdict;
}

export const verdict = (met: boolean): Verdict => (met ? 'PASS' : 'MISS');

/** Prints a benchmark's heading; its lines follow with {@link line}. */
export function heading(title: string): void {
  process.stdout.write(`\n=== ${title} ${'='.repeat(Math.max(3, 100 - title.length))}\n`);
}

export function line(label: string, value = ''): void {
  process.stdout.write(value === '' ? `  ${label}\n` : `  ${label.padEnd(54)} ${value}\n`);
}

/** Prints the rows a benchmark contributes to the summary, as its block's closing lines. */
export function printVerdicts(rows: readonly SummaryRow[]): void {
  for (const row of rows) {
    line(
      `${row.verdict.padEnd(5)} ${row.benchmark}`,
      `${row.measured} (goal ${row.goal}${row.ratio === '' ? '' : `, ratio ${row.ratio}`})`,
    );
  }
}

export function markdownTable(rows: readonly SummaryRow[]): string {
  const header = ['Benchmark', 'Measured', 'Baseline', 'Ratio', 'Goal', 'Result'];
  const cells = rows.map((r) => [r.benchmark, r.measured, r.baseline, r.ratio, r.goal, r.verdict]);
  const render = (values: readonly string[]) => `| ${values.map((v) => v.replace(/\|/g, '\\|')).join(' | ')} |`;
  return [render(header), render(header.map(() => '---')), ...cells.map(render)].join('\n');
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
