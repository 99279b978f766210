import assert from 'node:assert/strict';
import type { SqlDialect } from '../src/engine/engine';
import { isFreshetError } from '../src/errors';
import { parseScript } from '../src/sql/ddl-parser';
import { analyzeQuery } from '../src/sql/query-analyzer';
import type { QueryText, SourcePosition } from '../src/sql/statements';

const START: SourcePosition = { offset: 0, line: 1, column: 1 };

function sourceTables(dialect: SqlDialect, text: string): string[][] {
  return analyzeQuery({ text, position: START }, dialect).sourceTables.map((table) => [...table.parts]);
}

function analysisFailure(query: QueryText, dialect: SqlDialect = 'sqlite') {
  try {
    analyzeQuery(query, dialect);
  } catch (error) {
    assert.ok(isFreshetError(error), `expected a FreshetError, got ${String(error)}`);
    assert.equal(error.code, 'PARSE_ERROR');
    return { message: error.message, line: error.line, column: error.column };
  }
  assert.fail(`expected ${query.text} to be rejected`);
}

describe('analyzeQuery: source tables', () => {
  const cases: Array<[SqlDialect, string, string, string[][]]> = [
    [
      'sqlite',
      'an aggregate with GROUP BY and HAVING',
      'SELECT customer_id, count(*) AS n, sum(amount) FROM orders GROUP BY customer_id HAVING count(*) > 1',
      [['orders']],
    ],
    [
      'sqlite',
      'joins, in order',
      'SELECT o.id, c.name FROM orders o JOIN customers c ON c.id = o.customer_id LEFT JOIN regions r USING (region_id)',
      [['orders'], ['customers'], ['regions']],
    ],
    [
      'sqlite',
      'a CTE, not counted as a table',
      "WITH recent AS (SELECT * FROM orders WHERE ts > datetime('now', '-1 day')) SELECT * FROM recent JOIN customers ON 1",
      [['orders'], ['customers']],
    ],
    [
      'sqlite',
      'a CTE referred to in another case',
      'WITH Recent AS (SELECT * FROM orders) SELECT * FROM recent',
      [['orders']],
    ],
    [
      'sqlite',
      'a CTE used by a later CTE',
      'WITH a AS (SELECT * FROM t1), b AS (SELECT * FROM a JOIN t2 ON 1) SELECT * FROM b',
      [['t1'], ['t2']],
    ],
    [
      'sqlite',
      'a recursive CTE',
      'WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < 10) SELECT x FROM n',
      [],
    ],
    [
      'sqlite',
      'a qualified name that matches a CTE (a real table)',
      'WITH c AS (SELECT * FROM t) SELECT * FROM main.c',
      [['t'], ['main', 'c']],
    ],
    [
      'sqlite',
      'a nested CTE, visible only inside its subquery',
      'SELECT * FROM (WITH d AS (SELECT * FROM t) SELECT * FROM d) AS s WHERE s.x IN (SELECT x FROM d)',
      [['t'], ['d']],
    ],
    [
      'sqlite',
      'subqueries in FROM and WHERE',
      'SELECT * FROM (SELECT a FROM inner_t) s WHERE a IN (SELECT a FROM filter_t) AND EXISTS (SELECT 1 FROM e WHERE e.a = s.a)',
      [['inner_t'], ['filter_t'], ['e']],
    ],
    [
      'sqlite',
      'a scalar subquery in the select list',
      'SELECT (SELECT max(v) FROM m) AS top, a FROM t',
      [['m'], ['t']],
    ],
    [
      'sqlite',
      'unions, deduplicated',
      'SELECT a FROM t1 UNION ALL SELECT a FROM t2 UNION SELECT a FROM T1',
      [['t1'], ['t2']],
    ],
    [
      'sqlite',
      'a window function with PARTITION BY',
      'SELECT a, row_number() OVER (PARTITION BY b ORDER BY c) FROM t',
      [['t']],
    ],
    [
      'sqlite',
      'CASE, CAST, strftime and ||',
      "SELECT CASE WHEN a > 0 THEN 'pos' ELSE 'neg' END, CAST(b AS INTEGER), strftime('%Y-%m-%d', ts), a || '-' || b FROM t",
      [['t']],
    ],
    [
      'sqlite',
      'date functions, iif, coalesce',
      "SELECT date(ts), julianday('now') - julianday(ts), iif(a, 1, 0), coalesce(a, 0) FROM t",
      [['t']],
    ],
    [
      'sqlite',
      'quoted identifiers',
      'SELECT "Order Id" FROM "Order Lines" JOIN `Products` ON 1',
      [['Order Lines'], ['Products']],
    ],
    ['sqlite', 'a qualified main.t', 'SELECT * FROM main.orders', [['main', 'orders']]],
    ['sqlite', 'a table-valued function, which is not a table', "SELECT value FROM json_each('[1,2]')", []],
    ['sqlite', 'no table at all', 'SELECT 1', []],
    ['sqlite', 'a comment around the query', '-- hourly\nSELECT * FROM t /* all of it */', [['t']]],
    // Valid SQLite that node-sql-parser's SQLite grammar rejects: read with the other grammars.
    ['sqlite', 'a window ordered without PARTITION BY', 'SELECT a, rank() OVER (ORDER BY c DESC) FROM t', [['t']]],
    ['sqlite', 'a RIGHT JOIN', 'SELECT * FROM t RIGHT JOIN u ON t.id = u.id', [['t'], ['u']]],
    ['sqlite', 'a CROSS JOIN', 'SELECT * FROM t1 CROSS JOIN t2', [['t1'], ['t2']]],
    ['sqlite', 'INTERSECT', 'SELECT a FROM t1 INTERSECT SELECT a FROM t2', [['t1'], ['t2']]],
    ['sqlite', 'an aggregate FILTER', 'SELECT a, count(*) FILTER (WHERE b > 0) FROM t GROUP BY a', [['t']]],
    [
      'postgresql',
      'schema-qualified names',
      'SELECT * FROM public.orders o JOIN sales.customers c ON c.id = o.cid',
      [
        ['public', 'orders'],
        ['sales', 'customers'],
      ],
    ],
    ['postgresql', 'a three-part name', 'SELECT * FROM warehouse.public.orders', [['warehouse', 'public', 'orders']]],
    [
      'postgresql',
      'date_trunc and ::',
      "SELECT date_trunc('hour', ts)::date, count(*) FROM events GROUP BY 1",
      [['events']],
    ],
    [
      'postgresql',
      'a parenthesised join',
      'SELECT * FROM t1 JOIN (t2 JOIN t3 ON t2.a = t3.a) ON t1.a = t2.a',
      [['t1'], ['t2'], ['t3']],
    ],
    [
      'postgresql',
      'a LATERAL subquery',
      'SELECT * FROM t, LATERAL (SELECT * FROM u WHERE u.id = t.id) x',
      [['t'], ['u']],
    ],
    [
      'mysql',
      'backquoted, qualified names',
      "SELECT `id` FROM `shop`.`orders` WHERE DATE_FORMAT(ts, '%Y') = '2024'",
      [['shop', 'orders']],
    ],
  ];
  for (const [dialect, name, text, expected] of cases) {
    it(`finds the tables of ${name} (${dialect})`, () => {
      assert.deepEqual(sourceTables(dialect, text), expected);
    });
  }

  const AT = { offset: 100, line: 5, column: 10 };
  for (const dialect of ['sqlite', 'postgresql', 'mysql'] as const) {
    it(`gives each table the position of its name in the whole text (${dialect})`, () => {
      const text = 'SELECT o.a, orders_total\nFROM   orders o, items\n  JOIN (main.parts p JOIN t2 ON 1) ON 1';
      const analysis = analyzeQuery({ text, position: AT }, dialect);
      assert.deepEqual(
        analysis.sourceTables.map((table) => [table.parts.join('.'), table.position]),
        [
          ['orders', { offset: 132, line: 6, column: 8 }],
          ['items', { offset: 142, line: 6, column: 18 }],
          ['main.parts', { offset: 156, line: 7, column: 9 }],
          ['t2', { offset: 174, line: 7, column: 27 }],
        ],
      );
    });
  }

  it('analyses the query of a parsed CREATE DYNAMIC TABLE', () => {
    const [statement] = parseScript(
      'CREATE DYNAMIC TABLE daily AS\n  WITH c AS (SELECT * FROM raw) SELECT * FROM c JOIN dims ON 1;',
    );
    assert.ok(statement?.kind === 'createDynamicTable');
    assert.deepEqual(
      analyzeQuery(statement.query, 'sqlite').sourceTables.map((table) => table.parts),
      [['raw'], ['dims']],
    );
  });
});

describe('analyzeQuery: rejections', () => {
  const AT = { offset: 100, line: 5, column: 10 };
  const cases: Array<[string, string, SqlDialect, RegExp, number, number]> = [
    [
      'an INSERT',
      'INSERT INTO t VALUES (1)',
      'sqlite',
      /^The query of a dynamic table must be a SELECT statement \(found INSERT\)/,
      5,
      10,
    ],
    [
      'an UPDATE',
      'UPDATE t SET a = 1',
      'sqlite',
      /^The query of a dynamic table must be a SELECT statement \(found UPDATE\)/,
      5,
      10,
    ],
    [
      'a CREATE TABLE',
      'CREATE TABLE x (a int)',
      'sqlite',
      /^The query of a dynamic table must be a SELECT statement \(found CREATE\)/,
      5,
      10,
    ],
    [
      'two statements',
      'SELECT 1; SELECT 2',
      'sqlite',
      /^The query of a dynamic table must be a SELECT statement; found 2 statements/,
      5,
      10,
    ],
    [
      'SELECT … INTO',
      'SELECT a INTO b FROM t',
      'postgresql',
      /^The query of a dynamic table must be a SELECT statement without INTO/,
      5,
      10,
    ],
    [
      'a syntax error on the first line',
      'SELECT a FROM t WHERE = 1',
      'sqlite',
      /^Syntax error in the query near '= 1' at line 5, column 32/,
      5,
      32,
    ],
    [
      'a syntax error on a later line',
      'SELECT a\nFROM t\nWHERE = 1',
      'sqlite',
      /^Syntax error in the query near '= 1' at line 7, column 7/,
      7,
      7,
    ],
    [
      'a query that stops short',
      'SELECT * FROM',
      'sqlite',
      /^Syntax error in the query: unexpected end of the query at line 5, column 23/,
      5,
      23,
    ],
    ['a misspelt keyword', 'SELEC a FROM t', 'postgresql', /^Syntax error in the query near 'a FROM t'/, 5, 16],
  ];
  for (const [name, text, dialect, message, line, column] of cases) {
    it(`rejects ${name} with its absolute position`, () => {
      const failure = analysisFailure({ text, position: AT }, dialect);
      assert.match(failure.message, message);
      assert.deepEqual([failure.line, failure.column], [line, column]);
    });
  }

  it('places a syntax error in the query of the second statement of a script', () => {
    const script = 'SELECT 1;\nCREATE DYNAMIC TABLE d\nAS SELECT a\n  FROM t WHERE = 1;';
    const statement = parseScript(script)[1];
    assert.ok(statement?.kind === 'createDynamicTable');
    const failure = analysisFailure(statement.query);
    assert.deepEqual([failure.line, failure.column], [4, 16]);
  });
});
