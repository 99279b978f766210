/**
 * Waiting for jobs to finish: jobs this gateway runs tell their waiters when they end; a job another gateway
 * runs is watched in the catalog.
 */
import type { JobStore } from '../catalog/job-store';
import type { JobRecord } from '../catalog/records';
import type { LeaseKeeper } from './lease-keeper';
import { UNFINISHED } from './refresh-context';

/** First and longest pause between two reads of a job another gateway runs. */
const POLL_MS = { first: 100, max: 1000 } as const;

export class JobWaits {
  private readonly waiters = new Map<string, Set<(job: JobRecord) => void>>();

  constructor(
    private readonly jobs: Pick<JobStore, 'get'>,
    /** Null when no other gateway shares the catalog, so every job ends in this process. */
    private readonly keeper: LeaseKeeper | null,
    /** Told of every job found SUCCEEDED at its end, before its waiters. */
    private readonly onSucceeded: (job: JobRecord) => void,
  ) {}

  /** Tells the job's waiters that it has ended. */
  async notify(jobId: string): Promise<void> {
    const waiting = this.waiters.get(jobId);
    this.waiters.delete(jobId);
    const job = await this.jobs.get(jobId);
    if (job?.status === 'SUCCEEDED') this.onSucceeded(job);
    if (job && waiting) for (const resolve of waiting) resolve(job);
  }

  /** The job once it has finished, or as it stands when `timeoutMs` has passed. */
  async waitFor(jobId: string, timeoutMs: number): Promise<JobRecord | null> {
    if (timeoutMs <= 0) return this.jobs.get(jobId);
    // Register before reading: a job that finishes between the read and the registration would otherwise be
    // missed, and the caller would wait for the whole timeout.
    let done!: (job: JobRecord) => void;
    const finished = new Promise<JobRecord>((resolve) => (done = resolve));
    const set = this.waiters.get(jobId) ?? new Set();
    this.waiters.set(jobId, set);
    set.add(done);
    let timer: NodeJS.Timeout | undefined;
    let waiting = true;
    try {
      const current = await this.jobs.get(jobId);
      if (!current || !UNFINISHED.has(current.status)) return current;
      const timedOut = new Promise<null>((resolve) => (timer = setTimeout(() => resolve(null), timeoutMs)));
      const racers: Promise<JobRecord | null>[] = [finished, timedOut];
      // A job another gateway runs finishes without telling this one: watch the catalog for it.
      if (this.keeper) racers.push(this.pollUntilFinished(jobId, () => waiting));
      return (await Promise.race(racers)) ?? (await this.jobs.get(jobId));
    } finally {
      waiting = false;
      clearTimeout(timer);
      set.delete(done);
      if (set.size === 0 && this.waiters.get(jobId) === set) this.waiters.delete(jobId);
    }
  }

  /** The job once the catalog shows it finished; null once `waiting` turns false. */
  private async pollUntilFinished(jobId: string, waiting: () => boolean): Promise<JobRecord | null> {
    let pause: number = POLL_MS.first;
    for (;;) {
      await new Promise<void>((resolve) => setTimeout(resolve, pause).unref());
      pause = Math.min(pause * 2, POLL_MS.max);
      if (!waiting()) return null;
      if (this.keeper?.holdsJobLocally(jobId)) continue;
      const job = await this.jobs.get(jobId);
      if (job && !UNFINISHED.has(job.status)) return job;
    }
  }
}
