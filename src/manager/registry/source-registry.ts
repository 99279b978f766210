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
import type { PartitionEventKind, PartitionRecord, ProviderRecord, SourceKind, SourceRecord } from '../../model';
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

/** Told the name of a source whose partitions changed in this process. */
export type RegistryListener = (source: string) => void;

const NAME = /^\S+$/;
/** Longest source or provider name. */
const MAX_NAME = 255;

export class SourceRegistry {
  private readonly listeners = new Set<RegistryListener>();
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

  /** Registers a provider of a source with the source's token; idempotent. */
  async registerProvider(input: {
    name: string;
    source: string;
    accessToken?: string;
  }): Promise<{ provider: ProviderRecord; created: boolean }> {
    checkName('name', input.name);
    checkName('source', input.source);
    await this.checkToken(input.source, input.accessToken);
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
    const source = await this.source(sourceName);
    const { start, end } = interval(startText, endText, source.timeZone);
    const partitions = await this.store.partitions(source.name, start, end);
    return {
      source: source.name,
      start,
      end,
      ...readinessOf(partitions, start, end),
      readyThrough: await this.readyThrough(source.name),
    };
  }

  /** The end of the gapless run of ready partitions from the earliest one; cached until the source changes. */
  async readyThrough(sourceName: string): Promise<string | null> {
    const changes = await this.store.changeCount(sourceName);
    if (changes === null) throw notFound(`Source ${sourceName} is not registered.`);
    const cached = this.readyThroughCache.get(sourceName);
    if (cached !== undefined && cached.changes === changes) return cached.value;
    const value = readyThroughOf(await this.store.partitions(sourceName));
    this.readyThroughCache.set(sourceName, { changes, value });
    return value;
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

function instantOf(field: string, text: unknown, timeZone: string): string {
  if (typeof text !== 'string' || text.trim() === '') {
    throw validationError(`${field}: expected an ISO-8601 date-time such as 2026-01-31T12:00:00Z.`);
  }
  try {
    return parseScheduleTime(text, timeZone).toISOString();
  } catch {
    throw validationError(
      `${field}: '${text}' is not an ISO-8601 date-time; write it as 2026-01-31T12:00:00Z or with an offset ` +
        `(without one, the source's zone ${timeZone} applies).`,
    );
  }
}

function interval(startText: string, endText: string, timeZone: string): { start: string; end: string } {
  const start = instantOf('start', startText, timeZone);
  const end = instantOf('end', endText, timeZone);
  if (Date.parse(start) >= Date.parse(end)) {
    throw validationError(`end: must be after start (${start} is not before ${end}); intervals are [start, end).`);
  }
  return { start, end };
}
