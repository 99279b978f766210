/**
 * DDL throughput: CREATE DYNAMIC TABLE statements per second over HTTP, one after another, with the default
 * configuration (embedded scheduler). Each statement includes the table's initial refresh, since CREATE waits
 * for it; the `on_schedule` variant leaves that refresh to the first scheduled run.
 */
import { ForkedServer } from './forked-server';
import {
  fmtInt,
  fmtMs,
  fmtRate,
  getJson,
  heading,
  line,
  postJson,
  printVerdicts,
  quantile,
  sql,
  temporaryFolder,
  verdict,
  type BenchSettings,
  type SummaryRow,
} from './support';

const GOAL_PER_SECOND = 200;
/** Statements run before the timed ones, so the figure is the steady state rather than JIT warm-up. */
const WARM_UP_STATEMENTS = 20;

interface Variant {
  readonly label: string;
  readonly prefix: string;
  readonly withClause: string;
}

const VARIANTS: readonly Variant[] = [
  { label: 'with initial refresh (default)', prefix: 't', withClause: '' },
  { label: "WITH ('initialize' = 'on_schedule')", prefix: 'u', withClause: "WITH ('initialize' = 'on_schedule') " },
];

interface VariantResult {
  readonly perSecond: number;
  readonly latencies: readonly number[];
  readonly totalMs: number;
}

async function runVariant(settings: BenchSettings, variant: Variant): Promise<VariantResult> {
  const folder = temporaryFolder('ddl');
  const server = await ForkedServer.start({ kind: 'gateway', dataDir: folder.path }, settings.cpuProfileDir);
  try {
    const values = Array.from({ length: 100 }, (_, i) => `(${i % 10}, ${i})`).join(', ');
    await sql(
      server.url,
      `CREATE TABLE small (k INTEGER NOT NULL, v INTEGER NOT NULL); INSERT INTO small (k, v) VALUES ${values}`,
    );
    const create = async (name: string): Promise<void> => {
      const statement =
        `CREATE DYNAMIC TABLE ${name} ${variant.withClause}FRESHNESS = INTERVAL '1' HOUR ` +
        'AS SELECT k, COUNT(*) AS n FROM small GROUP BY k';
      const res = await postJson(`${server.url}/v3/statements`, { statement });
      if (res.status !== 200) throw new Error(`CREATE of ${name} failed (${res.status}): ${JSON.stringify(res.body)}`);
    };
    for (let i = 0; i < WARM_UP_STATEMENTS; i++) await create(`warm_${variant.prefix}_${i}`);
    const latencies: number[] = [];
    const began = performance.now();
    for (let i = 0; i < settings.ddlStatements; i++) {
      const start = performance.now();
      await create(`${variant.prefix}_${i}`);
      latencies.push(performance.now() - start);
    }
    const totalMs = performance.now() - began;
    const expected = WARM_UP_STATEMENTS + settings.ddlStatements;
    const listed = await getJson(`${server.url}/v3/dynamic-tables?limit=1`);
    if (listed.body?.total !== expected) {
      throw new Error(`expected ${expected} dynamic tables, the gateway lists ${JSON.stringify(listed.body?.total)}`);
    }
    return { perSecond: (settings.ddlStatements * 1000) / totalMs, latencies, totalMs };
  } finally {
    const stopped = await server.stop();
    if (!stopped.exitedByItself) line('gateway close', 'process did NOT exit by itself and was killed');
    folder.dispose();
  }
}

export async function runDdlThroughput(settings: BenchSettings): Promise<SummaryRow[]> {
  heading('DDL throughput (CREATE DYNAMIC TABLE over HTTP, sequential, embedded scheduler)');
  line(
    'statements per variant',
    `${fmtInt(settings.ddlStatements)} timed after ${WARM_UP_STATEMENTS} untimed, on a fresh gateway each; source 100 rows, 10 groups`,
  );
  const rows: SummaryRow[] = [];
  for (const variant of VARIANTS) {
    const result = await runVariant(settings, variant);
    const tenth = Math.max(1, Math.floor(result.latencies.length / 10));
    const mean = (values: readonly number[]) => values.reduce((a, b) => a + b, 0) / values.length;
    line(
      `${variant.label}`,
      `${fmtRate(result.perSecond, 'statements/s')} (${fmtInt(settings.ddlStatements)} in ${fmtMs(result.totalMs)})`,
    );
    line(
      '  latency p50 / p99',
      `${fmtMs(quantile(result.latencies, 0.5))} / ${fmtMs(quantile(result.latencies, 0.99))}`,
    );
    line(
      '  mean latency, first vs. last 10% of statements',
      `${fmtMs(mean(result.latencies.slice(0, tenth)))} vs. ${fmtMs(mean(result.latencies.slice(-tenth)))}`,
    );
    rows.push({
      benchmark: `DDL: CREATE DYNAMIC TABLE ${variant.withClause === '' ? '(incl. initial refresh)' : "(initialize = 'on_schedule')"}`,
      measured: fmtRate(result.perSecond, 'statements/s'),
      baseline: '',
      ratio: '',
      goal: `≥ ${GOAL_PER_SECOND}/s`,
      verdict: verdict(result.perSecond >= GOAL_PER_SECOND),
    });
  }
  printVerdicts(rows);
  return rows;
}
