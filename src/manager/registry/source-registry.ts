/**
 * The source registry (DESIGN.md §10): who may register what, what a partition's interval means, and whether an
 * interval of a source is ready. The catalog keeps the records ({@link RegistryStore}); this decides.
 *
 * Tokens: registering a source returns its access token once; only its hash is stored. A provider registers with
 * that token, and partitions, locks and unlocks are sent with it too (the token is the provider's credential).
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { RegistryStore } from '../../catalog/registry-store';
import { alreadyExists, forbidden, notFound, validationError } from '../../errors';
import { isValidTimeZone, parseScheduleTime } from '../../freshness';
import type {
  PartitionEventKind,
  PartitionEventRecord,
  PartitionRecord,
  ProviderRecord,
  SourceKind,
  SourceRecord,
} from '../../model';
import { type Readiness, readinessOf, readyThroughOf } from './readiness';

export interface SourceRegistration {
  readonly name: string;
  readonly owner: string;
  readonly catalog?: string | null;
  readonly table?: string | null;
  readonly timeZone?: string;
  readonly options?: Readonly<Record<string, string>>;
}

/** A partition as a provider names it: instants as written (an offset, or the source's zone applies). */
export interface PartitionKey {
  readonly provider: string;
  readonly start: string;
  readonly end: string;
}

/** Readiness of an interval, and how far the source is ready from its earliest partition. */
export interface ReadinessAnswer extends Readiness {
  readonly source: string;
  readonly start: string;
  readonly end: string;
  readonly readyThrough: string | null;
}

/** A source as listings show it. */
export interface SourceSummary extends SourceRecord {
  readonly providers: number;
  readonly partitions: number;
  readonly readyThrough: string | null;
}

/** One source with its providers, a page of its partitions (latest first) and its latest events. */
export interface SourceDetail extends SourceRecord {
  readonly providers: readonly ProviderRecord[];
  readonly partitions: readonly PartitionRecord[];
  readonly totalPartitions: number;
  readonly latestEvents: readonly PartitionEventRecord[];
  readonly readyThrough: string | null;
  readonly availability: SourceAvailability;
}

/**
 * How far a source's data is available (DESIGN.md §10): `validThrough` is `max(<availability.time_column>)` read from
 * its table when the source declares that column (as `dbt source freshness` reads `loaded_at_field`), else its
 * `readyThrough`; the partitions' earliest start, latest end and count.
 */
export interface SourceAvailability {
  readonly validThrough: string | null;
  readonly readyThrough: string | null;
  readonly minTemporalPartition: string | null;
  readonly maxTemporalPartition: string | null;
  readonly partitions: number;
}

/** Reads `max(column)` of a source's table, as ISO-8601 UTC; null when it cannot (no such table, no rows). */
export type TimeColumnReader = (source: SourceRecord, column: string) => Promise<string | null>;

/** Options a source may carry, and what each means. */
export const SOURCE_OPTIONS: Readonly<Record<string, string>> = {
  'availability.time_column': 'the column whose maximum says how far the data is available',
};

/** Told the name of a source whose partitions changed in this process. */
export type RegistryListener = (source: string) => void;

const NAME = /^\S+$/;
/** Longest source or provider name. */
const MAX_NAME = 255;

export class SourceRegistry {
  private readonly listeners = new Set<RegistryListener>();
  private timeColumnReader: TimeColumnReader | null = null;
  /** `readyThrough` per source, with the change count it was computed at. */
  private readonly readyThroughCache = new Map<string, { changes: number; value: string | null }>();

  constructor(
    private readonly store: RegistryStore,
    /** The zone of sources registered without one. */
    private readonly defaultTimeZone: string,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** Registers a source; returns it with its access token, shown this once. 409 when the name is taken. */
  async registerSource(
    input: SourceRegistration,
    kind: SourceKind = 'registered',
  ): Promise<{ source: SourceRecord; accessToken: string }> {
    checkName('name', input.name);
    checkName('owner', input.owner);
    const timeZone = input.timeZone ?? this.defaultTimeZone;
    if (!isValidTimeZone(timeZone)) {
      throw validationError(`timeZone: unknown time zone '${timeZone}'; use an IANA name such as UTC.`);
    }
    checkOptions(input.options ?? {});
    const accessToken = randomBytes(24).toString('base64url');
    const record = {
      name: input.name,
      owner: input.owner,
      catalogName: input.catalog ?? null,
      tableName: input.table ?? null,
      timeZone,
      tokenHash: hashToken(accessToken),
      kind,
      options: input.options ?? {},
      createdAt: this.now().toISOString(),
    };
    if (!(await this.store.insertSource(record))) {
      throw alreadyExists(`Source ${input.name} is registered already; its access token is not shown again.`);
    }
    return { source: (await this.store.getSource(input.name)) as SourceRecord, accessToken };
  }

  async source(name: string): Promise<SourceRecord> {
    const source = await this.store.getSource(name);
    if (!source) throw notFound(`Source ${name} is not registered.`);
    return source;
  }

  /** The source if registered, else null. */
  findSource(name: string): Promise<SourceRecord | null> {
    return this.store.getSource(name);
  }

  /** Checks a provider's token for a source: 404 for an unknown source, 403 for a wrong or missing token. */
  async checkToken(source: string, token: string | undefined): Promise<void> {
    const hash = await this.store.tokenHashOf(source);
    if (hash === null) throw notFound(`Source ${source} is not registered.`);
    if (token === undefined || token === '') {
      throw forbidden(`Writing to source ${source} needs its access token (as a bearer token or accessToken).`);
    }
    const given = Buffer.from(hashToken(token));
    if (given.length !== hash.length || !timingSafeEqual(given, Buffer.from(hash))) {
      throw forbidden(`The access token is not the one of source ${source}.`);
    }
  }

  /**
   * Registers a provider of a source with the source's token; idempotent. `tokenChecked`: the caller has checked
   * the token (or holds a gateway admin token), and the source exists.
   */
  async registerProvider(
    input: { name: string; source: string; accessToken?: string },
    tokenChecked = false,
  ): Promise<{ provider: ProviderRecord; created: boolean }> {
    checkName('name', input.name);
    checkName('source', input.source);
    if (!tokenChecked) await this.checkToken(input.source, input.accessToken);
    const created = await this.store.insertProvider(input.source, input.name, this.now().toISOString());
    return { provider: (await this.store.getProvider(input.source, input.name)) as ProviderRecord, created };
  }

  /**
   * Registers a partition (idempotent on source, provider, start, end), optionally locked or ready at once. The
   * caller has checked the token.
   */
  async registerPartition(
    sourceName: string,
    key: PartitionKey,
    state: 'locked' | 'ready' | null = null,
  ): Promise<{ partition: PartitionRecord; created: boolean }> {
    const { source, start, end } = await this.resolve(sourceName, key);
    const event: PartitionEventKind | null = state === null ? null : state === 'locked' ? 'LOCK' : 'UNLOCK';
    const result = await this.store.registerPartition(
      { source: source.name, provider: key.provider, start, end },
      event,
      this.now().toISOString(),
    );
    this.changed(source.name);
    return result;
  }

  /** Appends LOCK or UNLOCK to a registered partition; 404 when it is not registered. */
  async mark(sourceName: string, key: PartitionKey, event: PartitionEventKind): Promise<PartitionRecord> {
    const { source, start, end } = await this.resolve(sourceName, key);
    const partition = await this.store.appendEvent(
      { source: source.name, provider: key.provider, start, end },
      event,
      this.now().toISOString(),
    );
    if (partition === null) {
      throw notFound(
        `Partition [${start}, ${end}) of source ${source.name} by provider ${key.provider} is not registered; ` +
          `register it first.`,
      );
    }
    this.changed(source.name);
    return partition;
  }

  /** Whether `[start, end)` of a source is ready, with what covers it, what is missing and what is locked. */
  async readiness(sourceName: string, startText: string, endText: string): Promise<ReadinessAnswer> {
    const state = await this.store.sourceState(sourceName);
    if (state === null) throw notFound(`Source ${sourceName} is not registered.`);
    const { source, maxSpanMs, changes } = state;
    const { start, end } = interval(startText, endText, source.timeZone);
    const partitions = await this.store.partitions(source.name, start, end, maxSpanMs);
    return {
      source: source.name,
      start,
      end,
      ...readinessOf(partitions, start, end),
      readyThrough: await this.readyThroughAt(source.name, changes),
    };
  }

  /**
   * The answer for a name no source is registered under yet (a dynamic table that has not refreshed a window):
   * nothing is ready, the whole interval is a gap. Instants without an offset are read in the default zone.
   */
  unregisteredReadiness(name: string, startText: string, endText: string): ReadinessAnswer {
    const { start, end } = interval(startText, endText, this.defaultTimeZone);
    return {
      source: name,
      start,
      end,
      ready: false,
      covered: [],
      gaps: [[start, end]],
      locked: [],
      readyThrough: null,
    };
  }

  /** The end of the gapless run of ready partitions from the earliest one; cached until the source changes. */
  async readyThrough(sourceName: string): Promise<string | null> {
    const changes = await this.store.changeCount(sourceName);
    if (changes === null) throw notFound(`Source ${sourceName} is not registered.`);
    return this.readyThroughAt(sourceName, changes);
  }

  private async readyThroughAt(sourceName: string, changes: number): Promise<string | null> {
    const cached = this.readyThroughCache.get(sourceName);
    if (cached !== undefined && cached.changes === changes) return cached.value;
    const value = readyThroughOf(await this.store.settledSpans(sourceName));
    this.readyThroughCache.set(sourceName, { changes, value });
    return value;
  }

  /** The source whose access token this is, or null. */
  sourceOfToken(token: string): Promise<SourceRecord | null> {
    return this.store.sourceByTokenHash(hashToken(token));
  }

  /** Every source, by name, with how many providers and partitions it has and how far it is ready. */
  async listSources(): Promise<SourceSummary[]> {
    const counts = await this.store.counts();
    const sources = await this.store.listSources();
    return Promise.all(
      sources.map(async (source) => ({
        ...source,
        providers: counts.get(source.name)?.providers ?? 0,
        partitions: counts.get(source.name)?.partitions ?? 0,
        readyThrough: await this.readyThrough(source.name),
      })),
    );
  }

  /** A source with its providers, one page of its partitions (latest first) and its latest events. */
  async describeSource(name: string, page: { offset: number; limit: number; events: number }): Promise<SourceDetail> {
    const source = await this.source(name);
    const { partitions, total } = await this.store.partitionPage(name, page);
    return {
      ...source,
      providers: await this.store.listProviders(name),
      partitions,
      totalPartitions: total,
      latestEvents: await this.store.latestEvents(name, page.events),
      readyThrough: await this.readyThrough(name),
      availability: await this.availability(source),
    };
  }

  /** How far the source's data is available; see {@link SourceAvailability}. */
  async availability(source: SourceRecord): Promise<SourceAvailability> {
    const readyThrough = await this.readyThrough(source.name);
    const span = await this.store.partitionSpan(source.name);
    const column = source.options['availability.time_column'];
    const read = column !== undefined && this.timeColumnReader !== null ? this.timeColumnReader : null;
    const validThrough = read !== null && column !== undefined ? await read(source, column) : readyThrough;
    return {
      validThrough,
      readyThrough,
      minTemporalPartition: span.min,
      maxTemporalPartition: span.max,
      partitions: span.count,
    };
  }

  /** How `availability.time_column` is read: the manager knows the engines. */
  useTimeColumnReader(reader: TimeColumnReader): void {
    this.timeColumnReader = reader;
  }

  /**
   * The partitions of a source overlapping `[start, end)` when given (instants in the source's zone unless they
   * carry an offset), latest first, one page, with how many match.
   */
  async partitionsOf(
    name: string,
    page: { offset: number; limit: number; start?: string; end?: string },
  ): Promise<{ partitions: PartitionRecord[]; total: number }> {
    const source = await this.source(name);
    const bounds =
      page.start !== undefined && page.end !== undefined ? interval(page.start, page.end, source.timeZone) : {};
    return this.store.partitionPage(name, { offset: page.offset, limit: page.limit, ...bounds });
  }

  /** Sets (merges) options of a source; returns the source as it is now. */
  async setOptions(name: string, options: Readonly<Record<string, string>>): Promise<SourceRecord> {
    const source = await this.source(name);
    checkOptions(options);
    await this.store.updateSourceOptions(name, { ...source.options, ...options });
    return this.source(name);
  }

  /** Removes a source with its providers, partitions and events. */
  async deleteSource(name: string): Promise<void> {
    if (!(await this.store.deleteSource(name))) throw notFound(`Source ${name} is not registered.`);
    this.readyThroughCache.delete(name);
    this.changed(name);
  }

  /** Removes a provider of a source with the partitions (and events) it registered. */
  async deleteProvider(sourceName: string, name: string): Promise<void> {
    await this.source(sourceName);
    if (!(await this.store.deleteProvider(sourceName, name))) {
      throw notFound(`Provider ${name} is not registered for source ${sourceName}.`);
    }
    this.changed(sourceName);
  }

  /** Registers what to tell when partitions of a source change in this process; returns how to stop. */
  onChange(listener: RegistryListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Parses an instant of a source: with an offset as written, else in the source's zone. */
  instant(field: string, text: string, timeZone: string): string {
    return instantOf(field, text, timeZone);
  }

  private async resolve(sourceName: string, key: PartitionKey) {
    const source = await this.source(sourceName);
    checkName('provider', key.provider);
    if ((await this.store.getProvider(source.name, key.provider)) === null) {
      throw notFound(`Provider ${key.provider} is not registered for source ${source.name}.`);
    }
    return { source, ...interval(key.start, key.end, source.timeZone) };
  }

  private changed(source: string): void {
    for (const listener of this.listeners) listener(source);
  }
}

export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

function checkName(field: string, value: unknown): void {
  if (typeof value !== 'string' || value.length === 0 || !NAME.test(value) || value.length > MAX_NAME) {
    throw validationError(`${field}: expected a non-empty name without whitespace, at most ${MAX_NAME} characters.`);
  }
}

function checkOptions(options: Readonly<Record<string, string>>): void {
  for (const [key, value] of Object.entries(options)) {
    if (!Object.hasOwn(SOURCE_OPTIONS, key)) {
      throw validationError(
        `options: unknown source option '${key}'; the options are ${Object.keys(SOURCE_OPTIONS).join(', ')}.`,
      );
    }
    if (typeof value !== 'string' || value.trim() === '' || value.length > MAX_NAME) {
      throw validationError(`options: '${key}' must be a column name of 1 to ${MAX_NAME} characters.`);
    }
  }
}

/** Instants are stored as ISO-8601 text, which orders as time only for years 1 to 9999. */
const EARLIEST = Date.parse('0001-01-01T00:00:00.000Z');
const LATEST = Date.parse('9999-12-31T23:59:59.999Z');

function instantOf(field: string, text: unknown, timeZone: string): string {
  if (typeof text !== 'string' || text.trim() === '') {
    throw validationError(`${field}: expected an ISO-8601 date-time such as 2026-01-31T12:00:00Z.`);
  }
  let at: Date;
  try {
    // A date alone is its midnight.
    at = parseScheduleTime(/^\d{4}-\d{2}-\d{2}$/.test(text.trim()) ? `${text.trim()} 00:00:00` : text, timeZone);
  } catch {
    throw validationError(
      `${field}: '${text}' is not an ISO-8601 date-time; write it as 2026-01-31T12:00:00Z or with an offset ` +
        `(without one, the source's zone ${timeZone} applies; a date alone means its midnight).`,
    );
  }
  if (at.getTime() < EARLIEST || at.getTime() > LATEST) {
    throw validationError(`${field}: '${text}' is outside the years 0001 to 9999.`);
  }
  return at.toISOString();
}

function interval(startText: string, endText: string, timeZone: string): { start: string; end: string } {
  const start = instantOf('start', startText, timeZone);
  const end = instantOf('end', endText, timeZone);
  if (Date.parse(start) >= Date.parse(end)) {
    throw validationError(`end: must be after start (${start} is not before ${end}); intervals are [start, end).`);
  }
  return { start, end };
}
