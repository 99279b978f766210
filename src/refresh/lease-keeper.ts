/**
 * A gateway's claims in a shared catalog: the leases of the refresh jobs it runs and of the tables it is
 * refreshing. It renews them every third of the lease, so that they pass only when the gateway stops (or loses
 * the catalog for longer than a lease), and another gateway then takes the work over.
 */
import type { JobStore } from '../catalog/job-store';
import type { LeaseStore } from '../catalog/lease-store';
import { messageOf } from '../errors';
import type { Logger } from '../logger';
import { isoAt, systemClock, type Clock, type ClockTimer } from '../replica/clock';

/** Shortest and longest pause between two attempts at a table lease another gateway holds. */
const TABLE_LEASE_BACKOFF_MS = { first: 25, max: 1000 } as const;

/** The name of a table's lease in the catalog's `leases`. */
export const tableLeaseName = (tableKey: string): string => `table:${tableKey}`;

/** The catalog stores a {@link LeaseKeeper} writes its leases to. */
export interface LeaseKeeperStores {
  readonly jobs: Pick<JobStore, 'renewLeases'>;
  readonly leases: Pick<LeaseStore, 'acquire' | 'renew' | 'release'>;
}

export class LeaseKeeper {
  private readonly jobs = new Set<string>();
  /** Table lease names held, with how many holders in this process (TableLocks makes it one at a time). */
  private readonly tableLeases = new Map<string, number>();
  private readonly timer: ClockTimer;
  private renewing = false;

  constructor(
    private readonly stores: LeaseKeeperStores,
    /** This gateway's replica id. */
    readonly owner: string,
    readonly leaseMs: number,
    private readonly logger: Logger,
    /** What lease times are measured in, and what renews them. */
    private readonly clock: Clock = systemClock,
  ) {
    this.timer = clock.every(Math.max(50, Math.floor(leaseMs / 3)), () => this.renew());
  }

  /** The expiry of a lease taken or renewed now. */
  leaseUntil(from = this.clock.now()): string {
    return isoAt(from, this.leaseMs);
  }

  /** Starts renewing a job's lease (the job's row already names this gateway as its owner). */
  holdJob(jobId: string): void {
    this.jobs.add(jobId);
  }

  /** Stops renewing a job's lease (the job has ended, or was given up). */
  releaseJob(jobId: string): void {
    this.jobs.delete(jobId);
  }

  /** True while this gateway runs the job (so it learns of its end without asking the catalog). */
  holdsJobLocally(jobId: string): boolean {
    return this.jobs.has(jobId);
  }

  /** Renews the job's lease now; false when another gateway has taken the job over. */
  async confirmJob(jobId: string): Promise<boolean> {
    return (await this.stores.jobs.renewLeases([jobId], this.owner, this.leaseUntil())) === 1;
  }

  /**
   * Runs `work` while this gateway holds the table's lease in the catalog, so that no other gateway refreshes,
   * alters or drops the table meanwhile. Waits, backing off, while another gateway holds it.
   */
  async withTableLease<T>(tableKey: string, work: () => Promise<T>): Promise<T> {
    const name = tableLeaseName(tableKey);
    let pause: number = TABLE_LEASE_BACKOFF_MS.first;
    const maxPause = Math.min(TABLE_LEASE_BACKOFF_MS.max, Math.max(TABLE_LEASE_BACKOFF_MS.first, this.leaseMs / 3));
    while (!(await this.take(name))) {
      // Jitter keeps gateways waiting for the same table from polling the catalog in step. The pause is one of
      // polling, not of lease time: it stays on the wall clock.
      await sleep(pause / 2 + Math.random() * pause);
      pause = Math.min(pause * 2, maxPause);
    }
    this.tableLeases.set(name, (this.tableLeases.get(name) ?? 0) + 1);
    try {
      return await work();
    } finally {
      const holders = (this.tableLeases.get(name) ?? 1) - 1;
      if (holders > 0) this.tableLeases.set(name, holders);
      else {
        this.tableLeases.delete(name);
        await this.stores.leases.release(name, this.owner).catch((error: unknown) => {
          // It passes by itself; other gateways only wait a little longer.
          this.logger.warn('could not release a table lease', { lease: name, error: messageOf(error) });
        });
      }
    }
  }

  /** Stops renewing: whatever is still held passes within one lease. */
  close(): void {
    this.timer.cancel();
  }

  private take(name: string): Promise<boolean> {
    const now = this.clock.now();
    return this.stores.leases.acquire(name, this.owner, this.leaseUntil(now), isoAt(now));
  }

  private async renew(): Promise<void> {
    if (this.renewing || (this.jobs.size === 0 && this.tableLeases.size === 0)) return;
    this.renewing = true;
    const until = this.leaseUntil();
    try {
      if (this.jobs.size > 0) await this.stores.jobs.renewLeases([...this.jobs], this.owner, until);
      if (this.tableLeases.size > 0) await this.stores.leases.renew([...this.tableLeases.keys()], this.owner, until);
    } catch (error) {
      this.logger.warn('could not renew refresh leases; other gateways take the jobs over if this lasts', {
        error: messageOf(error),
      });
    } finally {
      this.renewing = false;
    }
  }
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
