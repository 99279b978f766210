/**
 * The Flink engine: source tables and dynamic tables live in a Flink catalog, refreshes run as Flink jobs
 * submitted through the Flink SQL Gateway (REST API v3). Every call opens its own session, configured with
 * the engine's session properties and the refresh's configuration, and closes it afterwards, also on failure;
 * no session state (SET, USE, temporary views) survives from one call to the next.
 */
import { FreshetError, engineError, messageOf, validationError } from '../../errors';
import type {
  ColumnInfo,
  ContinuousJob,
  ContinuousJobRunner,
  ContinuousJobSpec,
  Engine,
  EngineCapabilities,
  ExecuteOptions,
  RefreshOutcome,
  RefreshSpec,
  SqlDialect,
  StatementEffects,
  StatementResult,
  TableDefinition,
  TableDescription,
  TableRef,
} from '../engine';
import { inspectFlinkStatement } from './flink-inspect';
import { FLINK_TYPES } from './flink-type-names';
import { FlinkGatewayClient, type FlinkResult, type FlinkSession } from './flink-gateway-client';
import {
  TERMINAL_JOB_STATES,
  createStatementOf,
  describedTable,
  jobStatusOf,
  partitionKeysOf,
  shownTables,
} from './flink-introspection';
import { type FlinkEngineOptions, type FlinkEngineOptionsInput, parseFlinkEngineOptions } from './flink-options';
import {
  type FlinkNaming,
  INTERNAL_PREFIX,
  QUERY_VIEW,
  QUERY_VIEW_LINE_OFFSET,
  SHOW_JOBS_SQL,
  continuousSql,
  createTableSql,
  databaseOf,
  describeTableSql,
  dropTableSql,
  jobName,
  queryViewSql,
  quoteIdentifier,
  refreshSql,
  renameTableSql,
  showCreateTableSql,
  showTablesSql,
  stopJobSql,
  summaryName,
  useCatalogSql,
  useDatabaseSql,
} from './flink-sql';

/**
 * A table definition with its partition columns. The Engine contract's {@link TableDefinition} has none yet;
 * a caller that knows them passes them here so the table is created `PARTITIONED BY` them.
 */
export type FlinkTableDefinition = TableDefinition & { readonly partitionKeys?: readonly string[] };

const DEFAULT_DATABASE = 'default_database';
const hasPartition = (spec: RefreshSpec) => spec.partition !== null && Object.keys(spec.partition).length > 0;
const MISSING_TABLE = /doesn't exist|does not exist|not found/i;

/**
 * {@link Engine} on a Flink SQL Gateway.
 *
 * - `dialect` is 'mysql': node-sql-parser's dialects in the Engine contract have no Flink SQL, and MySQL's
 *   backtick quoting is the closest. Queries that MySQL's grammar cannot read (three-part names
 *   `cat`.`db`.`t`, Flink's window functions) are not analysed as precisely as on other engines.
 * - A FULL refresh is `INSERT OVERWRITE … SELECT` (see `flink-sql.ts`) in a session with
 *   `execution.runtime-mode = batch` and `table.dml-sync = true`, so the statement ends when the batch job
 *   does; the job id is reported as `clusterInfo['flink.job-id']`. A partition refresh relies on Flink's
 *   dynamic partition overwrite and is refused on tables not partitioned by the partition's columns, where it
 *   would replace every row. Like Flink's own materialized tables, a partition whose rows all disappeared
 *   from the source keeps its old rows (dynamic overwrite only replaces partitions the query writes).
 * - Rebuilds are not atomic (Flink has no transactional DDL): the new table is created and filled under a
 *   scratch name while readers keep the old one, then swapped in with two `ALTER TABLE … RENAME TO`; between
 *   those two catalog calls a reader may find no table.
 * - Pass-through results come as the gateway's JSON rows; BIGINT values beyond ±(2^53 − 1) lose precision.
 */
export class FlinkEngine implements Engine {
  readonly name = 'flink';
  readonly dialect: SqlDialect = 'mysql';
  readonly types = FLINK_TYPES;
  readonly #options: Readonly<FlinkEngineOptions>;
  readonly #client: FlinkGatewayClient;
  #database: string;

  constructor(options: FlinkEngineOptionsInput) {
    const parsed = parseFlinkEngineOptions(options);
    this.#options = Object.freeze({
      ...parsed,
      sessionProperties: Object.freeze({ ...parsed.sessionProperties }),
      tableOptions: Object.freeze({ ...parsed.tableOptions }),
    });
    this.#database = parsed.database ?? DEFAULT_DATABASE;
    this.#client = new FlinkGatewayClient({
      url: parsed.url,
      requestTimeoutMs: parsed.requestTimeoutMs,
      pollIntervalMs: parsed.pollIntervalMs,
      heartbeatIntervalMs: parsed.heartbeatIntervalMs,
    });
  }

  /** The database of tables whose reference names none: the configured one, else the catalog's current database, read at {@link open}. */
  get defaultDatabase(): string {
    return this.#database;
  }

  get #naming(): FlinkNaming {
    return { catalog: this.#options.catalog ?? null, defaultDatabase: this.#database };
  }

  capabilities(): EngineCapabilities {
    return { transactionalDdl: false, partitionedRefresh: true, otherDatabases: true };
  }

  // No `streaming` (cross-catalog reads and loads): loading rows through the gateway could not be atomic.
  readonly continuousJobs: ContinuousJobRunner = {
    start: (spec) => this.#startContinuousJob(spec),
    stop: (jobId) => this.#stopContinuousJob(jobId),
  };

  /** Checks that the gateway answers REST v3 and that the configured catalog and database can be used. */
  async open(): Promise<void> {
    await this.#client.info();
    try {
      await this.#inSession('check the configured catalog and database', this.#baseProperties(), async (session) => {
        const current = await session.execute('SHOW CURRENT DATABASE');
        const name = current.rows[0]?.[0];
        if (this.#options.database === undefined && typeof name === 'string' && name !== '') this.#database = name;
      });
    } catch (error) {
      if (error instanceof FreshetError && error.code === 'ENGINE_ERROR') throw error;
      throw engineError(
        `The Flink engine cannot use its catalog and database on ${this.#client.url}: ${messageOf(error)}`,
        error,
      );
    }
  }

  /** Nothing to release: sessions live only as long as each call. */
  async close(): Promise<void> {}

  async ping(): Promise<void> {
    await this.#client.info();
  }

  async listTables(): Promise<readonly TableRef[]> {
    const database = this.#database;
    const result = await this.#inSession('list tables', this.#baseProperties(), (session) =>
      session.execute(showTablesSql(database, this.#naming)),
    );
    return shownTables(result)
      .filter((name) => !name.startsWith(INTERNAL_PREFIX))
      .sort()
      .map((name) => ({ database, name }));
  }

  async describeTable(table: TableRef): Promise<TableDescription | null> {
    try {
      const result = await this.#inSession(`describe ${table.name}`, this.#baseProperties(), (session) =>
        session.execute(describeTableSql(table, this.#naming)),
      );
      return describedTable(result);
    } catch (error) {
      if (error instanceof FreshetError && error.code === 'VALIDATION_ERROR' && MISSING_TABLE.test(error.message))
        return null;
      throw error;
    }
  }

  /** Creates a temporary view of the query in a throwaway session and describes it; nothing runs. */
  async describeQuery(query: string): Promise<readonly ColumnInfo[]> {
    const result = await this.#inSession('describe a query', this.#baseProperties(), async (session) => {
      await session.execute(queryViewSql(query), { clientLineOffset: QUERY_VIEW_LINE_OFFSET });
      return session.execute(`DESCRIBE ${quoteIdentifier(QUERY_VIEW)}`);
    });
    return describedTable(result).columns;
  }

  async createTable(definition: FlinkTableDefinition): Promise<void> {
    const sql = createTableSql(definition, this.#naming, {
      tableOptions: this.#options.tableOptions,
      partitionKeys: definition.partitionKeys ?? [],
    });
    await this.#inSession(`create ${definition.table.name}`, this.#baseProperties(), (session) => session.execute(sql));
  }

  async dropTable(table: TableRef): Promise<void> {
    await this.#inSession(`drop ${table.name}`, this.#baseProperties(), (session) =>
      session.execute(dropTableSql(table, this.#naming)),
    );
  }

  async refresh(spec: RefreshSpec): Promise<RefreshOutcome> {
    const properties = this.#jobProperties(spec, 'refresh');
    return this.#inSession(`refresh ${summaryName(spec.table, this.#naming)}`, properties, (session) =>
      this.#overwrite(session, spec, properties),
    );
  }

  /** Fills a new table under a scratch name, then swaps it in by renaming (see the class notes). */
  async rebuildTable(definition: FlinkTableDefinition, refresh: RefreshSpec): Promise<RefreshOutcome> {
    const target = definition.table;
    const scratch: TableRef = { database: target.database, name: `${INTERNAL_PREFIX}_new_${target.name}` };
    const retired: TableRef = { database: target.database, name: `${INTERNAL_PREFIX}_old_${target.name}` };
    const properties = this.#jobProperties({ ...refresh, table: target }, 'refresh');
    const naming = this.#naming;
    const createScratch = createTableSql(definition, naming, {
      tableOptions: this.#options.tableOptions,
      partitionKeys: definition.partitionKeys ?? [],
      as: scratch,
    });
    return this.#inSession(`rebuild ${summaryName(target, naming)}`, properties, async (session) => {
      await session.execute(dropTableSql(scratch, naming)); // left over by an interrupted rebuild
      await session.execute(createScratch);
      try {
        const outcome = await this.#overwrite(session, { ...refresh, table: scratch }, properties);
        await this.#swap(session, target, scratch, retired);
        return outcome;
      } catch (error) {
        await session.execute(dropTableSql(scratch, naming)).catch(() => undefined);
        throw error;
      }
    });
  }

  async execute(sql: string, options: ExecuteOptions): Promise<StatementResult> {
    const rowLimit = Math.max(0, Math.floor(options.rowLimit));
    const result = await this.#inSession('run a statement', this.#baseProperties(), (session) =>
      session.execute(sql, { rowLimit, clientLineOffset: 0 }),
    );
    if (result.resultKind === 'SUCCESS') return { kind: 'update', rowsAffected: 0 };
    return {
      kind: 'rows',
      columns: result.columns.map((column) => column.name),
      rows: result.rows,
      truncated: result.truncated,
    };
  }

  /** Read from the statement's tokens; nothing is sent to the gateway (see `flink-inspect.ts`). */
  async inspectStatement(sql: string): Promise<StatementEffects> {
    return inspectFlinkStatement(sql, this.#options.catalog, this.#database);
  }

  /** Submits the streaming `INSERT INTO` and returns as soon as Flink has accepted the job. */
  async #startContinuousJob(spec: ContinuousJobSpec): Promise<ContinuousJob> {
    if (hasPartition(spec)) {
      throw validationError(
        `A continuous job maintains all of ${quoteIdentifier(spec.table.name)}; it cannot be limited to a partition.`,
      );
    }
    // As Flink does for its materialized tables: the freshness is the checkpoint interval.
    const properties = this.#jobProperties(spec, 'continuous', {
      'execution.checkpointing.interval': `${spec.freshnessSeconds} s`,
    });
    const result = await this.#inSession(
      `start the continuous job of ${summaryName(spec.table, this.#naming)}`,
      properties,
      (session) => session.execute(continuousSql(spec, this.#naming)),
    );
    const clusterInfo = this.#clusterInfo(result, properties);
    return { jobId: clusterInfo['flink.job-id'] ?? '', clusterInfo };
  }

  /** `STOP JOB '<id>'` (a cancel, without savepoint); a job the cluster no longer lists, or that has ended, is left alone. */
  async #stopContinuousJob(jobId: string): Promise<void> {
    const stop = stopJobSql(jobId);
    await this.#inSession(`stop job ${jobId}`, this.#baseProperties(), async (session) => {
      const gone = async () => {
        const status = jobStatusOf(await session.execute(SHOW_JOBS_SQL), jobId);
        return status === null || TERMINAL_JOB_STATES.has(status);
      };
      if (await gone()) return;
      try {
        await session.execute(stop);
      } catch (error) {
        // The job may have ended between SHOW JOBS and STOP JOB.
        if (!(await gone())) throw error;
      }
    });
  }

  /** The engine's session properties; `execution.target` first so `sessionProperties` may override it. */
  #baseProperties(): Record<string, string> {
    return { 'execution.target': this.#options.executionTarget, ...this.#options.sessionProperties };
  }

  /**
   * Properties of a job's session: the table's configuration over the engine's and over `derived` (what the engine
   * derives from the table), the runtime mode over all.
   */
  #jobProperties(
    spec: RefreshSpec,
    kind: 'refresh' | 'continuous',
    derived: Record<string, string> = {},
  ): Record<string, string> {
    return {
      ...this.#baseProperties(),
      'pipeline.name': jobName(spec.table, this.#naming, kind),
      ...derived,
      ...spec.configuration,
      'execution.runtime-mode': kind === 'refresh' ? 'batch' : 'streaming',
      // Batch: the statement ends when the job does. Streaming: it ends once the job is submitted.
      'table.dml-sync': kind === 'refresh' ? 'true' : 'false',
    };
  }

  async #inSession<T>(
    purpose: string,
    properties: Readonly<Record<string, string>>,
    work: (session: FlinkSession) => Promise<T>,
  ): Promise<T> {
    return this.#client.withSession(properties, `freshet: ${purpose}`, async (session) => {
      if (this.#options.catalog !== undefined) await session.configure(useCatalogSql(this.#options.catalog));
      if (this.#options.database !== undefined) await session.configure(useDatabaseSql(this.#options.database));
      return work(session);
    });
  }

  async #overwrite(
    session: FlinkSession,
    spec: RefreshSpec,
    properties: Readonly<Record<string, string>>,
  ): Promise<RefreshOutcome> {
    if (hasPartition(spec)) await this.#requirePartitionedBy(session, spec);
    const result = await session.execute(refreshSql(spec, this.#naming));
    return { rowsWritten: -1, rowsDeleted: -1, clusterInfo: this.#clusterInfo(result, properties) };
  }

  /** A filtered INSERT OVERWRITE on a table not partitioned by the filter's columns would replace every row. */
  async #requirePartitionedBy(session: FlinkSession, spec: RefreshSpec): Promise<void> {
    const keys = partitionKeysOf(
      createStatementOf(await session.execute(showCreateTableSql(spec.table, this.#naming))),
    );
    const wanted = Object.keys(spec.partition ?? {});
    const missing = wanted.filter(
      (name) => !keys.some((key) => key === name || key.toLowerCase() === name.toLowerCase()),
    );
    if (missing.length === 0) return;
    const shape = keys.length === 0 ? 'not partitioned' : `partitioned by (${keys.join(', ')})`;
    throw validationError(
      `Cannot refresh only the partition ` +
        `(${wanted.map((name) => `${name} = '${spec.partition?.[name]}'`).join(', ')}) of ` +
        `${summaryName(spec.table, this.#naming)}: in Flink the table is ${shape}, and INSERT OVERWRITE replaces ` +
        `only the ` +
        `partitions it writes on a table partitioned by those columns; on this table it would replace every row. ` +
        `Partition the table by ${missing.join(', ')}, or refresh it whole.`,
    );
  }

  /** Renames the filled scratch table into place, keeping the old table until the new one is there. */
  async #swap(session: FlinkSession, target: TableRef, scratch: TableRef, retired: TableRef): Promise<void> {
    const naming = this.#naming;
    const existing = shownTables(await session.execute(showTablesSql(databaseOf(target, naming), naming)));
    await session.execute(dropTableSql(retired, naming));
    const hadTarget = existing.includes(target.name);
    if (hadTarget) await session.execute(renameTableSql(target, retired.name, naming));
    try {
      await session.execute(renameTableSql(scratch, target.name, naming));
    } catch (error) {
      if (hadTarget) await session.execute(renameTableSql(retired, target.name, naming)).catch(() => undefined);
      throw error;
    }
    // The rebuild has succeeded; a retired table that cannot be dropped now is dropped by the next rebuild.
    if (hadTarget) await session.execute(dropTableSql(retired, naming)).catch(() => undefined);
  }

  #clusterInfo(result: FlinkResult, properties: Readonly<Record<string, string>>): Record<string, string> {
    const jobColumn = result.columns.findIndex((column) => column.name.toLowerCase() === 'job id');
    const fromRow = jobColumn < 0 ? undefined : result.rows[0]?.[jobColumn];
    const jobId = result.jobId ?? (typeof fromRow === 'string' ? fromRow : null);
    if (jobId === null || jobId === '') {
      throw engineError(`The Flink SQL Gateway at ${this.#client.url} accepted the job but reported no job id.`);
    }
    return {
      'flink.job-id': jobId,
      'execution.target': properties['execution.target'] ?? this.#options.executionTarget,
    };
  }
}
