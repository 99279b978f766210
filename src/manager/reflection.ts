/**
 * Reflection (DESIGN.md §10): Freshet re-reads the columns of every dynamic table and of every plain table a
 * dynamic table reads from their engines, every `reflection.intervalSeconds` on the leader and on demand
 * (`POST /v3/reflection/run`, `ALTER DYNAMIC TABLE t REFLECT`), and records what changed as schema versions.
 *
 * Other modules add tables to reflect with {@link Reflection.addSources}, so that sources Freshet learns of some
 * other way (registered sources) are reflected alike.
 */
import type { DynamicTableRecord } from '../catalog/records';
import { messageOf } from '../errors';
import { DependencyGraph } from './dependencies';
import { resolveName, splitIdentifierText } from './identifiers';
import type { ManagerParts } from './manager-parts';
import { diffSummary } from './reflection-diff';
import {
  applyPolicies,
  type Recorded,
  recordReading,
  type ReflectionTarget,
  versionText,
  visibleColumns,
} from './reflection-record';

/** Tables (identifiers or keys, as text) another module wants reflected besides those the graph names. */
export type ReflectionSourceProvider = () => Promise<readonly string[]> | readonly string[];

/** What a pass (or a REFLECT) did. */
export interface ReflectionSummary {
  readonly tablesReflected: number;
  readonly versionsCreated: ReadonlyArray<{
    readonly table: string;
    readonly version: string;
    readonly change: string;
  }>;
  readonly missing: readonly string[];
  readonly impacts: ReadonlyArray<{
    readonly table: string;
    readonly source: string;
    readonly version: string;
    readonly impact: string;
    readonly action: string;
    readonly columns: readonly string[];
  }>;
  /** Tables whose reading failed (an engine that did not answer), with why. */
  readonly errors: ReadonlyArray<{ readonly table: string; readonly error: string }>;
}

export class Reflection {
  readonly #providers: ReflectionSourceProvider[] = [];
  /** One reading at a time per table, so that a pass and a refresh's check never record the same change twice. */
  readonly #busy = new Map<string, Promise<unknown>>();
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<ReflectionSummary> | null = null;

  constructor(
    private readonly parts: ManagerParts,
    private readonly intervalSeconds: number,
    private readonly isLeader: () => boolean,
  ) {}

  /** Adds tables to every pass (a source registry's sources). */
  addSources(provider: ReflectionSourceProvider): void {
    this.#providers.push(provider);
  }

  start(): void {
    if (this.intervalSeconds <= 0) return;
    this.#timer = setInterval(() => {
      if (!this.isLeader()) return;
      this.run().catch((error: unknown) =>
        this.parts.logger.warn('reflection pass failed', { error: messageOf(error) }),
      );
    }, this.intervalSeconds * 1000);
    this.#timer.unref();
  }

  async close(): Promise<void> {
    clearInterval(this.#timer);
    await this.#running?.catch(() => undefined);
  }

  /** One pass over every table to reflect (passes never overlap). */
  run(now = new Date()): Promise<ReflectionSummary> {
    this.#running ??= this.#pass(now).finally(() => {
      this.#running = null;
    });
    return this.#running;
  }

  /** `ALTER DYNAMIC TABLE t REFLECT`: the plain tables `t` reads, then `t`. */
  async reflectTable(table: DynamicTableRecord, now = new Date()): Promise<ReflectionSummary> {
    const graph = await DependencyGraph.load(this.parts.catalog);
    const sources = table.sourceTables.filter((key) => graph.kindOf(key) === 'source').map((k) => this.sourceTarget(k));
    return this.reflect([...sources, this.dynamicTarget(table)], now);
  }

  /** Records readings taken elsewhere (the refresh-start check), one table at a time; policies applied as usual. */
  async record(
    readings: ReadonlyArray<{ target: ReflectionTarget; columns: ReturnType<typeof visibleColumns> | null }>,
    now = new Date(),
  ): Promise<Recorded[]> {
    const recorded: Recorded[] = [];
    for (const { target, columns } of readings) {
      recorded.push(await this.#exclusive(target.key, () => recordReading(this.parts, target, columns, now)));
    }
    return recorded;
  }

  /** Suspends what the versions break, per `on_schema_change`; the identifiers suspended. */
  async applyPolicies(recorded: readonly Recorded[]): Promise<string[]> {
    const suspended: string[] = [];
    for (const { version } of recorded)
      if (version !== null) suspended.push(...(await applyPolicies(this.parts, version)));
    return suspended;
  }

  /** Where the plain table with this key lives. */
  sourceTarget(key: string): ReflectionTarget {
    const [catalogPart = '', database = '', ...rest] = key.split('.');
    const catalogName = this.parts.namespaces.defaults.catalogs.get(catalogPart)?.name ?? catalogPart;
    const name = rest.join('.');
    const engine = this.parts.namespaces.engineOf(catalogName);
    return {
      key,
      identifier: `${catalogName}.${database}.${name}`,
      kind: 'source',
      catalogName,
      ref: { database, name },
      dialect: engine.dialect,
    };
  }

  dynamicTarget(table: DynamicTableRecord): ReflectionTarget {
    return {
      key: table.key,
      identifier: table.identifier,
      kind: 'dynamic',
      catalogName: table.catalogName,
      ref: { database: table.databaseName, name: table.tableName },
      dialect: this.parts.namespaces.engineOf(table.catalogName).dialect,
    };
  }

  async #pass(now: Date): Promise<ReflectionSummary> {
    const graph = await DependencyGraph.load(this.parts.catalog);
    const tables = (await this.parts.catalog.listTables()).filter((t) => t.refreshStatus !== 'INITIALIZING');
    const sourceKeys = new Set<string>();
    for (const t of tables) for (const key of t.sourceTables) if (graph.kindOf(key) === 'source') sourceKeys.add(key);
    for (const key of await this.#extraSources()) if (graph.kindOf(key) === 'source') sourceKeys.add(key);
    const targets = [
      ...[...sourceKeys].sort().map((k) => this.sourceTarget(k)),
      ...upstreamFirst(graph, tables).map((t) => this.dynamicTarget(t)),
    ];
    const summary = await this.reflect(targets, now);
    if (summary.versionsCreated.length > 0 || summary.missing.length > 0) {
      this.parts.logger.info('reflection pass', {
        tables: summary.tablesReflected,
        versions: summary.versionsCreated.length,
        missing: summary.missing.length,
      });
    }
    return summary;
  }

  /** The keys the added providers name; a name that does not resolve is logged and left out. */
  async #extraSources(): Promise<string[]> {
    const keys: string[] = [];
    for (const provider of this.#providers) {
      try {
        for (const text of await provider()) {
          keys.push(resolveName(splitIdentifierText(text), this.parts.namespaces.defaults).key);
        }
      } catch (error) {
        this.parts.logger.warn('a reflection source provider failed', { error: messageOf(error) });
      }
    }
    return keys;
  }

  /** Reads each target from its engine and records it, in order; then applies the policies. */
  private async reflect(targets: readonly ReflectionTarget[], now: Date): Promise<ReflectionSummary> {
    const versions: ReflectionSummary['versionsCreated'][number][] = [];
    const missing: string[] = [];
    const impacts: ReflectionSummary['impacts'][number][] = [];
    const errors: ReflectionSummary['errors'][number][] = [];
    const recorded: Recorded[] = [];
    for (const target of targets) {
      try {
        const engine = this.parts.namespaces.engineOf(target.catalogName);
        const description = await engine.describeTable(target.ref);
        const columns = description === null ? null : visibleColumns(description.columns);
        const [done] = await this.record([{ target, columns }], now);
        if (done === undefined) continue;
        recorded.push(done);
        if (done.missing) missing.push(target.identifier);
        const version = done.version;
        if (version === null) continue;
        versions.push({ table: target.identifier, version: versionText(version), change: diffSummary(version.diff) });
        for (const i of version.impacts) {
          impacts.push({
            table: i.table,
            source: target.identifier,
            version: versionText(version),
            impact: i.impact,
            action: i.action,
            columns: i.columns.map((c) => `${c.column} ${c.change}`),
          });
        }
      } catch (error) {
        errors.push({ table: target.identifier, error: messageOf(error) });
      }
    }
    await this.applyPolicies(recorded);
    return { tablesReflected: targets.length - errors.length, versionsCreated: versions, missing, impacts, errors };
  }

  async #exclusive<T>(key: string, work: () => Promise<T>): Promise<T> {
    const before = this.#busy.get(key) ?? Promise.resolve();
    const mine = before.catch(() => undefined).then(work);
    this.#busy.set(key, mine);
    try {
      return await mine;
    } finally {
      if (this.#busy.get(key) === mine) this.#busy.delete(key);
    }
  }
}

/** The tables ordered so that each comes after the dynamic tables it reads. */
function upstreamFirst(graph: DependencyGraph, tables: readonly DynamicTableRecord[]): DynamicTableRecord[] {
  const done = new Set<string>();
  const ordered: DynamicTableRecord[] = [];
  const visit = (t: DynamicTableRecord, depth: number) => {
    if (done.has(t.key) || depth > tables.length) return;
    done.add(t.key);
    for (const key of t.sourceTables) {
      const upstream = graph.table(key);
      if (upstream !== undefined && upstream.refreshStatus !== 'INITIALIZING') visit(upstream, depth + 1);
    }
    ordered.push(t);
  };
  for (const t of tables) visit(t, 0);
  return ordered;
}
