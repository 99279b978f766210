/**
 * Readiness checks: one source with 100,000 hourly partitions on a SQLite catalog, asked whether random one-day
 * intervals are ready, one check after another, through the SourceRegistry service as a gated refresh asks it.
 * The baseline, measured in the same run on the same catalog, is the cheapest catalog read there is: one source
 * row by its key. A second pass adds one 30-day partition, which widens how far back a check must look.
 */
import { Catalog } from '../src/catalog/catalog';
import { SourceRegistry } from '../src/manager/registry/source-registry';
import {
  fmtInt,
  fmtMs,
  fmtRate,
  fmtRatio,
  heading,
  line,
  printVerdicts,
  quantile,
  temporaryFolder,
  verdict,
  type BenchSettings,
  type SummaryRow,
} from './support';

const GOAL_PER_SECOND = 2_000;
const GOAL_P99_MS = 20;
const HOUR = 3_600_000;
const FIRST = Date.parse('2015-01-01T00:00:00Z');
const SOURCE = 'warehouse.events';
const WARM_UP = 500;

interface Timing {
  readonly perSecond: number;
  readonly latencies: readonly number[];
}

async function timed(count: number, work: (i: number) => Promise<unknown>): Promise<Timing> {
  for (let i = 0; i < WARM_UP; i++) await work(i);
  const latencies: number[] = [];
  const began = performance.now();
  for (let i = 0; i < count; i++) {
    const start = performance.now();
    await work(i);
    latencies.push(performance.now() - start);
  }
  return { perSecond: (count * 1000) / (performance.now() - began), latencies };
}

async function load(registry: SourceRegistry, partitions: number): Promise<number> {
  const { accessToken } = await registry.registerSource({ name: SOURCE, owner: 'bench' });
  await registry.registerProvider({ name: 'loader', source: SOURCE, accessToken });
  const began = performance.now();
  for (let i = 0; i < partitions; i++) {
    const start = new Date(FIRST + i * HOUR).toISOString();
    const end = new Date(FIRST + (i + 1) * HOUR).toISOString();
    // Every 1,000th hour is still being written.
    await registry.registerPartition(SOURCE, { provider: 'loader', start, end }, i % 1000 === 999 ? 'locked' : 'ready');
  }
  return performance.now() - began;
}

/** Random one-day intervals inside the loaded range, the same sequence every run. */
function intervals(partitions: number, count: number): Array<[string, string]> {
  let seed = 42;
  const random = () => {
    seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
    return seed / 2 ** 31;
  };
  return Array.from({ length: count }, () => {
    const hour = Math.floor(random() * (partitions - 24));
    return [new Date(FIRST + hour * HOUR).toISOString(), new Date(FIRST + (hour + 24) * HOUR).toISOString()];
  });
}

function report(label: string, result: Timing, baseline: Timing): SummaryRow {
  const p99 = quantile(result.latencies, 0.99);
  line(
    label,
    `${fmtRate(result.perSecond, 'checks/s')}, p50 ${fmtMs(quantile(result.latencies, 0.5))}, p99 ${fmtMs(p99)}`,
  );
  return {
    benchmark: `Readiness: ${label}`,
    measured: `${fmtRate(result.perSecond, 'checks/s')}, p99 ${fmtMs(p99)}`,
    baseline: fmtRate(baseline.perSecond, 'reads/s'),
    ratio: fmtRatio(result.perSecond / baseline.perSecond),
    goal: `≥ ${fmtInt(GOAL_PER_SECOND)}/s, p99 < ${GOAL_P99_MS} ms`,
    verdict: verdict(result.perSecond >= GOAL_PER_SECOND && p99 < GOAL_P99_MS),
  };
}

export async function runReadiness(settings: BenchSettings): Promise<SummaryRow[]> {
  const partitions = settings.registryPartitions;
  const checks = settings.readinessChecks;
  heading(`Readiness checks (SourceRegistry on a SQLite catalog, ${fmtInt(partitions)} partitions, sequential)`);
  const folder = temporaryFolder('readiness');
  const catalog = new Catalog('sqlite:catalog.db', folder.path);
  try {
    await catalog.open();
    const registry = new SourceRegistry(catalog.registry, 'UTC');
    const loadMs = await load(registry, partitions);
    line('registering the partitions', `${fmtMs(loadMs)} (${fmtRate((partitions * 1000) / loadMs, 'partitions/s')})`);
    const wanted = intervals(partitions, checks + WARM_UP);
    const started = performance.now();
    await registry.readyThrough(SOURCE);
    line('first readyThrough (reads every partition once)', fmtMs(performance.now() - started));
    const baseline = await timed(checks, () => registry.findSource(SOURCE));
    line(
      'baseline: one source row by key',
      `${fmtRate(baseline.perSecond, 'reads/s')}, p99 ${fmtMs(quantile(baseline.latencies, 0.99))}`,
    );
    const check = (i: number) => {
      const [start, end] = wanted[i % wanted.length] as [string, string];
      return registry.readiness(SOURCE, start, end);
    };
    const rows = [report('1-day intervals, hourly partitions', await timed(checks, check), baseline)];
    // One long partition makes every check look 30 days back for partitions that might reach into its interval.
    const long = {
      provider: 'loader',
      start: new Date(FIRST).toISOString(),
      end: new Date(FIRST + 720 * HOUR).toISOString(),
    };
    await registry.registerPartition(SOURCE, long, 'ready');
    await registry.readyThrough(SOURCE);
    rows.push(report('same, after one 30-day partition', await timed(checks, check), baseline));
    line('checks per pass', `${fmtInt(checks)} timed after ${WARM_UP} untimed`);
    printVerdicts(rows);
    return rows;
  } finally {
    await catalog.close();
    folder.dispose();
  }
}
