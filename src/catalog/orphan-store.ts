/** Workflows a failed CREATE left in a scheduler, kept until the scheduler answers again to delete them. */
import type { Knex } from 'knex';
import type { OrphanRecord } from './records';
import { fromOrphan, toOrphan, type Row } from './row-mapping';

/** Reads and writes `scheduler_orphans`. */
export class OrphanStore {
  constructor(private readonly db: Knex) {}

  async insert(orphan: Omit<OrphanRecord, 'id'>): Promise<void> {
    await this.db('scheduler_orphans').insert(fromOrphan(orphan));
  }

  async list(schedulerType: string): Promise<OrphanRecord[]> {
    const rows = (await this.db('scheduler_orphans').where({ scheduler_type: schedulerType }).orderBy('id')) as Row[];
    return rows.map(toOrphan);
  }

  async delete(id: number): Promise<void> {
    await this.db('scheduler_orphans').where({ id }).delete();
  }
}
