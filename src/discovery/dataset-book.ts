/**
 * The datasets of this gateway: the catalog's records, a copy of them in memory, and the search index over that
 * copy, changed together. Everything that changes a dataset goes through here, so the index is never behind.
 */
import type { DatasetStore, NewProfile } from '../catalog/dataset-store';
import { type Dataset, type DatasetStatus, datasetOf, type ProfileSummary, recordOf } from './dataset-view';
import { SearchIndex } from './search-index';

export class DatasetBook {
  private readonly datasets = new Map<string, Dataset>();
  /** The newest change of each dataset still being written: changes of one dataset are made one at a time. */
  private readonly writing = new Map<string, Promise<unknown>>();
  readonly index = new SearchIndex();

  constructor(readonly store: DatasetStore) {}

  /** Reads every dataset from the catalog and rebuilds the index. */
  async load(): Promise<void> {
    const records = await this.store.list();
    this.datasets.clear();
    for (const record of records) this.datasets.set(record.id, datasetOf(record));
    this.index.rebuild(this.datasets.values());
  }

  get(id: string): Dataset | undefined {
    return this.datasets.get(id);
  }

  all(): Dataset[] {
    return [...this.datasets.values()];
  }

  /**
   * Writes what `change` makes of the dataset as it is (undefined: not recorded yet); `change` returning null
   * writes nothing. Resolves to the dataset written, or the one kept.
   */
  update(id: string, change: (current: Dataset | undefined) => Dataset | null): Promise<Dataset | undefined> {
    return this.serially(id, async () => {
      const current = this.datasets.get(id);
      const next = change(current);
      if (next === null) return current;
      await this.store.put(recordOf(next));
      this.remember(next);
      return next;
    });
  }

  async remove(ids: readonly string[]): Promise<void> {
    if (ids.length === 0) return;
    await this.store.delete(ids);
    for (const id of ids) {
      this.datasets.delete(id);
      this.index.remove(id);
    }
  }

  /** Sets a dataset's status; false when it is gone. */
  setStatus(id: string, status: DatasetStatus, version: string | null, at: string): Promise<boolean> {
    return this.serially(id, async () => {
      const current = this.datasets.get(id);
      if (current === undefined || !(await this.store.setStatus(id, status, version, at))) return false;
      this.remember({ ...current, status, profiledVersion: version, changedAt: at });
      return true;
    });
  }

  /**
   * Stores a profile; with `outcome` (a whole-dataset profile) it becomes the dataset's newest. False when the
   * dataset is gone.
   */
  async addProfile(
    profile: NewProfile,
    outcome: { status: DatasetStatus; version: string | null; summary: ProfileSummary } | null,
    keep: number,
  ): Promise<boolean> {
    return this.serially(profile.datasetId, async () => {
      const current = this.datasets.get(profile.datasetId);
      if (current === undefined) return false;
      if (!(await this.store.addProfile(profile, outcome, keep))) return false;
      if (outcome === null) return true;
      this.remember({
        ...current,
        status: outcome.status,
        profiledVersion: outcome.version,
        summary: outcome.summary,
        rowCount: profile.rowCount,
        changedAt: profile.profiledAt,
      });
      return true;
    });
  }

  private serially<T>(id: string, work: () => Promise<T>): Promise<T> {
    const before = this.writing.get(id) ?? Promise.resolve();
    const mine = before.then(work, work);
    const settled = mine.catch(() => undefined);
    this.writing.set(id, settled);
    void settled.then(() => {
      if (this.writing.get(id) === settled) this.writing.delete(id);
    });
    return mine;
  }

  private remember(dataset: Dataset): void {
    this.datasets.set(dataset.id, dataset);
    this.index.put(dataset);
  }
}
