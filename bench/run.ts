/**
 * `npm run bench`: runs the refresh-overhead, callback-throughput and DDL-throughput benchmarks, their
 * PostgreSQL counterparts, the cross-catalog copy, incremental refresh, readiness checks, gating, the freshness
 * monitor, metrics scrapes, publish guards, dataset profiles, dataset search and materialising a file (or the
 * ones named on the command line) and prints a Markdown summary for README.md. Goals are reported, not asserted; the exit code is
 * non-zero only when a benchmark could not run.
 */
import { runCallbackThroughput } from './callback-throughput';
import { runCrossCatalogCopy } from './cross-catalog-copy';
import { runDatasetSearch } from './dataset-search';
import { disposeAllDatabases } from './databases';
import { runDdlThroughput } from './ddl-throughput';
import { runGating } from './gating';
import { runGuards } from './guards';
import { runIncremental } from './incremental';
import { runMaterialize } from './materialize';
import { runMonitor } from './monitor';
import { runMetrics } from './metrics';
import { runPostgresCallback } from './postgres-callback';
import { runPostgresRefresh } from './postgres-refresh';
import { runProfileCost } from './profile-cost';
import { runReadiness } from './readiness';
import { runRefreshOverhead } from './refresh-overhead';
import {
  disposeAllFolders,
  fmtMs,
  heading,
  line,
  markdownTable,
  readSettings,
  type BenchSettings,
  type SummaryRow,
} from './support';

const BENCHMARKS: Readonly<Record<string, (settings: BenchSettings) => Promise<SummaryRow[]>>> = {
  refresh: runRefreshOverhead,
  callback: runCallbackThroughput,
  ddl: runDdlThroughput,
  'pg-refresh': runPostgresRefresh,
  'pg-callback': runPostgresCallback,
  copy: runCrossCatalogCopy,
  incremental: runIncremental,
  gating: runGating,
  readiness: runReadiness,
  monitor: runMonitor,
  metrics: runMetrics,
  guards: runGuards,
  profile: runProfileCost,
  search: runDatasetSearch,
  materialize: runMaterialize,
};

async function main(argv: readonly string[]): Promise<number> {
  const names = argv.length === 0 ? Object.keys(BENCHMARKS) : [...argv];
  const unknown = names.filter((name) => !(name in BENCHMARKS));
  if (unknown.length > 0) {
    process.stderr.write(
      `Unknown benchmark ${unknown.join(', ')}; choose from ${Object.keys(BENCHMARKS).join(', ')}.\n`,
    );
    return 2;
  }
  const settings = readSettings();
  process.stdout.write(`Freshet benchmarks — node ${process.version}, ${process.platform}/${process.arch}\n`);
  process.stdout.write(`settings: ${JSON.stringify(settings)}\n`);
  const began = performance.now();
  const rows: SummaryRow[] = [];
  let failed = false;
  for (const name of names) {
    try {
      rows.push(...(await BENCHMARKS[name]!(settings)));
    } catch (error) {
      failed = true;
      line(`ERROR in ${name}:`, error instanceof Error ? (error.stack ?? error.message) : String(error));
      rows.push({ benchmark: name, measured: 'could not run', baseline: '', ratio: '', goal: '', verdict: 'ERROR' });
    }
  }
  heading('Summary');
  line('total time', fmtMs(performance.now() - began));
  process.stdout.write(`\n${markdownTable(rows)}\n`);
  return failed ? 1 : 0;
}

/** How long an interrupted run may spend dropping its throwaway databases before it exits anyway. */
const DROP_GRACE_MS = 5_000;

// Ctrl-C reaches the forked servers too (same process group); they close on their own when we go.
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    disposeAllFolders();
    const exit = () => process.exit(signal === 'SIGINT' ? 130 : 143);
    setTimeout(exit, DROP_GRACE_MS).unref();
    void disposeAllDatabases().finally(exit);
  });
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
    process.exitCode = 1;
  },
);
