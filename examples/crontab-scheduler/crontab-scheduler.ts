/**
 * An example third-party scheduler plugin: each FULL dynamic table becomes an entry in a crontab file that the
 * system's cron daemon runs, calling Freshet back with curl. It uses only Freshet's plugin API
 * (`src/plugin-api.ts`, also exported by the package `freshet` for a plugin published on its own), as the
 * plugins shipped with Freshet do.
 *
 *   scheduler: { type: "./examples/crontab-scheduler", options: { crontabFile: "/etc/cron.d/freshet", user: "freshet" } }
 */
import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { z } from 'zod';
import {
  schedulerError,
  validationError,
  type CreateRefreshWorkflowRequest,
  type ListedWorkflow,
  type RefreshHandler,
  type WorkflowInspection,
  type WorkflowModification,
  type WorkflowScheduler,
  type WorkflowSchedulerFactory,
} from '../../src/plugin-api';

const optionsSchema = z
  .object({
    /** The file cron reads: a user crontab, or a file under /etc/cron.d (then `user` is required). */
    crontabFile: z
      .string()
      .min(1)
      .refine((file) => existsSync(path.dirname(path.resolve(file))), 'the folder of crontabFile must exist'),
    /** The user column of /etc/cron.d files; omit for a user crontab. */
    user: z.string().min(1).optional(),
    curl: z.string().min(1).default('curl'),
    /** How long the refresh call waits for the job (curl fails, and cron mails the failure, when the job fails). */
    waitSeconds: z.number().int().min(0).max(3600).default(3600),
  })
  .strict();

export type CrontabOptions = z.infer<typeof optionsSchema>;

interface Entry {
  readonly workflowId: string;
  readonly table: string;
  readonly paused: boolean;
  readonly cron: string;
  readonly command: string;
}

const MARKER = '# freshet-workflow';
const PAUSED = '#paused# ';

/** Single quotes for the shell; `%` is special to cron and must be escaped. */
const shellQuote = (text: string) => `'${text.replace(/'/g, `'\\''`)}'`;
const cronEscape = (text: string) => text.replace(/%/g, '\\%');
/** JSON for inside a single-quoted shell word on a cron line: `'` and `%` become JSON escapes. */
const quietJson = (value: unknown) => JSON.stringify(value).replace(/'/g, '\\u0027').replace(/%/g, '\\u0025');
/** The request body's configuration; a JSON string value can hold `"` only escaped, so this match is exact. */
const CONFIGURATION = /"configuration":(\{.*?\}),"scheduleTime"/;

function render(entries: readonly Entry[], user: string | undefined): string {
  const lines = ['# Managed by Freshet: entries between markers are rewritten by the gateway.'];
  for (const e of entries) {
    lines.push(`${MARKER} ${e.workflowId} ${e.table}`);
    lines.push(`${e.paused ? PAUSED : ''}${e.cron}${user ? ` ${user}` : ''} ${e.command}`);
  }
  return `${lines.join('\n')}\n`;
}

function parse(text: string, user: string | undefined): Entry[] {
  const lines = text.split('\n');
  const entries: Entry[] = [];
  lines.forEach((line, i) => {
    if (!line.startsWith(`${MARKER} `)) return;
    const [workflowId, table] = line.slice(MARKER.length + 1).split(' ');
    let body = lines[i + 1] ?? '';
    const paused = body.startsWith(PAUSED);
    if (paused) body = body.slice(PAUSED.length);
    const fields = body.split(' ');
    const cron = fields.slice(0, 5).join(' ');
    const command = fields.slice(user ? 6 : 5).join(' ');
    if (workflowId && table) entries.push({ workflowId, table, paused, cron, command });
  });
  return entries;
}

class CrontabScheduler implements WorkflowScheduler {
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly options: CrontabOptions) {}

  async open(): Promise<void> {
    if (existsSync(this.options.crontabFile) && !statSync(this.options.crontabFile).isFile()) {
      throw schedulerError(`crontabFile ${this.options.crontabFile} is not a file.`);
    }
  }

  async close(): Promise<void> {
    await this.queue;
  }

  /** File changes run one at a time; the file is replaced atomically so cron never reads half of it. */
  private change<T>(edit: (entries: Entry[]) => { entries: Entry[]; result: T }): Promise<T> {
    const run = this.queue.then(() => {
      const { entries, result } = edit(this.read());
      const temp = `${this.options.crontabFile}.${process.pid}.tmp`;
      writeFileSync(temp, render(entries, this.options.user), { mode: 0o644 });
      renameSync(temp, this.options.crontabFile);
      return result;
    });
    this.queue = run.catch(() => undefined);
    return run;
  }

  private read(): Entry[] {
    return existsSync(this.options.crontabFile)
      ? parse(readFileSync(this.options.crontabFile, 'utf8'), this.options.user)
      : [];
  }

  private command(request: CreateRefreshWorkflowRequest): string {
    // The schedule time is the minute cron fired for, in UTC, computed by date(1) when the entry runs.
    const body = `{"tables":${quietJson(request.tableIdentifier)},"isPeriodic":true,"configuration":{},"scheduleTime":"'"$(date -u +%Y-%m-%dT%H:%M:00Z)"'"}`;
    const parts = [
      this.options.curl,
      '-fsS',
      '-X POST',
      `-H ${shellQuote('Content-Type: application/json')}`,
      ...(request.callback.token ? [`-H ${shellQuote(`Authorization: Bearer ${request.callback.token}`)}`] : []),
      `--data '${body}'`,
      shellQuote(`${request.callback.refreshUrl}?wait=${this.options.waitSeconds}`),
    ];
    return cronEscape(parts.join(' '));
  }

  async createRefreshWorkflow(request: CreateRefreshWorkflowRequest): Promise<RefreshHandler> {
    const cron = request.schedule.unixCron;
    if (cron === null) {
      throw validationError(
        `cron runs at most once a minute; ${request.tableIdentifier} needs a FULL freshness of 1 minute or more.`,
      );
    }
    const workflowId = randomUUID();
    await this.change((entries) => ({
      entries: [
        ...entries,
        { workflowId, table: request.tableIdentifier, paused: false, cron, command: this.command(request) },
      ],
      result: undefined,
    }));
    // The handler is shown to users: it names the entry and holds no secret (the callback token stays in the file).
    return { workflowId };
  }

  async modifyRefreshWorkflow(handler: RefreshHandler, modification: WorkflowModification): Promise<RefreshHandler> {
    const workflowId = String(handler.workflowId);
    return this.change((entries) => {
      const index = entries.findIndex((e) => e.workflowId === workflowId);
      const entry = entries[index];
      if (!entry) throw schedulerError(`The crontab has no entry for workflow ${workflowId}.`);
      const next = [...entries];
      if (modification.kind === 'suspend') next[index] = { ...entry, paused: true };
      if (modification.kind === 'resume') {
        const configuration = `"configuration":${quietJson(modification.dynamicOptions)},"scheduleTime"`;
        next[index] = { ...entry, paused: false, command: entry.command.replace(CONFIGURATION, () => configuration) };
      }
      if (modification.kind === 'reschedule') {
        if (modification.schedule.unixCron === null) throw validationError('cron runs at most once a minute.');
        next[index] = { ...entry, cron: modification.schedule.unixCron };
      }
      return { entries: next, result: handler };
    });
  }

  async deleteRefreshWorkflow(handler: RefreshHandler): Promise<void> {
    await this.change((entries) => ({
      entries: entries.filter((e) => e.workflowId !== String(handler.workflowId)),
      result: undefined,
    }));
  }

  async inspect(handler: RefreshHandler): Promise<WorkflowInspection> {
    await this.queue;
    const entry = this.read().find((e) => e.workflowId === String(handler.workflowId));
    return entry
      ? { exists: true, paused: entry.paused, schedule: entry.cron }
      : { exists: false, paused: null, schedule: null };
  }

  async listRefreshWorkflows(): Promise<readonly ListedWorkflow[]> {
    await this.queue;
    return this.read().map((e) => ({
      tableIdentifier: e.table,
      handler: { workflowId: e.workflowId },
      paused: e.paused,
    }));
  }
}

export const schedulerFactory: WorkflowSchedulerFactory<CrontabOptions> = {
  identifier: 'crontab',
  optionsSchema,
  create: (options) => new CrontabScheduler(options),
};
