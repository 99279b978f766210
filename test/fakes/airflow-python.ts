/**
 * Runs `test/fixtures/airflow-stubs/freshet_dag_probe.py`: loads a DAG file with python3 against stub `airflow`
 * modules and reports what it declares (`parse`), the HTTP requests its tasks send for one run (`render`) and
 * what its response functions do with a given answer (`call`).
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import * as path from 'node:path';

/** The stub flavour: Airflow 2, Airflow 3, or Airflow 2 with an HTTP provider that predates HttpOperator. */
export type StubAirflow = '2' | '3' | '2-legacy-http';

export interface ProbeOptions {
  readonly airflow: StubAirflow;
  /** Simulates an Airflow without apache-airflow-providers-http. */
  readonly withoutHttpProvider?: boolean;
}

export interface ParsedTask {
  readonly task_id: string;
  readonly operator: string;
  readonly args: Record<string, any>;
  readonly upstream: string[];
  readonly downstream: string[];
}

export interface ParsedDag {
  readonly dag_id: string;
  readonly args: Record<string, any>;
  readonly tasks: ParsedTask[];
}

export type ParseResult =
  | { ok: true; dags: ParsedDag[]; connections: Record<string, string> }
  | { ok: false; error: string };

export interface RenderedRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: Record<string, string>;
  readonly data: string | null;
  readonly params: unknown;
}

/** One DAG run: Airflow 2 runs always have a data interval; Airflow 3 runs triggered with logical_date null do not. */
export interface ProbeRun {
  readonly airflow: 2 | 3;
  readonly data_interval_end: string | null;
  readonly run_after: string;
}

/** The stub folder, found from the repository root (tests also run compiled, from dist/). */
export const STUBS_DIR = findStubs(__dirname);
export const REPO_ROOT = path.resolve(STUBS_DIR, '..', '..', '..');

function findStubs(from: string): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'test', 'fixtures', 'airflow-stubs');
    if (existsSync(path.join(candidate, 'freshet_dag_probe.py'))) return candidate;
    if (path.dirname(dir) === dir) throw new Error(`test/fixtures/airflow-stubs not found above ${from}`);
  }
}

function probe(options: ProbeOptions, args: string[]): Promise<{ code: number; output: any }> {
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    PYTHONDONTWRITEBYTECODE: '1',
    FRESHET_STUB_AIRFLOW: options.airflow,
    ...(options.withoutHttpProvider ? { FRESHET_STUB_NO_HTTP_PROVIDER: '1' } : {}),
  };
  return new Promise((resolve, reject) => {
    execFile(
      'python3',
      [path.join(STUBS_DIR, 'freshet_dag_probe.py'), ...args],
      { env, timeout: 20_000 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
        try {
          resolve({ code, output: JSON.parse(stdout) });
        } catch {
          reject(new Error(`freshet_dag_probe.py ${args[0]} failed (${code}): ${stderr || stdout || String(error)}`));
        }
      },
    );
  });
}

/** Loads the file as the DAG processor would. */
export async function parseDagFile(file: string, options: ProbeOptions): Promise<ParseResult> {
  const { code, output } = await probe(options, ['parse', file]);
  return code === 0
    ? { ok: true, dags: output.dags, connections: output.connections }
    : { ok: false, error: output.error };
}

/** The request of every HTTP task for one run. */
export async function renderDagRequests(
  file: string,
  options: ProbeOptions,
  request: { run: ProbeRun; xcom?: Record<string, unknown>; connections?: Record<string, unknown> },
): Promise<Record<string, RenderedRequest>> {
  const { code, output } = await probe(options, ['render', file, JSON.stringify(request)]);
  if (code !== 0) throw new Error(`the DAG file does not load: ${output.error}`);
  return output.tasks;
}

/** Calls a task's `response_check` or `response_filter` with a response carrying `body`. */
export async function callDagFunction(
  file: string,
  options: ProbeOptions,
  taskId: string,
  argument: 'response_check' | 'response_filter',
  body: unknown,
): Promise<{ returned?: unknown; raised?: { type: string; message: string } }> {
  const { code, output } = await probe(options, ['call', file, taskId, argument, JSON.stringify(body)]);
  if (code !== 0) throw new Error(`the DAG file does not load: ${output.error}`);
  return output;
}
