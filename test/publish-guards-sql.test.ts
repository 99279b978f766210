/**
 * Publish guards in SQL, through REST on SQLite: `CONSTRAINT … EXPECT (…)` in CREATE's column list, the `guard.*`
 * options of WITH and ALTER … SET / RESET, the errors each mistake gets, and how GET, DESCRIBE and SHOW CREATE
 * show the guards.
 */
import { strict as assert } from 'node:assert';
import { statementNeed } from '../src/manager/scopes';
import { parseScript } from '../src/sql/ddl-parser';
import { TestGateway } from './helpers/gateway';

const CREATE = `CREATE DYNAMIC TABLE dt`;
const TAIL = `FRESHNESS = INTERVAL '1' HOUR AS SELECT k, v FROM src`;

describe('publish guards: SQL', () => {
  let gw: TestGateway;
  before(async () => {
    gw = await TestGateway.start({ monitor: { intervalSeconds: 0 } });
    await gw.sql(`CREATE TABLE src (k TEXT, v INTEGER); INSERT INTO src VALUES ('a', 1), ('b', 2)`);
  });
  after(() => gw.close());
  afterEach(() => gw.sql('DROP DYNAMIC TABLE IF EXISTS dt'));

  it('parses expectations among the columns and the primary key, keeping each condition as written', () => {
    const text = `${CREATE} (k, v, CONSTRAINT pk PRIMARY KEY (k) NOT ENFORCED,
         CONSTRAINT "Positive" EXPECT ( v > 0 AND (k <> 'x)') ) ON VIOLATION DROP ROW,
         CONSTRAINT warned EXPECT (length(k) < 10),
         constraint hard expect (v IS NOT NULL) on violation fail refresh) ${TAIL}`;
    const [stmt] = parseScript(text);
    assert.equal(stmt?.kind, 'createDynamicTable');
    if (stmt?.kind !== 'createDynamicTable') return;
    assert.deepEqual(stmt.columns, ['k', 'v']);
    assert.deepEqual(stmt.primaryKey, { constraintName: 'pk', columns: ['k'], enforced: false });
    assert.deepEqual(
      stmt.expectations.map(({ name, condition, onViolation }) => [name, condition, onViolation]),
      [
        ['Positive', "v > 0 AND (k <> 'x)')", 'DROP_ROW'],
        ['warned', 'length(k) < 10', 'WARN'],
        ['hard', 'v IS NOT NULL', 'FAIL_REFRESH'],
      ],
    );
    const offset = text.indexOf('"Positive"');
    assert.deepEqual(stmt.expectations[0]?.position, { offset, line: 2, column: offset - text.indexOf('\n') });
  });

  /** What is wrong, the column list, the message, and the text the error must point at (its first occurrence). */
  const parseErrors: Array<[string, string, RegExp, string]> = [
    [
      'a duplicate name',
      `(CONSTRAINT c EXPECT (v > 0), CONSTRAINT C EXPECT (v < 9))`,
      /Constraint 'C' is declared more than once/,
      'C EXPECT',
    ],
    [
      'a name shared with the primary key',
      `(CONSTRAINT c EXPECT (v > 0), CONSTRAINT c PRIMARY KEY (k))`,
      /Constraint 'c' is declared more than once/,
      'c EXPECT',
    ],
    [
      'an empty condition',
      `(CONSTRAINT c EXPECT ( ))`,
      /Constraint 'c' needs a condition between the parentheses/,
      '))',
    ],
    [
      'a condition without parentheses',
      `(CONSTRAINT c EXPECT v > 0)`,
      /Expected '\(' and a condition after EXPECT, as in EXPECT \(amount > 0\) but found v/,
      'v > 0',
    ],
    [
      'an unclosed condition',
      `(CONSTRAINT c EXPECT (v > (0)`,
      /Expected '\)' closing the condition of constraint 'c' but found end of input/,
      '',
    ],
    [
      'an unknown action',
      `(CONSTRAINT c EXPECT (v > 0) ON VIOLATION IGNORE)`,
      /Expected WARN, DROP ROW or FAIL REFRESH after ON VIOLATION but found IGNORE/,
      'IGNORE',
    ],
    [
      "Databricks' FAIL UPDATE",
      `(CONSTRAINT c EXPECT (v > 0) ON VIOLATION FAIL UPDATE)`,
      /Expected REFRESH after FAIL but found UPDATE .*FAIL REFRESH where Databricks writes FAIL UPDATE/,
      'UPDATE',
    ],
    ['DROP without ROW', `(CONSTRAINT c EXPECT (v > 0) ON VIOLATION DROP)`, /Expected ROW after DROP/, ') FRESH'],
    [
      'ON without VIOLATION',
      `(CONSTRAINT c EXPECT (v > 0) ON ERROR WARN)`,
      /Expected VIOLATION after ON but found ERROR/,
      'ERROR',
    ],
  ];
  for (const [what, list, message, marker] of parseErrors) {
    it(`refuses ${what} with a PARSE_ERROR at its place`, async () => {
      const statement = `${CREATE} ${list} ${marker === '' ? '' : TAIL}`.trimEnd();
      const { status, error } = await gw.sqlError(statement);
      assert.equal(status, 400);
      assert.equal(error.code, 'PARSE_ERROR');
      assert.match(error.message, message);
      const column = marker === '' ? statement.length + 1 : statement.indexOf(marker) + 1;
      assert.deepEqual([error.line, error.column], [1, column], error.message);
    });
  }

  it('refuses a condition the engine cannot compile, naming the expectation and where it was written', async () => {
    const { status, error } = await gw.sqlError(
      `${CREATE} (CONSTRAINT ok EXPECT (v > 0),\n  CONSTRAINT typo EXPECT (vv > 0)) ${TAIL}`,
    );
    assert.equal(status, 400);
    assert.equal(error.code, 'VALIDATION_ERROR');
    assert.match(
      error.message,
      /^The condition of expectation 'typo' \(vv > 0\) is not valid on the sqlite engine: .*vv/,
    );
    assert.match(error.message, /over the table's columns \(k, v\)/);
    assert.deepEqual([error.line, error.column], [2, 14]);
    assert.deepEqual(await gw.rows(`SELECT count(*) FROM sqlite_schema WHERE name = 'dt'`), [[0]], 'nothing created');
  });

  it('checks conditions over the column list’s names, and again when the query or the expectations change', async () => {
    await gw.sql(`${CREATE} (key, val, CONSTRAINT positive EXPECT (val > 0)) ${TAIL}`);
    const renamed = await gw.sqlError(`ALTER DYNAMIC TABLE dt AS SELECT k, v * 2 AS w FROM src`);
    assert.equal(renamed.status, 400);
    assert.match(renamed.error.message, /expectation 'positive' \(val > 0\) is not valid/);
    const altered = await gw.sqlError(
      `CREATE OR ALTER DYNAMIC TABLE dt (key, val, CONSTRAINT positive EXPECT (nope > 0)) ${TAIL}`,
    );
    assert.match(altered.error.message, /expectation 'positive' \(nope > 0\) is not valid/);
    const [ok] = await gw.sql(
      `CREATE OR ALTER DYNAMIC TABLE dt (key, val, CONSTRAINT small EXPECT (val < 5) ON VIOLATION DROP ROW) ${TAIL}`,
    );
    assert.match(ok.message, /expectations updated/);
    const table = await gw.table('dt');
    assert.deepEqual(table.guards.expectations, [{ name: 'small', condition: 'val < 5', onViolation: 'DROP_ROW' }]);
  });

  const optionErrors: Array<[string, RegExp]> = [
    [`'guard.allow_empty' = 'yes'`, /'guard\.allow_empty' must be 'true' or 'false'; got 'yes'/],
    [
      `'guard.min_rows' = '-1'`,
      /'guard\.min_rows' must be a whole number of rows, 0 or more, such as '1000'; got '-1'/,
    ],
    [`'guard.min_rows' = '2.5'`, /'guard\.min_rows' must be a whole number/],
    [
      `'guard.max_row_change_ratio' = '0'`,
      /'guard\.max_row_change_ratio' must be a number greater than 0, such as '0\.5'/,
    ],
    [`'guard.max_row_change_ratio' = 'half'`, /'guard\.max_row_change_ratio' must be a number greater than 0/],
    [
      `'guard.max_null_ratio.v' = '1.5'`,
      /'guard\.max_null_ratio\.v' must be a share of rows from 0 to 1, such as '0\.1'/,
    ],
    [
      `'guard.max_null_ratio.nope' = '0.5'`,
      /'guard\.max_null_ratio\.nope' names column 'nope', which the dynamic table does not have\. Its columns: 'k', 'v'/,
    ],
    [
      `'guard.max_rows' = '5'`,
      /Unknown publish guard option 'guard\.max_rows'\. Known guard options: 'guard\.allow_empty', 'guard\.min_rows', 'guard\.max_row_change_ratio', 'guard\.max_null_ratio\.<column>'/,
    ],
  ];
  for (const [option, message] of optionErrors) {
    it(`refuses WITH (${option}) saying what to write`, async () => {
      const { status, error } = await gw.sqlError(`${CREATE} WITH (${option}) ${TAIL}`);
      assert.equal(status, 400);
      assert.equal(error.code, 'VALIDATION_ERROR');
      assert.match(error.message, message);
    });
  }

  it('sets and resets guard options with ALTER, checking them as CREATE does', async () => {
    await gw.sql(`${CREATE} ${TAIL}`);
    const [set] = await gw.sql(
      `ALTER DYNAMIC TABLE dt SET ('guard.min_rows' = '10', 'guard.max_null_ratio.V' = '0.1', 'sla.warn_after' = '2 hours')`,
    );
    assert.match(
      set.message,
      /'guard\.min_rows' = '10', 'guard\.max_null_ratio\.V' = '0\.1', 'sla\.warn_after' = '2 hours'/,
    );
    let table = await gw.table('dt');
    assert.equal(table.guards.minRows, 10);
    assert.deepEqual(table.guards.maxNullRatio, { v: 0.1 });
    const bad = await gw.sqlError(`ALTER DYNAMIC TABLE dt SET ('guard.min_rows' = 'many')`);
    assert.equal(bad.error.code, 'VALIDATION_ERROR');
    assert.match(bad.error.message, /'guard\.min_rows' must be a whole number/);
    const fixed = await gw.sqlError(`ALTER DYNAMIC TABLE dt SET ('refresh.strategy' = 'full')`);
    assert.match(fixed.error.message, /SET cannot change 'refresh\.strategy'.*CREATE OR ALTER DYNAMIC TABLE/);
    const unknown = await gw.sqlError(`ALTER DYNAMIC TABLE dt RESET ('guard.nope')`);
    assert.match(unknown.error.message, /Unknown publish guard option 'guard\.nope'/);
    await gw.sql(`ALTER DYNAMIC TABLE dt RESET ('guard.min_rows', 'guard.max_null_ratio.V')`);
    table = await gw.table('dt');
    assert.deepEqual([table.guards.minRows, table.guards.maxNullRatio], [null, {}]);
    assert.deepEqual(table.options, { 'sla.warn_after': '2 hours' });
    const parse = await gw.sqlError(`ALTER DYNAMIC TABLE dt RESET 'guard.min_rows'`);
    assert.equal(parse.error.code, 'PARSE_ERROR');
    assert.deepEqual([parse.error.line, parse.error.column], [1, 30]);
  });

  it('parses SET (…) and RESET (…), which need the admin scope', () => {
    const [set] = parseScript(`ALTER DYNAMIC TABLE dt SET ('guard.min_rows' = '1')`);
    const [reset] = parseScript(`ALTER DYNAMIC TABLE dt RESET ('guard.min_rows')`);
    assert.deepEqual(set?.kind === 'alterDynamicTable' && set.action, {
      kind: 'setOptions',
      options: { 'guard.min_rows': '1' },
    });
    assert.deepEqual(reset?.kind === 'alterDynamicTable' && reset.action, {
      kind: 'resetOptions',
      keys: ['guard.min_rows'],
    });
    for (const stmt of [set, reset]) assert.equal(stmt && statementNeed(stmt).scope, 'admin');
  });

  it('shows the guards in GET, DESCRIBE and SHOW CREATE, which round-trips', async () => {
    await gw.sql(`${CREATE} (CONSTRAINT positive EXPECT (v > 0) ON VIOLATION DROP ROW, CONSTRAINT "Has K" EXPECT (k IS NOT NULL))
      WITH ('guard.max_row_change_ratio' = '0.5') ${TAIL}`);
    const table = await gw.table('dt');
    assert.deepEqual(table.guards, {
      allowEmpty: false,
      minRows: null,
      maxRowChangeRatio: 0.5,
      maxNullRatio: {},
      expectations: [
        { name: 'positive', condition: 'v > 0', onViolation: 'DROP_ROW' },
        { name: 'Has K', condition: 'k IS NOT NULL', onViolation: 'WARN' },
      ],
    });
    const [described] = await gw.sql('DESCRIBE DYNAMIC TABLE dt');
    assert.match(
      described.message,
      /guards: no empty result over rows, row count changes by at most 0\.5, positive EXPECT \(v > 0\) DROP ROW, Has K EXPECT \(k IS NOT NULL\) WARN/,
    );
    const [shown] = await gw.sql('SHOW CREATE DYNAMIC TABLE dt');
    const text: string = shown.rows[0][0];
    assert.match(
      text,
      /\(\n {2}CONSTRAINT positive EXPECT \(v > 0\) ON VIOLATION DROP ROW,\n {2}CONSTRAINT "Has K" EXPECT \(k IS NOT NULL\) ON VIOLATION WARN\n\)/,
    );
    await gw.sql('DROP DYNAMIC TABLE dt');
    await gw.sql(text);
    assert.deepEqual((await gw.table('dt')).guards, table.guards);
  });
});
