import assert from 'node:assert/strict';
import type { SqlDialect } from '../src/engine/engine';
import { classifyIncremental, type IncrementalShape, type NotIncrementalReason } from '../src/sql/incremental-shape';

interface SupportedCase {
  readonly name: string;
  readonly dialect: SqlDialect;
  readonly query: string;
  readonly shape: IncrementalShape;
}

const SUPPORTED: readonly SupportedCase[] = [
  {
    name: 'a projection with a filter',
    dialect: 'sqlite',
    query: "SELECT id, upper(name) AS name FROM customers WHERE country = 'NL' ORDER BY id",
    shape: { kind: 'projectFilter', source: 'customers' },
  },
  {
    name: 'SELECT * from a qualified table',
    dialect: 'postgresql',
    query: 'SELECT * FROM sales.orders WHERE amount > 10',
    shape: { kind: 'projectFilter', source: 'sales.orders' },
  },
  {
    name: 'an inner equi-join, aliases resolved to tables',
    dialect: 'sqlite',
    query: 'SELECT o.id, c.name FROM orders o JOIN customers c ON o.customer_id = c.id AND c.region = o.region',
    shape: {
      kind: 'innerJoin',
      sources: ['orders', 'customers'],
      joinKeys: [
        ['orders.customer_id', 'customers.id'],
        ['customers.region', 'orders.region'],
      ],
    },
  },
  {
    name: 'three tables, INNER JOIN and USING',
    dialect: 'postgresql',
    query:
      'SELECT * FROM orders INNER JOIN customers ON orders.customer_id = customers.id JOIN regions USING (region_id)',
    shape: {
      kind: 'innerJoin',
      sources: ['orders', 'customers', 'regions'],
      joinKeys: [
        ['orders.customer_id', 'customers.id'],
        ['customers.region_id', 'regions.region_id'],
      ],
    },
  },
  {
    name: 'GROUP BY with every supported aggregate',
    dialect: 'sqlite',
    query:
      'SELECT o.region, product, COUNT(*) AS n, count(qty) AS lines, SUM(o.amount) total, AVG(amount) AS mean, ' +
      'MIN(amount) AS lo, MAX(amount) FROM orders o WHERE amount > 0 GROUP BY o.region, 2',
    shape: {
      kind: 'aggregate',
      source: 'orders',
      groupBy: ['region', 'product'],
      aggregates: [
        { fn: 'COUNT', column: null, alias: 'n' },
        { fn: 'COUNT', column: 'qty', alias: 'lines' },
        { fn: 'SUM', column: 'amount', alias: 'total' },
        { fn: 'AVG', column: 'amount', alias: 'mean' },
        { fn: 'MIN', column: 'amount', alias: 'lo' },
        { fn: 'MAX', column: 'amount', alias: 'MAX(amount)' },
      ],
    },
  },
  {
    name: 'unaliased aggregates take PostgreSQL default names',
    dialect: 'postgresql',
    query: 'SELECT region, count(*), sum(amount) FROM orders GROUP BY region',
    shape: {
      kind: 'aggregate',
      source: 'orders',
      groupBy: ['region'],
      aggregates: [
        { fn: 'COUNT', column: null, alias: 'count' },
        { fn: 'SUM', column: 'amount', alias: 'sum' },
      ],
    },
  },
  {
    name: 'an aggregate without GROUP BY is one group',
    dialect: 'sqlite',
    query: 'SELECT COUNT(*) AS n FROM orders',
    shape: {
      kind: 'aggregate',
      source: 'orders',
      groupBy: [],
      aggregates: [{ fn: 'COUNT', column: null, alias: 'n' }],
    },
  },
  {
    name: 'GROUP BY without aggregates',
    dialect: 'sqlite',
    query: 'SELECT region FROM orders GROUP BY region',
    shape: { kind: 'aggregate', source: 'orders', groupBy: ['region'], aggregates: [] },
  },
  {
    name: 'SELECT DISTINCT',
    dialect: 'sqlite',
    query: 'SELECT DISTINCT region, lower(product) FROM orders',
    shape: { kind: 'distinct', source: 'orders' },
  },
  {
    name: 'UNION ALL of different shapes',
    dialect: 'sqlite',
    query:
      'SELECT id FROM orders UNION ALL SELECT DISTINCT id FROM returns UNION ALL SELECT a.id FROM a JOIN b ON a.id = b.id',
    shape: {
      kind: 'unionAll',
      branches: [
        { kind: 'projectFilter', source: 'orders' },
        { kind: 'distinct', source: 'returns' },
        { kind: 'innerJoin', sources: ['a', 'b'], joinKeys: [['a.id', 'b.id']] },
      ],
    },
  },
  {
    name: 'UNION ALL in PostgreSQL',
    dialect: 'postgresql',
    query: 'SELECT id FROM orders UNION ALL SELECT id FROM returns',
    shape: {
      kind: 'unionAll',
      branches: [
        { kind: 'projectFilter', source: 'orders' },
        { kind: 'projectFilter', source: 'returns' },
      ],
    },
  },
  {
    name: 'SELECT DISTINCT over a grouped query selecting every GROUP BY column',
    dialect: 'mysql',
    query: 'SELECT DISTINCT region, SUM(amount) AS s FROM orders GROUP BY region',
    shape: {
      kind: 'aggregate',
      source: 'orders',
      groupBy: ['region'],
      aggregates: [{ fn: 'SUM', column: 'amount', alias: 's' }],
    },
  },
  {
    name: 'a date function on a column is deterministic',
    dialect: 'sqlite',
    query: "SELECT date(created_at) AS day FROM orders WHERE strftime('%Y', created_at) = '2024'",
    shape: { kind: 'projectFilter', source: 'orders' },
  },
];

interface RejectedCase {
  readonly dialect: SqlDialect;
  readonly query: string;
  readonly reason: NotIncrementalReason;
  /** A word the detail must contain, naming the construct. */
  readonly names: RegExp;
}

const REJECTED: readonly RejectedCase[] = [
  {
    dialect: 'sqlite',
    query: 'SELECT * FROM a LEFT JOIN b ON a.id = b.id',
    reason: 'OUTER_JOIN_NOT_SUPPORTED',
    names: /LEFT JOIN/,
  },
  {
    dialect: 'postgresql',
    query: 'SELECT * FROM a FULL JOIN b ON a.id = b.id',
    reason: 'OUTER_JOIN_NOT_SUPPORTED',
    names: /FULL JOIN/,
  },
  { dialect: 'sqlite', query: 'SELECT * FROM a JOIN b ON a.id < b.id', reason: 'NON_EQUI_JOIN', names: /ON condition/ },
  {
    dialect: 'sqlite',
    query: 'SELECT * FROM a JOIN b ON a.id = b.id AND b.kind = 1',
    reason: 'NON_EQUI_JOIN',
    names: /ON condition/,
  },
  { dialect: 'postgresql', query: 'SELECT * FROM a CROSS JOIN b', reason: 'NON_EQUI_JOIN', names: /CROSS or NATURAL/ },
  { dialect: 'sqlite', query: 'SELECT * FROM a NATURAL JOIN b', reason: 'NON_EQUI_JOIN', names: /CROSS or NATURAL/ },
  {
    dialect: 'sqlite',
    query: 'SELECT id, row_number() OVER (PARTITION BY region ORDER BY id) AS rn FROM orders',
    reason: 'WINDOW_FUNCTION',
    names: /row_number/,
  },
  {
    dialect: 'postgresql',
    query: 'SELECT id, sum(amount) OVER (ORDER BY id) FROM orders',
    reason: 'WINDOW_FUNCTION',
    names: /SUM/,
  },
  {
    dialect: 'sqlite',
    query: 'SELECT id, random() AS r FROM orders',
    reason: 'NON_DETERMINISTIC_FUNCTION',
    names: /random/,
  },
  {
    dialect: 'sqlite',
    query: "SELECT * FROM orders WHERE created_at > datetime('now', '-1 day')",
    reason: 'NON_DETERMINISTIC_FUNCTION',
    names: /datetime/,
  },
  {
    dialect: 'sqlite',
    query: 'SELECT *, CURRENT_TIMESTAMP AS seen FROM orders',
    reason: 'NON_DETERMINISTIC_FUNCTION',
    names: /CURRENT_TIMESTAMP/,
  },
  {
    dialect: 'postgresql',
    query: 'SELECT * FROM orders WHERE created_at > now()',
    reason: 'NON_DETERMINISTIC_FUNCTION',
    names: /now/,
  },
  {
    dialect: 'postgresql',
    query: 'SELECT * FROM orders WHERE day = CURRENT_DATE',
    reason: 'NON_DETERMINISTIC_FUNCTION',
    names: /CURRENT_DATE/,
  },
  { dialect: 'sqlite', query: 'SELECT * FROM orders ORDER BY amount DESC LIMIT 10', reason: 'LIMIT', names: /LIMIT/ },
  { dialect: 'postgresql', query: 'SELECT * FROM orders OFFSET 5', reason: 'LIMIT', names: /OFFSET/ },
  {
    dialect: 'sqlite',
    query: 'SELECT * FROM a WHERE id IN (SELECT id FROM b)',
    reason: 'SUBQUERY_IN_WHERE',
    names: /WHERE/,
  },
  {
    dialect: 'postgresql',
    query: 'SELECT * FROM a WHERE EXISTS (SELECT 1 FROM b WHERE b.id = a.id)',
    reason: 'SUBQUERY_IN_WHERE',
    names: /WHERE/,
  },
  {
    dialect: 'sqlite',
    query: 'SELECT id, (SELECT max(x) FROM b) AS m FROM a',
    reason: 'SUBQUERY_IN_SELECT',
    names: /select list/,
  },
  { dialect: 'sqlite', query: 'SELECT t.id FROM (SELECT id FROM a) t', reason: 'SUBQUERY_IN_FROM', names: /FROM/ },
  { dialect: 'sqlite', query: "SELECT value FROM json_each('[1,2]')", reason: 'SUBQUERY_IN_FROM', names: /json_each/ },
  { dialect: 'sqlite', query: 'WITH big AS (SELECT * FROM a) SELECT * FROM big', reason: 'CTE', names: /WITH/ },
  { dialect: 'sqlite', query: 'SELECT id FROM a UNION SELECT id FROM b', reason: 'UNION_DISTINCT', names: /UNION/ },
  {
    dialect: 'postgresql',
    query: 'SELECT id FROM a UNION ALL SELECT id FROM b UNION SELECT id FROM c',
    reason: 'UNION_DISTINCT',
    names: /UNION/,
  },
  { dialect: 'sqlite', query: 'SELECT id FROM a EXCEPT SELECT id FROM b', reason: 'INTERSECT_EXCEPT', names: /EXCEPT/ },
  {
    dialect: 'postgresql',
    query: 'SELECT id FROM a INTERSECT SELECT id FROM b',
    reason: 'INTERSECT_EXCEPT',
    names: /INTERSECT/,
  },
  {
    dialect: 'sqlite',
    query: 'SELECT region, COUNT(*) FROM orders GROUP BY region HAVING COUNT(*) > 1',
    reason: 'HAVING',
    names: /HAVING/,
  },
  {
    dialect: 'sqlite',
    query: 'SELECT region, group_concat(id) FROM orders GROUP BY region',
    reason: 'UNSUPPORTED_AGGREGATE',
    names: /GROUP_CONCAT/,
  },
  { dialect: 'sqlite', query: 'SELECT total(amount) FROM orders', reason: 'UNSUPPORTED_AGGREGATE', names: /TOTAL/ },
  {
    dialect: 'postgresql',
    query: "SELECT string_agg(name, ',') FROM orders",
    reason: 'UNSUPPORTED_AGGREGATE',
    names: /STRING_AGG/,
  },
  {
    dialect: 'sqlite',
    query: 'SELECT SUM(price * qty) AS revenue FROM orders',
    reason: 'AGGREGATE_OF_EXPRESSION',
    names: /SUM\(price \* qty\)/,
  },
  {
    dialect: 'sqlite',
    query: 'SELECT SUM(a) / COUNT(*) AS r FROM orders',
    reason: 'AGGREGATE_OF_EXPRESSION',
    names: /select item/,
  },
  {
    dialect: 'sqlite',
    query: 'SELECT COUNT(*) FROM orders GROUP BY lower(region)',
    reason: 'AGGREGATE_OF_EXPRESSION',
    names: /GROUP BY lower/,
  },
  {
    dialect: 'sqlite',
    query: 'SELECT COUNT(DISTINCT customer_id) FROM orders',
    reason: 'DISTINCT_AGGREGATE',
    names: /COUNT\(DISTINCT/,
  },
  {
    dialect: 'sqlite',
    query: 'SELECT DISTINCT region, COUNT(*) FROM orders GROUP BY region, product',
    reason: 'DISTINCT_AGGREGATE',
    names: /SELECT DISTINCT over a grouped query/,
  },
  {
    dialect: 'mysql',
    query: 'SELECT * FROM orders WHERE created_at > UNIX_TIMESTAMP()',
    reason: 'NON_DETERMINISTIC_FUNCTION',
    names: /UNIX_TIMESTAMP/,
  },
  {
    dialect: 'sqlite',
    query: 'SELECT * FROM emp e JOIN emp m ON e.manager_id = m.id',
    reason: 'SELF_JOIN',
    names: /emp/,
  },
  { dialect: 'sqlite', query: 'SELECT * FROM a, b WHERE a.id = b.id', reason: 'MULTIPLE_SOURCES', names: /comma/ },
  {
    dialect: 'postgresql',
    query: 'SELECT c.region, count(*) FROM orders o JOIN customers c ON o.customer_id = c.id GROUP BY c.region',
    reason: 'MULTIPLE_SOURCES',
    names: /orders, customers/,
  },
  { dialect: 'sqlite', query: 'SELECT 1 AS one', reason: 'NO_SOURCE', names: /no table/ },
  { dialect: 'sqlite', query: 'SELEC id FROM orders', reason: 'UNPARSABLE', names: /parsed/ },
  { dialect: 'sqlite', query: 'DELETE FROM orders', reason: 'UNPARSABLE', names: /SELECT/ },
];

describe('classifyIncremental', () => {
  describe('maintains supported queries incrementally', () => {
    for (const { name, dialect, query, shape } of SUPPORTED) {
      it(`${name} (${dialect})`, () => {
        assert.deepEqual(classifyIncremental(query, dialect), { incremental: true, shape });
      });
    }
  });

  describe('refreshes other queries fully, naming the reason', () => {
    for (const { dialect, query, reason, names } of REJECTED) {
      it(`${reason}: ${query} (${dialect})`, () => {
        const verdict = classifyIncremental(query, dialect);
        assert.equal(verdict.incremental, false, JSON.stringify(verdict));
        if (verdict.incremental) return;
        assert.equal(verdict.reason, reason, verdict.detail);
        assert.match(verdict.detail, names);
      });
    }
  });

  it('covers every reason with at least one query', () => {
    const reasons = new Set(REJECTED.map((entry) => entry.reason));
    const all: readonly NotIncrementalReason[] = [
      'OUTER_JOIN_NOT_SUPPORTED',
      'NON_EQUI_JOIN',
      'WINDOW_FUNCTION',
      'NON_DETERMINISTIC_FUNCTION',
      'LIMIT',
      'SUBQUERY_IN_WHERE',
      'SUBQUERY_IN_SELECT',
      'SUBQUERY_IN_FROM',
      'CTE',
      'UNION_DISTINCT',
      'INTERSECT_EXCEPT',
      'HAVING',
      'UNSUPPORTED_AGGREGATE',
      'AGGREGATE_OF_EXPRESSION',
      'DISTINCT_AGGREGATE',
      'SELF_JOIN',
      'MULTIPLE_SOURCES',
      'NO_SOURCE',
      'UNPARSABLE',
    ];
    assert.deepEqual(
      all.filter((reason) => !reasons.has(reason)),
      [],
    );
  });

  it('rejects a whole UNION ALL when one branch is not incremental, naming that branch', () => {
    const verdict = classifyIncremental(
      'SELECT id FROM a UNION ALL SELECT id FROM b LEFT JOIN c ON b.id = c.id',
      'sqlite',
    );
    assert.deepEqual(verdict, {
      incremental: false,
      reason: 'OUTER_JOIN_NOT_SUPPORTED',
      detail: 'LEFT JOIN with c is not maintained incrementally; only INNER JOIN is',
    });
  });
});
