/**
 * The WorkflowScheduler extension point (after Flink's FLIP-448). A scheduler plugin creates, changes and
 * deletes the scheduler-side workflow that calls Freshet back on a table's CRON. It talks to the outside world
 * only; whatever it must remember it returns as a handler (stored by Freshet and handed back on every call) or
 * keeps in the {@link PluginStateStore} it is given.
 */
import type { ZodType } from 'zod';
import type { Freshness, PluginStateStore, RefreshHandler } from '../model';

export type { PluginStateStore, RefreshHandler } from '../model';

export interface RefreshSchedule {
  /** Canonical 7-field Quartz CRON (`0 0/5 * * * ? *`). */
  readonly quartzCron: string;
  /** 5-field Unix cron, or null when the schedule has second granularity. */
  readonly unixCron: string | null;
  readonly freshness: Freshness;
  /** IANA time zone the CRON is evaluated in. */
  readonly timeZone: string;
}

export interface CallbackTarget {
  /** Absolute URL of `POST /v3/dynamic-tables/refresh`. */
  readonly refreshUrl: string;
  /** Absolute URL prefix of `GET /v3/jobs/{jobId}` (append the job id). */
  readonly jobsUrl: string;
  /** Bearer token scoped to refresh callbacks and job reads; null when auth is off. */
  readonly token: string | null;
}

export interface CreateRefreshWorkflowRequest {
  /** The table identifier as Freshet prints it (`default.main.orders_daily`). */
  readonly tableIdentifier: string;
  /** The CREATE statement, for the scheduler's description of the workflow. */
  readonly statement: string;
  readonly schedule: RefreshSchedule;
  readonly initConfig: Readonly<Record<string, string>>;
  readonly executionConfig: Readonly<Record<string, string>>;
  readonly callback: CallbackTarget;
}

export type WorkflowModification =
  | { readonly kind: 'suspend' }
  | { readonly kind: 'resume'; readonly dynamicOptions: Readonly<Record<string, string>> }
  | { readonly kind: 'reschedule'; readonly schedule: RefreshSchedule };

export interface WorkflowInspection {
  readonly exists: boolean;
  /** Null when the workflow does not exist. */
  readonly paused: boolean | null;
  /** The schedule as the scheduler holds it (its own dialect), or null. */
  readonly schedule: string | null;
}

/** A workflow as the scheduler lists it, for drift checks. */
export interface ListedWorkflow {
  /** The table the workflow refreshes, as given at creation; null when the scheduler cannot tell. */
  readonly tableIdentifier: string | null;
  readonly handler: RefreshHandler;
  readonly paused: boolean | null;
}

/**
 * A scheduler plugin. Failures are thrown as FreshetError: SCHEDULER_ERROR (the scheduler refused or could not be
 * reached; the message carries the scheduler's own words) or VALIDATION_ERROR (the request cannot be scheduled
 * there, e.g. a second-level CRON on a minute-granularity scheduler). When a create fails half-way and the plugin
 * could not undo what it had made, it throws SCHEDULER_ERROR with `details: { orphanHandler }` so that the gateway
 * can delete the leftover later.
 */
export interface WorkflowScheduler {
  /** Connects and resumes whatever the scheduler runs in-process. Called once before any other call. */
  open(): Promise<void>;
  /** Stops timers and releases connections. */
  close(): Promise<void>;
  /** Creates and activates a periodic workflow; returns its handler. */
  createRefreshWorkflow(request: CreateRefreshWorkflowRequest): Promise<RefreshHandler>;
  /** Suspends, resumes or reschedules; returns the (possibly updated) handler. */
  modifyRefreshWorkflow(handler: RefreshHandler, modification: WorkflowModification): Promise<RefreshHandler>;
  /** Deletes the workflow. A workflow that is already gone is a success. */
  deleteRefreshWorkflow(handler: RefreshHandler): Promise<void>;
  /** What the scheduler holds for this handler, for drift checks. */
  inspect(handler: RefreshHandler): Promise<WorkflowInspection>;
  /** Every refresh workflow this plugin made that the scheduler still holds (to find ones Freshet no longer knows). */
  listRefreshWorkflows(): Promise<readonly ListedWorkflow[]>;
}

/** A refresh requested by an in-process scheduler: the same path as a REST callback. */
export interface ScheduledRefresh {
  readonly tables: readonly string[];
  readonly scheduleTime: Date;
  readonly configuration: Readonly<Record<string, string>>;
}

export interface SchedulerLogger {
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

/**
 * Which of several gateways sharing one catalog fires in-process schedules: exactly one of them, the holder of
 * the leader lease. Only schedulers that run inside the gateway need it.
 */
export interface SchedulerLeadership {
  /** True while this gateway holds the leader lease. */
  isLeader(): boolean;
  /** Calls `listener` whenever this gateway gains or loses the lease; returns a function that stops the calls. */
  onChange(listener: (leader: boolean) => void): () => void;
}

export interface SchedulerContext {
  /** Base URL of this gateway as schedulers should call it. */
  readonly gatewayUrl: string;
  readonly stateStore: PluginStateStore;
  readonly logger: SchedulerLogger;
  /** Current time; replaceable in tests. */
  now(): Date;
  /** For schedulers that run inside the gateway: fire a periodic refresh. Resolves when the job is accepted. */
  triggerRefresh(request: ScheduledRefresh): Promise<void>;
  /**
   * Present when several gateways may share the catalog, and with it the state store. A scheduler that runs
   * inside the gateway then fires only while `isLeader()`, and treats the state store as the truth, since other
   * gateways write workflows there too. Absent: this gateway is the only one and always fires.
   */
  readonly leadership?: SchedulerLeadership;
}

export interface WorkflowSchedulerFactory<Options = unknown> {
  /** The `scheduler.type` value that selects this plugin. */
  readonly identifier: string;
  /** Validates `scheduler.options`; every problem is reported at start-up. */
  readonly optionsSchema: ZodType<Options>;
  create(options: Options, context: SchedulerContext): WorkflowScheduler;
}
