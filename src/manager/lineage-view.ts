/** The shapes in which the dependency graph is shown: a table's neighbours, and lineage around a table. */
import type { HistoryRecord } from '../catalog/records';
import { formatFreshness } from '../freshness';
import type { DependencyGraph, NodeKind } from './dependencies';
import { type NeighbourView, type Neighbours, freshnessState } from './table-view';

export interface LineageNode {
  readonly id: string;
  readonly kind: NodeKind;
  readonly catalog: string;
  /** A dynamic table's refresh status; sources have none. */
  readonly status?: string;
  readonly freshness?: string;
  readonly validThrough?: string;
  readonly lagSeconds?: number;
}

export interface LineageView {
  readonly nodes: readonly LineageNode[];
  /** `from` is read by `to`, both by node id. */
  readonly edges: ReadonlyArray<{ readonly from: string; readonly to: string }>;
}

/** How a graph key is shown: a dynamic table by its identifier as written, anything else by its key. */
export function nodeId(graph: DependencyGraph, key: string): string {
  return graph.table(key)?.identifier ?? key;
}

/** The direct neighbours of a table, upstream (what it reads) and downstream (who reads it). */
export function neighboursOf(graph: DependencyGraph, key: string): Neighbours {
  const view = (k: string): NeighbourView => ({ id: nodeId(graph, k), kind: graph.kindOf(k) });
  return { upstream: graph.upstreamOf(key).map(view), downstream: graph.downstreamOf(key).map(view) };
}

/**
 * Lineage within `depth` steps of `key`. `catalogOf` names a source's catalog from its key; `lastSuccess` is
 * the newest successful refresh of each dynamic table reached.
 */
export function lineageView(
  graph: DependencyGraph,
  key: string,
  depth: number,
  catalogOf: (key: string) => string,
  lastSuccess: ReadonlyMap<string, HistoryRecord | null>,
  now: Date,
): LineageView {
  const walk = graph.walk(key, depth);
  const nodes = walk.keys.map((k): LineageNode => {
    const table = graph.table(k);
    if (!table) return { id: k, kind: 'source', catalog: catalogOf(k) };
    return {
      id: table.identifier,
      kind: 'dynamic',
      catalog: table.catalogName,
      status: table.refreshStatus,
      freshness: formatFreshness(table.freshness),
      ...freshnessState(lastSuccess.get(k) ?? null, now),
    };
  });
  const edges = walk.edges.map((e) => ({ from: nodeId(graph, e.from), to: nodeId(graph, e.to) }));
  return { nodes, edges };
}
