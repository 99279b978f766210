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

export class SearchIndex {
  private index = SearchIndex.emptyIndex();
  private readonly datasets = new Map<string, Dataset>();

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
    return this.datasets.size;
  }

  /** Indexes exactly these datasets. */
  rebuild(datasets: Iterable<Dataset>): void {
    this.index = SearchIndex.emptyIndex();
    this.datasets.clear();
    for (const dataset of datasets) this.datasets.set(dataset.id, dataset);
    this.index.addAll([...this.datasets.values()].map(docOf));
  }

  /** Adds a dataset or replaces the one of the same id. */
  put(dataset: Dataset): void {
    const doc = docOf(dataset);
    if (this.index.has(dataset.id)) this.index.replace(doc);
    else this.index.add(doc);
    this.datasets.set(dataset.id, dataset);
  }

  remove(id: string): void {
    if (this.index.has(id)) this.index.discard(id);
    this.datasets.delete(id);
  }

  /**
   * Datasets matching the search, best first (by name without keywords). `freshnessOf` is asked only when the
   * search filters on freshness.
   */
  search(search: DatasetSearch, freshnessOf: (dataset: Dataset) => string | null): SearchHit[] {
    const keywords = search.keywords?.trim() ?? '';
    const hits: SearchHit[] =
      keywords === ''
        ? [...this.datasets.values()].map((dataset) => ({ dataset, score: 0 }))
        : this.index.search(keywords).flatMap((result) => {
            const dataset = this.datasets.get(String(result.id));
            return dataset === undefined ? [] : [{ dataset, score: result.score }];
          });
    const kept = hits.filter(({ dataset }) => matches(dataset, search, freshnessOf));
    return kept.sort(
      (a, b) =>
        b.score - a.score || a.dataset.name.localeCompare(b.dataset.name) || (a.dataset.id < b.dataset.id ? -1 : 1),
    );
  }
}

function matches(dataset: Dataset, search: DatasetSearch, freshnessOf: (dataset: Dataset) => string | null): boolean {
  if (search.kind !== undefined && dataset.kind !== search.kind) return false;
  if (search.catalog !== undefined) {
    const m = dataset.materialize;
    if (m.kind !== 'table' || m.catalog.toLowerCase() !== search.catalog.toLowerCase()) return false;
  }
  if ((search.columns?.length ?? 0) > 0 || (search.types?.length ?? 0) > 0) {
    const columns = columnsOf(dataset);
    const names = new Set(columns.map((c) => c.name.toLowerCase()));
    if (!(search.columns ?? []).every((name) => names.has(name.toLowerCase()))) return false;
    const types = new Set(columns.flatMap((c) => c.semanticTypes));
    if (!(search.types ?? []).every((type) => types.has(type))) return false;
  }
  if (search.temporal !== undefined) {
    const { start, end } = search.temporal;
    const from = Date.parse(start);
    const to = Date.parse(end);
    const coverage = dataset.summary?.temporalCoverage ?? [];
    if (!coverage.some((c) => Date.parse(c.start) <= to && Date.parse(c.end) >= from)) return false;
  }
  if (search.freshness !== undefined && search.freshness.length > 0) {
    const state = freshnessOf(dataset);
    if (state === null || !search.freshness.includes(state)) return false;
  }
  return true;
}
