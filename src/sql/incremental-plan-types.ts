/** What incremental maintenance works from: query templates with holes at the source tables, and the plan. */
import type { IncrementalAggregateFunction, IncrementalShape, NotIncrementalReason } from './incremental-shape-types';

/** A query text with holes where it names its source tables: slot i sits between piece i and piece i + 1. */
export interface QueryTemplate {
  readonly pieces: readonly string[];
  readonly slots: readonly TemplateSlot[];
}

export interface TemplateSlot {
  /** Index into {@link IncrementalPlan.sources}. */
  readonly source: number;
  /** The reference as written (`main.orders`), put back when the slot reads the table itself. */
  readonly written: string;
  /** What must follow a replacement relation: `AS orders` when the query gave the table no alias, else ''. */
  readonly alias: string;
}

/** Each output column of a grouped query: one of the GROUP BY keys, or one of the aggregates. */
export type GroupedOutput = { readonly key: number } | { readonly aggregate: number };

export interface GroupedAggregate {
  readonly fn: IncrementalAggregateFunction;
  /** The column of {@link GroupedMaintenance.input} the aggregate reads; null for COUNT(*). */
  readonly input: number | null;
}

/** UNION ALL branches, projections, filters and inner joins: every output row stands for itself. */
export interface BagMaintenance {
  readonly kind: 'bag';
  readonly branches: readonly QueryTemplate[];
}

/** GROUP BY and DISTINCT: output rows are groups, kept from per-group state. */
export interface GroupedMaintenance {
  readonly kind: 'grouped';
  /** A bag query over the one source: the group keys first, then the aggregates' input columns. */
  readonly input: QueryTemplate;
  /** How many leading columns of `input` are the group keys; 'all' for SELECT DISTINCT (every column). */
  readonly keyCount: number | 'all';
  readonly aggregates: readonly GroupedAggregate[];
  /** Per output column; null for SELECT DISTINCT, whose output column i is key i. */
  readonly outputs: readonly GroupedOutput[] | null;
}

export interface IncrementalPlan {
  readonly shape: IncrementalShape;
  /**
   * The source tables, each as its name parts with quotes removed (`['main', 'orders']`), unquoted names
   * lower-cased for PostgreSQL as it does itself.
   */
  readonly sources: ReadonlyArray<readonly string[]>;
  readonly maintenance: BagMaintenance | GroupedMaintenance;
}

export type IncrementalPlanResult =
  | { readonly incremental: true; readonly plan: IncrementalPlan }
  | { readonly incremental: false; readonly reason: NotIncrementalReason; readonly detail: string };
