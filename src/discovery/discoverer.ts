/**
 * The Discoverer extension point (DESIGN.md §11, after Auctus' discoverers). A discoverer finds datasets and
 * announces them with `publish`: in advance, when the gateway runs {@link Discoverer.discover} on the discoverer's
 * schedule, and on demand, when a search asks {@link Discoverer.handleQuery}. Freshet records what is published,
 * profiles it in the background and searches it; a dataset a later run of `discover` no longer publishes is removed.
 * A discoverer talks to the outside world only; whatever it must remember it keeps in the {@link PluginStateStore}
 * it is given.
 */
import type { ZodType } from 'zod';
import type { PluginStateStore } from '../model';

export type { PluginStateStore } from '../model';

/** What kind of thing a dataset is: a table of a catalog, a dynamic table, or a file outside every catalog. */
export type DatasetKind = 'source' | 'dynamic_table' | 'file';

/** The file formats Freshet can read rows from. */
export type FileFormat = 'csv' | 'ndjson';

/**
 * Where a dataset's rows are, so that Freshet can profile them and load them into a catalog: a table of one of the
 * gateway's catalogs, or a file the gateway can read.
 */
export type Materialize =
  | {
      readonly kind: 'table';
      /** A catalog configured on this gateway (`default`, or a name under `catalogs`). */
      readonly catalog: string;
      /** The engine's default database (schema) when omitted. */
      readonly database?: string;
      readonly table: string;
    }
  | {
      readonly kind: 'file';
      /** An absolute path. */
      readonly path: string;
      readonly format: FileFormat;
      /** CSV only: the field delimiter; sniffed from the first lines when omitted. */
      readonly delimiter?: string;
      /** CSV only: whether the first line names the columns; detected when omitted. */
      readonly header?: boolean;
    };

export interface DatasetColumn {
  readonly name: string;
  /** The declared type as the source names it (`INTEGER`, `timestamp with time zone`); omitted when unknown. */
  readonly type?: string;
  readonly comment?: string;
}

/** What a discoverer knows of a dataset before it is profiled. */
export interface DatasetMetadata {
  /** A short name people search for (a table's or a file's name). */
  readonly name: string;
  readonly description?: string;
  readonly columns: readonly DatasetColumn[];
  /** Null or omitted when counting would cost as much as reading the data. */
  readonly rowCount?: number | null;
  /**
   * When the rows last changed, as the source tells it (ISO-8601 preferred; compared for equality only). A dataset
   * whose `updatedAt` is the same as at its last profile is not profiled again. Omitted: profiled once.
   */
  readonly updatedAt?: string | null;
  /** Words to find the dataset by besides its name, description and columns. */
  readonly keywords?: readonly string[];
  /** The query that defines a dynamic table; searched like the rest. */
  readonly queryText?: string;
  /** Defaults to `source` for a table and `file` for a file; `dynamic_table` is for the tables Freshet maintains. */
  readonly kind?: DatasetKind;
  /** Size of a file in bytes, when known: a file larger than `discovery.profile.maxFileBytes` is marked too big. */
  readonly sizeBytes?: number;
}

/**
 * Records a dataset; resolves to its id (`<discoverer id>:<id>`). `id` is the dataset's id within the discoverer,
 * stable from one run to the next; derived from `materialize` when omitted (the table's identifier, the file's
 * path). Rejects with VALIDATION_ERROR for a dataset that cannot be recorded (no name, columns named twice, a table
 * in no configured catalog), and with the run's abort reason once the run is aborted.
 */
export type Publish = (materialize: Materialize, metadata: DatasetMetadata, id?: string) => Promise<string>;

/** A search, as handed to {@link Discoverer.handleQuery}: every field is what the user asked for, or empty. */
export interface DiscoveryQuery {
  readonly keywords: readonly string[];
  readonly columns: readonly string[];
  /** Semantic types (`integer`, `datetime`, `latitude`, …). */
  readonly types: readonly string[];
  readonly kind: DatasetKind | null;
  /** ISO-8601 instants: datasets whose temporal coverage overlaps this interval. */
  readonly temporal: { readonly start: string; readonly end: string } | null;
}

/**
 * A discoverer. Failures are thrown (any Error; a FreshetError keeps its code): Freshet records them with the time
 * (`GET /v3/discovery/errors`) and does not remove anything after a run that failed.
 */
export interface Discoverer {
  /**
   * Publishes every dataset the discoverer can find now; run on the discoverer's schedule and by
   * `POST /v3/discoverers/{id}/run`. Stops soon after `signal` aborts (the gateway is stopping).
   */
  discover(publish: Publish, signal: AbortSignal): Promise<void>;
  /**
   * Optional: publishes datasets that match a search, for sources too large to list in advance. Runs while the
   * search waits, until `signal` aborts at `discovery.queryDeadlineMs`; what was published by then joins the answer.
   */
  handleQuery?(query: DiscoveryQuery, publish: Publish, signal: AbortSignal): Promise<void>;
  /** Optional: releases connections and timers. */
  close?(): Promise<void>;
}

/** A table of one of the gateway's catalogs, as {@link CatalogAccess.listTables} lists it. */
export interface CatalogTable {
  readonly catalog: string;
  readonly database: string;
  readonly table: string;
  readonly columns: readonly DatasetColumn[];
  /** Set when Freshet maintains the table as a dynamic table. */
  readonly dynamic: {
    readonly identifier: string;
    readonly query: string;
    readonly comment: string | null;
    /** When the table's last refresh committed; null before its first. */
    readonly refreshedAt: string | null;
  } | null;
}

/** The gateway's catalogs (engine connections), read-only. */
export interface CatalogAccess {
  /** The configured catalogs' names. */
  names(): readonly string[];
  /** Every table of a catalog, Freshet's internal tables left out. */
  listTables(catalog: string): Promise<readonly CatalogTable[]>;
  /** `SELECT COUNT(*)` of a table; null where counting is not possible (a streaming engine). */
  countRows(catalog: string, database: string, table: string, signal?: AbortSignal): Promise<number | null>;
}

export interface DiscovererLogger {
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

export interface DiscovererContext {
  /** The discoverer's id as configured (`discovery.discoverers[].id`, its type by default). */
  readonly id: string;
  /** Folder that relative paths in options are resolved against (the gateway's data directory). */
  readonly baseDir: string;
  readonly stateStore: PluginStateStore;
  readonly logger: DiscovererLogger;
  readonly catalogs: CatalogAccess;
  /** Current time; replaceable in tests. */
  now(): Date;
}

export interface DiscovererFactory<Options = unknown> {
  /** The `discovery.discoverers[].type` value that selects this discoverer. */
  readonly identifier: string;
  /** Validates `discovery.discoverers[].options`; every problem is reported at start-up. */
  readonly optionsSchema: ZodType<Options>;
  create(options: Options, context: DiscovererContext): Discoverer;
}
