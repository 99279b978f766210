/**
 * Named leases (`scheduler-leader`, `table:<key>`): which gateway sharing the catalog holds each, and until
 * when. Times are ISO-8601 UTC strings, whose string order is their time order on every catalog database.
 */
import type { Knex } from 'knex';
import type { LeaseRecord } from './records';
import { str, type Row } from './row-mapping';

/** Names in one statement at most: MySQL and SQLite bound the number of parameters in one statement. */
const CHUNK = 500;

/** Reads and writes `leases`. */
export class LeaseStore {
  constructor(private readonly db: Knex) {}

  /**
   * Takes or extends the named lease for `owner` until `until`: true when `owner` holds it now, false while
   * another holder's lease has not passed by `now`.
   */
  async acquire(name: string, owner: string, until: string, now: string): Promise<boolean> {
    const take = () =>
      this.db('leases')
        .where({ name })
        .andWhere((q) => q.where({ owner }).orWhere('lease_until', '<', now))
        .update({ owner, lease_until: until });
    if (Number(await take()) === 1) return true;
    // First use of the name: an expired placeholder, so that the conditional UPDATE above decides who wins.
    await this.db('leases').insert({ name, owner: '', lease_until: '' }).onConflict('name').ignore();
    return Number(await take()) === 1;
  }

  /** Extends the named leases `owner` still holds; returns how many it extended. */
  async renew(names: readonly string[], owner: string, until: string): Promise<number> {
    let renewed = 0;
    for (let i = 0; i < names.length; i += CHUNK) {
      const query = this.db('leases')
        .whereIn('name', names.slice(i, i + CHUNK))
        .andWhere({ owner });
      renewed += Number(await query.update({ lease_until: until }));
    }
    return renewed;
  }

  /** Gives a lease up at once, if `owner` holds it, so that the next gateway need not wait for it to pass. */
  async release(name: string, owner: string): Promise<void> {
    await this.db('leases').where({ name, owner }).update({ owner: '', lease_until: '' });
  }

  /** The current holder of a named lease, or null when nobody holds it (possibly expired: compare `until`). */
  async get(name: string): Promise<LeaseRecord | null> {
    const row = (await this.db('leases').where({ name }).first()) as Row | undefined;
    if (!row || str(row.owner) === '') return null;
    return { name: str(row.name), owner: str(row.owner), until: str(row.lease_until) };
  }
}
