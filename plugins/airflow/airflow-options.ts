/** The options of the `airflow` scheduler plugin (`scheduler.options`), checked once at start-up. */
import { accessSync, constants, statSync } from 'node:fs';
import * as path from 'node:path';
import { z } from 'zod';

/** Airflow's own pattern for connection ids and what a dag_id prefix may hold. */
const AIRFLOW_KEY = /^[A-Za-z0-9_.-]+$/;

/** Why `folder` cannot take DAG files, or null when it can. */
export function dagsFolderProblem(folder: string): string | null {
  try {
    if (!statSync(folder).isDirectory()) return `${folder} is not a directory`;
  } catch {
    return `${folder} does not exist; create it (it must be the folder Airflow reads DAG files from)`;
  }
  try {
    accessSync(folder, constants.W_OK);
  } catch {
    return `${folder} is not writable by the Freshet process`;
  }
  return null;
}

export const airflowOptionsSchema = z
  .object({
    /** 1: Airflow 2.x (`/api/v1`, basic auth). 2: Airflow 3.x (`/api/v2`, JWT from `POST /auth/token`). */
    apiVersion: z.union([z.literal(1), z.literal(2)], {
      error: 'apiVersion must be 1 (Airflow 2.x, /api/v1) or 2 (Airflow 3.x, /api/v2)',
    }),
    /** Airflow's web server (2.x) or API server (3.x), without `/api/v1` or `/api/v2`. */
    baseUrl: z
      .url({ protocol: /^https?$/, error: 'baseUrl must be an http(s) URL such as http://airflow:8080' })
      .transform((url) => url.replace(/\/+$/, ''))
      .refine((url) => !/\/api\/v[12]$/.test(url), {
        error: 'baseUrl must not end with /api/v1 or /api/v2: give the server URL, Freshet adds the API path',
      }),
    username: z
      .string({ error: 'username is required: an Airflow user that may read, pause and delete DAGs' })
      .min(1, 'username must not be empty'),
    password: z.string({ error: 'password is required' }).min(1, 'password must not be empty'),
    /** Airflow's DAGs folder as this process sees it (a shared volume); Freshet writes one DAG file per table. */
    dagsFolder: z
      .string()
      .min(1)
      .transform((folder) => path.resolve(folder))
      .superRefine((folder, ctx) => {
        const problem = dagsFolderProblem(folder);
        if (problem !== null) ctx.addIssue({ code: 'custom', message: problem });
      }),
    /** Every DAG id starts with this; give each gateway sharing one Airflow its own prefix. */
    dagIdPrefix: z
      .string()
      .max(100)
      .regex(/^[A-Za-z0-9_]*$/, 'dagIdPrefix may hold only letters, digits and _')
      .default('freshet_'),
    /** How long a CREATE waits for Airflow's DAG processor to load a new DAG file. */
    parseTimeoutSeconds: z.number().positive().default(600),
    /** Pause between two checks while waiting for Airflow to load or re-load a DAG file. */
    pollIntervalMs: z.number().int().min(10).default(2000),
    /** Time limit of one REST call to Airflow. */
    requestTimeoutMs: z.number().int().positive().default(30_000),
    /**
     * An Airflow HTTP connection whose host is the gateway (`http://freshet:8083`). When absent, each DAG file
     * defines a connection to the gateway URL Freshet gives it.
     */
    httpConnectionId: z
      .string()
      .max(200)
      .regex(AIRFLOW_KEY, 'httpConnectionId may hold only letters, digits, _ . and -')
      .optional(),
    /** How often the DAG's sensor asks the gateway whether the refresh job has finished. */
    sensorPokeSeconds: z.number().int().positive().default(30),
    /** How long the sensor waits for a refresh job before the run fails. */
    sensorTimeoutSeconds: z.number().int().positive().default(3600),
  })
  .strict();

export type AirflowOptions = z.infer<typeof airflowOptionsSchema>;
