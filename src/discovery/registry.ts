/**
 * Which discoverer each entry of `discovery.discoverers` selects. The registry knows the built-in discoverers
 * (`catalogs`, `files`) and the factories it is given; any other type is loaded as a module path or package name
 * exporting a DiscovererFactory. The `catalogs` discoverer is configured by default.
 */
import * as path from 'node:path';
import { parseDurationSeconds } from '../freshness';
import { catalogsDiscovererFactory } from './catalogs-discoverer';
import type { DiscovererFactory } from './discoverer';
import { filesDiscovererFactory } from './files-discoverer';

/** One configured discoverer: its factory, validated options and schedule. */
export interface ResolvedDiscoverer {
  readonly id: string;
  readonly factory: DiscovererFactory<unknown>;
  readonly options: unknown;
  /** Seconds between runs; null: only when asked (`schedule: manual`). */
  readonly scheduleSeconds: number | null;
}

/** An entry of `discovery.discoverers` as written, before validation. */
interface Entry {
  readonly type?: unknown;
  readonly id?: unknown;
  readonly options?: unknown;
  readonly schedule?: unknown;
  readonly enabled?: unknown;
}

const DEFAULT_SCHEDULE = '1 hour';

export class DiscovererRegistry {
  readonly #factories: ReadonlyMap<string, DiscovererFactory<unknown>>;

  // biome-ignore lint/suspicious/noExplicitAny: each factory has options of its own type; the registry only routes
  constructor(factories: readonly DiscovererFactory<any>[] = []) {
    const all = [catalogsDiscovererFactory, filesDiscovererFactory, ...factories] as DiscovererFactory<unknown>[];
    this.#factories = new Map(all.map((factory) => [factory.identifier, factory]));
  }

  /** The types `discovery.discoverers[].type` may name without a module path. */
  get identifiers(): readonly string[] {
    return [...this.#factories.keys()];
  }

  /** The factory for `type`; throws an Error naming what was tried when there is none. */
  find(type: string, baseDir = process.cwd()): DiscovererFactory<unknown> {
    return this.#factories.get(type) ?? loadFactory(type, baseDir, this.identifiers);
  }

  /**
   * Every discoverer the `discovery` section configures, the default `catalogs` one included unless it is listed;
   * disabled entries left out. Throws an Error listing every problem.
   */
  resolveAll(section: unknown, baseDir = process.cwd()): ResolvedDiscoverer[] {
    const { resolved, problems } = this.collect(section, baseDir);
    if (problems.length > 0) throw new Error(problems.join('\n'));
    return resolved;
  }

  /**
   * What is wrong with the `discovery` section of a configuration not yet validated: one message per discoverer
   * (naming it, with every bad option); empty when nothing is.
   */
  problems(section: unknown, baseDir = process.cwd()): string[] {
    return this.collect(section, baseDir).problems;
  }

  private collect(section: unknown, baseDir: string): { resolved: ResolvedDiscoverer[]; problems: string[] } {
    const resolved: ResolvedDiscoverer[] = [];
    const problems: string[] = [];
    for (const [index, entry] of entriesOf(section)) {
      try {
        const one = this.resolveEntry(entry, index, baseDir);
        if (entry.enabled !== false) resolved.push(one);
      } catch (error) {
        problems.push((error as Error).message);
      }
    }
    const ids = resolved.map((r) => r.id);
    for (const id of new Set(ids.filter((id, i) => ids.indexOf(id) !== i))) {
      problems.push(`discovery.discoverers: the id '${id}' is used twice; give each discoverer an id of its own`);
    }
    return { resolved, problems };
  }

  private resolveEntry(entry: Entry, index: number, baseDir: string): ResolvedDiscoverer {
    const where = index < 0 ? 'the default catalogs discoverer' : `discovery.discoverers[${index}]`;
    if (typeof entry.type !== 'string' || entry.type === '') {
      throw new Error(`${where}.type: expected a discoverer type (${this.identifiers.join(', ')} or a module path)`);
    }
    const factory = this.find(entry.type, baseDir);
    const id = typeof entry.id === 'string' ? entry.id : factory.identifier;
    const options = parseDiscovererOptions(factory, id, entry.options ?? {}, `${where}.options`);
    return { id, factory, options, scheduleSeconds: scheduleSeconds(entry.schedule, where) };
  }
}

/** The entries with their index in the configuration; the default `catalogs` entry (index -1) when none is listed. */
function entriesOf(section: unknown): Array<[number, Entry]> {
  const discovery = typeof section === 'object' && section !== null ? (section as Record<string, unknown>) : {};
  const list = Array.isArray(discovery.discoverers) ? (discovery.discoverers as unknown[]) : [];
  const entries = list.map((entry, index): [number, Entry] => [
    index,
    typeof entry === 'object' && entry !== null ? (entry as Entry) : {},
  ]);
  if (!entries.some(([, entry]) => entry.type === catalogsDiscovererFactory.identifier)) {
    entries.unshift([-1, { type: catalogsDiscovererFactory.identifier }]);
  }
  return entries;
}

function scheduleSeconds(schedule: unknown, where: string): number | null {
  if (schedule === 'manual') return null;
  const value = schedule ?? DEFAULT_SCHEDULE;
  if (typeof value !== 'string' && typeof value !== 'number') {
    throw new Error(`${where}.schedule: expected a duration ('1 hour', 600) or 'manual'`);
  }
  try {
    return parseDurationSeconds(value);
  } catch (error) {
    throw new Error(`${where}.schedule: ${(error as Error).message} Or 'manual': only when asked.`);
  }
}

/** Validates a discoverer's options, reporting every problem and naming the discoverer. */
export function parseDiscovererOptions(
  factory: DiscovererFactory<unknown>,
  id: string,
  options: unknown,
  where = 'options',
): unknown {
  const parsed = factory.optionsSchema.safeParse(options);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map(
    (i) => `${where}${i.path.length > 0 ? `.${i.path.join('.')}` : ''}: ${i.message}`,
  );
  const named = id === factory.identifier ? `'${id}'` : `'${id}' (${factory.identifier})`;
  throw new Error(`Invalid options for discoverer ${named}:\n${problems.map((p) => `    - ${p}`).join('\n')}`);
}

function isFactory(value: unknown): value is DiscovererFactory<unknown> {
  const v = value as Partial<DiscovererFactory<unknown>> | null;
  return (
    typeof v === 'object' &&
    v !== null &&
    typeof v.identifier === 'string' &&
    typeof v.create === 'function' &&
    v.optionsSchema !== undefined
  );
}

function loadFactory(type: string, baseDir: string, builtIn: readonly string[]): DiscovererFactory<unknown> {
  const specifier = type.startsWith('.') || path.isAbsolute(type) ? path.resolve(baseDir, type) : type;
  let loaded: unknown;
  try {
    loaded = require(specifier);
  } catch (error) {
    throw new Error(
      `discoverer type '${type}' is neither a built-in discoverer (${builtIn.join(', ')}) ` +
        `nor a module that can be loaded: ${(error as Error).message}`,
    );
  }
  const moduleExports = loaded as Record<string, unknown>;
  const candidates = [moduleExports.discovererFactory, moduleExports.default, ...Object.values(moduleExports)];
  const factory = candidates.find(isFactory);
  if (!factory) {
    throw new Error(
      `Module '${type}' does not export a DiscovererFactory (an object with identifier, optionsSchema and create).`,
    );
  }
  return factory;
}
