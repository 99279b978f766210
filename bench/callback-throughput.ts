/**
 * Callback throughput: how fast the gateway answers `POST /v3/dynamic-tables/refresh` — (a) repeats of a job
 * that already succeeded (what a retrying scheduler sends) and (b) new jobs on a small table — compared with a
 * bare express route on the same machine under the same load. Server and load generator run in separate
 * processes. After (b), the gateway's backlog of accepted jobs is drained and every job checked. The gateway's
 * catalog is SQLite here; `postgres-callback.ts` runs the same measurement with it on PostgreSQL.
 */
import * as path from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import type { Database } from 'better-sqlite3';
import { ForkedServer } from './forked-server';
import { runLoad, type LoadOptions, type LoadResult } from './load';
import type { GatewayCatalogs } from './server-messages';
import {
  fmtInt,
  fmtMs,
  fmtRate,
  fmtRatio,
  getJson,
  heading,
  line,
  postJson,
  printVerdicts,
  sleep,
  sql,
  temporaryFolder,
  verdict,
  type BenchSettings,
  type SummaryRow,
} from './support';

const GOAL_DUPLICATE_RATIO = 0.5;
const GOAL_P99_MS = 50;
const DRAIN_TIMEOUT_MS = 180_000;
const WARM_UP_SECONDS = 1;

function describeLoad(label: string, result: LoadResult, bare: LoadResult | null): void {
  const ratio = bare === null ? '' : `  (${fmtRatio(result.requestsPerSecond / bare.requestsPerSecond)} of bare)`;
  line(`${label} requests/s`, `${fmtRate(result.requestsPerSecond, 'req/s')}${ratio}`);
  line(`${label} latency p50 / p99`, `${fmtMs(result.p50Ms)} / ${fmtMs(result.p99Ms)}`);
  const problems = result.notOk + result.errors;
  line(
    `${label} responses`,
    `${fmtInt(result.ok)} 2xx in ${result.seconds.toFixed(1)} s${problems > 0 ? `, ${result.notOk} non-2xx, ${result.errors} errors/timeouts` : ''}`,
  );
}

async function loadWithWarmUp(options: LoadOptions): Promise<LoadResult> {
  await runLoad({ ...options, durationSeconds: Math.min(WARM_UP_SECONDS, options.durationSeconds) });
  return runLoad(options);
}

/** The jobs a gateway's catalog holds, read behind the gateway's back to count and check them. */
export interface JobLedger {
  /** Jobs by status. */
  counts(): Promise<Map<string, number>>;
  /** Status by job id. */
  statuses(): Promise<Map<string, string>>;
  close(): Promise<void>;
}

/** What differs between runs of the callback benchmark: where the gateway keeps its catalog. */
export interface CallbackVariant {
  /** Heading of the printed block. */
  readonly title: string;
  /** Start of each summary row's name, e.g. `Callback`. */
  readonly rowPrefix: string;
  /** Catalog settings of the forked gateway. */
  readonly catalogs: GatewayCatalogs;
  /** Opens the ledger of the gateway's catalog once the gateway has started on `dataDir`. */
  openLedger(dataDir: string): Promise<JobLedger>;
}

function sqliteLedger(file: string): JobLedger {
  const catalog: Database = new BetterSqlite3(file);
  return {
    counts: async () => {
      const rows = catalog.prepare('SELECT status, COUNT(*) AS n FROM refresh_jobs GROUP BY status').all() as Array<{
        status: string;
        n: number;
      }>;
      return new Map(rows.map((r) => [r.status, r.n]));
    },
    statuses: async () => {
      const rows = catalog.prepare('SELECT job_id AS id, status FROM refresh_jobs').all() as Array<{
        id: string;
        status: string;
      }>;
      return new Map(rows.map((r) => [r.id, r.status]));
    },
    close: async () => {
      catalog.close();
    },
  };
}

/** The gateway's default set-up: its catalog in `catalog.db` in the data folder. */
const SQLITE_CATALOG: CallbackVariant = {
  title: 'Callback throughput (POST /v3/dynamic-tables/refresh vs. a bare express route)',
  rowPrefix: 'Callback',
  catalogs: {},
  openLedger: async (dataDir) => sqliteLedger(path.join(dataDir, 'catalog.db')),
};

const total = (counts: Map<string, number>) => [...counts.values()].reduce((a, b) => a + b, 0);
const unfinished = (counts: Map<string, number>) => (counts.get('PENDING') ?? 0) + (counts.get('RUNNING') ?? 0);

/** Waits until no job is PENDING or RUNNING (or the time is up). */
async function drain(catalog: JobLedger): Promise<{ drained: boolean; drainMs: number; counts: Map<string, number> }> {
  const from = performance.now();
  let counts = await catalog.counts();
  while (unfinished(counts) > 0 && performance.now() - from < DRAIN_TIMEOUT_MS) {
    await sleep(50);
    counts = await catalog.counts();
  }
  return { drained: unfinished(counts) === 0, drainMs: performance.now() - from, counts };
}

interface NewJobsOutcome extends LoadResult {
  /** Jobs the timed load created (a few more than answered: requests in flight when the load stopped). */
  readonly created: number;
  /** From the end of the load until no job was PENDING or RUNNING. */
  readonly drainMs: number;
  readonly allSucceeded: boolean;
}

/**
 * (b): every request names a new schedule time, so every request creates and starts a job. The warm-up uses
 * schedule times of its own and is drained before the timed load starts.
 */
async function measureNewJobs(
  catalog: JobLedger,
  gatewayUrl: string,
  load: { connections: number; durationSeconds: number },
  bare: LoadResult,
): Promise<NewJobsOutcome> {
  const url = `${gatewayUrl}/v3/dynamic-tables/refresh`;
  let nextSecond = 0;
  const newJob = () => ({
    tables: ['d'],
    scheduleTime: new Date(Date.parse('2030-01-01T00:00:00Z') + nextSecond++ * 1000).toISOString(),
    isPeriodic: true,
  });
  await runLoad({ ...load, durationSeconds: Math.min(WARM_UP_SECONDS, load.durationSeconds), url, body: newJob });
  const warmDrain = await drain(catalog);
  if (!warmDrain.drained) throw new Error(`the warm-up's jobs did not finish within ${DRAIN_TIMEOUT_MS / 1000} s`);
  const before = warmDrain.counts;

  const accepted = new Set<string>();
  const result = await runLoad({
    ...load,
    url,
    body: newJob,
    onAnswer: (answer: { jobId?: string }) => {
      if (typeof answer.jobId === 'string') accepted.add(answer.jobId);
    },
  });
  describeLoad('(b) new jobs', result, bare);
  line('(b) jobs waiting when the load stopped', fmtInt(unfinished(await catalog.counts())));
  const { drained, drainMs, counts } = await drain(catalog);
  const statusOf = await catalog.statuses();
  const acceptedSucceeded = [...accepted].filter((id) => statusOf.get(id) === 'SUCCEEDED').length;
  const created = total(counts) - total(before);
  const succeeded = (counts.get('SUCCEEDED') ?? 0) - (before.get('SUCCEEDED') ?? 0);
  const failed = (counts.get('FAILED') ?? 0) - (before.get('FAILED') ?? 0);
  line(
    '(b) backlog drained after the load',
    drained ? fmtMs(drainMs) : `NOT drained after ${fmtMs(drainMs)} (${unfinished(counts)} left)`,
  );
  line('(b) jobs created / SUCCEEDED / FAILED', `${fmtInt(created)} / ${fmtInt(succeeded)} / ${fmtInt(failed)}`);
  line('(b) answered job ids that SUCCEEDED', `${fmtInt(acceptedSucceeded)} of ${fmtInt(accepted.size)}`);
  line('(b) job throughput incl. drain', fmtRate(created / (result.seconds + drainMs / 1000), 'jobs/s'));
  const sample = [...accepted].slice(-3);
  const sampled = await Promise.all(
    sample.map(async (id) => (await getJson(`${gatewayUrl}/v3/jobs/${id}`)).body?.status as string),
  );
  line('(b) GET /v3/jobs/{id} for the last 3 answered', sampled.join(', '));
  const allSucceeded =
    drained && failed === 0 && accepted.size > 0 && acceptedSucceeded === accepted.size && created >= accepted.size;
  return { ...result, created, drainMs, allSucceeded };
}

/** A gateway with one small FULL dynamic table `d` over a 100-row source. */
async function prepareGateway(url: string): Promise<void> {
  const values = Array.from({ length: 100 }, (_, i) => `(${i % 10}, ${i})`).join(', ');
  await sql(
    url,
    `CREATE TABLE small (k INTEGER NOT NULL, v INTEGER NOT NULL); INSERT INTO small (k, v) VALUES ${values}`,
  );
  await sql(
    url,
    `CREATE DYNAMIC TABLE d FRESHNESS = INTERVAL '1' HOUR AS SELECT k, COUNT(*) AS n, SUM(v) AS s FROM small GROUP BY k`,
  );
}

export function runCallbackThroughput(settings: BenchSettings): Promise<SummaryRow[]> {
  return measureCallbackThroughput(settings, SQLITE_CATALOG);
}

/** The callback benchmark with the gateway's catalog where `variant` puts it; the bare route is measured in the same run. */
export async function measureCallbackThroughput(
  settings: BenchSettings,
  variant: CallbackVariant,
): Promise<SummaryRow[]> {
  heading(variant.title);
  const load = { connections: settings.connections, durationSeconds: settings.durationSeconds };
  line(
    'load',
    `autocannon, ${load.connections} connections, ${load.durationSeconds} s per target after a ${WARM_UP_SECONDS} s warm-up, separate server process`,
  );

  const duplicate = { tables: ['d'], scheduleTime: '2024-01-01 00:00:00', isPeriodic: true };
  const bareServer = await ForkedServer.start({ kind: 'bare' });
  let bare: LoadResult;
  try {
    bare = await loadWithWarmUp({ ...load, url: `${bareServer.url}/v3/dynamic-tables/refresh`, body: duplicate });
  } finally {
    await bareServer.stop();
  }
  describeLoad('bare express route', bare, null);

  const folder = temporaryFolder('callback');
  let gateway: ForkedServer | null = null;
  let catalog: JobLedger | null = null;
  try {
    gateway = await ForkedServer.start(
      { kind: 'gateway', dataDir: folder.path, ...variant.catalogs },
      settings.cpuProfileDir,
    );
    const refreshUrl = `${gateway.url}/v3/dynamic-tables/refresh`;
    await prepareGateway(gateway.url);
    catalog = await variant.openLedger(folder.path);

    // (a) The job exists and succeeded before the load starts; every request repeats it.
    const first = await postJson(`${refreshUrl}?wait=60`, duplicate);
    if (first.status !== 200)
      throw new Error(`the job to duplicate did not succeed (${first.status}): ${JSON.stringify(first.body)}`);
    const jobsBefore = total(await catalog.counts());
    const duplicates = await loadWithWarmUp({ ...load, url: refreshUrl, body: duplicate });
    const jobsCreatedByDuplicates = total(await catalog.counts()) - jobsBefore;
    describeLoad('(a) duplicates of a SUCCEEDED job', duplicates, bare);
    line('(a) jobs created by the duplicates', `${jobsCreatedByDuplicates} (expected 0)`);

    const fresh = await measureNewJobs(catalog, gateway.url, load, bare);

    const rows: SummaryRow[] = [
      {
        benchmark: `${variant.rowPrefix}: duplicates of a SUCCEEDED job`,
        measured: fmtRate(duplicates.requestsPerSecond, 'req/s'),
        baseline: fmtRate(bare.requestsPerSecond, 'req/s'),
        ratio: fmtRatio(duplicates.requestsPerSecond / bare.requestsPerSecond),
        goal: `≥ ${GOAL_DUPLICATE_RATIO.toFixed(2)}×`,
        verdict: verdict(
          duplicates.requestsPerSecond / bare.requestsPerSecond >= GOAL_DUPLICATE_RATIO &&
            jobsCreatedByDuplicates === 0,
        ),
      },
      {
        benchmark: `${variant.rowPrefix}: duplicates, p99 latency`,
        measured: fmtMs(duplicates.p99Ms),
        baseline: fmtMs(bare.p99Ms),
        ratio: '',
        goal: `< ${GOAL_P99_MS} ms`,
        verdict: verdict(duplicates.p99Ms < GOAL_P99_MS),
      },
      {
        benchmark: `${variant.rowPrefix}: new jobs (small table), p99 latency`,
        measured: `${fmtMs(fresh.p99Ms)} at ${fmtRate(fresh.requestsPerSecond, 'req/s')}`,
        baseline: fmtMs(bare.p99Ms),
        ratio: fmtRatio(fresh.requestsPerSecond / bare.requestsPerSecond),
        goal: `< ${GOAL_P99_MS} ms`,
        verdict: verdict(fresh.p99Ms < GOAL_P99_MS),
      },
      {
        benchmark: `${variant.rowPrefix}: new jobs, backlog drained, all SUCCEEDED`,
        measured: `${fmtInt(fresh.created)} jobs, drained in ${fmtMs(fresh.drainMs)}`,
        baseline: '',
        ratio: '',
        goal: 'all SUCCEEDED',
        verdict: verdict(fresh.allSucceeded),
      },
    ];
    printVerdicts(rows);
    return rows;
  } finally {
    await catalog?.close();
    if (gateway) {
      const stopped = await gateway.stop();
      line(
        'gateway close',
        `${fmtMs(stopped.closeMs)}${stopped.exitedByItself ? '' : ' — process did NOT exit by itself and was killed'}`,
      );
    }
    folder.dispose();
  }
}
