/**
 * Which dynamic tables read which. The edges come from each table's recorded source tables (keys, dynamic or
 * not), so the graph is rebuilt from the catalog whenever it is needed and never goes stale.
 */
import type { Catalog } from '../catalog/catalog';
import type { DynamicTableRecord } from '../catalog/records';

/** A node of the graph: a dynamic table, or a table that dynamic tables read and Freshet does not maintain. */
export type NodeKind = 'dynamic' | 'source';

/** An edge points the way data flows: `from` is read by `to`. Both are keys. */
export interface GraphEdge {
  readonly from: string;
  readonly to: string;
}

/** What a walk from one table reached: keys in the order they were reached (the start first), and the edges. */
export interface GraphWalk {
  readonly keys: readonly string[];
  readonly edges: readonly GraphEdge[];
}

export class DependencyGraph {
  private readonly tables = new Map<string, DynamicTableRecord>();
  private readonly readers = new Map<string, string[]>();

  constructor(tables: readonly DynamicTableRecord[]) {
    for (const t of tables) this.tables.set(t.key, t);
    for (const t of tables) {
      for (const source of t.sourceTables) {
        const list = this.readers.get(source) ?? [];
        if (!list.includes(t.key)) list.push(t.key);
        this.readers.set(source, list);
      }
    }
  }

  static async load(catalog: Catalog): Promise<DependencyGraph> {
    return new DependencyGraph(await catalog.listTables());
  }

  /** The dynamic table with this key, if it is one. */
  table(key: string): DynamicTableRecord | undefined {
    return this.tables.get(key);
  }

  /** True when the key is a dynamic table or a table some dynamic table reads. */
  has(key: string): boolean {
    return this.tables.has(key) || this.readers.has(key);
  }

  kindOf(key: string): NodeKind {
    return this.tables.has(key) ? 'dynamic' : 'source';
  }

  /** Keys of the tables `key` reads directly; none for a source. */
  upstreamOf(key: string): readonly string[] {
    return this.tables.get(key)?.sourceTables ?? [];
  }

  /** Keys of the dynamic tables that read `key` directly. */
  downstreamOf(key: string): readonly string[] {
    return this.readers.get(key) ?? [];
  }

  /** Every dynamic table downstream of `key`, transitively (keys, nearest first, `key` itself excluded). */
  allDownstreamOf(key: string): string[] {
    return this.walk(key, Number.POSITIVE_INFINITY, ['down']).keys.slice(1);
  }

  /**
   * The tables within `depth` steps of `key`, upstream along what each reads and downstream along who reads it
   * (not sideways: the other readers of an upstream table are not reached). Each table and edge appears once,
   * whatever the shape of the graph; a cycle, which CREATE and ALTER refuse, would end the walk, not hang it.
   */
  walk(key: string, depth: number, directions: ReadonlyArray<'up' | 'down'> = ['up', 'down']): GraphWalk {
    const keys = [key];
    const seenKeys = new Set(keys);
    const edges: GraphEdge[] = [];
    const seenEdges = new Set<string>();
    const addEdge = (from: string, to: string) => {
      const id = JSON.stringify([from, to]);
      if (seenEdges.has(id)) return;
      seenEdges.add(id);
      edges.push({ from, to });
    };
    for (const direction of directions) {
      const visited = new Set([key]);
      let frontier = [key];
      for (let step = 0; step < depth && frontier.length > 0; step++) {
        const next: string[] = [];
        for (const at of frontier) {
          const neighbours = direction === 'up' ? this.upstreamOf(at) : this.downstreamOf(at);
          for (const other of neighbours) {
            if (direction === 'up') addEdge(other, at);
            else addEdge(at, other);
            if (visited.has(other)) continue;
            visited.add(other);
            next.push(other);
            if (!seenKeys.has(other)) {
              seenKeys.add(other);
              keys.push(other);
            }
          }
        }
        frontier = next;
      }
    }
    return { keys, edges };
  }
}

/** Identifiers of the dynamic tables whose query reads `key`. */
export async function dependantsOf(catalog: Catalog, key: string): Promise<string[]> {
  const graph = await DependencyGraph.load(catalog);
  return graph.downstreamOf(key).map((k) => graph.table(k)?.identifier ?? k);
}

/** Every table downstream of `key`, transitively (keys). */
export async function downstreamOf(catalog: Catalog, key: string): Promise<string[]> {
  return (await DependencyGraph.load(catalog)).allDownstreamOf(key);
}
