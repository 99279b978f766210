import { z } from 'zod';
import type { WorkflowSchedulerFactory } from '../workflow-scheduler';
import { EmbeddedScheduler } from './embedded-scheduler';

/** The embedded scheduler takes no options; anything under `scheduler.options` is a mistake worth reporting. */
export const embeddedOptionsSchema = z.object({}).strict();

export type EmbeddedOptions = z.infer<typeof embeddedOptionsSchema>;

/** `scheduler.type = 'embedded'` (the default): workflows run on a timer inside the gateway. */
export const embeddedSchedulerFactory: WorkflowSchedulerFactory<EmbeddedOptions> = {
  identifier: 'embedded',
  optionsSchema: embeddedOptionsSchema,
  create: (_options, context) => new EmbeddedScheduler(context),
};
