/**
 * Suspensions cascade down the dependency graph, as Snowflake's dynamic tables do: suspending a table (by
 * ALTER … SUSPEND or after failed refreshes) suspends every active dynamic table downstream of it with the
 * reason UPSTREAM_SUSPENDED, and resuming it resumes those again once everything they read is active. Tables
 * suspended by hand or for errors keep their own reason and stay suspended.
 *
 * A cascade is all or nothing: when the scheduler refuses to pause (or resume) one of the tables, the tables
 * already changed are put back and the statement fails naming the table the scheduler refused, so a pipeline is
 * never left half suspended without anybody being told.
 */
import type { DynamicTableRecord } from '../catalog/records';
import { FreshetError, invalidState, messageOf } from '../errors';
import { DependencyGraph } from './dependencies';
import type { ManagerParts } from './manager-parts';

export const UPSTREAM_SUSPENDED = 'UPSTREAM_SUSPENDED';

/** One table's state before and after a step of a cascade, to put it back when a later step fails. */
interface Change {
  readonly before: DynamicTableRecord;
  readonly after: DynamicTableRecord;
}

/** Pauses a table's workflow (or stops its continuous runner or job) and stores it SUSPENDED with `reason`. */
export async function pauseTable(
  parts: ManagerParts,
  table: DynamicTableRecord,
  reason: string | null,
): Promise<DynamicTableRecord> {
  const { refreshHandler } = table;
  const paused =
    table.refreshMode === 'FULL' && refreshHandler
      ? { refreshHandler: await parts.workflows.suspend(table, refreshHandler) }
      : { continuousJob: (await parts.continuous.stop(table)).continuousJob };
  const suspended: DynamicTableRecord = {
    ...table,
    ...paused,
    refreshStatus: 'SUSPENDED',
    suspendedReason: reason,
    updatedAt: new Date().toISOString(),
  };
  await parts.catalog.updateTable(suspended);
  return suspended;
}

/** Resumes a table's workflow (or starts its continuous refreshes) and stores it ACTIVATED. */
export async function restartTable(
  parts: ManagerParts,
  table: DynamicTableRecord,
  options: Readonly<Record<string, string>>,
): Promise<DynamicTableRecord> {
  let handler = table.refreshHandler;
  if (table.refreshMode === 'FULL' && handler) handler = await parts.workflows.resume(table, handler, options);
  const resumed: DynamicTableRecord = {
    ...table,
    refreshStatus: 'ACTIVATED',
    refreshHandler: handler,
    suspendedReason: null,
    updatedAt: new Date().toISOString(),
  };
  await parts.catalog.updateTable(resumed);
  if (resumed.refreshMode === 'CONTINUOUS') return parts.continuous.start(resumed, options);
  return resumed;
}

/**
 * Suspends `table` with `reason` and every active dynamic table downstream of it (nearest first) with
 * UPSTREAM_SUSPENDED; returns the downstream tables suspended with it.
 */
export async function suspendWithDownstream(
  parts: ManagerParts,
  table: DynamicTableRecord,
  reason: string | null,
): Promise<DynamicTableRecord[]> {
  const { catalog, logger } = parts;
  const graph = await DependencyGraph.load(catalog);
  const root = await pauseTable(parts, table, reason);
  const changes: Change[] = [];
  for (const key of graph.allDownstreamOf(table.key)) {
    const current = graph.table(key);
    if (current?.refreshStatus !== 'ACTIVATED') continue;
    try {
      changes.push({ before: current, after: await pauseTable(parts, current, UPSTREAM_SUSPENDED) });
    } catch (error) {
      const stuck = await putBack([{ before: table, after: root }, ...changes], (c) =>
        restartTable(parts, c.after, {}),
      );
      throw cascadeError(`Dynamic table ${table.identifier} was not suspended`, error, stuck, {
        undone: 'resumed',
        fix: 'resume them with ALTER DYNAMIC TABLE … RESUME',
      });
    }
  }
  for (const { after } of changes) {
    logger.info('dynamic table suspended with a table it reads', {
      table: after.identifier,
      upstream: table.identifier,
      reason: UPSTREAM_SUSPENDED,
    });
  }
  return changes.map((c) => c.after);
}

/**
 * Resumes `table`, refusing while a dynamic table it reads is suspended, then the tables downstream of it that
 * were suspended with an upstream table (UPSTREAM_SUSPENDED) and read only active tables again, upstream first;
 * returns those.
 */
export async function resumeWithDownstream(
  parts: ManagerParts,
  table: DynamicTableRecord,
  options: Readonly<Record<string, string>>,
): Promise<DynamicTableRecord[]> {
  const { catalog, logger } = parts;
  const graph = await DependencyGraph.load(catalog);
  refuseWhileUpstreamSuspended(graph, table);
  const root = await restartTable(parts, table, options);
  const resumed = new Map<string, DynamicTableRecord>([[root.key, root]]);
  const active = (key: string) => (resumed.get(key) ?? graph.table(key))?.refreshStatus === 'ACTIVATED';
  const changes: Change[] = [];
  for (const key of upstreamFirst(graph, graph.allDownstreamOf(table.key))) {
    const current = graph.table(key);
    if (current?.refreshStatus !== 'SUSPENDED' || current.suspendedReason !== UPSTREAM_SUSPENDED) continue;
    if (!graph.upstreamOf(key).every((k) => graph.kindOf(k) === 'source' || active(k))) continue;
    try {
      const after = await restartTable(parts, current, {});
      changes.push({ before: current, after });
      resumed.set(key, after);
    } catch (error) {
      const all = [{ before: table, after: root }, ...changes];
      const stuck = await putBack(all, (c) => pauseTable(parts, c.after, c.before.suspendedReason ?? null));
      throw cascadeError(`Dynamic table ${table.identifier} was not resumed`, error, stuck, {
        undone: 'suspended',
        fix: 'suspend them with ALTER DYNAMIC TABLE … SUSPEND',
      });
    }
  }
  for (const { after } of changes) {
    logger.info('dynamic table resumed with a table it reads', { table: after.identifier, upstream: table.identifier });
  }
  return changes.map((c) => c.after);
}

/** ` Downstream dynamic tables suspended with it (…): a, b.` for a statement's message; '' for none. */
export function withIt(tables: readonly DynamicTableRecord[], done: string, reason?: string): string {
  if (tables.length === 0) return '';
  const what = tables.length === 1 ? 'dynamic table' : 'dynamic tables';
  const why = reason ? ` (${reason})` : '';
  return ` Downstream ${what} ${done} with it${why}: ${tables.map((t) => t.identifier).join(', ')}.`;
}

/**
 * The dynamic tables `table` reads directly that are suspended. The graph is read from the catalog itself, not
 * from a gateway's cache, so on a shared catalog it holds what other gateways did up to now.
 */
export function suspendedUpstreamOf(
  graph: DependencyGraph,
  table: Pick<DynamicTableRecord, 'sourceTables'>,
): DynamicTableRecord[] {
  return table.sourceTables
    .map((key) => graph.table(key))
    .filter((t): t is DynamicTableRecord => t?.refreshStatus === 'SUSPENDED');
}

/** RESUME while a table it reads is suspended is refused, naming the tables to resume first. */
function refuseWhileUpstreamSuspended(graph: DependencyGraph, table: DynamicTableRecord): void {
  const blocking = suspendedUpstreamOf(graph, table);
  if (blocking.length === 0) return;
  // A table suspended with its own upstream is resumed by resuming that one: name the tables that started it.
  const roots: string[] = [];
  const seen = new Set<string>();
  let frontier = blocking;
  while (frontier.length > 0) {
    const next: DynamicTableRecord[] = [];
    for (const t of frontier) {
      if (seen.has(t.key)) continue;
      seen.add(t.key);
      const above = t.suspendedReason === UPSTREAM_SUSPENDED ? suspendedUpstreamOf(graph, t) : [];
      if (above.length === 0) roots.push(t.identifier);
      next.push(...above);
    }
    frontier = next;
  }
  const names = blocking.map((t) => t.identifier);
  const reads = names.length === 1 ? `the dynamic table it reads, ${names[0]}, is` : `${names.join(', ')} are`;
  const viaOthers = roots.some((r) => !names.includes(r)) ? ' (resuming it resumes the tables suspended with it)' : '';
  throw invalidState(
    `Dynamic table ${table.identifier} cannot be resumed while ${reads} suspended; resume ${roots.join(', ')} ` +
      `first${viaOthers}.`,
  );
}

/** Orders keys so that each comes after every listed key it reads; otherwise in the order given. */
function upstreamFirst(graph: DependencyGraph, keys: readonly string[]): string[] {
  const listed = new Set(keys);
  const done = new Set<string>();
  const ordered: string[] = [];
  for (;;) {
    const next = keys.find((k) => !done.has(k) && graph.upstreamOf(k).every((u) => !listed.has(u) || done.has(u)));
    if (next === undefined) return ordered;
    done.add(next);
    ordered.push(next);
  }
}

/** Undoes the changes, newest first; returns the identifiers of the tables that could not be put back. */
async function putBack(changes: readonly Change[], undo: (change: Change) => Promise<unknown>): Promise<string[]> {
  const stuck: string[] = [];
  for (const change of [...changes].reverse()) {
    try {
      await undo(change);
    } catch {
      stuck.push(change.after.identifier);
    }
  }
  return stuck;
}

/** The error of a cascade that failed part way: the cause, and what was (or could not be) put back. */
function cascadeError(
  what: string,
  error: unknown,
  stuck: readonly string[],
  words: { readonly undone: string; readonly fix: string },
): FreshetError {
  const left =
    stuck.length === 0
      ? `nothing changed (the tables changed before it were ${words.undone} again)`
      : `these tables could not be ${words.undone} again, ${words.fix}: ${stuck.join(', ')}`;
  const code = error instanceof FreshetError ? error.code : 'INTERNAL';
  const retry = code === 'SCHEDULER_ERROR' ? ' Try again when the scheduler answers.' : '';
  return new FreshetError(code, `${what}: ${messageOf(error)}; ${left}.${retry}`, { cause: error });
}
