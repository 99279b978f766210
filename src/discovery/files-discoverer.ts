/**
 * The built-in `files` discoverer: CSV (`.csv`, `.tsv`) and NDJSON (`.ndjson`, `.jsonl`) files under configured
 * folders. Each file's delimiter, header and columns are sniffed from its first lines, again only when the file
 * changed; its modification time is its `updatedAt`. `POST /v3/datasets/{id}/materialize` loads one into a catalog.
 */
import { existsSync, statSync } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import * as path from 'node:path';
import { z } from 'zod';
import type { Discoverer, DiscovererContext, DiscovererFactory, FileFormat, Publish } from './discoverer';
import { type FileLayout, fileLayout } from './file-rows';

const optionsSchema = z
  .object({
    /** Folders to look in; relative ones are relative to the gateway's data directory. */
    folders: z.array(z.string().min(1)).min(1, 'name at least one folder'),
    /** Also look in sub-folders. */
    recursive: z.boolean().default(true),
    /** The CSV delimiter of every file; sniffed per file when omitted. */
    delimiter: z.string().length(1, 'a delimiter is one character').optional(),
    /** Whether every CSV file starts with a header line; detected per file when omitted. */
    header: z.boolean().optional(),
  })
  .strict();

export type FilesDiscovererOptions = z.infer<typeof optionsSchema>;

const FORMATS: Readonly<Record<string, FileFormat>> = {
  '.csv': 'csv',
  '.tsv': 'csv',
  '.ndjson': 'ndjson',
  '.jsonl': 'ndjson',
};

/** What was sniffed of a file, kept until it changes. */
interface Sniffed {
  readonly mtimeMs: number;
  readonly size: number;
  readonly layout: FileLayout;
}

class FilesDiscoverer implements Discoverer {
  private readonly folders: readonly string[];
  /** By absolute path. */
  private readonly sniffed = new Map<string, Sniffed>();

  constructor(
    private readonly options: FilesDiscovererOptions,
    context: DiscovererContext,
  ) {
    this.folders = options.folders.map((folder) => path.resolve(context.baseDir, folder));
  }

  async discover(publish: Publish, signal: AbortSignal): Promise<void> {
    const seen = new Set<string>();
    for (const folder of this.folders) {
      if (!existsSync(folder) || !statSync(folder).isDirectory()) {
        throw new Error(`The folder ${folder} does not exist (files discoverer).`);
      }
      for (const file of await this.filesUnder(folder, signal)) {
        signal.throwIfAborted();
        seen.add(file);
        await this.publishFile(folder, file, publish);
      }
    }
    for (const file of this.sniffed.keys()) if (!seen.has(file)) this.sniffed.delete(file);
  }

  private async publishFile(folder: string, file: string, publish: Publish): Promise<void> {
    const format = FORMATS[path.extname(file).toLowerCase()];
    if (format === undefined) return;
    const stats = await stat(file);
    let known = this.sniffed.get(file);
    if (known === undefined || known.mtimeMs !== stats.mtimeMs || known.size !== stats.size) {
      const layout = await fileLayout({
        kind: 'file',
        path: file,
        format,
        ...(this.options.delimiter !== undefined ? { delimiter: this.options.delimiter } : {}),
        ...(path.extname(file).toLowerCase() === '.tsv' && this.options.delimiter === undefined
          ? { delimiter: '\t' }
          : {}),
        ...(this.options.header !== undefined ? { header: this.options.header } : {}),
      });
      known = { mtimeMs: stats.mtimeMs, size: stats.size, layout };
      this.sniffed.set(file, known);
    }
    const relative = path.relative(folder, file).split(path.sep).join('/');
    const localId = this.folders.length > 1 ? `${path.basename(folder)}/${relative}` : relative;
    const { layout } = known;
    await publish(
      {
        kind: 'file',
        path: file,
        format,
        ...(format === 'csv' ? { delimiter: layout.delimiter, header: layout.header } : {}),
      },
      {
        name: path.basename(file, path.extname(file)),
        columns: layout.columns.map((name) => ({ name })),
        rowCount: null,
        updatedAt: new Date(stats.mtimeMs).toISOString(),
        sizeBytes: stats.size,
        keywords: path.dirname(relative) === '.' ? [] : path.dirname(relative).split('/'),
      },
      localId,
    );
  }

  /** The files under a folder with a format Freshet reads, sorted. */
  private async filesUnder(folder: string, signal: AbortSignal): Promise<string[]> {
    const found: string[] = [];
    const entries = await readdir(folder, { withFileTypes: true });
    for (const entry of entries.sort((a, b) => (a.name < b.name ? -1 : 1))) {
      signal.throwIfAborted();
      const full = path.join(folder, entry.name);
      if (entry.isDirectory() && this.options.recursive) found.push(...(await this.filesUnder(full, signal)));
      else if (entry.isFile() && FORMATS[path.extname(entry.name).toLowerCase()] !== undefined) found.push(full);
    }
    return found;
  }
}

export const filesDiscovererFactory: DiscovererFactory<FilesDiscovererOptions> = {
  identifier: 'files',
  optionsSchema,
  create: (options, context) => new FilesDiscoverer(options, context),
};
