/**
 * The leader lease: of several gateways sharing one catalog, the one holding the `scheduler-leader` lease fires
 * the in-process schedules (embedded scheduler ticks, continuous refreshes). Every gateway tries to take or renew
 * it every third of the lease; when the leader stops, another takes it once the lease has passed.
 */
import type { Catalog } from '../catalog/catalog';
import { messageOf } from '../errors';
import type { Logger } from '../logger';
import type { SchedulerLeadership } from '../scheduler/workflow-scheduler';

export const LEADER_LEASE_NAME = 'scheduler-leader';

export class LeaderLease implements SchedulerLeadership {
  readonly #listeners = new Set<(leader: boolean) => void>();
  #leader = false;
  /** Local time (epoch ms) until which the lease is ours, counted from before the request that took it. */
  #heldUntil = 0;
  #timer: NodeJS.Timeout | undefined;
  #attempting: Promise<void> | null = null;
  #stopped = false;

  constructor(
    private readonly catalog: Catalog,
    /** This gateway's replica id. */
    readonly owner: string,
    readonly leaseMs: number,
    private readonly logger: Logger,
    readonly name: string = LEADER_LEASE_NAME,
  ) {}

  /** Makes the first attempt (so that a gateway starting alone is the leader at once), then keeps trying. */
  async start(): Promise<void> {
    await this.attempt();
    if (this.#stopped) return;
    this.#timer = setInterval(() => void this.attempt(), Math.max(50, Math.floor(this.leaseMs / 3)));
    this.#timer.unref();
  }

  isLeader(): boolean {
    // A leader that cannot renew stops acting as one when its lease passes, before anyone else may take it.
    return this.#leader && Date.now() < this.#heldUntil;
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
    clearInterval(this.#timer);
    await this.#attempting;
    const wasLeader = this.#leader;
    this.#set(false);
    if (wasLeader && options.release !== false) {
      await this.catalog.releaseLease(this.name, this.owner).catch((error: unknown) => {
        this.logger.warn('could not give up the leader lease; another gateway takes it when it passes', { error: messageOf(error) });
      });
    }
  }

  async #attempt(): Promise<void> {
    if (this.#stopped) return;
    const now = Date.now();
    try {
      const held = await this.catalog.acquireLease(this.name, this.owner, new Date(now + this.leaseMs).toISOString(), new Date(now).toISOString());
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
    this.logger.info(leader ? 'this gateway is now the scheduler leader' : 'this gateway is no longer the scheduler leader', { replica: this.owner });
    for (const listener of [...this.#listeners]) {
      try {
        listener(leader);
      } catch (error) {
        this.logger.error('a leadership listener failed', { error: messageOf(error) });
      }
    }
  }
}
