/**
 * The fake's DAG processor and metadata database. It scans the real DAGs folder, loads each new or changed
 * `.py` file with python3 against the stub airflow modules (after a parse delay, as Airflow notices files only
 * on its next listing), and keeps DAG rows and import errors the way Airflow does:
 *
 * - files without both "airflow" and "dag" are skipped (`dag_discovery_safe_mode`);
 * - a new DAG is paused unless its file says `is_paused_upon_creation=False` (`dags_are_paused_at_creation`);
 * - a file that fails to load gets an import error and its DAGs keep their last good version;
 * - DAGs whose file is gone become inactive (stale), and their import errors go;
 * - deleting a DAG whose file is still there only removes the rows: the next parse brings it back.
 */
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { parseDagFile, type StubAirflow } from './airflow-python';

export interface FakeDag {
  readonly dagId: string;
  /** File name relative to the DAGs folder. */
  readonly fileName: string;
  paused: boolean;
  active: boolean;
  schedule: string | null;
  tags: string[];
  description: string | null;
  maxActiveRuns: number | null;
  lastParsedTime: Date;
  /** Set by tests: DELETE answers 409 while task instances run. */
  runningTasks: boolean;
}

export interface FakeImportError {
  readonly id: number;
  readonly fileName: string;
  readonly timestamp: Date;
  readonly stackTrace: string;
}

export interface DagProcessorOptions {
  readonly folder: string;
  readonly airflow: StubAirflow;
  readonly parseDelayMs: number;
  readonly scanIntervalMs: number;
  readonly pausedAtCreation: boolean;
  readonly withoutHttpProvider: boolean;
  readonly now: () => Date;
}

interface FileState {
  hash: string;
  parsedHash: string | null;
  dueAt: number;
}

export class FakeDagProcessor {
  readonly dags = new Map<string, FakeDag>();
  readonly importErrors = new Map<string, FakeImportError>();
  readonly #files = new Map<string, FileState>();
  readonly #options: DagProcessorOptions;
  #parseDelayMs: number;
  #timer: NodeJS.Timeout | undefined;
  #scanning: Promise<void> | null = null;
  #held = false;
  #nextErrorId = 1;

  constructor(options: DagProcessorOptions) {
    this.#options = options;
    this.#parseDelayMs = options.parseDelayMs;
  }

  start(): void {
    this.#timer ??= setInterval(() => void this.scan(), this.#options.scanIntervalMs);
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#scanning;
  }

  /** While held, the processor notices nothing: new files wait, as when Airflow's DAG processor is down. */
  hold(held: boolean): void {
    this.#held = held;
  }

  setParseDelay(ms: number): void {
    this.#parseDelayMs = ms;
  }

  /** `PUT parseDagFile/{file_token}`: the file is parsed on the next scan. */
  requestParse(fileName: string): void {
    const state = this.#files.get(fileName);
    if (state) state.dueAt = 0;
  }

  /** `DELETE dags/{dag_id}`: the rows go; a file that still defines the DAG is parsed again after the delay. */
  deleteDag(dagId: string): void {
    const dag = this.dags.get(dagId);
    if (!dag) return;
    this.dags.delete(dagId);
    const state = this.#files.get(dag.fileName);
    if (state) {
      state.parsedHash = null;
      state.dueAt = this.#options.now().getTime() + this.#parseDelayMs;
    }
  }

  fileToken(fileName: string): string {
    return createHash('sha256').update(`file-token:${fileName}`).digest('base64url');
  }

  fileOfToken(token: string): string | null {
    return [...this.#files.keys()].find((name) => this.fileToken(name) === token) ?? null;
  }

  /** One pass over the folder (the timer calls it; tests may too). */
  scan(): Promise<void> {
    this.#scanning ??= this.#scan().finally(() => {
      this.#scanning = null;
    });
    return this.#scanning;
  }

  async #scan(): Promise<void> {
    if (this.#held) return;
    const now = this.#options.now().getTime();
    const names = (await fs.readdir(this.#options.folder).catch(() => [] as string[])).filter((n) => n.endsWith('.py'));
    for (const name of names) {
      const content = await fs.readFile(path.join(this.#options.folder, name), 'utf8').catch(() => null);
      if (content === null) continue;
      const hash = createHash('sha256').update(content).digest('hex');
      const state = this.#files.get(name);
      if (state === undefined) this.#files.set(name, { hash, parsedHash: null, dueAt: now + this.#parseDelayMs });
      else if (state.hash !== hash) {
        state.hash = hash;
        // Airflow re-reads a changed file on its next min_file_process_interval, unless asked to earlier.
        state.dueAt = Math.max(state.dueAt, now + this.#parseDelayMs);
      }
      const current = this.#files.get(name) as FileState;
      if (current.parsedHash !== current.hash && current.dueAt <= now) await this.#parse(name, content, current);
    }
    for (const name of [...this.#files.keys()].filter((n) => !names.includes(n))) {
      this.#files.delete(name);
      this.importErrors.delete(name);
      for (const dag of this.dags.values()) if (dag.fileName === name) dag.active = false;
    }
  }

  async #parse(name: string, content: string, state: FileState): Promise<void> {
    state.parsedHash = state.hash;
    const lower = content.toLowerCase();
    if (!lower.includes('airflow') || !lower.includes('dag')) return;
    const result = await parseDagFile(path.join(this.#options.folder, name), {
      airflow: this.#options.airflow,
      withoutHttpProvider: this.#options.withoutHttpProvider,
    });
    const now = this.#options.now();
    if (!result.ok) {
      this.importErrors.set(name, {
        id: this.#nextErrorId++,
        fileName: name,
        timestamp: now,
        stackTrace: result.error,
      });
      return;
    }
    this.importErrors.delete(name);
    const defined = new Set(result.dags.map((d) => d.dag_id));
    for (const dag of this.dags.values()) if (dag.fileName === name && !defined.has(dag.dagId)) dag.active = false;
    for (const parsed of result.dags) {
      const args = parsed.args;
      const fields = {
        active: true,
        schedule: typeof args.schedule === 'string' ? args.schedule : null,
        tags: Array.isArray(args.tags) ? args.tags.map(String) : [],
        description: typeof args.description === 'string' ? args.description : null,
        maxActiveRuns: typeof args.max_active_runs === 'number' ? args.max_active_runs : null,
        lastParsedTime: now,
      };
      const existing = this.dags.get(parsed.dag_id);
      if (existing) Object.assign(existing, fields);
      else {
        const paused =
          args.is_paused_upon_creation === false
            ? false
            : args.is_paused_upon_creation === true || this.#options.pausedAtCreation;
        this.dags.set(parsed.dag_id, { dagId: parsed.dag_id, fileName: name, paused, runningTasks: false, ...fields });
      }
    }
  }
}
