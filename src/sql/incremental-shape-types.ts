/** What the incremental classifier answers: a query's shape, or why it refreshes fully. */

/** The supported aggregate functions. */
export type IncrementalAggregateFunction = 'COUNT' | 'SUM' | 'AVG' | 'MIN' | 'MAX';

/** One aggregate of an `aggregate` shape. */
export interface IncrementalAggregate {
  readonly fn: IncrementalAggregateFunction;
  /** The aggregated column, unqualified; null for COUNT(*). */
  readonly column: string | null;
  /**
   * The output column: the alias as written, else the engine's default name — `count` / `sum` … in PostgreSQL,
   * `COUNT(*)` / `SUM(price)` elsewhere (SQLite keeps the query's own spelling, so alias aggregates you rely on).
   */
  readonly alias: string;
}

/** How an incrementally maintainable query is built; sources are table names as written, qualifiers kept. */
export type IncrementalShape =
  | { readonly kind: 'projectFilter'; readonly source: string }
  | {
      readonly kind: 'innerJoin';
      readonly sources: readonly string[];
      /** One pair per ON equality, left side first, columns as `table.column`. */
      readonly joinKeys: ReadonlyArray<readonly [string, string]>;
    }
  | {
      readonly kind: 'aggregate';
      readonly source: string;
      /** GROUP BY columns, unqualified, in order; empty for a single-group aggregate. */
      readonly groupBy: readonly string[];
      readonly aggregates: readonly IncrementalAggregate[];
    }
  | { readonly kind: 'distinct'; readonly source: string }
  | { readonly kind: 'unionAll'; readonly branches: readonly IncrementalShape[] };

/** Why a query refreshes fully. */
export type NotIncrementalReason =
  | 'OUTER_JOIN_NOT_SUPPORTED'
  | 'NON_EQUI_JOIN'
  | 'WINDOW_FUNCTION'
  | 'NON_DETERMINISTIC_FUNCTION'
  | 'LIMIT'
  | 'SUBQUERY_IN_WHERE'
  | 'SUBQUERY_IN_SELECT'
  | 'SUBQUERY_IN_FROM'
  | 'CTE'
  | 'UNION_DISTINCT'
  | 'INTERSECT_EXCEPT'
  | 'HAVING'
  | 'UNSUPPORTED_AGGREGATE'
  | 'AGGREGATE_OF_EXPRESSION'
  | 'DISTINCT_AGGREGATE'
  | 'SELF_JOIN'
  | 'AGGREGATE_IN_UNION'
  | 'MULTIPLE_SOURCES'
  | 'NO_SOURCE'
  | 'UNPARSABLE';

/** The outcome of `classifyIncremental`. */
export type IncrementalVerdict =
  | { readonly incremental: true; readonly shape: IncrementalShape }
  | {
      readonly incremental: false;
      readonly reason: NotIncrementalReason;
      /** A sentence naming the construct that prevents incremental maintenance. */
      readonly detail: string;
    };
