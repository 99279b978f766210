/**
 * Plays one run of a generated DAG the way Airflow's workers would: the refresh task's request exactly as its
 * templated fields render for the run (python3 + Jinja against the stub modules), its response filter for the
 * XCom, then the sensor's request and response check until the check passes or raises.
 */
import { waitUntil } from '../helpers/wait';
import {
  callDagFunction,
  renderDagRequests,
  type ProbeOptions,
  type ProbeRun,
  type RenderedRequest,
} from './airflow-python';

export interface DagRunResult {
  readonly refresh: RenderedRequest;
  readonly refreshStatus: number;
  readonly jobId: string;
  /** The job as the sensor last read it. */
  readonly job: Record<string, unknown>;
  /** What the sensor's response check raised, when it failed the run. */
  readonly failure: { type: string; message: string } | null;
}

async function send(request: RenderedRequest): Promise<{ status: number; body: any }> {
  const response = await fetch(request.url, {
    method: request.method,
    headers: request.headers,
    ...(request.method === 'GET' || request.data === null ? {} : { body: request.data }),
  });
  return { status: response.status, body: await response.json() };
}

export async function runDagOnce(
  file: string,
  probe: ProbeOptions,
  run: ProbeRun,
  timeoutMs = 10_000,
): Promise<DagRunResult> {
  const { refresh } = await renderDagRequests(file, probe, { run });
  if (!refresh) throw new Error('the DAG has no refresh task');
  const answer = await send(refresh);
  // HttpOperator fails the task on any answer outside 2xx/3xx.
  if (answer.status >= 400)
    throw new Error(`the refresh task would fail: HTTP ${answer.status} ${JSON.stringify(answer.body)}`);
  const filtered = await callDagFunction(file, probe, 'refresh', 'response_filter', answer.body);
  if (filtered.raised) throw new Error(`the refresh task's response filter raised ${JSON.stringify(filtered.raised)}`);
  const jobId = String(filtered.returned);
  const sensor = (await renderDagRequests(file, probe, { run, xcom: { refresh: jobId } })).wait_for_refresh;
  if (!sensor) throw new Error('the DAG has no sensor');
  let lastJob: unknown;
  return waitUntil(
    async (): Promise<DagRunResult | null> => {
      const poke = await send(sensor);
      lastJob = poke.body;
      const check = await callDagFunction(file, probe, 'wait_for_refresh', 'response_check', poke.body);
      if (check.raised) return { refresh, refreshStatus: answer.status, jobId, job: poke.body, failure: check.raised };
      if (check.returned === true)
        return { refresh, refreshStatus: answer.status, jobId, job: poke.body, failure: null };
      return null;
    },
    { timeoutMs, what: () => `the sensor's check to pass; the job it last read: ${JSON.stringify(lastJob)}` },
  );
}
