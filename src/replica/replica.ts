/**
 * This gateway as one replica among several sharing a PostgreSQL or MySQL catalog: its id (the owner written on
 * the jobs and leases it holds), its lease length, and whether it leads the in-process schedules. A SQLite
 * catalog belongs to one gateway, which is always the leader.
 */
import type { Catalog } from '../catalog/catalog';
import type { Logger } from '../logger';
import type { SchedulerLeadership } from '../scheduler/workflow-scheduler';
import { LeaderLease } from './leader-lease';
import { defaultReplicaId } from './replica-id';

export interface ReplicaSettings {
  /** Defaults to one unique to this process. */
  readonly id?: string | undefined;
  /** How long a lease holds without renewal: how long a stopped gateway's work waits before another takes it. */
  readonly leaseSeconds: number;
}

export interface Replica {
  readonly id: string;
  readonly leaseSeconds: number;
  /** Undefined on a SQLite catalog: this gateway is the only one, and always leads. */
  readonly leadership: SchedulerLeadership | undefined;
  /** True while this gateway leads the in-process schedules. */
  isLeader(): boolean;
  /** Gives the leader lease up, so that another gateway leads at once. */
  close(): Promise<void>;
}

/** Starts this gateway's replica services; on a shared catalog it competes for the leader lease from now on. */
export async function startReplica(catalog: Catalog, settings: ReplicaSettings, logger: Logger): Promise<Replica> {
  const id = settings.id ?? defaultReplicaId();
  const { leaseSeconds } = settings;
  if (catalog.kind === 'sqlite') return { id, leaseSeconds, leadership: undefined, isLeader: () => true, close: async () => undefined };
  const lease = new LeaderLease(catalog, id, leaseSeconds * 1000, logger);
  await lease.start();
  return { id, leaseSeconds, leadership: lease, isLeader: () => lease.isLeader(), close: () => lease.stop() };
}
