/**
 * Catalog rows to records and back: column names, JSON-encoded columns and the types the database drivers
 * return (a SQLite boolean is a number, a PostgreSQL bigint a string) stop here.
 */
import type { DynamicTableRecord, HistoryRecord, HistoryState, JobRecord, JobStatus, OrphanRecord } from './records';

/** A row as knex reads or writes it. */
export type Row = Record<string, unknown>;

/** A history row as a job is created: it has no id yet, and no action until its refresh has run. */
export type NewHistoryRow = Omit<
  HistoryRecord,
  | 'id'
  | 'action'
  | 'actionDetail'
  | 'dataTimestamp'
  | 'waitingOn'
  | 'errorCode'
  | 'guardReport'
  | 'staged'
  | 'resolution'
  | 'resolvedBy'
  | 'resolvedAt'
>;

export const json = (value: unknown): string => JSON.stringify(value);
export const parseJson = <T>(value: unknown, fallback: T): T =>
  typeof value === 'string' && value !== '' ? (JSON.parse(value) as T) : fallback;
export const str = (value: unknown): string => String(value);
export const strOrNull = (value: unknown): string | null =>
  value === null || value === undefined ? null : String(value);
const numOrNull = (value: unknown): number | null => (value === null || value === undefined ? null : Number(value));
const jsonOrNull = (value: unknown): string | null => (value === null ? null : json(value));

export function toTable(row: Row): DynamicTableRecord {
  return {
    key: str(row.table_key),
    identifier: str(row.identifier),
    catalogName: str(row.catalog_name),
    databaseName: str(row.database_name),
    tableName: str(row.table_name),
    definitionQuery: str(row.definition_query),
    queryHash: str(row.query_hash),
    createStatement: str(row.create_statement),
    freshness: {
      interval: Number(row.freshness_interval),
      unit: str(row.freshness_unit) as DynamicTableRecord['freshness']['unit'],
    },
    logicalRefreshMode: str(row.logical_refresh_mode) as DynamicTableRecord['logicalRefreshMode'],
    refreshMode: str(row.refresh_mode) as DynamicTableRecord['refreshMode'],
    refreshStatus: str(row.refresh_status) as DynamicTableRecord['refreshStatus'],
    partitionKeys: parseJson(row.partition_keys, []),
    options: parseJson(row.options, {}),
    schema: parseJson(row.table_schema, []),
    columnMapping: parseJson(row.column_mapping, []),
    primaryKey: parseJson(row.primary_key, null),
    comment: strOrNull(row.comment),
    sourceTables: parseJson(row.source_tables, []),
    schedulerType: strOrNull(row.scheduler_type),
    cron: strOrNull(row.cron),
    refreshHandler: parseJson(row.refresh_handler, null),
    continuousJob: parseJson(row.continuous_job, null),
    // Absent rather than null while there is none: records read back equal the records written before.
    ...(row.suspended_reason ? { suspendedReason: str(row.suspended_reason) } : {}),
    ...expectationsOf(row.expectations),
    createdAt: str(row.created_at),
    updatedAt: str(row.updated_at),
  };
}

/** Absent rather than empty while a table has none, like `suspendedReason`. */
function expectationsOf(value: unknown): Pick<DynamicTableRecord, 'expectations'> {
  const expectations = parseJson<DynamicTableRecord['expectations']>(value, undefined);
  return expectations !== undefined && expectations.length > 0 ? { expectations } : {};
}

export function fromTable(r: DynamicTableRecord): Row {
  return {
    table_key: r.key,
    identifier: r.identifier,
    catalog_name: r.catalogName,
    database_name: r.databaseName,
    table_name: r.tableName,
    definition_query: r.definitionQuery,
    query_hash: r.queryHash,
    create_statement: r.createStatement,
    freshness_interval: r.freshness.interval,
    freshness_unit: r.freshness.unit,
    logical_refresh_mode: r.logicalRefreshMode,
    refresh_mode: r.refreshMode,
    refresh_status: r.refreshStatus,
    partition_keys: json(r.partitionKeys),
    options: json(r.options),
    table_schema: json(r.schema),
    column_mapping: json(r.columnMapping),
    primary_key: jsonOrNull(r.primaryKey),
    comment: r.comment,
    source_tables: json(r.sourceTables),
    scheduler_type: r.schedulerType,
    cron: r.cron,
    refresh_handler: jsonOrNull(r.refreshHandler),
    continuous_job: jsonOrNull(r.continuousJob),
    // Written only when the record says (a suspension's reason, or null to clear it on RESUME).
    ...(r.suspendedReason !== undefined ? { suspended_reason: r.suspendedReason } : {}),
    // Written when the record says (a catalog migrated only part-way has no such column yet).
    ...('expectations' in r ? { expectations: r.expectations?.length ? json(r.expectations) : null } : {}),
    created_at: r.createdAt,
    updated_at: r.updatedAt,
  };
}

export function toJob(row: Row): JobRecord {
  return {
    jobId: str(row.job_id),
    dedupeKey: strOrNull(row.dedupe_key),
    attempt: Number(row.attempt),
    trigger: str(row.trigger_kind) as JobRecord['trigger'],
    status: str(row.status) as JobStatus,
    tables: parseJson(row.tables, []),
    scheduleTime: str(row.schedule_time),
    isPeriodic: Boolean(row.is_periodic),
    configuration: parseJson(row.configuration, {}),
    staticPartitions: parseJson(row.static_partitions, null),
    clusterInfo: parseJson(row.cluster_info, {}),
    error: strOrNull(row.error),
    createdAt: str(row.created_at),
    startedAt: strOrNull(row.started_at),
    finishedAt: strOrNull(row.finished_at),
  };
}

export function fromJob(j: JobRecord): Row {
  return {
    job_id: j.jobId,
    dedupe_key: j.dedupeKey,
    attempt: j.attempt,
    trigger_kind: j.trigger,
    status: j.status,
    tables: json(j.tables),
    schedule_time: j.scheduleTime,
    is_periodic: j.isPeriodic,
    configuration: json(j.configuration),
    static_partitions: jsonOrNull(j.staticPartitions),
    cluster_info: json(j.clusterInfo),
    error: j.error,
    created_at: j.createdAt,
    started_at: j.startedAt,
    finished_at: j.finishedAt,
  };
}

export function toHistory(row: Row): HistoryRecord {
  return {
    id: Number(row.id),
    jobId: str(row.job_id),
    tableKey: str(row.table_key),
    identifier: str(row.identifier),
    trigger: str(row.trigger_kind) as HistoryRecord['trigger'],
    scheduleTime: str(row.schedule_time),
    partition: parseJson(row.partition_spec, null),
    state: str(row.state) as HistoryState,
    rowsWritten: numOrNull(row.rows_written),
    rowsDeleted: numOrNull(row.rows_deleted),
    action: strOrNull(row.action) as HistoryRecord['action'],
    actionDetail: strOrNull(row.action_detail),
    dataTimestamp: strOrNull(row.data_timestamp),
    waitingOn: parseJson(row.waiting_on, null),
    errorCode: strOrNull(row.error_code),
    guardReport: parseJson(row.guard_report, null),
    staged: strOrNull(row.staged_result),
    resolution: strOrNull(row.resolution) as HistoryRecord['resolution'],
    resolvedBy: strOrNull(row.resolved_by),
    resolvedAt: strOrNull(row.resolved_at),
    startedAt: strOrNull(row.started_at),
    finishedAt: strOrNull(row.finished_at),
    error: strOrNull(row.error),
  };
}

export function fromHistory(h: NewHistoryRow): Row {
  return {
    job_id: h.jobId,
    table_key: h.tableKey,
    identifier: h.identifier,
    trigger_kind: h.trigger,
    schedule_time: h.scheduleTime,
    partition_spec: jsonOrNull(h.partition),
    state: h.state,
    rows_written: h.rowsWritten,
    rows_deleted: h.rowsDeleted,
    started_at: h.startedAt,
    finished_at: h.finishedAt,
    error: h.error,
  };
}

/** The columns of a history row that {@link fromHistoryChanges} may set. */
export type HistoryChanges = Partial<
  Pick<
    HistoryRecord,
    | 'state'
    | 'rowsWritten'
    | 'rowsDeleted'
    | 'action'
    | 'actionDetail'
    | 'dataTimestamp'
    | 'waitingOn'
    | 'errorCode'
    | 'guardReport'
    | 'staged'
    | 'resolution'
    | 'resolvedBy'
    | 'resolvedAt'
    | 'startedAt'
    | 'finishedAt'
    | 'error'
    | 'partition'
  >
>;

export function fromHistoryChanges(changes: HistoryChanges): Row {
  const row: Row = {};
  if (changes.state !== undefined) row.state = changes.state;
  if (changes.rowsWritten !== undefined) row.rows_written = changes.rowsWritten;
  if (changes.rowsDeleted !== undefined) row.rows_deleted = changes.rowsDeleted;
  if (changes.action !== undefined) row.action = changes.action;
  if (changes.actionDetail !== undefined) row.action_detail = changes.actionDetail;
  if (changes.dataTimestamp !== undefined) row.data_timestamp = changes.dataTimestamp;
  if (changes.waitingOn !== undefined) row.waiting_on = jsonOrNull(changes.waitingOn);
  if (changes.errorCode !== undefined) row.error_code = changes.errorCode;
  if (changes.guardReport !== undefined) row.guard_report = jsonOrNull(changes.guardReport);
  if (changes.staged !== undefined) row.staged_result = changes.staged;
  if (changes.resolution !== undefined) row.resolution = changes.resolution;
  if (changes.resolvedBy !== undefined) row.resolved_by = changes.resolvedBy;
  if (changes.resolvedAt !== undefined) row.resolved_at = changes.resolvedAt;
  if (changes.startedAt !== undefined) row.started_at = changes.startedAt;
  if (changes.finishedAt !== undefined) row.finished_at = changes.finishedAt;
  if (changes.error !== undefined) row.error = changes.error;
  if (changes.partition !== undefined) row.partition_spec = jsonOrNull(changes.partition);
  return row;
}

/** The columns of a job row that {@link fromJobChanges} may set. */
export type JobChanges = Partial<Pick<JobRecord, 'status' | 'error' | 'startedAt' | 'finishedAt'>>;

export function fromJobChanges(changes: JobChanges): Row {
  const row: Row = {};
  if (changes.status !== undefined) row.status = changes.status;
  if (changes.error !== undefined) row.error = changes.error;
  if (changes.startedAt !== undefined) row.started_at = changes.startedAt;
  if (changes.finishedAt !== undefined) row.finished_at = changes.finishedAt;
  return row;
}

export function toOrphan(row: Row): OrphanRecord {
  return {
    id: Number(row.id),
    schedulerType: str(row.scheduler_type),
    tableIdentifier: str(row.table_identifier),
    handler: parseJson(row.handler, {}),
    reason: strOrNull(row.reason),
    createdAt: str(row.created_at),
  };
}

export function fromOrphan(orphan: Omit<OrphanRecord, 'id'>): Row {
  return {
    scheduler_type: orphan.schedulerType,
    table_identifier: orphan.tableIdentifier,
    handler: json(orphan.handler),
    reason: orphan.reason,
    created_at: orphan.createdAt,
  };
}
