/**
 * The SQL of incremental maintenance that SQLite and PostgreSQL share: computing what changed in a query's
 * result from what changed in its sources, and the per-group state of GROUP BY and DISTINCT queries. Engines
 * add the parts their dialects disagree on (matching NULL keys, temporary tables, averages).
 *
 * A source's changes since a table's watermark are two sets of rows: `plus`, the rows that appeared, and
 * `minus`, the rows that went away (an UPDATE is one of each). The query's result changes by
 *   Q(new sources) − Q(old sources), where old = new − plus + minus,
 * and because a projection, a filter, an inner join and UNION ALL are linear in each of their inputs, that
 * difference expands (inclusion–exclusion over the changed sources) into terms that each evaluate the user's own
 * query with some sources replaced by `plus` or `minus` sets, the rest read as they are now. Each term's rows
 * count +1 or −1; summed per distinct row, they say how many copies of the row to add or remove. With one
 * changed source that is two terms (plus, minus); with two, eight.
 */
import type { GroupedMaintenance, QueryTemplate } from '../sql/incremental-plan';
import { renderTemplate } from '../sql/incremental-plan';

/** SELECTs of a source's changes since the watermark, with the source's own column names. */
export interface ChangeSetSql {
  readonly plus: string;
  readonly minus: string;
}

/** More terms than this and the refresh is done fully instead (a join of five or more changed tables). */
export const MAX_DELTA_TERMS = 80;

/** Thrown when a delta cannot be expressed; the engine refreshes fully and reports `message`. */
export class IncrementalUnavailable extends Error {}

/** The i-th column (0-based) of a delta or input relation. */
export const deltaColumn = (i: number) => `__c${i + 1}`;
export const keyColumn = (i: number) => `__k${i + 1}`;
export const sumColumn = (j: number) => `__s${j + 1}`;
export const countColumn = (j: number) => `__n${j + 1}`;
export const extremeColumn = (j: number) => `__m${j + 1}`;
/** Signed multiplicity of a delta row. */
export const WEIGHT = '__w';
/** Rows in a group (state) and its change (group delta). */
export const GROUP_COUNT = '__cnt';

const columns = (width: number, name: (i: number) => string = deltaColumn) =>
  Array.from({ length: width }, (_, i) => name(i));

/**
 * The signed change of a bag query's result: columns `__c1 … __c<width>` and `__w`, one row per distinct
 * result row whose multiplicity changed, `__w` copies to add (negative: to remove). Null when no branch reads a
 * changed source.
 */
export function bagDeltaSql(
  templates: readonly QueryTemplate[],
  width: number,
  changes: ReadonlyMap<number, ChangeSetSql>,
): string | null {
  const terms: Array<{ sql: string; weight: 1 | -1 }> = [];
  for (const template of templates) {
    const changed = [...new Set(template.slots.map((slot) => slot.source))].filter((source) => changes.has(source));
    for (let subset = 1; subset < 1 << changed.length; subset += 1) {
      const members = changed.filter((_, i) => (subset & (1 << i)) !== 0);
      for (let signs = 0; signs < 1 << members.length; signs += 1) {
        if (terms.length >= MAX_DELTA_TERMS) {
          throw new IncrementalUnavailable(
            `the change touches too many joined tables at once (more than ${MAX_DELTA_TERMS} delta terms)`,
          );
        }
        const minusOf = new Set(members.filter((_, i) => (signs & (1 << i)) !== 0));
        const sign = (members.length + 1 + minusOf.size) % 2 === 0 ? 1 : -1;
        const sql = renderTemplate(template, (slot) => {
          const set = changes.get(slot.source);
          if (set === undefined || !members.includes(slot.source)) return null;
          return `(\n${minusOf.has(slot.source) ? set.minus : set.plus}\n)`;
        });
        terms.push({ sql, weight: sign });
      }
    }
  }
  if (terms.length === 0) return null;
  const list = columns(width).join(', ');
  const ctes = terms.map((term, i) => `__t${i}(${list}) AS (\n${term.sql}\n)`).join(',\n');
  const union = terms
    .map((term, i) => `SELECT ${list}, ${term.weight} AS ${WEIGHT} FROM __t${i}`)
    .join('\nUNION ALL\n');
  return `WITH ${ctes}\nSELECT ${list}, SUM(${WEIGHT}) AS ${WEIGHT} FROM (\n${union}\n) AS __terms GROUP BY ${list} HAVING SUM(${WEIGHT}) <> 0`;
}

/** How many leading input columns are group keys, given the input's width. */
export function keyCountOf(plan: GroupedMaintenance, inputWidth: number): number {
  return plan.keyCount === 'all' ? inputWidth : plan.keyCount;
}

/** Aggregates whose state is a running sum and count of non-null inputs (COUNT(col), SUM, AVG). */
export function summed(plan: GroupedMaintenance): number[] {
  return plan.aggregates.flatMap((a, j) => (a.input !== null && a.fn !== 'MIN' && a.fn !== 'MAX' ? [j] : []));
}

/** Aggregates recomputed from the source for the groups that changed (MIN, MAX). */
export function extremes(plan: GroupedMaintenance): number[] {
  return plan.aggregates.flatMap((a, j) => (a.fn === 'MIN' || a.fn === 'MAX' ? [j] : []));
}

/**
 * The change of each group's state: `__k…` keys, `__cnt` the change in its row count, and per summed
 * aggregate the change of its sum (`__s…`) and of its count of non-null inputs (`__n…`).
 */
export function groupDeltaSql(plan: GroupedMaintenance, inputWidth: number, inputDelta: string): string {
  const keys = keyCountOf(plan, inputWidth);
  const parts = [
    ...columns(keys).map((c, i) => `${c} AS ${keyColumn(i)}`),
    `COALESCE(SUM(${WEIGHT}), 0) AS ${GROUP_COUNT}`,
    ...summed(plan).flatMap((j) => {
      const input = deltaColumn(plan.aggregates[j]?.input ?? 0);
      return [
        `SUM(${WEIGHT} * ${input}) AS ${sumColumn(j)}`,
        `COALESCE(SUM(CASE WHEN ${input} IS NULL THEN 0 ELSE ${WEIGHT} END), 0) AS ${countColumn(j)}`,
      ];
    }),
  ];
  const groupBy = keys === 0 ? '' : ` GROUP BY ${columns(keys).join(', ')}`;
  return `SELECT ${parts.join(', ')} FROM (\n${inputDelta}\n) AS __d${groupBy}`;
}

/** The input query over the sources as they are now, its columns named `__c1 …`, as a WITH clause named `__in`. */
export function inputCte(plan: GroupedMaintenance, inputWidth: number): string {
  return `WITH __in(${columns(inputWidth).join(', ')}) AS (\n${renderTemplate(plan.input, () => null)}\n)`;
}

/** The whole state of every group, computed from the sources as they are now (built at a full refresh). */
export function stateSql(plan: GroupedMaintenance, inputWidth: number): string {
  const keys = keyCountOf(plan, inputWidth);
  const parts = [
    ...columns(keys).map((c, i) => `${c} AS ${keyColumn(i)}`),
    `COUNT(*) AS ${GROUP_COUNT}`,
    ...summed(plan).flatMap((j) => {
      const input = deltaColumn(plan.aggregates[j]?.input ?? 0);
      return [`SUM(${input}) AS ${sumColumn(j)}`, `COUNT(${input}) AS ${countColumn(j)}`];
    }),
  ];
  const groupBy = keys === 0 ? '' : ` GROUP BY ${columns(keys).join(', ')}`;
  return `${inputCte(plan, inputWidth)}\nSELECT ${parts.join(', ')} FROM __in${groupBy}`;
}

/**
 * One output expression per query output column, reading the state row `s` and the recomputed extremes `m`;
 * `average(sum, count, column)` renders AVG in the engine's dialect for output column `column`.
 */
export function outputExpressions(
  plan: GroupedMaintenance,
  outputWidth: number,
  average: (sum: string, count: string, output: number) => string,
): string[] {
  const outputs = plan.outputs ?? Array.from({ length: outputWidth }, (_, key) => ({ key }));
  return outputs.map((output, column) => {
    if ('key' in output) return `s.${keyColumn(output.key)}`;
    const j = output.aggregate;
    const aggregate = plan.aggregates[j];
    if (aggregate === undefined) throw new IncrementalUnavailable(`output column ${column + 1} has no aggregate`);
    if (aggregate.fn === 'MIN' || aggregate.fn === 'MAX') return `m.${extremeColumn(j)}`;
    if (aggregate.input === null) return `s.${GROUP_COUNT}`;
    const sum = `s.${sumColumn(j)}`;
    const count = `s.${countColumn(j)}`;
    if (aggregate.fn === 'COUNT') return count;
    if (aggregate.fn === 'SUM') return `CASE WHEN ${count} > 0 THEN ${sum} END`;
    return `CASE WHEN ${count} > 0 THEN ${average(sum, count, column)} END`;
  });
}

/**
 * MIN and MAX of the groups in `groups` (a relation with `__k…` columns; null for every group), recomputed from
 * the sources as they are now: `__k…` and one `__m…` per extreme. `keyMatch(a, b)` is the engine's NULL-safe
 * key equality.
 */
export function extremesSql(
  plan: GroupedMaintenance,
  inputWidth: number,
  groups: string | null,
  keyMatch: (input: string, group: string) => string,
): string {
  const keys = keyCountOf(plan, inputWidth);
  const parts = [
    ...columns(keys).map((c, i) => `__in.${c} AS ${keyColumn(i)}`),
    ...extremes(plan).map((j) => {
      const aggregate = plan.aggregates[j];
      return `${aggregate?.fn ?? 'MIN'}(__in.${deltaColumn(aggregate?.input ?? 0)}) AS ${extremeColumn(j)}`;
    }),
  ];
  const on = columns(keys).map((c, i) => keyMatch(`__in.${c}`, `g.${keyColumn(i)}`));
  const join = keys === 0 || groups === null ? '' : ` JOIN ${groups} AS g ON ${on.join(' AND ')}`;
  const groupBy =
    keys === 0
      ? ''
      : ` GROUP BY ${columns(keys)
          .map((c) => `__in.${c}`)
          .join(', ')}`;
  return `${inputCte(plan, inputWidth)}\nSELECT ${parts.join(', ')} FROM __in${join}${groupBy}`;
}

/**
 * The target columns holding each group key (target column i is filled by query output `positions[i]`), or
 * null when a key is not among the table's columns, so that its rows cannot be found by key.
 */
export function targetKeys(
  plan: GroupedMaintenance,
  keys: number,
  targets: readonly string[],
  positions: readonly number[],
): string[] | null {
  const outputs = plan.outputs ?? Array.from({ length: keys }, (_, key) => ({ key }));
  const found: string[] = [];
  for (let key = 0; key < keys; key += 1) {
    const output = outputs.findIndex((o) => 'key' in o && o.key === key);
    const target = positions.indexOf(output);
    if (output < 0 || target < 0) return null;
    found.push(targets[target] ?? '');
  }
  return found;
}
