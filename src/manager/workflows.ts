/**
 * The scheduler side of FULL tables: creating a table's workflow with a callback token of its own, the schedule
 * it fires on, workflows failed creates left behind, and scheduler failures in Freshet's words.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Catalog } from '../catalog/catalog';
import type { DynamicTableRecord } from '../catalog/records';
import { FreshetError, messageOf } from '../errors';
import { freshnessToQuartzCron, quartzToUnixCron } from '../freshness';
import type { Logger } from '../logger';
import type { RefreshHandler, RefreshSchedule, WorkflowScheduler } from '../scheduler/workflow-scheduler';
import type { ManagerSettings } from './manager-types';
import type { DriftReport } from './scheduler-drift';

const CALLBACK_TOKEN_PREFIX = 'fcb_';
const hashToken = (token: string) => createHash('sha256').update(token).digest('hex');

export type WorkflowSettings = Pick<ManagerSettings, 'schedulerType' | 'timeZone' | 'callback' | 'authEnabled'>;

export class Workflows {
  constructor(
    private readonly catalog: Catalog,
    readonly scheduler: WorkflowScheduler,
    private readonly settings: WorkflowSettings,
    private readonly logger: Logger,
  ) {}

  /** The schedule a FULL table's workflow fires on, in every dialect a scheduler may want. */
  schedule(record: DynamicTableRecord): RefreshSchedule {
    const quartzCron = record.cron ?? freshnessToQuartzCron(record.freshness);
    return {
      quartzCron,
      unixCron: quartzToUnixCron(quartzCron),
      freshness: record.freshness,
      timeZone: this.settings.timeZone,
    };
  }

  /**
   * Creates a table's workflow with a callback token of its own (refresh calls and job reads only). A workflow a
   * failed create left behind is recorded, to be deleted when the scheduler answers again.
   */
  async create(record: DynamicTableRecord, statement: string): Promise<RefreshHandler> {
    let token: string | null = null;
    if (this.settings.authEnabled) {
      token = `${CALLBACK_TOKEN_PREFIX}${randomBytes(32).toString('base64url')}`;
      await this.catalog.insertCallbackToken(hashToken(token), record.key, new Date().toISOString());
    }
    try {
      return await this.call(`create the refresh workflow of ${record.identifier}`, () =>
        this.scheduler.createRefreshWorkflow({
          tableIdentifier: record.identifier,
          statement,
          schedule: this.schedule(record),
          initConfig: {},
          executionConfig: {},
          callback: { ...this.settings.callback, token },
        }),
      );
    } catch (error) {
      if (token !== null) await this.catalog.deleteCallbackTokens(record.key, undefined).catch(() => undefined);
      const details = error instanceof FreshetError ? error.details : undefined;
      const orphan = (details as { orphanHandler?: RefreshHandler } | undefined)?.orphanHandler;
      if (orphan) {
        await this.catalog.insertOrphan({
          schedulerType: this.settings.schedulerType,
          tableIdentifier: record.identifier,
          handler: orphan,
          reason: messageOf(error),
          createdAt: new Date().toISOString(),
        });
      }
      throw error;
    }
  }

  suspend(table: DynamicTableRecord, handler: RefreshHandler): Promise<RefreshHandler> {
    return this.call(`suspend the refresh workflow of ${table.identifier}`, () =>
      this.scheduler.modifyRefreshWorkflow(handler, { kind: 'suspend' }),
    );
  }

  resume(table: DynamicTableRecord, handler: RefreshHandler, options: Readonly<Record<string, string>>) {
    return this.call(`resume the refresh workflow of ${table.identifier}`, () =>
      this.scheduler.modifyRefreshWorkflow(handler, { kind: 'resume', dynamicOptions: options }),
    );
  }

  reschedule(table: DynamicTableRecord, handler: RefreshHandler): Promise<RefreshHandler> {
    return this.call(`reschedule the refresh workflow of ${table.identifier}`, () =>
      this.scheduler.modifyRefreshWorkflow(handler, { kind: 'reschedule', schedule: this.schedule(table) }),
    );
  }

  delete(table: DynamicTableRecord, handler: RefreshHandler): Promise<void> {
    return this.call(`delete the refresh workflow of ${table.identifier}`, () =>
      this.scheduler.deleteRefreshWorkflow(handler),
    );
  }

  /** True when `token` is a callback token minted for a workflow that still exists. */
  async isCallbackToken(token: string): Promise<boolean> {
    if (!token.startsWith(CALLBACK_TOKEN_PREFIX)) return false;
    return (await this.catalog.callbackTokenTable(hashToken(token))) !== null;
  }

  /** Deletes workflows failed CREATEs left behind; returns the ones the scheduler still refuses to delete. */
  async cleanOrphans(): Promise<DriftReport['orphansPending']> {
    const pending: Array<{ tableIdentifier: string; reason: string | null }> = [];
    for (const orphan of await this.catalog.listOrphans(this.settings.schedulerType)) {
      try {
        await this.scheduler.deleteRefreshWorkflow(orphan.handler);
        await this.catalog.deleteOrphan(orphan.id);
        this.logger.info('deleted a workflow a failed CREATE left behind', { table: orphan.tableIdentifier });
      } catch (error) {
        pending.push({ tableIdentifier: orphan.tableIdentifier, reason: messageOf(error) });
      }
    }
    return pending;
  }

  /** Scheduler failures become SCHEDULER_ERROR (502) carrying the scheduler's own message. */
  private async call<T>(what: string, call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (error) {
      if (error instanceof FreshetError && error.code !== 'INTERNAL' && error.code !== 'SCHEDULER_ERROR') throw error;
      const message = `Scheduler '${this.settings.schedulerType}' could not ${what}: ${messageOf(error)}`;
      throw new FreshetError('SCHEDULER_ERROR', message, {
        cause: error,
        details: error instanceof FreshetError ? error.details : undefined,
      });
    }
  }
}
