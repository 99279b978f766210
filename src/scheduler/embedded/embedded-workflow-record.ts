/**
 * How the embedded scheduler persists a workflow in its {@link PluginStateStore}: one JSON record per
 * workflow under `workflow:<workflowId>`.
 */
import { z } from 'zod';
import type { RefreshHandler } from '../workflow-scheduler';

const workflowRecordSchema = z.object({
  workflowId: z.string().min(1),
  tableIdentifier: z.string().min(1),
  /** Canonical 7-field Quartz CRON, as Freshet handed it over. */
  quartzCron: z.string().min(1),
  timeZone: z.string().min(1),
  paused: z.boolean(),
  /** Passed as `configuration` on every fire; set by RESUME WITH (…). */
  dynamicOptions: z.record(z.string(), z.string()),
  /** ISO-8601 schedule time of the last tick fired (or creation / resume time); ticks up to it never fire. */
  lastFireTime: z.iso.datetime({ offset: true }),
  createdAt: z.iso.datetime({ offset: true }),
});

export type WorkflowRecord = Readonly<z.infer<typeof workflowRecordSchema>>;

const KEY_PREFIX = 'workflow:';

export function workflowKey(workflowId: string): string {
  return `${KEY_PREFIX}${workflowId}`;
}

export function isWorkflowKey(key: string): boolean {
  return key.startsWith(KEY_PREFIX);
}

/** The record, or null when the stored value is not a well-formed record. */
export function parseWorkflowRecord(value: unknown): WorkflowRecord | null {
  const parsed = workflowRecordSchema.safeParse(value);
  return parsed.success ? parsed.data : null;
}

/** The handler Freshet stores for an embedded workflow. */
export function handlerOf(record: WorkflowRecord): RefreshHandler {
  return { workflowId: record.workflowId, workflowName: workflowNameOf(record.tableIdentifier) };
}

export function workflowNameOf(tableIdentifier: string): string {
  return `freshet_refresh_${tableIdentifier}`;
}

/** The workflow id a handler names, or null when it is not an embedded scheduler's handler. */
export function workflowIdOf(handler: RefreshHandler): string | null {
  const id = handler.workflowId;
  return typeof id === 'string' && id !== '' ? id : null;
}

/** A name for a handler in messages: its workflow name when it has one. */
export function describeHandler(handler: RefreshHandler): string {
  const name = handler.workflowName;
  if (typeof name === 'string' && name !== '') return name;
  return workflowIdOf(handler) ?? JSON.stringify(handler);
}
