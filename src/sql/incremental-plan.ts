/**
 * Turns a query that {@link classifyIncremental} accepts into what incremental maintenance needs: the query's
 * text with a hole wherever it names a source table, so that an engine can evaluate the same query over a
 * source's captured changes instead of the whole table; and, for GROUP BY and DISTINCT queries, the query
 * that yields the aggregates' inputs plus where each output column comes from.
 *
 * Working on the text (not on a re-printed syntax tree) keeps every expression exactly as the user wrote it,
 * in the engine's own dialect. A source reference is replaced together with an alias, so `orders.amount` still
 * resolves when `orders` has become a sub-select of its changes. Pure: reads only the query text.
 */
import type { SqlDialect } from '../model';
import { groupedMaintenance } from './incremental-grouped';
import type { IncrementalPlan, IncrementalPlanResult } from './incremental-plan-types';
import { PlanFailure, scan, splitUnionAll, withoutOrderBy } from './incremental-scan';
import { classifyIncremental, type IncrementalShape } from './incremental-shape';
import { branchTemplate } from './incremental-template';
import type { Token } from './tokenizer';

export type {
  BagMaintenance,
  GroupedAggregate,
  GroupedMaintenance,
  GroupedOutput,
  IncrementalPlan,
  IncrementalPlanResult,
  QueryTemplate,
  TemplateSlot,
} from './incremental-plan-types';
export { renderTemplate } from './incremental-template';

/** Plans the incremental maintenance of `query`, or says why it refreshes fully. Never throws. */
export function planIncremental(query: string, dialect: SqlDialect): IncrementalPlanResult {
  const verdict = classifyIncremental(query, dialect);
  if (!verdict.incremental) return verdict;
  if (
    verdict.shape.kind === 'unionAll' &&
    verdict.shape.branches.some((b) => b.kind === 'aggregate' || b.kind === 'distinct')
  ) {
    return {
      incremental: false,
      reason: 'AGGREGATE_IN_UNION',
      detail: 'A UNION ALL branch that aggregates or uses DISTINCT is not maintained incrementally',
    };
  }
  try {
    return { incremental: true, plan: buildPlan(query, verdict.shape, dialect) };
  } catch (error) {
    if (error instanceof PlanFailure) return { incremental: false, reason: 'UNPARSABLE', detail: error.message };
    throw error;
  }
}

function buildPlan(query: string, shape: IncrementalShape, dialect: SqlDialect): IncrementalPlan {
  const scanned = scan(query);
  const branches = splitUnionAll(scanned);
  const sources: string[][] = [];
  // PostgreSQL folds unquoted names to lower case; SQLite compares them case-insensitively.
  const sourceIndex = (tokens: readonly Token[]) => {
    const parts = tokens.map((t) => (t.kind === 'word' && dialect === 'postgresql' ? t.value.toLowerCase() : t.value));
    const key = parts.map((p) => p.toLowerCase()).join('\u0000');
    const found = sources.findIndex((s) => s.map((p) => p.toLowerCase()).join('\u0000') === key);
    if (found >= 0) return found;
    sources.push(parts);
    return sources.length - 1;
  };
  const shapes = shape.kind === 'unionAll' ? shape.branches : [shape];
  if (shapes.length !== branches.length)
    throw new PlanFailure('The UNION ALL branches of the query could not be told apart');
  if (shape.kind === 'aggregate' || shape.kind === 'distinct') {
    const [branch] = branches;
    if (branch === undefined) throw new PlanFailure('The query has no SELECT');
    return { shape, sources, maintenance: groupedMaintenance(scanned, branch, shape, sourceIndex) };
  }
  const templates = branches.map((branch, i) => {
    const template = branchTemplate(scanned, withoutOrderBy(scanned, branch), sourceIndex);
    const expected = sourcesOf(shapes[i]);
    if (template.slots.length !== expected) {
      throw new PlanFailure(
        `Found ${template.slots.length} table references in a SELECT that reads ${expected} tables`,
      );
    }
    return template;
  });
  return { shape, sources, maintenance: { kind: 'bag', branches: templates } };
}

function sourcesOf(shape: IncrementalShape | undefined): number {
  if (shape === undefined) return 0;
  if (shape.kind === 'innerJoin') return shape.sources.length;
  if (shape.kind === 'unionAll') return shape.branches.reduce((n, b) => n + sourcesOf(b), 0);
  return 1;
}
