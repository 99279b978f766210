/**
 * When datasets are profiled and what is recorded: a dataset is profiled when it is found, when its `updatedAt`
 * changes, after each successful refresh of a dynamic table, and on request, in the background with bounded
 * concurrency. A failed profile is recorded with its error and not tried again until the dataset changes; a file
 * too big is marked so and not read; an empty dataset is marked empty.
 */
import type { ProfileRecord } from '../catalog/dataset-store';
import type { Engine } from '../engine/engine';
import { FreshetError, messageOf, notFound, validationError } from '../errors';
import type { Logger } from '../logger';
import type { EngineCatalogAccess } from './catalog-access';
import type { DatasetBook } from './dataset-book';
import { type Dataset, type DatasetStatus, summaryOf } from './dataset-view';
import { profileFile } from './file-profile';
import type { DatasetProfile } from './profile-model';
import { ProfileQueue } from './profile-queue';
import { canProfile, profileEngineTable } from './table-profile';

export interface ProfileSettings {
  readonly sampleRows: number;
  readonly seed: number;
  readonly concurrency: number;
  readonly keep: number;
  readonly maxFileBytes: number;
}

export type ProfileTrigger = 'discovery' | 'refresh' | 'request';

export interface ProfilingParts {
  readonly book: DatasetBook;
  readonly catalogs: EngineCatalogAccess;
  /** The SQLite engine files are profiled on, opened on first use. */
  readonly scratch: () => Promise<Engine>;
  readonly settings: ProfileSettings;
  readonly logger: Logger;
  readonly now: () => Date;
}

/** The version a dataset is profiled at: its `updatedAt`, or '' for a dataset that has none. */
export function versionOf(dataset: Dataset): string {
  return dataset.updatedAt ?? '';
}

export class DatasetProfiling {
  readonly queue: ProfileQueue;

  constructor(private readonly parts: ProfilingParts) {
    this.queue = new ProfileQueue(parts.settings.concurrency);
  }

  /** Queues a profile of a dataset just published, unless it was profiled (or failed) at its current version. */
  consider(dataset: Dataset): void {
    const version = versionOf(dataset);
    if (dataset.status !== 'pending' && dataset.profiledVersion === version) return;
    this.queue.enqueue(dataset.id, (signal) => this.profileQuietly(dataset.id, 'discovery', signal));
  }

  /** Queues a profile whatever the dataset's version (a dynamic table was refreshed). */
  request(id: string, trigger: ProfileTrigger): void {
    this.queue.enqueue(id, (signal) => this.profileQuietly(id, trigger, signal));
  }

  /** Profiles a dataset now (after those already running) and returns the stored profile. */
  async profileNow(id: string, partition: Readonly<Record<string, string>> | null): Promise<ProfileRecord> {
    let stored: ProfileRecord | null = null;
    const key = partition === null ? id : `${id}\u0000${JSON.stringify(partition)}`;
    await this.queue.submit(key, async (signal) => {
      stored = await this.profile(id, 'request', partition, signal);
    });
    if (stored === null) throw notFound(`Dataset ${id} no longer exists.`);
    return stored;
  }

  close(): Promise<void> {
    return this.queue.close();
  }

  private async profileQuietly(id: string, trigger: ProfileTrigger, signal: AbortSignal): Promise<void> {
    try {
      await this.profile(id, trigger, null, signal);
    } catch (error) {
      if (!signal.aborted) this.parts.logger.debug('dataset profile failed', { dataset: id, error: messageOf(error) });
    }
  }

  /**
   * Profiles a dataset and records the outcome: the profile and the dataset's status, or the error. Null when the
   * dataset is gone or cannot be profiled (marked so).
   */
  private async profile(
    id: string,
    trigger: ProfileTrigger,
    partition: Readonly<Record<string, string>> | null,
    signal: AbortSignal,
  ): Promise<ProfileRecord | null> {
    const { book, settings } = this.parts;
    const dataset = book.get(id);
    if (dataset === undefined) return null;
    const version = versionOf(dataset);
    const at = () => this.parts.now().toISOString();
    const mark = partition === null ? this.markFor(dataset) : null;
    if (mark !== null) {
      await book.setStatus(id, mark, version, at());
      if (trigger === 'request') throw validationError(this.markMessage(dataset, mark));
      return null;
    }
    const started = performance.now();
    let profile: DatasetProfile;
    try {
      profile = await this.compute(dataset, partition, signal);
    } catch (error) {
      if (signal.aborted) throw error;
      // A partition that does not exist is the request's mistake, not the dataset's.
      if (partition === null) {
        await book.setStatus(id, 'error', version, at());
        await book.store.recordError(
          {
            discoverer: dataset.discoverer,
            datasetId: id,
            stage: 'profile',
            message: messageOf(error),
            code: error instanceof FreshetError ? error.code : null,
          },
          at(),
        );
      }
      throw error;
    }
    const profiledAt = at();
    const record = {
      datasetId: id,
      profiledAt,
      rowCount: profile.rowCount,
      profiledRows: profile.profiledRows,
      sampled: profile.sampled,
      durationMs: Math.round(performance.now() - started),
      trigger,
      profile,
    };
    const status: DatasetStatus = profile.rowCount === 0 ? 'empty' : 'profiled';
    const outcome = partition === null ? { status, version, summary: summaryOf(profile, profiledAt) } : null;
    if (!(await book.addProfile(record, outcome, settings.keep))) return null;
    if (partition === null) await book.store.clearError(dataset.discoverer, id, 'profile');
    return (await book.store.profiles(id, 1))[0] ?? null;
  }

  /** Why a dataset is not profiled: a file too big, or a table on an engine the profiler cannot run on. */
  private markFor(dataset: Dataset): DatasetStatus | null {
    const m = dataset.materialize;
    if (m.kind === 'file') {
      const size = dataset.metadata.sizeBytes;
      return size !== undefined && size > this.parts.settings.maxFileBytes ? 'too_big' : null;
    }
    const engine = this.parts.catalogs.engineOf(m.catalog);
    return engine !== undefined && !canProfile(engine) ? 'unprofilable' : null;
  }

  private markMessage(dataset: Dataset, mark: DatasetStatus): string {
    if (mark === 'too_big') {
      return (
        `Dataset ${dataset.id} is ${dataset.metadata.sizeBytes} bytes, more than discovery.profile.maxFileBytes ` +
        `(${this.parts.settings.maxFileBytes}); it is not profiled.`
      );
    }
    return `Dataset ${dataset.id} is on an engine the profiler cannot run SQL on; it is not profiled.`;
  }

  private async compute(
    dataset: Dataset,
    partition: Readonly<Record<string, string>> | null,
    signal: AbortSignal,
  ): Promise<DatasetProfile> {
    const { settings } = this.parts;
    const m = dataset.materialize;
    if (m.kind === 'file') {
      if (partition !== null) throw validationError('A file dataset has no partitions to profile.');
      const scratch = await this.parts.scratch();
      return (await profileFile(m, scratch, { sampleRows: settings.sampleRows, seed: settings.seed, signal })).profile;
    }
    const engine = this.parts.catalogs.engineOf(m.catalog);
    if (engine === undefined) throw notFound(`Catalog '${m.catalog}' of dataset ${dataset.id} is not configured.`);
    return profileEngineTable(engine, m.database ?? engine.defaultDatabase, m.table, {
      sampleRows: settings.sampleRows,
      seed: settings.seed,
      partition,
      signal,
    });
  }
}
