/**
 * What `publish` does: checks the dataset, records it (writing only when something changed) and has it profiled
 * when it is new or its `updatedAt` changed.
 */
import { FreshetError, messageOf, validationError } from '../errors';
import type { EngineCatalogAccess } from './catalog-access';
import type { DatasetBook } from './dataset-book';
import type { DatasetProfiling } from './dataset-profiling';
import type { Dataset } from './dataset-view';
import type { DatasetMetadata, Materialize } from './discoverer';
import { defaultLocalId, kindOfPublished, publishProblems } from './published-dataset';

/** JSON with keys in order: two values that mean the same compare equal. */
function canonical(value: unknown): string {
  const sorted = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(sorted);
    if (v === null || typeof v !== 'object') return v;
    return Object.fromEntries(
      Object.entries(v as Record<string, unknown>)
        .filter(([, inner]) => inner !== undefined)
        .sort(([a], [b]) => (a < b ? -1 : 1))
        .map(([k, inner]) => [k, sorted(inner)]),
    );
  };
  return JSON.stringify(sorted(value));
}

export class DatasetRecorder {
  constructor(
    private readonly book: DatasetBook,
    private readonly profiling: DatasetProfiling,
    private readonly catalogs: EngineCatalogAccess,
    private readonly now: () => Date,
  ) {}

  /**
   * Records a dataset `discoverer` published; `seen` collects the ids a run published. Resolves to the dataset's id;
   * rejects with VALIDATION_ERROR (also recorded as the discoverer's error) for a dataset that cannot be recorded.
   */
  async record(
    discoverer: string,
    origin: 'discover' | 'query',
    seen: Set<string> | null,
    materialize: Materialize,
    metadata: DatasetMetadata,
    localId?: string,
    /** False when the caller has the dataset profiled itself. */
    profile = true,
  ): Promise<string> {
    const problems = publishProblems(materialize, metadata, localId);
    if (problems.length === 0 && materialize.kind === 'table' && !this.catalogs.engineOf(materialize.catalog)) {
      problems.push(`materialize.catalog: '${materialize.catalog}' is not a configured catalog`);
    }
    if (problems.length > 0) {
      const error = validationError(
        `Discoverer '${discoverer}' published a dataset that cannot be recorded: ${problems.join('; ')}.`,
      );
      await this.recordError(discoverer, localId ?? null, error);
      throw error;
    }
    const local = localId ?? defaultLocalId(materialize);
    const id = `${discoverer}:${local}`;
    seen?.add(id);
    const written = await this.book.update(id, (current) =>
      this.next(current, { id, discoverer, local, origin, materialize, metadata }),
    );
    if (profile && written !== undefined) this.profiling.consider(written);
    return id;
  }

  private next(
    current: Dataset | undefined,
    published: {
      id: string;
      discoverer: string;
      local: string;
      origin: 'discover' | 'query';
      materialize: Materialize;
      metadata: DatasetMetadata;
    },
  ): Dataset | null {
    const { id, discoverer, local, origin, materialize, metadata } = published;
    const kind = kindOfPublished(materialize, metadata);
    const keptOrigin = current?.origin === 'discover' ? 'discover' : origin;
    const unchanged =
      current !== undefined &&
      current.kind === kind &&
      current.origin === keptOrigin &&
      canonical(current.materialize) === canonical(materialize) &&
      canonical(current.metadata) === canonical(metadata);
    if (unchanged) return null;
    const now = this.now().toISOString();
    return {
      id,
      discoverer,
      localId: local,
      kind,
      name: metadata.name,
      materialize,
      metadata: JSON.parse(JSON.stringify(metadata)) as DatasetMetadata,
      rowCount: metadata.rowCount ?? current?.rowCount ?? null,
      updatedAt: metadata.updatedAt ?? null,
      origin: keptOrigin,
      status: current?.status ?? 'pending',
      profiledVersion: current?.profiledVersion ?? null,
      summary: current?.summary ?? null,
      firstSeen: current?.firstSeen ?? now,
      lastSeen: now,
      changedAt: now,
    };
  }

  private async recordError(discoverer: string, localId: string | null, error: unknown): Promise<void> {
    await this.book.store
      .recordError(
        {
          discoverer,
          datasetId: localId === null ? null : `${discoverer}:${localId}`,
          stage: 'publish',
          message: messageOf(error),
          code: error instanceof FreshetError ? error.code : null,
        },
        this.now().toISOString(),
      )
      .catch(() => undefined);
  }
}
