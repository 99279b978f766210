/**
 * Dataset search: a MiniSearch full-text index over names, descriptions, keywords, columns, query texts and
 * locations, kept in step with every change, and the filters a search may add (kind, columns, semantic types,
 * catalog, freshness state, temporal coverage overlapping an interval).
 */
import MiniSearch from 'minisearch';
import type { DatasetKind } from './discoverer';
import { columnsOf, type Dataset, locationOf } from './dataset-view';
import type { SemanticType } from './profile-model';

export interface DatasetSearch {
  readonly keywords?: string;
  readonly kind?: DatasetKind;
  /** Every one of these columns (names compared without case). */
  readonly columns?: readonly string[];
  /** Every one of these semantic types, each held by some column. */
  readonly types?: readonly SemanticType[];
  readonly catalog?: string;
  /** Dynamic tables in one of these freshness states. */
  readonly freshness?: readonly string[];
  /** Datasets whose temporal coverage overlaps this interval (ISO-8601 instants). */
  readonly temporal?: { readonly start: string; readonly end: string };
}

interface Doc {
  readonly id: string;
  readonly name: string;
  readonly description: string;
  readonly keywords: string;
  readonly columns: string;
  readonly queryText: string;
  readonly location: string;
}

const FIELDS = ['name', 'description', 'keywords', 'columns', 'queryText', 'location'];

function docOf(dataset: Dataset): Doc {
  return {
    id: dataset.id,
    name: dataset.name,
    description: dataset.metadata.description ?? '',
    keywords: (dataset.metadata.keywords ?? []).join(' '),
    columns: columnsOf(dataset)
      .map((c) => c.name)
      .join(' '),
    queryText: dataset.metadata.queryText ?? '',
    location: Object.values(locationOf(dataset)).join(' '),
  };
}

export interface SearchHit {
  readonly dataset: Dataset;
  /** Relevance; 0 for a search without keywords. */
  readonly score: number;
}

/** What the filters read of a dataset, worked out once when it is indexed. */
interface Entry {
  readonly dataset: Dataset;
  readonly columns: ReadonlySet<string>;
  readonly types: ReadonlySet<SemanticType>;
  /** Temporal coverage as [start, end] in milliseconds. */
  readonly coverage: ReadonlyArray<readonly [number, number]>;
  readonly catalog: string | null;
}

function entryOf(dataset: Dataset): Entry {
  const columns = columnsOf(dataset);
  const m = dataset.materialize;
  return {
    dataset,
    columns: new Set(columns.map((c) => c.name.toLowerCase())),
    types: new Set(columns.flatMap((c) => c.semanticTypes)),
    coverage: (dataset.summary?.temporalCoverage ?? []).map((c) => [Date.parse(c.start), Date.parse(c.end)] as const),
    catalog: m.kind === 'table' ? m.catalog.toLowerCase() : null,
  };
}

/** Best first; equal scores by name, then id (code point order: the same everywhere, and fast). */
function byRelevance(a: SearchHit, b: SearchHit): number {
  if (a.score !== b.score) return b.score - a.score;
  const [x, y] = [a.dataset, b.dataset];
  if (x.name !== y.name) return x.name < y.name ? -1 : 1;
  return x.id < y.id ? -1 : x.id > y.id ? 1 : 0;
}

export class SearchIndex {
  private index = SearchIndex.emptyIndex();
  private readonly entries = new Map<string, Entry>();

  private static emptyIndex(): MiniSearch<Doc> {
    return new MiniSearch<Doc>({
      fields: FIELDS,
      searchOptions: {
        boost: { name: 3, keywords: 2, columns: 2, description: 1.5 },
        prefix: true,
        fuzzy: 0.2,
      },
    });
  }

  get size(): number {
    return this.entries.size;
  }

  /** Indexes exactly these datasets. */
  rebuild(datasets: Iterable<Dataset>): void {
    this.index = SearchIndex.emptyIndex();
    this.entries.clear();
    for (const dataset of datasets) this.entries.set(dataset.id, entryOf(dataset));
    this.index.addAll([...this.entries.values()].map((e) => docOf(e.dataset)));
  }

  /** Adds a dataset or replaces the one of the same id. */
  put(dataset: Dataset): void {
    const doc = docOf(dataset);
    if (this.index.has(dataset.id)) this.index.replace(doc);
    else this.index.add(doc);
    this.entries.set(dataset.id, entryOf(dataset));
  }

  remove(id: string): void {
    if (this.index.has(id)) this.index.discard(id);
    this.entries.delete(id);
  }

  /**
   * Datasets matching the search, best first (by name without keywords). `freshnessOf` is asked only when the
   * search filters on freshness.
   */
  search(search: DatasetSearch, freshnessOf: (dataset: Dataset) => string | null): SearchHit[] {
    const keywords = search.keywords?.trim() ?? '';
    const filter = filterOf(search, freshnessOf);
    const hits: SearchHit[] = [];
    if (keywords === '') {
      for (const entry of this.entries.values()) if (filter(entry)) hits.push({ dataset: entry.dataset, score: 0 });
    } else {
      for (const result of this.index.search(keywords)) {
        const entry = this.entries.get(String(result.id));
        if (entry !== undefined && filter(entry)) hits.push({ dataset: entry.dataset, score: result.score });
      }
    }
    return hits.sort(byRelevance);
  }
}

function filterOf(search: DatasetSearch, freshnessOf: (dataset: Dataset) => string | null): (entry: Entry) => boolean {
  const columns = (search.columns ?? []).map((c) => c.toLowerCase());
  const types = search.types ?? [];
  const catalog = search.catalog?.toLowerCase();
  const interval = search.temporal && ([Date.parse(search.temporal.start), Date.parse(search.temporal.end)] as const);
  const states = search.freshness !== undefined && search.freshness.length > 0 ? search.freshness : null;
  return (entry) => {
    if (search.kind !== undefined && entry.dataset.kind !== search.kind) return false;
    if (catalog !== undefined && entry.catalog !== catalog) return false;
    if (!columns.every((name) => entry.columns.has(name))) return false;
    if (!types.every((type) => entry.types.has(type))) return false;
    if (interval && !entry.coverage.some(([start, end]) => start <= interval[1] && end >= interval[0])) return false;
    if (states !== null) {
      const state = freshnessOf(entry.dataset);
      if (state === null || !states.includes(state)) return false;
    }
    return true;
  };
}
