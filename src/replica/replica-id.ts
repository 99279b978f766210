import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';

/**
 * A replica id unique to this process: host, process id and a random suffix, so that a restarted gateway never
 * mistakes the leases of the process it replaces for its own.
 */
export function defaultReplicaId(): string {
  return `${hostname().slice(0, 80)}-${process.pid}-${randomBytes(4).toString('hex')}`;
}
