/**
 * Runs a script of SQL statements: DYNAMIC TABLE statements go to the manager, everything else to the engine.
 * Statements run in order; the first failure stops the script and reports which statement failed and what the
 * ones before it returned.
 */
import {
  alreadyExists,
  cancelled,
  FreshetError,
  invalidState,
  notFound,
  statementTimeout,
  validationError,
} from '../errors';
import { formatFreshness } from '../freshness';
import { parseScriptOffLoop } from '../sql/analysis-thread';
import { likeMatcher } from '../sql/like';
import type { DatasetStatement, ObjectName, PassthroughStatement, ShowRefreshes, Statement } from '../sql/statements';
import type { DdlOutcome, DynamicTableManager } from './dynamic-table-manager';
import type { NameDefaults } from './identifiers';
import { guardsText } from './guard-view';
import { showFreshness } from './freshness-statements';
import { runRegistryStatement } from './registry/registry-statements';
import { SCHEMA_HISTORY_COLUMNS, schemaHistoryRows } from './reflection-views';
import { ALL_SCOPES, authorizeEffects, authorizeScript, type Scope } from './scopes';
import { showCreate, shortError, type TableDetail } from './table-view';

/** Rows `SHOW REFRESHES` returns without a LIMIT. */
const DEFAULT_SHOWN_REFRESHES = 100;

const REFRESH_COLUMNS = [
  'job_id',
  'table',
  'trigger',
  'schedule_time',
  'partition',
  'state',
  'rows_written',
  'rows_deleted',
  'action',
  'action_detail',
  'data_timestamp',
  'started_at',
  'finished_at',
  'error',
];

export type StatementResultJson =
  | {
      readonly kind: 'rows';
      readonly columns: readonly string[];
      readonly rows: ReadonlyArray<readonly unknown[]>;
      readonly truncated?: boolean;
      readonly message?: string;
      readonly table?: TableDetail;
      /** BACKFILL: the jobs made, one per window, oldest first. */
      readonly jobIds?: readonly string[];
    }
  | {
      readonly kind: 'ok';
      readonly message: string;
      readonly table?: string;
      readonly jobId?: string;
      readonly rowsAffected?: number;
    };

/** What one request may hold and return (the `statements` settings). */
export interface StatementLimits {
  /** `statements.rowLimit`: most rows a reading statement returns. */
  readonly rowLimit: number;
  /** `statements.maxLength`: the longest script accepted, in characters. */
  readonly maxLength: number;
  /** `statements.maxCount`: most statements in one script. */
  readonly maxCount: number;
  /** `statements.timeoutSeconds`: a pass-through statement running longer is stopped on the engine. */
  readonly timeoutSeconds?: number;
}

/** How a running script can be stopped. */
export interface StatementControl {
  /** Names the script while it runs, for {@link StatementService.cancel}; unique among running scripts. */
  readonly id: string;
  /** Aborted when the client goes away: the script stops as if cancelled. */
  readonly signal?: AbortSignal;
}

const DEFAULT_TIMEOUT_SECONDS = 300;

/** Answers SHOW DATASETS, DESCRIBE DATASET and SEARCH DATASETS (discovery, DESIGN.md §11). */
export interface DatasetStatements {
  run(statement: DatasetStatement, rowLimit: number): Promise<StatementResultJson>;
}

export class StatementService {
  /** Scripts started with a {@link StatementControl}, by id. */
  private readonly running = new Map<string, AbortController>();

  constructor(
    private readonly manager: DynamicTableManager,
    private readonly limits: StatementLimits,
    /** Absent on a gateway without discovery: the dataset statements are then refused. */
    private readonly datasets?: DatasetStatements,
  ) {}

  /**
   * `catalog` and `database` say where unqualified names point and which engine runs the statements the gateway
   * does not own; by default the default catalog and its default database. `scopes` are the caller's: a script
   * with a statement outside them is refused before any of it runs (in-process callers are not limited).
   */
  async executeScript(
    script: string,
    where: { catalog?: string; database?: string } = {},
    scopes: readonly Scope[] = ALL_SCOPES,
    control?: StatementControl,
  ): Promise<StatementResultJson[]> {
    if (control === undefined) return this.runScript(script, where, scopes, undefined);
    const { id } = control;
    if (this.running.has(id)) {
      throw alreadyExists(`A statement with id ${id} is already running; give each statement an id of its own.`);
    }
    const stop = new AbortController();
    const onClientGone = () => stop.abort(cancelled(`Statement ${id} was cancelled: its client disconnected.`));
    control.signal?.addEventListener('abort', onClientGone, { once: true });
    if (control.signal?.aborted) onClientGone();
    this.running.set(id, stop);
    try {
      return await this.runScript(script, where, scopes, stop.signal);
    } finally {
      this.running.delete(id);
      control.signal?.removeEventListener('abort', onClientGone);
    }
  }

  /**
   * Stops the running script named `id`: its pass-through statement is stopped on the engine, and the script
   * answers CANCELLED. NOT_FOUND when no script of that id is running (it may just have finished).
   */
  cancel(id: string): void {
    const stop = this.running.get(id);
    if (stop === undefined) throw notFound(`No statement with id ${id} is running; it may have finished already.`);
    stop.abort(cancelled(`Statement ${id} was cancelled (DELETE /v3/statements/${id}).`));
  }

  private async runScript(
    script: string,
    where: { catalog?: string; database?: string },
    scopes: readonly Scope[],
    signal: AbortSignal | undefined,
  ): Promise<StatementResultJson[]> {
    const ns = this.manager.namespace(where.catalog, where.database);
    const { maxLength, maxCount } = this.limits;
    if (script.length > maxLength) {
      throw validationError(
        `The statement text is ${script.length} characters long; the limit (statements.maxLength) is ` +
          `${maxLength} characters. Send it in several requests.`,
      );
    }
    const statements = await parseScriptOffLoop(script);
    if (statements.length === 0) throw validationError('The request holds no SQL statement.');
    if (statements.length > maxCount) {
      throw validationError(
        `The script holds ${statements.length} statements; the limit (statements.maxCount) is ${maxCount}. ` +
          'Send it in several requests.',
      );
    }
    authorizeScript(statements, scopes);
    await this.authorizeEffects(statements, ns, scopes);
    const results: StatementResultJson[] = [];
    for (const [index, statement] of statements.entries()) {
      try {
        signal?.throwIfAborted();
        results.push(await this.execute(statement, ns, signal));
      } catch (error) {
        if (error instanceof FreshetError && statements.length > 1) {
          throw new FreshetError(error.code, error.message, {
            line: error.line,
            column: error.column,
            cause: error,
            details: { statementIndex: index, results },
          });
        }
        throw error;
      }
    }
    return results;
  }

  /** Without the admin scope, every reading pass-through statement is checked against what the engine would do. */
  private async authorizeEffects(statements: readonly Statement[], ns: NameDefaults, scopes: readonly Scope[]) {
    if (scopes.includes('admin')) return;
    for (const [index, statement] of statements.entries()) {
      if (statement.kind !== 'passthrough') continue;
      const effects = await this.manager.inspectPassthrough(statement, ns);
      authorizeEffects(statement, index, statements.length, effects, scopes);
    }
  }

  private async execute(statement: Statement, ns: NameDefaults, signal?: AbortSignal): Promise<StatementResultJson> {
    switch (statement.kind) {
      case 'createDynamicTable':
        return ddl(await this.manager.create(statement, ns));
      case 'alterDynamicTable':
        return ddl(await this.manager.alter(statement, ns));
      case 'dropDynamicTable':
        return ddl(await this.manager.drop(statement, ns));
      case 'showDynamicTables':
        return this.showTables(statement.like);
      case 'showCreateDynamicTable': {
        const table = await this.manager.getTable(statement.name.parts.join('.'), ns);
        return { kind: 'rows', columns: ['create_statement'], rows: [[showCreate(table)]] };
      }
      case 'showRefreshes':
        return this.showRefreshes(statement, ns);
      case 'showSchemaHistory': {
        const view = await this.manager.schemaHistory(statement.name.parts.join('.'), ns);
        return { kind: 'rows', columns: SCHEMA_HISTORY_COLUMNS, rows: schemaHistoryRows(view) };
      }
      case 'describeDynamicTable':
        return this.describe(statement.name.parts.join('.'), ns);
      case 'showTables':
        return this.showEngineTables(statement.like, ns);
      case 'describeTable':
        return this.describeAny(statement.name, ns);
      case 'explainCreateDynamicTable':
      case 'explainAlterDynamicTable':
      case 'explainTableChange':
        return { kind: 'rows', columns: ['property', 'value'], rows: await this.manager.explain(statement, ns) };
      case 'showSources':
      case 'showPartitions':
      case 'showReadiness':
      case 'alterSource':
        return runRegistryStatement(this.manager, this.limits.rowLimit, statement, ns);
      case 'showFreshness':
        return showFreshness(this.manager, statement.like, this.limits.rowLimit);
      case 'showDatasets':
      case 'describeDataset':
      case 'searchDatasets':
        if (this.datasets === undefined) throw invalidState('Discovery does not run on this gateway.');
        return this.datasets.run(statement, this.limits.rowLimit);
      case 'passthrough':
        return this.passthrough(statement, ns, signal);
    }
  }

  private async showTables(like: string | null): Promise<StatementResultJson> {
    const pattern = like === null ? null : likeMatcher(like);
    const { tables } = await this.manager.summaries(0, Number.MAX_SAFE_INTEGER);
    const rows = tables
      .filter((t) => pattern === null || pattern.matches(t.name))
      .map((t) => [
        t.identifier,
        t.refreshMode,
        t.refreshStatus,
        t.freshness,
        t.validThrough,
        t.dataTimestamp,
        t.lagSeconds,
        t.engine,
        t.suspendedReason,
        t.lastRefresh?.state ?? null,
        t.lastRefresh?.at ?? null,
        shortError(t.lastRefresh?.error ?? null),
      ]);
    return {
      kind: 'rows',
      columns: [
        'name',
        'refresh_mode',
        'refresh_status',
        'freshness',
        'valid_through',
        'data_timestamp',
        'lag_seconds',
        'engine',
        'suspended_reason',
        'last_refresh_state',
        'last_refresh_at',
        'last_error',
      ],
      rows,
    };
  }

  /** The refresh history, newest first, with the columns of `GET /v3/dynamic-tables/{id}/refreshes`. */
  private async showRefreshes(statement: ShowRefreshes, ns: NameDefaults): Promise<StatementResultJson> {
    const { rowLimit } = this.limits;
    const wanted = statement.limit ?? Math.min(DEFAULT_SHOWN_REFRESHES, rowLimit);
    const limit = Math.min(wanted, rowLimit);
    const name = statement.name === null ? null : statement.name.parts.join('.');
    const refreshes = await this.manager.refreshHistory(name, { limit, offset: 0 }, ns);
    const rows = refreshes.map((r) => [
      r.jobId,
      r.table,
      r.trigger,
      r.scheduleTime,
      r.partition === null ? null : JSON.stringify(r.partition),
      r.state,
      r.rowsWritten,
      r.rowsDeleted,
      r.action,
      r.actionDetail,
      r.dataTimestamp,
      r.startedAt,
      r.finishedAt,
      r.error,
    ]);
    return {
      kind: 'rows',
      columns: REFRESH_COLUMNS,
      rows,
      ...(wanted > limit && rows.length === limit ? { truncated: true } : {}),
    };
  }

  private async showEngineTables(like: string | null, ns: NameDefaults): Promise<StatementResultJson> {
    const pattern = like === null ? null : likeMatcher(like);
    const rows = (await this.manager.engineTables(ns))
      .filter((t) => pattern === null || pattern.matches(t.name))
      .map((t) => [t.database, t.name, t.dynamic ? 'DYNAMIC TABLE' : 'TABLE']);
    return { kind: 'rows', columns: ['database', 'name', 'type'], rows };
  }

  private async describeAny(name: ObjectName, ns: NameDefaults): Promise<StatementResultJson> {
    const described = await this.manager.describeAnyTable(name, ns);
    if (described.kind === 'dynamic') return this.describe(described.table.identifier, ns);
    const pk = new Set(described.primaryKey.map((c) => c.toLowerCase()));
    return {
      kind: 'rows',
      columns: ['name', 'type', 'nullable', 'primary_key'],
      rows: described.columns.map((c) => [c.name, c.type, c.nullable, pk.has(c.name.toLowerCase())]),
      message: `${described.identifier}: a plain table (not a dynamic table).`,
    };
  }

  private async describe(text: string, ns: NameDefaults): Promise<StatementResultJson> {
    const t = await this.manager.getTable(text, ns);
    const detail = await this.manager.detail(t);
    const pk = new Set((t.primaryKey?.columns ?? []).map((c) => c.toLowerCase()));
    const partitions = new Set(t.partitionKeys.map((c) => c.toLowerCase()));
    const rows = t.schema.map((c) => [
      c.name,
      c.type,
      c.nullable,
      pk.has(c.name.toLowerCase()),
      partitions.has(c.name.toLowerCase()),
    ]);
    const last = detail.lastRefresh;
    const lastText = last ? `; last refresh ${last.state} at ${last.at}${last.error ? `: ${last.error}` : ''}` : '';
    const reason = t.suspendedReason ? ` (${t.suspendedReason})` : '';
    const lag =
      detail.lagSeconds === undefined
        ? 'never refreshed'
        : `valid through ${detail.validThrough} (data timestamp; lag ${detail.lagSeconds} s)`;
    return {
      kind: 'rows',
      columns: ['name', 'type', 'nullable', 'primary_key', 'partition_key'],
      rows,
      message:
        `${t.identifier} (${detail.location.engine}): ${t.refreshMode} refresh, ${t.refreshStatus}${reason}, ` +
        `freshness ${formatFreshness(t.freshness)}${t.cron ? `, CRON ${t.cron}` : ''}, ${lag}; incremental: ` +
        `${detail.incremental.eligible ? `eligible (${detail.incremental.shape})` : `no (${detail.incremental.reason})`}, refreshes are ${detail.incremental.applied === 'INCREMENTAL' ? 'incremental' : 'full'}` +
        `; reads ${detail.upstream.length}, read by ${detail.downstream.length}` +
        `; guards: ${guardsText(t)}` +
        lastText,
      table: detail,
    };
  }

  private async passthrough(
    statement: PassthroughStatement,
    ns: NameDefaults,
    stopped?: AbortSignal,
  ): Promise<StatementResultJson> {
    const result = await this.withTimeout(stopped, (signal) =>
      this.manager.runPassthrough(statement, ns, { rowLimit: this.limits.rowLimit, signal }),
    );
    if (result.kind === 'rows') {
      return {
        kind: 'rows',
        columns: result.columns,
        rows: result.rows,
        ...(result.truncated ? { truncated: true } : {}),
      };
    }
    return {
      kind: 'ok',
      message: `${statement.verb} OK, ${result.rowsAffected} row(s) affected.`,
      rowsAffected: result.rowsAffected,
    };
  }

  /** Runs `work` with a signal that aborts at `statements.timeoutSeconds` or when `stopped` does. */
  private async withTimeout<T>(stopped: AbortSignal | undefined, work: (signal: AbortSignal) => Promise<T>) {
    const seconds = this.limits.timeoutSeconds ?? DEFAULT_TIMEOUT_SECONDS;
    const timeout = new AbortController();
    const timer = setTimeout(() => {
      timeout.abort(
        statementTimeout(
          `The statement ran longer than statements.timeoutSeconds (${seconds} s) and was stopped on the engine.`,
        ),
      );
    }, seconds * 1000);
    const signal = stopped === undefined ? timeout.signal : AbortSignal.any([stopped, timeout.signal]);
    try {
      return await work(signal);
    } catch (error) {
      throw signal.aborted ? signal.reason : error;
    } finally {
      clearTimeout(timer);
    }
  }
}

function ddl(outcome: DdlOutcome): StatementResultJson {
  if (outcome.windows) {
    const { message, windows } = outcome;
    const rows = windows.map((w) => [w.jobId, w.scheduleTime, w.partition && JSON.stringify(w.partition)]);
    const jobIds = windows.map((w) => w.jobId);
    return { kind: 'rows', columns: ['job_id', 'schedule_time', 'partition'], rows, message, jobIds };
  }
  return {
    kind: 'ok',
    message: outcome.message,
    table: outcome.identifier,
    ...(outcome.job ? { jobId: outcome.job.jobId } : {}),
  };
}
