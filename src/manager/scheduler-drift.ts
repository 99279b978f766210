/**
 * Drift between the catalog and the scheduler: what each FULL table's workflow should look like, compared with
 * what the scheduler holds. Pure: the manager gathers the inputs and acts on the result.
 */
import type { DynamicTableRecord } from '../catalog/records';
import type { ListedWorkflow, RefreshHandler, WorkflowInspection } from '../scheduler/workflow-scheduler';

export interface DriftReport {
  readonly checkedAt: string;
  readonly scheduler: string;
  /** FULL tables whose workflow was checked. */
  readonly tablesChecked: number;
  /** Tables whose workflow the scheduler no longer has. */
  readonly missing: ReadonlyArray<{ readonly table: string }>;
  /** Workflows paused while their table is active, or running while it is suspended. */
  readonly wronglyPaused: ReadonlyArray<{
    readonly table: string;
    readonly expectedPaused: boolean;
    readonly actualPaused: boolean;
  }>;
  /** Workflows whose schedule is not the table's. */
  readonly wrongSchedule: ReadonlyArray<{ readonly table: string; readonly expected: string; readonly actual: string }>;
  /** Workflows Freshet made that no table owns (a table dropped behind Freshet's back, or a second workflow). */
  readonly extra: ReadonlyArray<{
    readonly tableIdentifier: string | null;
    readonly handler: RefreshHandler;
    readonly paused: boolean | null;
  }>;
  /** Workflows left by failed CREATEs that could not be deleted yet. */
  readonly orphansPending: ReadonlyArray<{ readonly tableIdentifier: string; readonly reason: string | null }>;
  /** Tables or calls the check could not complete. */
  readonly errors: ReadonlyArray<{ readonly table?: string; readonly message: string }>;
  /** With repair: what was done. */
  readonly repaired?: readonly string[];
}

export interface TableInspection {
  readonly table: DynamicTableRecord;
  readonly inspection: WorkflowInspection | null;
  readonly error?: string;
}

/** Handlers are compared by their JSON with sorted keys: plugins may list a handler as a new object. */
export function sameHandler(a: RefreshHandler, b: RefreshHandler): boolean {
  const canonical = (value: unknown): unknown =>
    Array.isArray(value)
      ? value.map(canonical)
      : value !== null && typeof value === 'object'
        ? Object.fromEntries(
            Object.entries(value as Record<string, unknown>)
              .sort(([x], [y]) => (x < y ? -1 : 1))
              .map(([k, v]) => [k, canonical(v)]),
          )
        : value;
  return JSON.stringify(canonical(a)) === JSON.stringify(canonical(b));
}

export function compareDrift(input: {
  readonly scheduler: string;
  readonly inspected: readonly TableInspection[];
  readonly listed: readonly ListedWorkflow[];
  readonly expectedSchedules: (table: DynamicTableRecord) => readonly string[];
  readonly orphansPending: DriftReport['orphansPending'];
  readonly errors: DriftReport['errors'];
  readonly now: Date;
}): DriftReport {
  const missing: Array<{ table: string }> = [];
  const wronglyPaused: Array<{ table: string; expectedPaused: boolean; actualPaused: boolean }> = [];
  const wrongSchedule: Array<{ table: string; expected: string; actual: string }> = [];
  const errors = [...input.errors];
  for (const { table, inspection, error } of input.inspected) {
    if (error !== undefined) {
      errors.push({ table: table.identifier, message: error });
      continue;
    }
    if (!inspection?.exists) {
      missing.push({ table: table.identifier });
      continue;
    }
    const expectedPaused = table.refreshStatus === 'SUSPENDED';
    if (inspection.paused !== null && inspection.paused !== expectedPaused) {
      wronglyPaused.push({ table: table.identifier, expectedPaused, actualPaused: inspection.paused });
    }
    const expected = input.expectedSchedules(table);
    if (inspection.schedule !== null && !expected.includes(inspection.schedule)) {
      wrongSchedule.push({ table: table.identifier, expected: expected[0] ?? '', actual: inspection.schedule });
    }
  }
  // A listed workflow belongs to a table when it has the table's handler; failing that (a plugin that lists a
  // handler in another shape), when it names the table and is the only one that does.
  const owned = input.inspected.filter((i) => i.table.refreshHandler !== null);
  const unmatched = input.listed.filter(
    (w) => !owned.some((i) => sameHandler(i.table.refreshHandler as RefreshHandler, w.handler)),
  );
  const namesTable = (w: ListedWorkflow, t: DynamicTableRecord) =>
    w.tableIdentifier !== null && w.tableIdentifier.toLowerCase() === t.key;
  const extra = unmatched
    .filter((w) => {
      const table = owned.find((i) => namesTable(w, i.table))?.table;
      if (!table) return true;
      const exact = input.listed.some((other) => sameHandler(other.handler, table.refreshHandler as RefreshHandler));
      return exact || input.listed.filter((other) => namesTable(other, table)).length > 1;
    })
    .map((w) => ({ tableIdentifier: w.tableIdentifier, handler: w.handler, paused: w.paused }));
  return {
    checkedAt: input.now.toISOString(),
    scheduler: input.scheduler,
    tablesChecked: input.inspected.length,
    missing,
    wronglyPaused,
    wrongSchedule,
    extra,
    orphansPending: input.orphansPending,
    errors,
  };
}

export function hasDrift(report: DriftReport): boolean {
  return (
    report.missing.length +
      report.wronglyPaused.length +
      report.wrongSchedule.length +
      report.extra.length +
      report.orphansPending.length >
    0
  );
}
