/**
 * Schema versions of the tables Freshet reflects (`schema_versions`) and each such table's current state
 * (`reflected_tables`): what reflection found, stored as it was found. The manager decides what a change means.
 */
import type { Knex } from 'knex';
import type { ColumnInfo } from '../model';
import { json, parseJson, type Row, str, strOrNull } from './row-mapping';

/** A dynamic table, or a plain table that dynamic tables read (or that a module added to reflection). */
export type ReflectedKind = 'dynamic' | 'source';

/** One column whose type changed between two versions. */
export interface ColumnTypeChange {
  readonly column: string;
  readonly from: string;
  readonly to: string;
  /** `widened` (minor), `narrowed` or `changed` (another kind of type; both major). */
  readonly change: 'widened' | 'narrowed' | 'changed';
}

/** What changed from the previous version. */
export interface SchemaDiff {
  readonly added: readonly ColumnInfo[];
  readonly dropped: readonly ColumnInfo[];
  readonly renamed: ReadonlyArray<{ readonly from: string; readonly to: string }>;
  readonly changed: readonly ColumnTypeChange[];
}

export type ImpactKind = 'UNAFFECTED' | 'ADDITIVE' | 'BREAKING';

/** One column of a source whose change breaks (or widens) what a reader reads: `amount` `dropped`. */
export interface ColumnProblem {
  readonly column: string;
  /** `dropped`, `renamed to total`, `narrowed from bigint to integer`, `widened from …`. */
  readonly change: string;
}

/** What a new version of a table did to one dynamic table reading it. */
export interface DependentImpact {
  readonly table: string;
  readonly key: string;
  readonly impact: ImpactKind;
  /** The reader's `on_schema_change`. */
  readonly policy: string;
  /** What Freshet did: `suspended`, `refreshes fail`, `ignored`, or `none`. */
  readonly action: string;
  readonly columns: readonly ColumnProblem[];
}

/** Schema drift recorded against a reader: a source's version that changed what the reader reads. */
export interface DriftEntry {
  readonly source: string;
  readonly sourceKey: string;
  readonly version: string;
  readonly impact: Exclude<ImpactKind, 'UNAFFECTED'>;
  readonly policy: string;
  readonly columns: readonly ColumnProblem[];
  readonly detectedAt: string;
}

export interface SchemaVersionRecord {
  readonly id: number;
  readonly tableKey: string;
  readonly identifier: string;
  readonly kind: ReflectedKind;
  readonly major: number;
  readonly minor: number;
  readonly columns: readonly ColumnInfo[];
  /** Null for the first version. */
  readonly diff: SchemaDiff | null;
  readonly fingerprint: string;
  readonly impacts: readonly DependentImpact[];
  readonly createdAt: string;
}

export interface ReflectedTableRecord {
  readonly tableKey: string;
  readonly identifier: string;
  readonly kind: ReflectedKind;
  /** Of the columns last read; null until the table has been read. */
  readonly fingerprint: string | null;
  /** Set while the table is missing from its engine. */
  readonly missingSince: string | null;
  readonly checkedAt: string;
  readonly drift: readonly DriftEntry[];
}

function toVersion(row: Row): SchemaVersionRecord {
  return {
    id: Number(row.id),
    tableKey: str(row.table_key),
    identifier: str(row.identifier),
    kind: str(row.table_kind) as ReflectedKind,
    major: Number(row.major),
    minor: Number(row.minor),
    columns: parseJson(row.columns, []),
    diff: parseJson<SchemaDiff | null>(row.diff, null),
    fingerprint: str(row.fingerprint),
    impacts: parseJson(row.impacts, []),
    createdAt: str(row.created_at),
  };
}

function toState(row: Row): ReflectedTableRecord {
  return {
    tableKey: str(row.table_key),
    identifier: str(row.identifier),
    kind: str(row.table_kind) as ReflectedKind,
    fingerprint: strOrNull(row.fingerprint),
    missingSince: strOrNull(row.missing_since),
    checkedAt: str(row.checked_at),
    drift: parseJson(row.drift, []),
  };
}

export class SchemaVersionStore {
  constructor(private readonly db: Knex) {}

  /** Versions of a table, newest first. */
  async versions(tableKey: string, limit = 1000): Promise<SchemaVersionRecord[]> {
    const rows = (await this.db('schema_versions')
      .where({ table_key: tableKey })
      .orderBy('id', 'desc')
      .limit(limit)) as Row[];
    return rows.map(toVersion);
  }

  async latest(tableKey: string): Promise<SchemaVersionRecord | null> {
    const [latest] = await this.versions(tableKey, 1);
    return latest ?? null;
  }

  /** Stores a new version; one another gateway stored first under the same number is kept. */
  async insert(version: Omit<SchemaVersionRecord, 'id'>): Promise<void> {
    await this.db('schema_versions')
      .insert({
        table_key: version.tableKey,
        identifier: version.identifier,
        table_kind: version.kind,
        major: version.major,
        minor: version.minor,
        columns: json(version.columns),
        diff: version.diff === null ? null : json(version.diff),
        fingerprint: version.fingerprint,
        impacts: json(version.impacts),
        created_at: version.createdAt,
      })
      .onConflict(['table_key', 'major', 'minor'])
      .ignore();
  }

  /** The states of the given tables (those that have one). */
  async states(tableKeys: readonly string[]): Promise<ReflectedTableRecord[]> {
    if (tableKeys.length === 0) return [];
    const rows = (await this.db('reflected_tables').whereIn('table_key', [...tableKeys])) as Row[];
    return rows.map(toState);
  }

  async state(tableKey: string): Promise<ReflectedTableRecord | null> {
    const [state] = await this.states([tableKey]);
    return state ?? null;
  }

  async putState(state: ReflectedTableRecord): Promise<void> {
    const row = {
      table_key: state.tableKey,
      identifier: state.identifier,
      table_kind: state.kind,
      fingerprint: state.fingerprint,
      missing_since: state.missingSince,
      checked_at: state.checkedAt,
      drift: json(state.drift),
    };
    await this.db('reflected_tables').insert(row).onConflict('table_key').merge();
  }

  /** Forgets a table (a dropped dynamic table): its versions and its state. */
  async forget(tableKey: string): Promise<void> {
    await this.db('schema_versions').where({ table_key: tableKey }).delete();
    await this.db('reflected_tables').where({ table_key: tableKey }).delete();
  }
}
