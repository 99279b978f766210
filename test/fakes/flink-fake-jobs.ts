/**
 * The fake cluster's jobs. A batch job writes its rows when it finishes, after the configured duration (so a
 * reader sees the old rows until then); a streaming job writes the rows its query has now once, at start, and
 * keeps RUNNING until it is stopped. Job ids are 32 hex digits, as Flink's JobID.
 */
import { randomBytes } from 'node:crypto';
import { JavaThrowable, java } from './flink-fake-errors';

export type JobStatus = 'RUNNING' | 'FINISHED' | 'CANCELED' | 'FAILED';

export interface JobRequest {
  readonly name: string;
  readonly mode: 'batch' | 'streaming';
  readonly statement: string;
  /** The sink table, `cat.db.t`. */
  readonly sink: string;
  readonly properties: Readonly<Record<string, string>>;
  /** Writes the job's output; throws a JavaThrowable when the job fails doing so. */
  readonly write: () => void;
}

export interface FakeJob extends Omit<JobRequest, 'write'> {
  readonly id: string;
  readonly startTime: Date;
  status: JobStatus;
  failure: JavaThrowable | null;
  /** Settles when the job reaches a terminal state. */
  readonly ended: Promise<FakeJob>;
}

export const newJobId = () => randomBytes(16).toString('hex');

export class FakeJobs {
  readonly #jobs = new Map<string, FakeJob>();
  readonly #ends = new Map<string, (job: FakeJob) => void>();
  readonly #timers = new Set<NodeJS.Timeout>();
  #failNext: string | null = null;

  constructor(public durationMs: number) {}

  list(): FakeJob[] {
    return [...this.#jobs.values()];
  }

  get(id: string): FakeJob | undefined {
    return this.#jobs.get(id);
  }

  /** The next submitted job fails at runtime with this root cause. */
  failNext(message: string): void {
    this.#failNext = message;
  }

  submit(request: JobRequest): FakeJob {
    let settle: (job: FakeJob) => void = () => undefined;
    const ended = new Promise<FakeJob>((resolve) => (settle = resolve));
    const { write, ...described } = request;
    const job: FakeJob = {
      ...described,
      id: newJobId(),
      startTime: new Date(),
      status: 'RUNNING',
      failure: null,
      ended,
    };
    this.#jobs.set(job.id, job);
    this.#ends.set(job.id, settle);
    const failure = this.#failNext;
    this.#failNext = null;
    const run = () => {
      if (failure !== null) throw java.runtime(failure);
      write();
    };
    if (request.mode === 'streaming' && failure === null) {
      this.#attempt(job, run, false);
      return job;
    }
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      if (job.status === 'RUNNING') this.#attempt(job, run, true);
    }, this.durationMs);
    this.#timers.add(timer);
    return job;
  }

  /**
   * Stops a running job, cancelled (CANCELED) or with a savepoint (FINISHED). Null when there is no such job;
   * otherwise the state the job was in before (RUNNING when this call stopped it).
   */
  stop(id: string, endState: 'CANCELED' | 'FINISHED' = 'CANCELED'): JobStatus | null {
    const job = this.#jobs.get(id);
    if (job === undefined) return null;
    if (job.status !== 'RUNNING') return job.status;
    this.#end(job, endState);
    return 'RUNNING';
  }

  dispose(): void {
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
  }

  #attempt(job: FakeJob, run: () => void, finish: boolean): void {
    try {
      run();
      if (finish) this.#end(job, 'FINISHED');
    } catch (error) {
      job.failure = error instanceof JavaThrowable ? error : java.runtime(String(error));
      this.#end(job, 'FAILED');
    }
  }

  #end(job: FakeJob, status: JobStatus): void {
    job.status = status;
    this.#ends.get(job.id)?.(job);
    this.#ends.delete(job.id);
  }
}
