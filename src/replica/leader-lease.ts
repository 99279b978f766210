/**
 * The leader lease: of several gateways sharing one catalog, the one holding the `scheduler-leader` lease fires
 * the in-process schedules (embedded scheduler ticks, continuous refreshes). Every gateway tries to take or renew
 * it every third of the lease; when the leader stops, another takes it once the lease has passed.
 */
import type { LeaseStore } from '../catalog/lease-store';
import { messageOf } from '../errors';
import type { Logger } from '../logger';
import type { SchedulerLeadership } from '../scheduler/workflow-scheduler';
import { isoAt, systemClock, type Clock, type ClockTimer } from './clock';

export const LEADER_LEASE_NAME = 'scheduler-leader';

export interface LeaderLeaseOptions {
  /** The lease's name in the catalog; {@link LEADER_LEASE_NAME} unless told. */
  readonly name?: string;
  /** What the lease is measured in, and what renews it; the wall clock unless told. */
  readonly clock?: Clock;
}

export class LeaderLease implements SchedulerLeadership {
  readonly #listeners = new Set<(leader: boolean) => void>();
  #leader = false;
  /** Local time (epoch ms) until which the lease is ours, counted from before the request that took it. */
  #heldUntil = 0;
  #timer: ClockTimer | undefined;
  #attempting: Promise<void> | null = null;
  #stopped = false;
  readonly #clock: Clock;
  readonly name: string;

  constructor(
    private readonly leases: Pick<LeaseStore, 'acquire' | 'release'>,
    /** This gateway's replica id. */
    readonly owner: string,
    readonly leaseMs: number,
    private readonly logger: Logger,
    options: LeaderLeaseOptions = {},
  ) {
    this.name = options.name ?? LEADER_LEASE_NAME;
    this.#clock = options.clock ?? systemClock;
  }

  /** Makes the first attempt (so that a gateway starting alone is the leader at once), then keeps trying. */
  async start(): Promise<void> {
    await this.attempt();
    if (this.#stopped) return;
    this.#timer = this.#clock.every(Math.max(50, Math.floor(this.leaseMs / 3)), () => this.attempt());
  }

  isLeader(): boolean {
    // A leader that cannot renew stops acting as one when its lease passes, before anyone else may take it.
    return this.#leader && this.#clock.now() < this.#heldUntil;
  }

  onChange(listener: (leader: boolean) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Takes or renews the lease once. */
  attempt(): Promise<void> {
    this.#attempting ??= this.#attempt().finally(() => (this.#attempting = null));
    return this.#attempting;
  }

  /**
   * Stops trying. With `release` (the default) the lease is given up at once, so another gateway leads without
   * waiting for it to pass; without, it passes by itself, as when the process is killed.
   */
  async stop(options: { release?: boolean } = {}): Promise<void> {
    this.#stopped = true;
    this.#timer?.cancel();
    await this.#attempting;
    const wasLeader = this.#leader;
    this.#set(false);
    if (wasLeader && options.release !== false) {
      await this.leases.release(this.name, this.owner).catch((error: unknown) => {
        const message = 'could not give up the leader lease; another gateway takes it when it passes';
        this.logger.warn(message, { error: messageOf(error) });
      });
    }
  }

  async #attempt(): Promise<void> {
    if (this.#stopped) return;
    const now = this.#clock.now();
    try {
      const held = await this.leases.acquire(this.name, this.owner, isoAt(now, this.leaseMs), isoAt(now));
      if (this.#stopped) return;
      if (held) this.#heldUntil = now + this.leaseMs;
      this.#set(held);
    } catch (error) {
      this.logger.warn('could not renew the leader lease', { error: messageOf(error) });
      this.#set(this.isLeader());
    }
  }

  #set(leader: boolean): void {
    if (leader === this.#leader) return;
    this.#leader = leader;
    this.logger.info(
      leader ? 'this gateway is now the scheduler leader' : 'this gateway is no longer the scheduler leader',
      { replica: this.owner },
    );
    for (const listener of [...this.#listeners]) {
      try {
        listener(leader);
      } catch (error) {
        this.logger.error('a leadership listener failed', { error: messageOf(error) });
      }
    }
  }
}
