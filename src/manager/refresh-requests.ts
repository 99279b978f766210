/**
 * Refresh requests, whoever sends them (a scheduler's callback, ALTER … REFRESH, CREATE, the continuous
 * runner): the tables are resolved and checked, put upstream first, given their partition, and submitted as
 * one job.
 */
import type { DynamicTableRecord, JobRecord, RefreshTrigger } from '../catalog/records';
import { invalidState, validationError } from '../errors';
import {
  checkPartitionValues,
  isValidTimeZone,
  parseScheduleTime,
  partitionFormatters,
  periodicPartition,
} from '../freshness';
import type { RefreshRunner, TableRefresh } from '../refresh/refresh-runner';
import type { CatchUp } from './catch-up';
import type { RefreshRequest } from './manager-types';
import type { TableLookup } from './table-lookup';

/** Longest a statement waits on a job it started itself and must see finish (ALTER … AS, continuous ticks). */
export const WAIT_FOR_OWN_JOB_MS = 24 * 3600 * 1000;

export class RefreshRequests {
  constructor(
    private readonly lookup: TableLookup,
    private readonly runner: RefreshRunner,
    private readonly timeZone: string,
    /** Submits the windows a partitioned table missed before a scheduled tick; none when absent. */
    private readonly catchUp: CatchUp | null = null,
  ) {}

  /** The refresh callback: resolves the tables, checks the request, and submits one job (idempotent). */
  async request(request: RefreshRequest): Promise<JobRecord> {
    if (request.tables.length === 0) throw validationError('tables must name at least one dynamic table.');
    const timeZone = request.timeZone ?? this.timeZone;
    if (!isValidTimeZone(timeZone)) {
      throw validationError(`Unknown time zone '${timeZone}'; use an IANA name such as UTC or Europe/Berlin.`);
    }
    const isPeriodic = request.isPeriodic ?? request.scheduleTime !== undefined;
    const tables = await this.tablesOf(request.tables, isPeriodic);
    const scheduleTime =
      request.scheduleTime === undefined
        ? new Date()
        : request.scheduleTime instanceof Date
          ? request.scheduleTime
          : parseScheduleTime(request.scheduleTime, timeZone);
    const given = request.staticPartitions;
    const staticPartitions = given && Object.keys(given).length > 0 ? given : null;
    if (staticPartitions) for (const table of tables) checkPartitionSpec(table, staticPartitions);
    const partitionOf = (table: DynamicTableRecord) => {
      if (isPeriodic) return periodicPartitionOf(table, scheduleTime, timeZone);
      return staticPartitions;
    };
    const refreshes: TableRefresh[] = upstreamFirst(tables).map((table) => ({ table, partition: partitionOf(table) }));
    const trigger = request.trigger ?? (isPeriodic ? 'SCHEDULED' : 'MANUAL');
    if (isPeriodic && trigger === 'SCHEDULED' && request.scheduleTime !== undefined) {
      await this.catchUpBefore(refreshes, scheduleTime, timeZone, request.configuration ?? {});
    }
    return this.runner.submit({
      refreshes,
      scheduleTime,
      deduplicate: request.scheduleTime !== undefined,
      trigger,
      isPeriodic,
      configuration: request.configuration ?? {},
      staticPartitions,
    });
  }

  /**
   * One window's refresh for the tick `tick`, deduplicated per window like a scheduler's callback: a missed tick
   * caught up (periodic, SCHEDULED: the same job the scheduler's own callback for that tick gets) or a backfilled
   * window (that window's partition, MANUAL).
   */
  submitWindow(
    table: DynamicTableRecord,
    tick: Date,
    purpose: 'catchUp' | 'backfill',
    options: { readonly timeZone?: string; readonly configuration?: Readonly<Record<string, string>> } = {},
  ): Promise<JobRecord> {
    const partition = periodicPartitionOf(table, tick, options.timeZone ?? this.timeZone);
    const periodic = purpose === 'catchUp';
    return this.runner.submit({
      refreshes: [{ table, partition }],
      scheduleTime: tick,
      deduplicate: true,
      trigger: periodic ? 'SCHEDULED' : 'MANUAL',
      isPeriodic: periodic,
      configuration: options.configuration ?? {},
      staticPartitions: periodic ? null : partition,
    });
  }

  /** Submits refreshes Freshet itself decided on (CREATE's initial refresh, a rebuild), never deduplicated. */
  submit(refreshes: TableRefresh[], trigger: RefreshTrigger): Promise<JobRecord> {
    return this.runner.submit({
      refreshes,
      trigger,
      scheduleTime: new Date(),
      deduplicate: false,
      isPeriodic: false,
      configuration: {},
      staticPartitions: null,
    });
  }

  waitFor(jobId: string, timeoutMs: number): Promise<JobRecord | null> {
    return this.runner.waitFor(jobId, Math.max(0, timeoutMs));
  }

  /** Before tick `tick`: one job per window each partitioned table missed, oldest first. */
  private async catchUpBefore(
    refreshes: readonly TableRefresh[],
    tick: Date,
    timeZone: string,
    configuration: Readonly<Record<string, string>>,
  ): Promise<void> {
    if (this.catchUp === null) return;
    for (const { table, partition } of refreshes) {
      if (partition === null) continue;
      for (const missed of await this.catchUp.missedTicks(table, tick)) {
        await this.submitWindow(table, missed, 'catchUp', { timeZone, configuration });
      }
    }
  }

  private async tablesOf(texts: readonly string[], isPeriodic: boolean): Promise<DynamicTableRecord[]> {
    const tables: DynamicTableRecord[] = [];
    for (const text of texts) {
      const table = await this.lookup.requireText(text);
      if (tables.some((t) => t.key === table.key)) continue;
      if (table.refreshStatus === 'INITIALIZING') {
        throw invalidState(`Dynamic table ${table.identifier} is still being created.`);
      }
      if (isPeriodic && table.refreshStatus === 'SUSPENDED') {
        throw invalidState(
          `Dynamic table ${table.identifier} is suspended, so its scheduled refreshes do not run. Resume it, or ` +
            `send isPeriodic=false for a one-off refresh.`,
        );
      }
      tables.push(table);
    }
    return tables;
  }
}

function periodicPartitionOf(table: DynamicTableRecord, scheduleTime: Date, timeZone: string) {
  const formatters = partitionFormatters(table.options);
  if (Object.keys(formatters).length === 0) return null;
  return periodicPartition(scheduleTime, table.freshness, formatters, timeZone);
}

/** Unknown partition keys, and values a key's date formatter cannot produce, are validation errors. */
function checkPartitionSpec(table: DynamicTableRecord, spec: Readonly<Record<string, string>>): void {
  const known = (k: string) => table.partitionKeys.some((p) => p.toLowerCase() === k.toLowerCase());
  const unknown = Object.keys(spec).filter((k) => !known(k));
  if (unknown.length > 0) {
    const keys = table.partitionKeys.join(', ') || '(none: the table is not partitioned)';
    throw validationError(
      `The partition spec of ${table.identifier} contains unknown partition keys: ${unknown.join(', ')}. All ` +
        `known partition keys are: ${keys}.`,
    );
  }
  checkPartitionValues(spec, partitionFormatters(table.options));
}

/** Orders tables so that each comes after the listed tables it reads. */
function upstreamFirst(tables: readonly DynamicTableRecord[]): DynamicTableRecord[] {
  const listed = new Map(tables.map((t) => [t.key, t]));
  const ordered: DynamicTableRecord[] = [];
  const seen = new Set<string>();
  const visit = (t: DynamicTableRecord) => {
    if (seen.has(t.key)) return;
    seen.add(t.key);
    for (const source of t.sourceTables) {
      const upstream = listed.get(source);
      if (upstream) visit(upstream);
    }
    ordered.push(t);
  };
  tables.forEach(visit);
  return ordered;
}
