/**
 * Dataset search over 10,000 datasets: the latency of `DiscoveryService.search` (what `POST /v3/datasets/search`
 * and `SEARCH DATASETS` call), keywords with and without filters, p50 and p99, and how long the index takes to
 * rebuild from the catalog at start. The datasets are written to a SQLite catalog as discovery would leave them.
 */
import { Catalog } from '../src/catalog/catalog';
import type { DatasetRecord } from '../src/catalog/dataset-store';
import type { ProfileSummary } from '../src/discovery/dataset-view';
import { DiscoveryService, type SearchRequest } from '../src/discovery/discovery-service';
import { MemoryStateStore } from '../src/scheduler/memory-state-store';
import {
  fmtInt,
  fmtMs,
  heading,
  line,
  printVerdicts,
  quantile,
  temporaryFolder,
  verdict,
  type BenchSettings,
  type SummaryRow,
} from './support';

const GOAL_P99_MS = 20;
const DATASETS = Number(process.env.BENCH_SEARCH_DATASETS ?? 10_000);
const SEARCHES = 2_000;

const WORDS = [
  'sales',
  'orders',
  'weather',
  'rainfall',
  'traffic',
  'taxi',
  'trips',
  'energy',
  'prices',
  'stocks',
  'census',
  'population',
  'health',
  'clinic',
  'school',
  'budget',
  'crime',
  'air',
  'quality',
  'water',
  'river',
  'station',
  'flights',
  'airport',
  'hotel',
  'retail',
  'inventory',
  'shipments',
  'customers',
  'payments',
  'invoices',
  'sensor',
] as const;
const COLUMNS = [
  'id',
  'region',
  'city',
  'amount',
  'price',
  'count',
  'created_at',
  'day',
  'lat',
  'lon',
  'status',
  'category',
  'customer_id',
  'station_id',
  'temperature',
  'rain_mm',
  'speed',
  'duration',
  'label',
  'score',
] as const;
const TYPES = {
  id: ['identifier', 'integer'],
  region: ['categorical', 'text'],
  city: ['categorical', 'text'],
  amount: ['float'],
  price: ['float'],
  count: ['integer'],
  created_at: ['datetime'],
  day: ['datetime'],
  lat: ['latitude', 'float'],
  lon: ['longitude', 'float'],
  status: ['categorical', 'text'],
  category: ['categorical', 'text'],
  customer_id: ['identifier', 'integer'],
  station_id: ['identifier', 'integer'],
  temperature: ['float'],
  rain_mm: ['float'],
  speed: ['float'],
  duration: ['integer'],
  label: ['text'],
  score: ['integer'],
} as const;

/** A small seeded generator, so that every run searches the same datasets. */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return state / 2147483648;
  };
}

function dataset(i: number, next: () => number): DatasetRecord {
  const pick = <T>(values: readonly T[]): T => values[Math.floor(next() * values.length)] as T;
  const name = `${pick(WORDS)}_${pick(WORDS)}_${2000 + (i % 25)}_${i}`;
  const columns = [...new Set(Array.from({ length: 5 + Math.floor(next() * 10) }, () => pick(COLUMNS)))];
  const from = Date.UTC(2000 + Math.floor(next() * 24), Math.floor(next() * 12), 1);
  const summary: ProfileSummary = {
    profiledAt: '2024-06-01T00:00:00.000Z',
    rowCount: Math.floor(next() * 1e6),
    sampled: false,
    columns: columns.map((c) => ({ name: c, declaredType: 'TEXT', semanticTypes: [...TYPES[c]] })),
    temporalCoverage: columns.includes('created_at')
      ? [
          {
            column: 'created_at',
            start: new Date(from).toISOString(),
            end: new Date(from + next() * 3e10).toISOString(),
            resolution: 'hour',
          },
        ]
      : [],
  };
  const kind = i % 10 === 0 ? 'dynamic_table' : i % 3 === 0 ? 'file' : 'source';
  return {
    id: `bench:${name}`,
    discoverer: 'bench',
    localId: name,
    kind,
    name,
    materialize:
      kind === 'file'
        ? { kind: 'file', path: `/data/${name}.csv`, format: 'csv' }
        : { kind: 'table', catalog: i % 2 === 0 ? 'default' : 'warehouse', database: 'main', table: name },
    metadata: {
      name,
      description: `${pick(WORDS)} ${pick(WORDS)} data about ${pick(WORDS)}, published by the ${pick(WORDS)} office`,
      columns: columns.map((c) => ({ name: c })),
      keywords: [pick(WORDS), pick(WORDS)],
    },
    rowCount: summary.rowCount,
    updatedAt: '2024-06-01T00:00:00.000Z',
    origin: 'discover',
    status: 'profiled',
    profiledVersion: '2024-06-01T00:00:00.000Z',
    summary,
    firstSeen: '2024-06-01T00:00:00.000Z',
    lastSeen: '2024-06-01T00:00:00.000Z',
    changedAt: '2024-06-01T00:00:00.000Z',
  };
}

function searches(next: () => number): SearchRequest[] {
  const pick = <T>(values: readonly T[]): T => values[Math.floor(next() * values.length)] as T;
  return Array.from({ length: SEARCHES }, (_, i): SearchRequest => {
    switch (i % 5) {
      case 0:
        return { keywords: pick(WORDS) };
      case 1:
        return { keywords: `${pick(WORDS)} ${pick(WORDS)}`, types: ['datetime'] };
      case 2:
        return { keywords: pick(WORDS), columns: [pick(COLUMNS)], kind: 'source' };
      case 3:
        return { temporal: { start: '2010-01-01T00:00:00Z', end: '2011-01-01T00:00:00Z' }, types: ['latitude'] };
      default:
        return { keywords: `${pick(WORDS).slice(0, 4)}`, catalog: 'warehouse', page: 2 };
    }
  });
}

export async function runDatasetSearch(_settings: BenchSettings): Promise<SummaryRow[]> {
  heading(`Dataset search over ${fmtInt(DATASETS)} datasets`);
  const folder = temporaryFolder('search');
  const catalog = new Catalog('sqlite:catalog.db', folder.path);
  await catalog.open();
  let service: DiscoveryService | null = null;
  try {
    const next = random(7);
    const seeding = performance.now();
    await catalog.datasets.insertMany(Array.from({ length: DATASETS }, (_, i) => dataset(i, next)));
    line('datasets written to the catalog', `${fmtInt(DATASETS)} in ${fmtMs(performance.now() - seeding)}`);
    service = new DiscoveryService(
      {
        discoverers: [],
        profile: { sampleRows: 100_000, seed: 1, concurrency: 1, keep: 10, maxFileBytes: 1e12 },
        queryDeadlineMs: 0,
        baseDir: folder.path,
        defaultCatalog: 'default',
      },
      {
        store: catalog.datasets,
        engines: new Map(),
        tables: { list: async () => [] },
        jobs: { recentSuccesses: async () => new Map() },
        stateStore: () => new MemoryStateStore(),
        logger: { debug() {}, info() {}, warn() {}, error() {} },
        isLeader: () => false,
        freshness: async () => new Map(),
      },
    );
    const opening = performance.now();
    await service.open();
    line('index rebuilt from the catalog at start', fmtMs(performance.now() - opening));
    const requests = searches(random(11));
    for (const request of requests.slice(0, 100)) await service.search(request);
    const times: number[] = [];
    let found = 0;
    for (const request of requests) {
      const began = performance.now();
      const answer = await service.search(request);
      times.push(performance.now() - began);
      found += answer.total;
    }
    const p50 = quantile(times, 0.5);
    const p99 = quantile(times, 0.99);
    line(`searches (keywords, types, columns, kind, catalog, temporal)`, fmtInt(times.length));
    line('matches per search, mean', fmtInt(Math.round(found / times.length)));
    line('latency p50 / p99 / max', `${fmtMs(p50)} / ${fmtMs(p99)} / ${fmtMs(Math.max(...times))}`);
    const rows: SummaryRow[] = [
      {
        benchmark: `Dataset search, ${fmtInt(DATASETS)} datasets (p99)`,
        measured: fmtMs(p99),
        baseline: `p50 ${fmtMs(p50)}`,
        ratio: '',
        goal: `< ${GOAL_P99_MS} ms`,
        verdict: verdict(p99 < GOAL_P99_MS),
      },
    ];
    printVerdicts(rows);
    return rows;
  } finally {
    await service?.close();
    await catalog.close();
    folder.dispose();
  }
}
