/** Shared set-up for tests of the Airflow plugin against the fake: a DAGs folder, a fake, plugin options. */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { MemoryStateStore } from '../../src/scheduler/memory-state-store';
import type { RefreshHandler, SchedulerContext } from '../../src/scheduler/workflow-scheduler';
import { AirflowFake, type AirflowFakeOptions } from './airflow-fake';

export interface FakeAirflowSetup {
  readonly fake: AirflowFake;
  readonly dagsFolder: string;
  close(): Promise<void>;
}

export async function startFakeAirflow(options: Omit<AirflowFakeOptions, 'dagsFolder'>): Promise<FakeAirflowSetup> {
  const dagsFolder = mkdtempSync(path.join(os.tmpdir(), 'freshet-airflow-dags-'));
  const fake = await AirflowFake.start({ ...options, dagsFolder });
  return {
    fake,
    dagsFolder,
    close: async () => {
      await fake.close();
      rmSync(dagsFolder, { recursive: true, force: true });
    },
  };
}

/** Plugin options for the fake: the API version of its Airflow, quick polling. */
export function pluginOptions(setup: FakeAirflowSetup, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    apiVersion: setup.fake.options.airflow === 3 ? 2 : 1,
    baseUrl: setup.fake.url,
    username: setup.fake.username,
    password: setup.fake.password,
    dagsFolder: setup.dagsFolder,
    parseTimeoutSeconds: 10,
    pollIntervalMs: 20,
    ...extra,
  };
}

export interface RecordingContext {
  readonly context: SchedulerContext;
  readonly logs: Array<{ level: string; message: string; fields?: Record<string, unknown> }>;
}

export function schedulerContext(stateStore = new MemoryStateStore()): RecordingContext {
  const logs: RecordingContext['logs'] = [];
  const log = (level: string) => (message: string, fields?: Record<string, unknown>) =>
    void logs.push({ level, message, ...(fields ? { fields } : {}) });
  return {
    logs,
    context: {
      gatewayUrl: 'http://127.0.0.1:8083',
      stateStore,
      logger: { info: log('info'), warn: log('warn'), error: log('error') },
      now: () => new Date(),
      triggerRefresh: async () => undefined,
    },
  };
}

/** What the fake holds for a handler, independent of the plugin: a DAG with its file, active, and paused or not. */
export function observeFake(
  setup: FakeAirflowSetup,
  handler: RefreshHandler,
): { exists: boolean; paused: boolean | null } {
  const dag = setup.fake.dag(String(handler.dagId));
  const file = path.join(setup.dagsFolder, path.basename(String(handler.fileName)));
  return dag?.active && existsSync(file) ? { exists: true, paused: dag.paused } : { exists: false, paused: null };
}
