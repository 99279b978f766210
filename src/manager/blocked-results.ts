/**
 * What an operator does with a refresh result a publish guard blocked (DESIGN.md §12): publish it anyway, or
 * discard it. Both run under the table's lock, are recorded on the refresh's history row (who, when) and logged. A
 * result that a later successful refresh superseded can be neither: its staged copy is dropped instead.
 */
import type { DynamicTableRecord, HistoryRecord, JobRecord } from '../catalog/records';
import type { RefreshOutcome, RefreshSpec, TableRef } from '../engine/engine';
import { FreshetError, invalidState, messageOf, notFound, validationError } from '../errors';
import type { GuardResolution } from '../model';
import { refreshIdOf } from '../refresh/refresh-ledger';
import type { RefreshEnded } from '../refresh/refresh-runner';
import { PUBLISH_BLOCKED_ALERT, publishBlockedAlert, publishBlockedResolved } from './freshness-alerts';
import type { ManagerParts } from './manager-parts';
import { formatPartition } from './messages';

/** Which blocked result to decide on, and who decides. */
export interface BlockedResultRequest {
  readonly jobId: string;
  /** The table, when the job blocked several. */
  readonly table?: string;
  /** Who asks, when the gateway knows (a token's name). */
  readonly actor: string | null;
}

export interface BlockedResultOutcome {
  readonly message: string;
  readonly jobId: string;
  readonly table: string;
  readonly partition: Readonly<Record<string, string>> | null;
  readonly resolution: GuardResolution;
  readonly resolvedBy: string | null;
  readonly resolvedAt: string;
  /** Rows the published result put in place (and removed); absent for a discard. */
  readonly rowsWritten?: number;
  readonly rowsDeleted?: number;
}

/** Why there is nothing to decide, as `details.reason` of the 409. */
type Refusal = 'NOTHING_BLOCKED' | 'ALREADY_RESOLVED' | 'SUPERSEDED';

const refuse = (reason: Refusal, message: string) =>
  new FreshetError('INVALID_STATE', message, { details: { reason } });

export class BlockedResults {
  constructor(private readonly parts: ManagerParts) {}

  /** Replaces the table's rows (or the partition's) by the blocked result, past its guards. */
  publish(request: BlockedResultRequest): Promise<BlockedResultOutcome> {
    return this.decide(request, 'PUBLISHED', async (job, row, table) => {
      const outcome = await this.putInPlace(job, row, table);
      const at = new Date().toISOString();
      const by = request.actor === null ? '' : ` by ${request.actor}`;
      const recorded = await this.parts.catalog.jobs.resolveBlocked(job.jobId, row.tableKey, {
        state: 'SUCCEEDED',
        rowsWritten: outcome.rowsWritten,
        rowsDeleted: outcome.rowsDeleted,
        action: outcome.action ?? 'FULL',
        actionDetail: `published past its publish guards${by} at ${at}: ${row.error ?? 'blocked'}`,
        error: null,
        staged: null,
        resolution: 'PUBLISHED',
        resolvedBy: request.actor,
        resolvedAt: at,
      });
      if (!recorded) throw refuse('ALREADY_RESOLVED', `The blocked result of ${row.identifier} was decided meanwhile.`);
      await this.parts.runner.published(job, { table, partition: row.partition }, row.dataTimestamp);
      return { at, rows: outcome };
    });
  }

  /** Forgets the blocked result; the table keeps the rows it has. */
  discard(request: BlockedResultRequest): Promise<BlockedResultOutcome> {
    return this.decide(request, 'DISCARDED', async (job, row, table) => {
      await this.dropStaged(table, row);
      const at = new Date().toISOString();
      const recorded = await this.parts.catalog.jobs.resolveBlocked(job.jobId, row.tableKey, {
        staged: null,
        resolution: 'DISCARDED',
        resolvedBy: request.actor,
        resolvedAt: at,
      });
      if (!recorded) throw refuse('ALREADY_RESOLVED', `The blocked result of ${row.identifier} was decided meanwhile.`);
      return { at, rows: null };
    });
  }

  /**
   * Alerts on a result a guard blocked, saying how to publish or discard it; a later successful refresh of the table
   * settles the alert. Must not throw (a refresh listener).
   */
  observe(end: RefreshEnded): void {
    if (end.state === 'SUCCEEDED') {
      this.settleAlert(end.table, end.at, `job ${end.jobId} refreshed it since`);
      return;
    }
    if (end.state !== 'BLOCKED') return;
    const what =
      `${end.error ?? 'Blocked by a publish guard.'} The table keeps its rows. POST /v3/jobs/${end.jobId}/publish ` +
      `publishes the result anyway; POST /v3/jobs/${end.jobId}/discard drops it.`;
    this.parts.alerts.notify(publishBlockedAlert(end.table, what, end.at, end.jobId));
  }

  /** Drops the staged results of a table that is going away (its engine may keep them beside it). */
  async forgetTable(table: DynamicTableRecord): Promise<void> {
    const engine = this.parts.namespaces.engineOf(table.catalogName);
    if (engine.staging === undefined) return;
    for (const staged of await this.parts.catalog.jobs.stagedOfTable(table.key)) {
      await engine.staging.discard(refOf(table), staged).catch((error: unknown) => {
        this.parts.logger.warn('could not drop a staged result of a dropped table', {
          table: table.identifier,
          staged,
          error: messageOf(error),
        });
      });
    }
  }

  /**
   * Finds the blocked refresh, then, under the table's lock, checks it is still undecided and not superseded, runs
   * `work`, logs the decision and settles the table's publish-blocked alert.
   */
  private async decide(
    request: BlockedResultRequest,
    resolution: GuardResolution,
    work: (
      job: JobRecord,
      row: HistoryRecord,
      table: DynamicTableRecord,
    ) => Promise<{ at: string; rows: RefreshOutcome | null }>,
  ): Promise<BlockedResultOutcome> {
    const { catalog, runner, logger } = this.parts;
    const job = await catalog.jobs.get(request.jobId);
    if (job === null) throw notFound(`Refresh job ${request.jobId} does not exist.`);
    const found = await this.blockedRow(job, request.table);
    const verb = resolution === 'PUBLISHED' ? 'publish' : 'discard';
    const done = await runner.exclusive(found.tableKey, async () => {
      const row = (await catalog.jobs.historyOfJob(job.jobId)).find((h) => h.tableKey === found.tableKey) ?? found;
      refuseIfResolved(row, job);
      const table = await catalog.getTable(row.tableKey);
      if (table === null) throw refuse('NOTHING_BLOCKED', `${row.identifier} no longer exists.`);
      await this.refuseIfSuperseded(job, row, table, verb);
      return { row, table, ...(await work(job, row, table)) };
    });
    const { row, table, at, rows } = done;
    const where = row.partition === null ? '' : ` (partition ${formatPartition(row.partition)})`;
    logger.info(`blocked refresh ${resolution.toLowerCase()}`, {
      table: table.identifier,
      job: job.jobId,
      partition: row.partition ?? undefined,
      resolvedBy: request.actor ?? undefined,
      rows: rows?.rowsWritten,
      blockedBy: row.error ?? undefined,
    });
    const settled = resolution === 'PUBLISHED' ? 'its result was published' : 'its result was discarded';
    this.settleAlert(table.identifier, at, settled);
    const message =
      resolution === 'PUBLISHED'
        ? `Published the blocked result of ${table.identifier}${where} from job ${job.jobId}: ` +
          `${rows?.rowsWritten ?? 0} row(s) in place of ${rows?.rowsDeleted ?? 0}.`
        : `Discarded the blocked result of ${table.identifier}${where} from job ${job.jobId}; the table keeps its rows.`;
    return {
      message,
      jobId: job.jobId,
      table: table.identifier,
      partition: row.partition,
      resolution,
      resolvedBy: request.actor,
      resolvedAt: at,
      ...(rows === null ? {} : { rowsWritten: rows.rowsWritten, rowsDeleted: rows.rowsDeleted }),
    };
  }

  /** The job's blocked refresh: of the named table, or the only one. */
  private async blockedRow(job: JobRecord, text: string | undefined): Promise<HistoryRecord> {
    const history = await this.parts.catalog.jobs.historyOfJob(job.jobId);
    const blocked = history.filter((h) => h.state === 'BLOCKED' || h.resolution !== null);
    if (text !== undefined) {
      const table = await this.parts.lookup.requireText(text);
      const row = history.find((h) => h.tableKey === table.key);
      if (row === undefined) {
        throw validationError(
          `Job ${job.jobId} did not refresh ${table.identifier}; it refreshed ` +
            `${history.map((h) => h.identifier).join(', ')}.`,
        );
      }
      if (!blocked.includes(row)) {
        throw refuse(
          'NOTHING_BLOCKED',
          `The refresh of ${row.identifier} in job ${job.jobId} was not blocked by a publish guard (it is ${row.state}).`,
        );
      }
      return row;
    }
    const [only, ...others] = blocked;
    if (only === undefined) {
      throw refuse(
        'NOTHING_BLOCKED',
        `Job ${job.jobId} has no result blocked by a publish guard (it is ${job.status}); there is nothing to ` +
          'publish or discard.',
      );
    }
    if (others.length > 0) {
      throw validationError(
        `Job ${job.jobId} blocked the results of ${blocked.map((h) => h.identifier).join(', ')}; name one in the ` +
          `body, as in {"table": "${only.identifier}"}.`,
      );
    }
    return only;
  }

  /**
   * A later successful refresh of the table (or of the row's partition) holds newer data than the blocked result:
   * publishing it would go back in time, and discarding it is moot. Its staged copy is dropped.
   */
  private async refuseIfSuperseded(
    job: JobRecord,
    row: HistoryRecord,
    table: DynamicTableRecord,
    verb: string,
  ): Promise<void> {
    const later = (await this.parts.catalog.jobs.successesAfter(row.tableKey, row.id)).find(
      (h) => h.action !== 'NO_DATA' && covers(h.partition, row.partition),
    );
    if (later === undefined) return;
    if (row.staged !== null) {
      await this.dropStaged(table, row);
      await this.parts.catalog.jobs.updateHistory(job.jobId, row.tableKey, { staged: null });
    }
    this.settleAlert(table.identifier, new Date().toISOString(), `job ${later.jobId} refreshed it since`);
    throw refuse(
      'SUPERSEDED',
      `The blocked result of ${row.identifier} in job ${job.jobId} is superseded: job ${later.jobId} refreshed the ` +
        `table successfully after it (finished ${later.finishedAt ?? later.scheduleTime}). Nothing to ${verb}; ` +
        'the blocked result was dropped.',
    );
  }

  /** The staged result, or the refresh again without guards where the engine kept none (an incremental refresh). */
  private async putInPlace(job: JobRecord, row: HistoryRecord, table: DynamicTableRecord): Promise<RefreshOutcome> {
    const { namespaces, strategy } = this.parts;
    const refreshId = refreshIdOf(job.jobId, table.key);
    if (row.staged === null) {
      return strategy.refresh({ table, partition: row.partition, refreshId, unguarded: true }, job.configuration);
    }
    const staging = namespaces.engineOf(table.catalogName).staging;
    if (staging === undefined) {
      throw invalidState(`The engine of ${table.identifier} keeps no blocked results; refresh the table instead.`);
    }
    const spec: RefreshSpec = {
      table: refOf(table),
      query: table.definitionQuery,
      columns: table.columnMapping,
      partition: row.partition,
      configuration: job.configuration,
      refreshId,
    };
    return staging.publish(spec, row.staged);
  }

  private async dropStaged(table: DynamicTableRecord, row: HistoryRecord): Promise<void> {
    if (row.staged === null) return;
    await this.parts.namespaces.engineOf(table.catalogName).staging?.discard(refOf(table), row.staged);
  }

  private settleAlert(table: string, at: string, why: string): void {
    const { alerts } = this.parts;
    for (const fired of alerts.firingOf(PUBLISH_BLOCKED_ALERT, table)) {
      alerts.notify(publishBlockedResolved(fired, at, why));
    }
  }
}

function refuseIfResolved(row: HistoryRecord, job: JobRecord): void {
  if (row.resolution === null) return;
  const by = row.resolvedBy === null ? '' : ` by ${row.resolvedBy}`;
  throw refuse(
    'ALREADY_RESOLVED',
    `The blocked result of ${row.identifier} in job ${job.jobId} was already ${row.resolution.toLowerCase()}${by} at ` +
      `${row.resolvedAt ?? 'an unknown time'}.`,
  );
}

/** Whether a refresh of `later` (a partition, or null: the whole table) rewrote what `blocked` would have. */
function covers(
  later: Readonly<Record<string, string>> | null,
  blocked: Readonly<Record<string, string>> | null,
): boolean {
  if (later === null) return true;
  if (blocked === null) return false;
  const lower = (p: Readonly<Record<string, string>>) =>
    JSON.stringify(
      Object.entries(p)
        .map(([k, v]) => [k.toLowerCase(), v])
        .sort(),
    );
  return lower(later) === lower(blocked);
}

function refOf(table: DynamicTableRecord): TableRef {
  return { database: table.databaseName, name: table.tableName };
}
