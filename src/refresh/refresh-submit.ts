/**
 * Creating refresh jobs idempotently: a repeated request (same tables, schedule time, partitions) is answered
 * with the job of the first one, in this process and across the gateways sharing the catalog.
 */
import { createHash, randomUUID } from 'node:crypto';
import type { JobRecord, RefreshTrigger } from '../catalog/records';
import type { NewHistoryRow } from '../catalog/row-mapping';
import { isoAt } from '../replica/clock';
import type { RunnerContext } from './refresh-context';
import type { TableRefresh } from './table-refresher';

export interface JobRequest {
  /** Upstream first. */
  readonly refreshes: readonly TableRefresh[];
  readonly scheduleTime: Date;
  /** Deduplicate on (tables, schedule time, partitions): true when the caller gave the schedule time. */
  readonly deduplicate: boolean;
  readonly trigger: RefreshTrigger;
  readonly isPeriodic: boolean;
  readonly configuration: Readonly<Record<string, string>>;
  readonly staticPartitions: Readonly<Record<string, string>> | null;
}

/** Succeeded jobs remembered at most; the oldest is dropped first. */
const SUCCEEDED_LIMIT = 10_000;

export class JobSubmitter {
  private readonly creating = new Map<string, Promise<JobRecord>>();
  /** Succeeded jobs by dedupe key: final, so a repeated callback needs no catalog read. */
  private readonly succeeded = new Map<string, JobRecord>();

  constructor(
    private readonly context: RunnerContext,
    /** Written on every job this gateway creates. */
    private readonly clusterInfo: Readonly<Record<string, string>>,
    /** Starts running a job just created. */
    private readonly start: (job: JobRecord, refreshes: readonly TableRefresh[]) => void,
  ) {}

  /** Returns the existing job for a repeated request, or creates and starts a new one. */
  async submit(request: JobRequest): Promise<JobRecord> {
    if (!request.deduplicate) return this.create(request, null, 1);
    const dedupeKey = dedupeKeyOf(request);
    const done = this.succeeded.get(dedupeKey);
    if (done) return done;
    // Serialise creation per key inside this process; the catalog's unique key guards across processes.
    const inFlight = this.creating.get(dedupeKey);
    if (inFlight) return inFlight;
    const creation = (async () => {
      const latest = await this.context.stores.jobs.latestByKey(dedupeKey);
      if (latest?.status === 'SUCCEEDED') this.remember(latest);
      if (latest && latest.status !== 'FAILED') return latest;
      const attempt = latest ? latest.attempt + 1 : 1;
      return this.create(request, dedupeKey, attempt);
    })();
    this.creating.set(dedupeKey, creation);
    try {
      return await creation;
    } finally {
      this.creating.delete(dedupeKey);
    }
  }

  /** Keeps a succeeded job, so that a repeat of its request is answered without reading the catalog. */
  remember(job: JobRecord): void {
    if (job.dedupeKey === null) return;
    if (this.succeeded.size >= SUCCEEDED_LIMIT) this.succeeded.delete(this.succeeded.keys().next().value as string);
    this.succeeded.set(job.dedupeKey, job);
  }

  private async create(request: JobRequest, dedupeKey: string | null, attempt: number): Promise<JobRecord> {
    const { stores, replicaId, leaseMs, clock } = this.context;
    const job = newJob(request, dedupeKey, attempt, this.clusterInfo);
    const ownership = {
      owner: replicaId,
      leaseUntil: isoAt(clock.now(), leaseMs),
      // A rebuild's new definition lives only in this process: another gateway could not run it again.
      resumable: request.refreshes.every((r) => !r.rebuild),
    };
    if (!(await stores.jobs.insert(job, pendingHistory(job, request), ownership))) {
      // Another process created this attempt first: answer with its job.
      const existing = dedupeKey === null ? null : await stores.jobs.latestByKey(dedupeKey);
      if (existing) return existing;
      throw new Error('A refresh job with the same key was created concurrently and could not be read back.');
    }
    this.start(job, request.refreshes);
    return job;
  }
}

function newJob(
  request: JobRequest,
  dedupeKey: string | null,
  attempt: number,
  clusterInfo: Readonly<Record<string, string>>,
): JobRecord {
  return {
    jobId: randomUUID(),
    dedupeKey,
    attempt,
    trigger: request.trigger,
    status: 'PENDING',
    tables: request.refreshes.map((r) => r.table.key),
    scheduleTime: request.scheduleTime.toISOString(),
    isPeriodic: request.isPeriodic,
    configuration: request.configuration,
    staticPartitions: request.staticPartitions,
    clusterInfo,
    error: null,
    createdAt: new Date().toISOString(),
    startedAt: null,
    finishedAt: null,
  };
}

/** One PENDING history row per table of a new job. */
function pendingHistory(job: JobRecord, request: JobRequest): NewHistoryRow[] {
  return request.refreshes.map((r) => ({
    jobId: job.jobId,
    tableKey: r.table.key,
    identifier: r.table.identifier,
    trigger: request.trigger,
    scheduleTime: job.scheduleTime,
    partition: r.partition,
    state: 'PENDING' as const,
    rowsWritten: null,
    rowsDeleted: null,
    startedAt: null,
    finishedAt: null,
    error: null,
  }));
}

/**
 * Jobs are idempotent on (tables, schedule time, partitions, periodic or not). Each table counts with its creation
 * time, so a table dropped and created again under the same name does not inherit the old table's jobs. Hashed, to
 * fit the catalog column whatever the number of tables.
 */
function dedupeKeyOf(request: JobRequest): string {
  const tables = request.refreshes.map((r) => `${r.table.key}@${r.table.createdAt}`).sort();
  const partitions =
    request.staticPartitions === null ? '' : JSON.stringify(Object.entries(request.staticPartitions).sort());
  const periodic = request.isPeriodic ? 'periodic' : 'one-off';
  const text = [tables.join(','), request.scheduleTime.toISOString(), partitions, periodic].join('|');
  return createHash('sha256').update(text).digest('hex');
}
