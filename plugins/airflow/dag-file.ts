/**
 * The DAG file of one dynamic table: rendering the Python, and writing, reading and removing it in the DAGs
 * folder. Airflow cannot create DAGs over REST; its DAG processor loads them from files.
 *
 * A DAG file describes itself: its first lines carry the {@link DagSpec} it was rendered from as JSON, so that
 * RESUME and SET FRESHNESS can render it again from the handler alone.
 */
import { randomBytes, createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { z } from 'zod';
import { asciiJson, jinjaLiteral, jsonString, pyComment, pyString } from './python-literals';

/**
 * The time the run fired for, in UTC (Airflow hands tasks UTC datetimes). Airflow 2 cron runs fire at the end
 * of their data interval; Airflow 3 (`create_cron_data_intervals = False`, the default) sets
 * `data_interval_end = logical_date =` the fire time. A run triggered with `logical_date: null` (Airflow 3) has
 * no data interval; its `run_after` is when it was asked to run. Jinja's `or` does not evaluate its right side
 * when the left one is set, so Airflow 2, whose DagRun has no `run_after`, never reaches it.
 */
export const SCHEDULE_TIME_TEMPLATE = "{{ (data_interval_end or dag_run.run_after).strftime('%Y-%m-%d %H:%M:%S') }}";

/** The task whose XCom (the refresh job id) the sensor reads. */
export const REFRESH_TASK_ID = 'refresh';
export const SENSOR_TASK_ID = 'wait_for_refresh';

const HEADER = '# freshet-workflow: ';
/** Airflow refuses tags longer than this. */
const MAX_TAG_LENGTH = 100;
export const TABLE_TAG_PREFIX = 'freshet-table:';
const MAX_DESCRIPTION = 2000;

const dagSpecSchema = z.object({
  dagId: z.string().min(1),
  tableIdentifier: z.string().min(1),
  description: z.string(),
  unixCron: z.string().min(1),
  timeZone: z.string().min(1),
  refreshUrl: z.url(),
  jobsUrl: z.url(),
  token: z.string().nullable(),
  configuration: z.record(z.string(), z.string()),
});

/** What a DAG file is rendered from. */
export type DagSpec = Readonly<z.infer<typeof dagSpecSchema>>;

/** Plugin options that shape the DAG. */
export interface DagRenderSettings {
  readonly httpConnectionId?: string | undefined;
  readonly sensorPokeSeconds: number;
  readonly sensorTimeoutSeconds: number;
}

/** The DAG description: the CREATE statement, shortened for Airflow's UI. */
export function describeStatement(statement: string): string {
  return statement.length <= MAX_DESCRIPTION ? statement : `${statement.slice(0, MAX_DESCRIPTION - 1)}…`;
}

/** The tag naming the table, or null when it would be longer than Airflow allows. */
export function tableTag(tableIdentifier: string): string | null {
  const tag = `${TABLE_TAG_PREFIX}${tableIdentifier}`;
  return tag.length <= MAX_TAG_LENGTH ? tag : null;
}

/** The refresh request body as a Jinja template: JSON once Airflow has filled in the schedule time. */
export function refreshBodyTemplate(spec: DagSpec): string {
  const fields = [
    `"tables": [${jsonString(spec.tableIdentifier)}]`,
    `"scheduleTime": "${SCHEDULE_TIME_TEMPLATE}"`,
    '"isPeriodic": true',
    '"timeZone": "UTC"',
  ];
  const options = Object.entries(spec.configuration);
  if (options.length > 0) {
    fields.push(
      `"configuration": {${options.map(([key, value]) => `${jsonString(key)}: ${jsonString(value)}`).join(', ')}}`,
    );
  }
  return `{${fields.join(', ')}}`;
}

/** The HTTP connection the tasks use: the configured one, or one the file defines for the gateway's URL. */
function connectionOf(spec: DagSpec, settings: DagRenderSettings): { id: string; definition: string | null } {
  if (settings.httpConnectionId !== undefined) return { id: settings.httpConnectionId, definition: null };
  const origin = new URL(spec.refreshUrl).origin;
  const id = `freshet_gateway_${createHash('sha256').update(origin).digest('hex').slice(0, 8)}`;
  // Connections are looked up in AIRFLOW_CONN_* environment variables first, by the DAG processor and by
  // workers of Airflow 2 and 3 alike, and every task process loads this file before it runs the task.
  const definition =
    `os.environ[${pyString(`AIRFLOW_CONN_${id.toUpperCase()}`)}] = ` +
    `${pyString(asciiJson({ conn_type: 'http', host: origin }))}`;
  return { id, definition };
}

const pathOf = (url: string) => {
  const parsed = new URL(url);
  return `${parsed.pathname}${parsed.search}`;
};

/** A Python dict literal of string headers, each value a Jinja template rendering to itself. */
function headersLiteral(headers: ReadonlyArray<readonly [string, string]>): string {
  return `{${headers.map(([name, value]) => `${pyString(name)}: ${pyString(jinjaLiteral(value))}`).join(', ')}}`;
}

/** The Python source of the DAG that refreshes one table. */
export function renderDagFile(spec: DagSpec, settings: DagRenderSettings): string {
  const connection = connectionOf(spec, settings);
  const auth: Array<readonly [string, string]> = spec.token === null ? [] : [['Authorization', `Bearer ${spec.token}`]];
  const tag = tableTag(spec.tableIdentifier);
  const tags = ['freshet', ...(tag === null ? [] : [tag])].map(pyString).join(', ');
  const jobEndpoint = `${jinjaLiteral(pathOf(spec.jobsUrl))}{{ ti.xcom_pull(task_ids='${REFRESH_TASK_ID}') }}`;
  // Reschedule mode frees the worker slot between pokes; it pays off only when pokes are far apart.
  const sensorMode = settings.sensorPokeSeconds >= 60 ? 'reschedule' : 'poke';
  return `# Generated by Freshet for the dynamic table ${pyComment(spec.tableIdentifier)}. Do not edit this file:
# Freshet rewrites it on RESUME and SET FRESHNESS and removes it on DROP. It holds the callback token.
${HEADER}${asciiJson({ version: 1, ...spec })}
"""Airflow DAG that refreshes a Freshet dynamic table on its schedule and waits for the refresh job."""
${connection.definition === null ? '' : 'import os\n'}from datetime import timedelta

import pendulum
from airflow.exceptions import AirflowFailException
from airflow.providers.http.sensors.http import HttpSensor

try:
    from airflow.sdk import DAG  # Airflow 3
except ImportError:
    from airflow import DAG  # Airflow 2
try:
    from airflow.providers.http.operators.http import HttpOperator
except ImportError:  # apache-airflow-providers-http releases before HttpOperator
    from airflow.providers.http.operators.http import SimpleHttpOperator as HttpOperator

TABLE = ${pyString(spec.tableIdentifier)}
GATEWAY_CONNECTION = ${pyString(connection.id)}
${connection.definition === null ? '' : `${connection.definition}\n`}

def _job_id(response):
    """The refresh call answers {"jobId": ...}; the job id goes to XCom for the sensor."""
    return response.json()["jobId"]


def _job_finished(response):
    """True once the refresh job succeeded (or was skipped: its sources were not ready for the window); a failed job
    fails the run at once, without retries. A job WAITING for its sources keeps the sensor poking."""
    job = response.json()
    if job["status"] == "FAILED":
        raise AirflowFailException(f"Freshet refresh job {job['jobId']} of {TABLE} failed: {job.get('error')}")
    return job["status"] in ("SUCCEEDED", "SKIPPED")


with DAG(
    dag_id=${pyString(spec.dagId)},
    description=${pyString(spec.description)},
    schedule=${pyString(spec.unixCron)},
    start_date=pendulum.datetime(2024, 1, 1, tz=${pyString(spec.timeZone)}),
    catchup=False,
    max_active_runs=1,
    is_paused_upon_creation=False,
    tags=[${tags}],
    default_args={"retries": 2, "retry_delay": timedelta(minutes=1)},
):
    refresh = HttpOperator(
        task_id=${pyString(REFRESH_TASK_ID)},
        http_conn_id=GATEWAY_CONNECTION,
        method="POST",
        endpoint=${pyString(jinjaLiteral(pathOf(spec.refreshUrl)))},
        headers=${headersLiteral([['Content-Type', 'application/json'], ...auth])},
        data=${pyString(refreshBodyTemplate(spec))},
        response_filter=_job_id,
        extra_options={"timeout": 60},
        log_response=True,
    )
    wait = HttpSensor(
        task_id=${pyString(SENSOR_TASK_ID)},
        http_conn_id=GATEWAY_CONNECTION,
        method="GET",
        endpoint=${pyString(jobEndpoint)},
        headers=${headersLiteral(auth)},
        response_check=_job_finished,
        extra_options={"timeout": 60},
        poke_interval=${settings.sensorPokeSeconds},
        timeout=${settings.sensorTimeoutSeconds},
        mode=${pyString(sensorMode)},
    )
    refresh >> wait
`;
}

/** Replaces (or creates) the file in one rename, so Airflow never loads half a file. */
export async function writeDagFile(folder: string, fileName: string, content: string): Promise<void> {
  // The temporary name does not end in .py: the DAG processor skips it.
  const temporary = path.join(folder, `.${fileName}.${randomBytes(4).toString('hex')}.tmp`);
  try {
    await fs.writeFile(temporary, content, { flag: 'wx' });
    await fs.rename(temporary, path.join(folder, fileName));
  } catch (error) {
    await fs.rm(temporary, { force: true }).catch(() => undefined);
    throw error;
  }
}

/** The file's content, or null when there is no such file. */
export async function readDagFile(folder: string, fileName: string): Promise<string | null> {
  try {
    return await fs.readFile(path.join(folder, fileName), 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
}

/** The spec a Freshet DAG file was rendered from, or null when the file does not carry one. */
export function dagSpecOf(content: string): DagSpec | null {
  const line = content.split('\n').find((l) => l.startsWith(HEADER));
  if (line === undefined) return null;
  try {
    const parsed = dagSpecSchema.safeParse(JSON.parse(line.slice(HEADER.length)));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

/** Removes the file; false when it was already gone. */
export async function removeDagFile(folder: string, fileName: string): Promise<boolean> {
  try {
    await fs.unlink(path.join(folder, fileName));
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw error;
  }
}

/** Whether the file is there. */
export async function dagFileExists(folder: string, fileName: string): Promise<boolean> {
  return fs.access(path.join(folder, fileName)).then(
    () => true,
    () => false,
  );
}
