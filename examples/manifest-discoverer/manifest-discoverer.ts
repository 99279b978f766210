/**
 * An example third-party discoverer: a data portal that describes its files in a JSON manifest. Every entry of the
 * manifest is published in advance; an optional archive manifest, too long to profile in advance, is searched only
 * when a search asks (`handleQuery`). It uses only Freshet's plugin API (`src/plugin-api.ts`, also exported by the
 * package `freshet`), as the discoverers shipped with Freshet do.
 *
 *   discovery: { discoverers: [{ type: "./dist/examples/manifest-discoverer", options: { manifest: "portal.json" } }] }
 *
 * A manifest: `{"datasets": [{"id": "rain", "title": "Rainfall", "file": "rain.csv", "format": "csv",
 * "description": "…", "keywords": ["weather"], "columns": ["day", "mm"]}]}`; files are relative to the manifest.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { z } from 'zod';
import type { Discoverer, DiscovererContext, DiscovererFactory, DiscoveryQuery, Publish } from '../../src/plugin-api';

const optionsSchema = z
  .object({
    /** The manifest listing the datasets to publish in advance. */
    manifest: z.string().min(1),
    /** A manifest of datasets published only when a search's keywords match them. */
    archive: z.string().min(1).optional(),
  })
  .strict();

export type ManifestOptions = z.infer<typeof optionsSchema>;

const entrySchema = z.object({
  id: z.string().min(1),
  title: z.string().min(1),
  file: z.string().min(1),
  format: z.enum(['csv', 'ndjson']),
  description: z.string().optional(),
  keywords: z.array(z.string()).default([]),
  columns: z.array(z.string().min(1)).default([]),
});

const manifestSchema = z.object({ datasets: z.array(entrySchema) });

type Entry = z.infer<typeof entrySchema>;

class ManifestDiscoverer implements Discoverer {
  private readonly manifest: string;
  private readonly archive: string | null;

  constructor(options: ManifestOptions, context: DiscovererContext) {
    this.manifest = path.resolve(context.baseDir, options.manifest);
    this.archive = options.archive === undefined ? null : path.resolve(context.baseDir, options.archive);
  }

  async discover(publish: Publish, signal: AbortSignal): Promise<void> {
    for (const entry of read(this.manifest)) {
      signal.throwIfAborted();
      await publishEntry(this.manifest, entry, publish);
    }
  }

  async handleQuery(query: DiscoveryQuery, publish: Publish, signal: AbortSignal): Promise<void> {
    if (this.archive === null || query.keywords.length === 0) return;
    const words = query.keywords.map((k) => k.toLowerCase());
    for (const entry of read(this.archive)) {
      signal.throwIfAborted();
      const text = [entry.title, entry.description ?? '', ...entry.keywords].join(' ').toLowerCase();
      if (words.some((word) => text.includes(word))) await publishEntry(this.archive, entry, publish);
    }
  }
}

function read(manifest: string): Entry[] {
  if (!existsSync(manifest)) throw new Error(`The manifest ${manifest} does not exist.`);
  const parsed = manifestSchema.safeParse(JSON.parse(readFileSync(manifest, 'utf8')));
  if (!parsed.success) {
    throw new Error(`The manifest ${manifest} is not valid: ${parsed.error.issues.map((i) => i.message).join('; ')}`);
  }
  return parsed.data.datasets;
}

async function publishEntry(manifest: string, entry: Entry, publish: Publish): Promise<void> {
  const file = path.resolve(path.dirname(manifest), entry.file);
  // A file listed but missing is the portal's mistake: publishing it would only record a failing profile.
  if (!existsSync(file)) return;
  const stats = statSync(file);
  await publish(
    { kind: 'file', path: file, format: entry.format },
    {
      name: entry.title,
      ...(entry.description !== undefined ? { description: entry.description } : {}),
      keywords: entry.keywords,
      columns: entry.columns.map((name) => ({ name })),
      updatedAt: stats.mtime.toISOString(),
      sizeBytes: stats.size,
    },
    entry.id,
  );
}

export const discovererFactory: DiscovererFactory<ManifestOptions> = {
  identifier: 'manifest',
  optionsSchema,
  create: (options, context) => new ManifestDiscoverer(options, context),
};
