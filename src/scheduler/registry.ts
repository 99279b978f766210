/**
 * Which scheduler plugin `scheduler.type` selects. The registry knows the embedded scheduler and the factories it
 * is given (the gateway gives it the plugins shipped with Freshet); any other value is loaded as a module path or
 * package name exporting a WorkflowSchedulerFactory.
 */
import * as path from 'node:path';
import { embeddedSchedulerFactory } from './embedded/embedded-factory';
import type { WorkflowSchedulerFactory } from './workflow-scheduler';

/** A factory and the options it accepted. */
export interface ResolvedScheduler {
  readonly factory: WorkflowSchedulerFactory<unknown>;
  readonly options: unknown;
}

export class SchedulerRegistry {
  readonly #factories: ReadonlyMap<string, WorkflowSchedulerFactory<unknown>>;

  // biome-ignore lint/suspicious/noExplicitAny: each factory has options of its own type; the registry only routes
  constructor(factories: readonly WorkflowSchedulerFactory<any>[] = []) {
    const all = [embeddedSchedulerFactory, ...factories] as WorkflowSchedulerFactory<unknown>[];
    this.#factories = new Map(all.map((factory) => [factory.identifier, factory]));
  }

  /** The identifiers `scheduler.type` may name without a module path. */
  get identifiers(): readonly string[] {
    return [...this.#factories.keys()];
  }

  /** The factory for `type`; throws an Error naming what was tried when there is none. */
  find(type: string, baseDir = process.cwd()): WorkflowSchedulerFactory<unknown> {
    return this.#factories.get(type) ?? loadFactory(type, baseDir, this.identifiers);
  }

  /** The factory for `type` and its validated options; throws an Error listing every problem. */
  resolve(type: string, options: unknown, baseDir = process.cwd()): ResolvedScheduler {
    const factory = this.find(type, baseDir);
    return { factory, options: parseSchedulerOptions(factory, options) };
  }

  /**
   * What is wrong with the `scheduler` section of a configuration not yet validated: an unknown type or bad
   * options, one message per plugin (naming it, with every bad option); empty when nothing is.
   */
  problems(section: unknown): string[] {
    const scheduler = typeof section === 'object' && section !== null ? (section as Record<string, unknown>) : {};
    const type = typeof scheduler.type === 'string' ? scheduler.type : 'embedded';
    try {
      this.resolve(type, scheduler.options ?? {});
      return [];
    } catch (error) {
      return [(error as Error).message];
    }
  }
}

/** The embedded scheduler only, plus modules named by path or package. */
const EMBEDDED_ONLY = new SchedulerRegistry();

/** The factory for `type` among the embedded scheduler and loadable modules (see {@link SchedulerRegistry.find}). */
export function findSchedulerFactory(type: string, baseDir = process.cwd()): WorkflowSchedulerFactory<unknown> {
  return EMBEDDED_ONLY.find(type, baseDir);
}

/** Validates plugin options, reporting every problem and naming the plugin. */
export function parseSchedulerOptions(factory: WorkflowSchedulerFactory<unknown>, options: unknown): unknown {
  const parsed = factory.optionsSchema.safeParse(options);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map(
    (i) => `scheduler.options${i.path.length > 0 ? `.${i.path.join('.')}` : ''}: ${i.message}`,
  );
  const list = problems.map((p) => `    - ${p}`).join('\n');
  throw new Error(`Invalid options for scheduler '${factory.identifier}':\n${list}`);
}

function isFactory(value: unknown): value is WorkflowSchedulerFactory<unknown> {
  const v = value as Partial<WorkflowSchedulerFactory<unknown>> | null;
  return (
    typeof v === 'object' &&
    v !== null &&
    typeof v.identifier === 'string' &&
    typeof v.create === 'function' &&
    v.optionsSchema !== undefined
  );
}

function loadFactory(type: string, baseDir: string, builtIn: readonly string[]): WorkflowSchedulerFactory<unknown> {
  const specifier = type.startsWith('.') || path.isAbsolute(type) ? path.resolve(baseDir, type) : type;
  let loaded: unknown;
  try {
    loaded = require(specifier);
  } catch (error) {
    throw new Error(
      `scheduler.type '${type}' is neither a built-in scheduler (${builtIn.join(', ')}) ` +
        `nor a module that can be loaded: ${(error as Error).message}`,
    );
  }
  const moduleExports = loaded as Record<string, unknown>;
  const candidates = [moduleExports.schedulerFactory, moduleExports.default, ...Object.values(moduleExports)];
  const factory = candidates.find(isFactory);
  if (!factory) {
    throw new Error(
      `Module '${type}' does not export a WorkflowSchedulerFactory ` +
        '(an object with identifier, optionsSchema and create).',
    );
  }
  return factory;
}
