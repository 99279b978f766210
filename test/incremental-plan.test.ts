import assert from 'node:assert/strict';
import { planIncremental, renderTemplate, type IncrementalPlan } from '../src/sql/incremental-plan';

function planned(query: string, dialect: 'sqlite' | 'postgresql' = 'sqlite'): IncrementalPlan {
  const result = planIncremental(query, dialect);
  assert.ok(result.incremental, result.incremental ? '' : `${result.reason}: ${result.detail}`);
  return result.plan;
}

/** Every template of a plan with its sources replaced by `<i>`. */
function rendered(plan: IncrementalPlan): string[] {
  const templates = plan.maintenance.kind === 'bag' ? plan.maintenance.branches : [plan.maintenance.input];
  return templates.map((t) => renderTemplate(t, (slot) => `<${slot.source}>`));
}

describe('incremental plans: the query with holes where it reads its sources', () => {
  it('keeps aliases, and aliases a replaced table by its own name so qualified columns still resolve', () => {
    assert.deepEqual(rendered(planned('SELECT o.id, c.name FROM orders o JOIN customers AS c ON o.cid = c.id')), [
      'SELECT o.id, c.name FROM <0> o JOIN <1> AS c ON o.cid = c.id',
    ]);
    assert.deepEqual(rendered(planned('SELECT orders.id FROM main.orders WHERE orders.x > 1;')), [
      'SELECT orders.id FROM <0> AS orders WHERE orders.x > 1',
    ]);
    assert.deepEqual(planned('SELECT orders.id FROM main.orders').sources, [['main', 'orders']]);
  });

  it('puts the table back as written when a slot reads the table itself', () => {
    const plan = planned('SELECT id FROM "Weird Name" w WHERE id > 0');
    const template = plan.maintenance.kind === 'bag' ? plan.maintenance.branches[0] : undefined;
    assert.equal(
      renderTemplate(template!, () => null),
      'SELECT id FROM "Weird Name" w WHERE id > 0',
    );
  });

  it('folds unquoted source names to lower case for PostgreSQL, as it does', () => {
    assert.deepEqual(planned('SELECT id FROM Sales.Orders', 'postgresql').sources, [['sales', 'orders']]);
    assert.deepEqual(planned('SELECT id FROM "Sales"."Orders"', 'postgresql').sources, [['Sales', 'Orders']]);
    assert.deepEqual(planned('SELECT id FROM Orders', 'sqlite').sources, [['Orders']]);
  });

  it('splits UNION ALL into branches and drops a trailing ORDER BY', () => {
    assert.deepEqual(rendered(planned('SELECT a FROM t1 UNION ALL SELECT b FROM t2 WHERE b > 1 ORDER BY 1')), [
      'SELECT a FROM <0> AS t1',
      'SELECT b FROM <1> AS t2 WHERE b > 1',
    ]);
  });

  it('turns GROUP BY into the rows the aggregates read: keys first, then each aggregated column', () => {
    const plan = planned(
      'SELECT region, COUNT(*) AS n, SUM(amount) s, AVG(o.amount) FROM orders o WHERE amount > 0 GROUP BY region ORDER BY n',
    );
    assert.deepEqual(rendered(plan), ['SELECT region, amount, o.amount FROM <0> o WHERE amount > 0']);
    assert.equal(plan.maintenance.kind, 'grouped');
    if (plan.maintenance.kind !== 'grouped') return;
    assert.equal(plan.maintenance.keyCount, 1);
    assert.deepEqual(plan.maintenance.aggregates, [
      { fn: 'COUNT', input: null },
      { fn: 'SUM', input: 1 },
      { fn: 'AVG', input: 2 },
    ]);
    assert.deepEqual(plan.maintenance.outputs, [{ key: 0 }, { aggregate: 0 }, { aggregate: 1 }, { aggregate: 2 }]);
  });

  it('reads GROUP BY positions, a lone COUNT(*), and DISTINCT', () => {
    assert.deepEqual(rendered(planned('SELECT k, count(*) FROM t GROUP BY 1')), ['SELECT k FROM <0> AS t']);
    assert.deepEqual(rendered(planned('SELECT COUNT(*) AS n FROM t')), ['SELECT 1 FROM <0> AS t']);
    const distinct = planned('SELECT DISTINCT region, lower(name) FROM orders WHERE x = 1');
    assert.deepEqual(rendered(distinct), ['SELECT  region, lower(name) FROM <0> AS orders WHERE x = 1']);
    assert.equal(distinct.maintenance.kind === 'grouped' && distinct.maintenance.keyCount, 'all');
  });

  it('refuses UNION ALL of aggregating branches, with a reason', () => {
    const result = planIncremental('SELECT COUNT(*) FROM a UNION ALL SELECT COUNT(*) FROM b', 'sqlite');
    assert.equal(result.incremental, false);
    assert.equal(!result.incremental && result.reason, 'AGGREGATE_IN_UNION');
  });
});
