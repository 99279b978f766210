/**
 * The cheap check at the start of each refresh: one metadata read per plain table the dynamic table reads,
 * compared by fingerprint with what reflection last recorded. A difference is reflected there and then, so that a
 * change made behind Freshet's back is reported by name: a refresh that a recorded change breaks (policy `suspend`
 * or `fail`) fails naming the table, the column and the change, instead of with the engine's SQL error.
 */
import type { DriftEntry } from '../catalog/schema-version-store';
import type { DynamicTableRecord } from '../catalog/records';
import { invalidState } from '../errors';
import type { ColumnInfo, SqlDialect } from '../model';
import { readsOf } from './impact';
import type { ManagerParts } from './manager-parts';
import type { Reflection } from './reflection';
import { compareTypes, fingerprintOf } from './reflection-diff';
import { type ReflectionTarget, visibleColumns } from './reflection-record';

interface SourceReading {
  readonly target: ReflectionTarget;
  readonly columns: ColumnInfo[] | null;
}

export class RefreshSchemaCheck {
  constructor(
    private readonly parts: ManagerParts,
    private readonly reflection: Reflection,
  ) {}

  /** Throws when the table must not be refreshed for a change of what it reads; records any change it finds. */
  async check(table: DynamicTableRecord): Promise<void> {
    const { catalog, namespaces } = this.parts;
    const plain: string[] = [];
    for (const key of table.sourceTables) if ((await catalog.getTable(key)) === null) plain.push(key);
    const states = new Map(
      (await catalog.schemaVersions.states([...plain, table.key])).map((s) => [s.tableKey, s] as const),
    );
    const readings: SourceReading[] = [];
    for (const key of plain) {
      const target = this.reflection.sourceTarget(key);
      const description = await namespaces.engineOf(target.catalogName).describeTable(target.ref);
      readings.push({ target, columns: description === null ? null : visibleColumns(description.columns) });
    }
    const changed = readings.filter(({ target, columns }) => {
      const state = states.get(target.key);
      if (columns === null) return state?.missingSince == null;
      return state === undefined || state.missingSince !== null || state.fingerprint !== fingerprintOf(columns);
    });
    let drift = states.get(table.key)?.drift ?? [];
    if (changed.length > 0) {
      const recorded = await this.reflection.record(changed);
      // Suspending waits for nothing this refresh holds, but it need not hold the refresh up either.
      this.reflection.applyPolicies(recorded).catch(() => undefined);
      drift = (await catalog.schemaVersions.state(table.key))?.drift ?? [];
    }
    const gone = readings.filter((r) => r.columns === null).map((r) => r.target.identifier);
    if (gone.length > 0) {
      throw invalidState(
        `Dynamic table ${table.identifier} cannot be refreshed: the table${gone.length > 1 ? 's' : ''} it reads ` +
          `${gone.join(', ')} ${gone.length > 1 ? 'are' : 'is'} missing (reflection flagged ${gone.length > 1 ? 'them' : 'it'}). ` +
          'Recreate it, or ALTER the dynamic table to read something else.',
      );
    }
    if (drift.length > 0) await this.enforce(table, drift, readings);
  }

  /** Fails the refresh while a recorded breaking change still holds; forgets the ones that no longer do. */
  private async enforce(table: DynamicTableRecord, drift: readonly DriftEntry[], readings: readonly SourceReading[]) {
    const current = new Map(readings.map((r) => [r.target.key, r] as const));
    const kept: DriftEntry[] = [];
    const broken: DriftEntry[] = [];
    for (const entry of drift) {
      if (entry.impact !== 'BREAKING') {
        kept.push(entry);
        continue;
      }
      if (!table.sourceTables.includes(entry.sourceKey)) continue;
      const columns = await this.columnsNow(entry.sourceKey, current);
      const dialect = this.reflection.sourceTarget(entry.sourceKey).dialect;
      // A query changed since (ALTER … AS, or a table dropped and created again) may no longer read the column.
      const named = entry.columns.map((c) => ({ name: c.column, type: '', nullable: true }));
      const reads = await readsOf(this.parts, table, { key: entry.sourceKey, columns: named });
      const stillRead = new Set(reads.columns.map((c) => c.toLowerCase()));
      const still = entry.columns.filter(
        (problem) => stillRead.has(problem.column.toLowerCase()) && stillBroken(problem, columns, dialect),
      );
      if (still.length === 0) continue;
      kept.push(entry);
      if (entry.policy !== 'ignore') broken.push({ ...entry, columns: still });
    }
    if (kept.length !== drift.length) {
      const state = await this.parts.catalog.schemaVersions.state(table.key);
      if (state !== null) await this.parts.catalog.schemaVersions.putState({ ...state, drift: kept });
    }
    if (broken.length === 0) return;
    throw invalidState(
      `Dynamic table ${table.identifier} cannot be refreshed: ${broken.map(driftText).join('; ')}. ` +
        `Its 'on_schema_change' is '${broken[0]?.policy}': ALTER the dynamic table's query to match, or restore ` +
        'the columns it reads' +
        (table.refreshStatus === 'SUSPENDED' ? ', then RESUME it.' : '.'),
    );
  }

  /** The columns of a source now: as just read, or a dynamic table's as the catalog records them. */
  private async columnsNow(
    key: string,
    current: ReadonlyMap<string, SourceReading>,
  ): Promise<readonly ColumnInfo[] | null> {
    const reading = current.get(key);
    if (reading !== undefined) return reading.columns;
    return (await this.parts.catalog.getTable(key))?.schema ?? null;
  }
}

/** `column amount of default.main.orders was dropped (schema version 2.0)`. */
export function driftText(entry: DriftEntry): string {
  const what = entry.columns.map((c) => `column ${c.column} of ${entry.source} was ${c.change}`).join(', ');
  return `${what} (schema version ${entry.version})`;
}

/** Whether a recorded problem still holds for the source's columns now. */
function stillBroken(
  problem: DriftEntry['columns'][number],
  columns: readonly ColumnInfo[] | null,
  dialect: SqlDialect,
): boolean {
  if (columns === null) return true;
  const now = columns.find((c) => c.name.toLowerCase() === problem.column.toLowerCase());
  if (now === undefined) return true;
  const narrowed = /^(?:narrowed|changed) from (.*) to (.*)$/.exec(problem.change);
  if (narrowed === null) return false;
  const before = narrowed[1] === '(no type)' ? '' : (narrowed[1] ?? '');
  const change = compareTypes(before, now.type, dialect);
  return change === 'narrowed' || change === 'changed';
}
