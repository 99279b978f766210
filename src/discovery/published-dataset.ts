/**
 * What `publish` accepts: the checks every published dataset passes, shared by the gateway (which refuses a dataset
 * that fails them) and the discoverer conformance suite (which fails a discoverer that publishes one).
 */
import * as path from 'node:path';
import { z } from 'zod';
import type { DatasetMetadata, Materialize } from './discoverer';

const materializeSchema = z.discriminatedUnion('kind', [
  z
    .object({
      kind: z.literal('table'),
      catalog: z.string().min(1),
      database: z.string().min(1).optional(),
      table: z.string().min(1),
    })
    .strict(),
  z
    .object({
      kind: z.literal('file'),
      path: z.string().refine((p) => path.isAbsolute(p), 'a file path must be absolute'),
      format: z.enum(['csv', 'ndjson']),
      delimiter: z.string().length(1, 'a delimiter is one character').optional(),
      header: z.boolean().optional(),
    })
    .strict(),
]);

const columnSchema = z
  .object({
    name: z.string().min(1, 'a column needs a name'),
    type: z.string().optional(),
    comment: z.string().optional(),
  })
  .strict();

const metadataSchema = z
  .object({
    name: z.string().min(1, 'a dataset needs a name').max(255),
    description: z.string().optional(),
    columns: z
      .array(columnSchema)
      .refine(
        (columns) => new Set(columns.map((c) => c.name.toLowerCase())).size === columns.length,
        'two columns have the same name',
      ),
    rowCount: z.number().int().min(0).nullable().optional(),
    updatedAt: z.string().max(64).nullable().optional(),
    keywords: z.array(z.string()).optional(),
    queryText: z.string().optional(),
    kind: z.enum(['source', 'dynamic_table', 'file']).optional(),
    sizeBytes: z.number().int().min(0).optional(),
  })
  .strict();

/** A dataset's id within its discoverer. */
const localIdSchema = z
  .string()
  .min(1, 'an id must not be empty')
  .max(190, 'an id is at most 190 characters')
  .refine((id) => ![...id].some((char) => char.charCodeAt(0) < 32), 'an id has no control characters');

/** What is wrong with a published dataset, one line per problem; empty when nothing is. */
export function publishProblems(materialize: unknown, metadata: unknown, id: unknown): string[] {
  const problems: string[] = [];
  const report = (where: string, result: { success: boolean; error?: z.ZodError }) => {
    for (const issue of result.error?.issues ?? []) {
      problems.push(`${where}${issue.path.length > 0 ? `.${issue.path.join('.')}` : ''}: ${issue.message}`);
    }
  };
  report('materialize', materializeSchema.safeParse(materialize));
  report('metadata', metadataSchema.safeParse(metadata));
  if (id !== undefined) report('id', localIdSchema.safeParse(id));
  return problems;
}

/** The id a dataset gets within its discoverer when `publish` is given none: its table's identifier or file path. */
export function defaultLocalId(materialize: Materialize): string {
  return materialize.kind === 'table'
    ? [materialize.catalog, materialize.database, materialize.table].filter((p) => p !== undefined).join('.')
    : materialize.path;
}

/** The kind of dataset a publish makes. */
export function kindOfPublished(materialize: Materialize, metadata: DatasetMetadata) {
  return metadata.kind ?? (materialize.kind === 'file' ? 'file' : 'source');
}
