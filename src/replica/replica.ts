/**
 * This gateway as one replica among several sharing a PostgreSQL or MySQL catalog: its id (the owner written on
 * the jobs and leases it holds), its lease length, and whether it leads the in-process schedules. A SQLite
 * catalog belongs to one gateway, which is always the leader.
 */
import type { LeaseStore } from '../catalog/lease-store';
import type { Logger } from '../logger';
import type { SchedulerLeadership } from '../scheduler/workflow-scheduler';
import type { Clock } from './clock';
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

/** What of the catalog a replica uses. */
export interface ReplicaCatalog {
  /** False for a SQLite catalog: this gateway is the only one. */
  readonly shared: boolean;
  readonly leases: Pick<LeaseStore, 'acquire' | 'release'>;
}

/** Starts this gateway's replica services; on a shared catalog it competes for the leader lease from now on. */
export async function startReplica(
  catalog: ReplicaCatalog,
  settings: ReplicaSettings,
  logger: Logger,
  clock?: Clock,
): Promise<Replica> {
  const id = settings.id ?? defaultReplicaId();
  const { leaseSeconds } = settings;
  if (!catalog.shared) {
    return { id, leaseSeconds, leadership: undefined, isLeader: () => true, close: async () => undefined };
  }
  const lease = new LeaderLease(catalog.leases, id, leaseSeconds * 1000, logger, clock ? { clock } : {});
  await lease.start();
  return { id, leaseSeconds, leadership: lease, isLeader: () => lease.isLeader(), close: () => lease.stop() };
}
