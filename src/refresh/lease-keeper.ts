/**
 * A gateway's claims in a shared catalog: the leases of the refresh jobs it runs and of the tables it is
 * refreshing. It renews them every third of the lease, so that they pass only when the gateway stops (or loses
 * the catalog for longer than a lease), and another gateway then takes the work over.
 */
import type { Catalog } from '../catalog/catalog';
import { messageOf } from '../errors';
import type { Logger } from '../logger';

/** Shortest and longest pause between two attempts at a table lease another gateway holds. */
const TABLE_LEASE_BACKOFF_MS = { first: 25, max: 1000 } as const;

/** The name of a table's lease in the catalog's `leases`. */
export const tableLeaseName = (tableKey: string): string => `table:${tableKey}`;

export class LeaseKeeper {
  private readonly jobs = new Set<string>();
  /** Table lease names held, with how many holders in this process (TableLocks makes it one at a time). */
  private readonly tableLeases = new Map<string, number>();
  private readonly timer: NodeJS.Timeout;
  private renewing = false;

  constructor(
    private readonly catalog: Catalog,
    /** This gateway's replica id. */
    readonly owner: string,
    readonly leaseMs: number,
    private readonly logger: Logger,
  ) {
    this.timer = setInterval(() => void this.renew(), Math.max(50, Math.floor(leaseMs / 3)));
    this.timer.unref();
  }

  /** The expiry of a lease taken or renewed now. */
  leaseUntil(from = Date.now()): string {
    return new Date(from + this.leaseMs).toISOString();
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
    return (await this.catalog.renewJobLeases([jobId], this.owner, this.leaseUntil())) === 1;
  }

  /**
   * Runs `work` while this gateway holds the table's lease in the catalog, so that no other gateway refreshes,
   * alters or drops the table meanwhile. Waits, backing off, while another gateway holds it.
   */
  async withTableLease<T>(tableKey: string, work: () => Promise<T>): Promise<T> {
    const name = tableLeaseName(tableKey);
    let pause: number = TABLE_LEASE_BACKOFF_MS.first;
    while (!(await this.catalog.acquireLease(name, this.owner, this.leaseUntil(), new Date().toISOString()))) {
      // Jitter keeps gateways waiting for the same table from polling the catalog in step.
      await sleep(pause / 2 + Math.random() * pause);
      pause = Math.min(pause * 2, TABLE_LEASE_BACKOFF_MS.max, Math.max(TABLE_LEASE_BACKOFF_MS.first, this.leaseMs / 3));
    }
    this.tableLeases.set(name, (this.tableLeases.get(name) ?? 0) + 1);
    try {
      return await work();
    } finally {
      const holders = (this.tableLeases.get(name) ?? 1) - 1;
      if (holders > 0) this.tableLeases.set(name, holders);
      else {
        this.tableLeases.delete(name);
        await this.catalog.releaseLease(name, this.owner).catch((error: unknown) => {
          // It passes by itself; other gateways only wait a little longer.
          this.logger.warn('could not release a table lease', { lease: name, error: messageOf(error) });
        });
      }
    }
  }

  /** Stops renewing: whatever is still held passes within one lease. */
  close(): void {
    clearInterval(this.timer);
  }

  private async renew(): Promise<void> {
    if (this.renewing || (this.jobs.size === 0 && this.tableLeases.size === 0)) return;
    this.renewing = true;
    const until = this.leaseUntil();
    try {
      if (this.jobs.size > 0) await this.catalog.renewJobLeases([...this.jobs], this.owner, until);
      if (this.tableLeases.size > 0) await this.catalog.renewLeases([...this.tableLeases.keys()], this.owner, until);
    } catch (error) {
      this.logger.warn('could not renew refresh leases; other gateways take the jobs over if this lasts', { error: messageOf(error) });
    } finally {
      this.renewing = false;
    }
  }
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
