import assert from 'node:assert/strict';
import { isFreshetError } from '../src/errors';
import { parseScript, parseStatement } from '../src/sql/ddl-parser';
import { endsWithCompleteStatement, splitStatements } from '../src/sql/splitter';
import type { CreateDynamicTable, Statement } from '../src/sql/statements';

/** The statement without positions and without its top-level `text`, for comparing shapes. */
function shape(statement: Statement): unknown {
  const { text: _text, ...rest } = statement;
  return JSON.parse(JSON.stringify(rest, (key, value: unknown) => (key === 'position' ? undefined : value)));
}

function only(script: string): Statement {
  const statements = parseScript(script);
  assert.equal(statements.length, 1, `expected one statement in ${script}`);
  return statements[0] as Statement;
}

function create(script: string): CreateDynamicTable {
  const statement = only(script);
  assert.equal(statement.kind, 'createDynamicTable');
  return statement as CreateDynamicTable;
}

function parseFailure(script: string): { message: string; line: number | undefined; column: number | undefined } {
  try {
    parseScript(script);
  } catch (error) {
    assert.ok(isFreshetError(error), `expected a FreshetError, got ${String(error)}`);
    assert.equal(error.code, 'PARSE_ERROR');
    return { message: error.message, line: error.line, column: error.column };
  }
  assert.fail(`expected a parse error for: ${script}`);
}

const DEFAULTS = {
  kind: 'createDynamicTable',
  orAlter: false,
  ifNotExists: false,
  columns: null,
  primaryKey: null,
  expectations: [],
  comment: null,
  partitionKeys: [],
  options: {},
  freshness: null,
  refreshMode: null,
};

describe('splitStatements', () => {
  const cases: Array<[string, string, string[]]> = [
    ['simple statements', 'SELECT 1; SELECT 2;', ['SELECT 1', 'SELECT 2']],
    ['a last statement without ;', 'SELECT 1;\nSELECT 2', ['SELECT 1', 'SELECT 2']],
    ['; inside a string, with an escaped quote', "SELECT 'a;''b'; SELECT 2", ["SELECT 'a;''b'", 'SELECT 2']],
    [
      '; inside "…" and `…` identifiers',
      'SELECT "a;b", `c;d` FROM t; SELECT 2',
      ['SELECT "a;b", `c;d` FROM t', 'SELECT 2'],
    ],
    [
      '; inside comments',
      'SELECT 1 -- not ; here\n, 2 /* nor ; here */; SELECT 3',
      ['SELECT 1 -- not ; here\n, 2 /* nor ; here */', 'SELECT 3'],
    ],
    ['empty statements and comment-only statements', ';; -- nothing\n; /* x */ ;SELECT 1;;', ['SELECT 1']],
    [
      'leading comments stay with their statement',
      '-- make t\nCREATE TABLE t (a int);',
      ['-- make t\nCREATE TABLE t (a int)'],
    ],
    [
      'PostgreSQL dollar-quoted bodies',
      'CREATE FUNCTION f() RETURNS int AS $body$ SELECT 1; $body$ LANGUAGE sql; SELECT $1',
      ['CREATE FUNCTION f() RETURNS int AS $body$ SELECT 1; $body$ LANGUAGE sql', 'SELECT $1'],
    ],
    [
      'SQLite trigger bodies, CASE … END included',
      "CREATE TEMP TRIGGER tr AFTER INSERT ON t BEGIN INSERT INTO log VALUES (CASE WHEN new.a THEN 'y' END); DELETE FROM q; END; SELECT 1",
      [
        "CREATE TEMP TRIGGER tr AFTER INSERT ON t BEGIN INSERT INTO log VALUES (CASE WHEN new.a THEN 'y' END); DELETE FROM q; END",
        'SELECT 1',
      ],
    ],
    [
      'an unterminated string runs to the end',
      "SELECT 1; SELECT 'oops; SELECT 2",
      ['SELECT 1', "SELECT 'oops; SELECT 2"],
    ],
    ['only whitespace', '  \n\t ', []],
  ];
  for (const [name, script, expected] of cases) {
    it(`splits ${name}`, () => {
      assert.deepEqual(
        splitStatements(script).map((slice) => slice.text),
        expected,
      );
    });
  }

  it('gives each statement the position where its trimmed text starts', () => {
    const slices = splitStatements('SELECT 1;\n\n   SELECT\n 2 ;  SELECT 3');
    assert.deepEqual(
      slices.map((slice) => slice.position),
      [
        { offset: 0, line: 1, column: 1 },
        { offset: 14, line: 3, column: 4 },
        { offset: 27, line: 4, column: 7 },
      ],
    );
  });
});

describe('endsWithCompleteStatement', () => {
  const cases: Array<[string, boolean]> = [
    ['SELECT 1;', true],
    ['SELECT 1;  \n', true],
    ['SELECT 1; -- done', true],
    ['SELECT 1; /* done */', true],
    ['SELECT 1; SELECT 2;', true],
    ['SELECT 1', false],
    ['SELECT 1; SELECT', false],
    ["SELECT ';", false],
    ['SELECT "a;', false],
    ['SELECT 1; /* still open', false],
    ['SELECT 1 -- ;', false],
    [';', false],
    ['', false],
    ['CREATE TRIGGER tr AFTER INSERT ON t BEGIN DELETE FROM q;', false],
    ['CREATE TRIGGER tr AFTER INSERT ON t BEGIN DELETE FROM q; END;', true],
  ];
  for (const [buffer, expected] of cases) {
    it(`is ${expected} for ${JSON.stringify(buffer)}`, () => {
      assert.equal(endsWithCompleteStatement(buffer), expected);
    });
  }
});

describe('CREATE DYNAMIC TABLE', () => {
  const cases: Array<[string, string, Partial<Record<keyof CreateDynamicTable, unknown>>]> = [
    ['the minimal form', 'CREATE DYNAMIC TABLE t AS SELECT 1', { name: { parts: ['t'] } }],
    ['MATERIALIZED as a synonym, lower case', 'create materialized table t as select 1', { name: { parts: ['t'] } }],
    [
      'OR ALTER and IF NOT EXISTS',
      'CREATE OR ALTER DYNAMIC TABLE IF NOT EXISTS t AS SELECT 1',
      { orAlter: true, ifNotExists: true, name: { parts: ['t'] } },
    ],
    [
      'a qualified, quoted name (case kept)',
      'CREATE DYNAMIC TABLE cat.`My Db`."Ta""ble" AS SELECT 1',
      { name: { parts: ['cat', 'My Db', 'Ta"ble'] } },
    ],
    ['a table named IF', 'CREATE DYNAMIC TABLE if AS SELECT 1', { name: { parts: ['if'] } }],
    [
      'a column list',
      'CREATE DYNAMIC TABLE t (a, "B c") AS SELECT 1, 2',
      { name: { parts: ['t'] }, columns: ['a', 'B c'] },
    ],
    [
      'a column list with a named, not enforced primary key',
      'CREATE DYNAMIC TABLE t (id, v, CONSTRAINT pk PRIMARY KEY (id, v) NOT ENFORCED) AS SELECT 1, 2',
      {
        name: { parts: ['t'] },
        columns: ['id', 'v'],
        primaryKey: { constraintName: 'pk', columns: ['id', 'v'], enforced: false },
      },
    ],
    [
      'a list holding only a primary key (Flink style)',
      'CREATE MATERIALIZED TABLE t (PRIMARY KEY (id)) AS SELECT 1 AS id',
      { name: { parts: ['t'] }, columns: null, primaryKey: { constraintName: null, columns: ['id'], enforced: true } },
    ],
    [
      'COMMENT with an escaped quote',
      "CREATE DYNAMIC TABLE t COMMENT 'it''s daily' AS SELECT 1",
      { name: { parts: ['t'] }, comment: "it's daily" },
    ],
    [
      'PARTITIONED BY',
      'CREATE DYNAMIC TABLE t PARTITIONED BY (ds, hr) AS SELECT 1',
      { name: { parts: ['t'] }, partitionKeys: ['ds', 'hr'] },
    ],
    [
      'WITH options (numbers kept as written)',
      "CREATE DYNAMIC TABLE t WITH ('initialize' = 'on_schedule', 'partition.fields.ds.date-formatter' = 'yyyy-MM-dd', 'n' = 3) AS SELECT 1",
      {
        name: { parts: ['t'] },
        options: { initialize: 'on_schedule', 'partition.fields.ds.date-formatter': 'yyyy-MM-dd', n: '3' },
      },
    ],
    [
      'FRESHNESS in seconds',
      "CREATE DYNAMIC TABLE t FRESHNESS = INTERVAL '30' SECOND AS SELECT 1",
      { name: { parts: ['t'] }, freshness: { interval: 30, unit: 'SECOND' } },
    ],
    [
      'FRESHNESS with a plural unit',
      "CREATE DYNAMIC TABLE t FRESHNESS = INTERVAL '5' minutes AS SELECT 1",
      { name: { parts: ['t'] }, freshness: { interval: 5, unit: 'MINUTE' } },
    ],
    [
      'FRESHNESS in days, largest 32-bit value',
      "CREATE DYNAMIC TABLE t FRESHNESS = INTERVAL '2147483647' DAYS AS SELECT 1",
      { name: { parts: ['t'] }, freshness: { interval: 2147483647, unit: 'DAY' } },
    ],
    [
      'TARGET_LAG (Snowflake form)',
      "CREATE DYNAMIC TABLE t TARGET_LAG = '5 minutes' AS SELECT 1",
      { name: { parts: ['t'] }, freshness: { interval: 5, unit: 'MINUTE' } },
    ],
    [
      'TARGET_LAG in hours',
      "CREATE DYNAMIC TABLE t TARGET_LAG = '1 hour' AS SELECT 1",
      { name: { parts: ['t'] }, freshness: { interval: 1, unit: 'HOUR' } },
    ],
    [
      'REFRESH_MODE = FULL',
      'CREATE DYNAMIC TABLE t REFRESH_MODE = FULL AS SELECT 1',
      { name: { parts: ['t'] }, refreshMode: 'FULL' },
    ],
    [
      'REFRESH_MODE = continuous',
      'CREATE DYNAMIC TABLE t REFRESH_MODE = continuous AS SELECT 1',
      { name: { parts: ['t'] }, refreshMode: 'CONTINUOUS' },
    ],
    [
      'every clause, in an unusual order',
      "CREATE MATERIALIZED TABLE t REFRESH_MODE = FULL WITH ('k' = 'v') FRESHNESS = INTERVAL '1' HOUR PARTITIONED BY (ds) COMMENT 'c' AS SELECT 1",
      {
        name: { parts: ['t'] },
        refreshMode: 'FULL',
        options: { k: 'v' },
        freshness: { interval: 1, unit: 'HOUR' },
        partitionKeys: ['ds'],
        comment: 'c',
      },
    ],
  ];
  for (const [name, script, expected] of cases) {
    it(`parses ${name}`, () => {
      const { query: _query, ...rest } = shape(create(script)) as Record<string, unknown>;
      assert.deepEqual(rest, { ...DEFAULTS, ...expected });
    });
  }

  it('keeps the query exactly as written, comments and newlines included, and says where it starts', () => {
    const query = "-- recent orders\nSELECT id,\n       amount /* cents */\nFROM orders\nWHERE note <> ';'";
    const script = `SELECT 1;\nCREATE DYNAMIC TABLE t\n  FRESHNESS = INTERVAL '1' HOUR\n  AS   ${query}\n;\n`;
    const statement = parseScript(script)[1] as CreateDynamicTable;
    assert.equal(statement.query.text, query);
    assert.deepEqual(statement.query.position, { offset: script.indexOf('-- recent'), line: 4, column: 8 });
    assert.equal(statement.text, script.slice(script.indexOf('CREATE'), script.lastIndexOf(';')).trimEnd());
  });

  it('drops a trailing ; when a statement is parsed on its own', () => {
    const statement = parseStatement({
      text: 'CREATE DYNAMIC TABLE t AS SELECT 1 ; -- end',
      position: { offset: 0, line: 1, column: 1 },
    });
    assert.equal((statement as CreateDynamicTable).query.text, 'SELECT 1');
  });

  it("keeps an option named '__proto__' as an ordinary option", () => {
    const { options } = create("CREATE DYNAMIC TABLE t WITH ('__proto__' = 'x') AS SELECT 1");
    assert.deepEqual(Object.entries(options), [['__proto__', 'x']]);
  });

  it('gives the name its position', () => {
    assert.deepEqual(create('CREATE DYNAMIC TABLE\n  db.t AS SELECT 1').name.position, {
      offset: 23,
      line: 2,
      column: 3,
    });
  });
});

describe('ALTER / DROP / SHOW / DESCRIBE DYNAMIC TABLE', () => {
  const cases: Array<[string, unknown]> = [
    [
      'ALTER DYNAMIC TABLE t SUSPEND',
      { kind: 'alterDynamicTable', name: { parts: ['t'] }, action: { kind: 'suspend' } },
    ],
    [
      'alter materialized table db.t resume',
      { kind: 'alterDynamicTable', name: { parts: ['db', 't'] }, action: { kind: 'resume', options: {} } },
    ],
    [
      "ALTER DYNAMIC TABLE t RESUME WITH ('sink.parallelism' = '2')",
      {
        kind: 'alterDynamicTable',
        name: { parts: ['t'] },
        action: { kind: 'resume', options: { 'sink.parallelism': '2' } },
      },
    ],
    [
      'ALTER DYNAMIC TABLE t REFRESH',
      { kind: 'alterDynamicTable', name: { parts: ['t'] }, action: { kind: 'refresh', partition: null } },
    ],
    [
      "ALTER DYNAMIC TABLE t REFRESH PARTITION (ds = '2024-01-01', hr = 3)",
      {
        kind: 'alterDynamicTable',
        name: { parts: ['t'] },
        action: { kind: 'refresh', partition: { ds: '2024-01-01', hr: '3' } },
      },
    ],
    [
      "ALTER DYNAMIC TABLE t SET FRESHNESS = INTERVAL '2' HOURS",
      {
        kind: 'alterDynamicTable',
        name: { parts: ['t'] },
        action: { kind: 'setFreshness', freshness: { interval: 2, unit: 'HOUR' } },
      },
    ],
    [
      "ALTER DYNAMIC TABLE t SET TARGET_LAG = '1 day'",
      {
        kind: 'alterDynamicTable',
        name: { parts: ['t'] },
        action: { kind: 'setFreshness', freshness: { interval: 1, unit: 'DAY' } },
      },
    ],
    [
      'ALTER DYNAMIC TABLE t SET REFRESH_MODE = CONTINUOUS',
      { kind: 'alterDynamicTable', name: { parts: ['t'] }, action: { kind: 'setRefreshMode', mode: 'CONTINUOUS' } },
    ],
    [
      'ALTER DYNAMIC TABLE t AS\n  SELECT a FROM s',
      {
        kind: 'alterDynamicTable',
        name: { parts: ['t'] },
        action: { kind: 'setQuery', query: { text: 'SELECT a FROM s' } },
      },
    ],
    ['DROP DYNAMIC TABLE t', { kind: 'dropDynamicTable', name: { parts: ['t'] }, ifExists: false }],
    [
      'DROP MATERIALIZED TABLE IF EXISTS c.d.t',
      { kind: 'dropDynamicTable', name: { parts: ['c', 'd', 't'] }, ifExists: true },
    ],
    ['SHOW DYNAMIC TABLES', { kind: 'showDynamicTables', like: null }],
    ["show materialized tables like 'orders%'", { kind: 'showDynamicTables', like: 'orders%' }],
    ['SHOW CREATE DYNAMIC TABLE db.t', { kind: 'showCreateDynamicTable', name: { parts: ['db', 't'] } }],
    ['DESCRIBE DYNAMIC TABLE t', { kind: 'describeDynamicTable', name: { parts: ['t'] } }],
    ['DESC MATERIALIZED TABLE t', { kind: 'describeDynamicTable', name: { parts: ['t'] } }],
  ];
  for (const [script, expected] of cases) {
    it(`parses ${script.replace(/\s+/g, ' ')}`, () => {
      const statement = only(script);
      assert.deepEqual(shape(statement), expected);
      assert.equal(statement.text, script);
    });
  }

  it('gives the query of ALTER … AS its absolute position', () => {
    const statement = parseScript('SELECT 1;\nALTER DYNAMIC TABLE t AS\n  SELECT 2')[1];
    assert.ok(statement?.kind === 'alterDynamicTable' && statement.action.kind === 'setQuery');
    assert.deepEqual(statement.action.query.position, { offset: 37, line: 3, column: 3 });
  });
});

describe('parse errors', () => {
  const INVALID_INTERVAL = 'The freshness interval currently only supports positive integer type values. But was: ';
  const UNSUPPORTED_UNIT = 'Freshness only supports SECOND, MINUTE, HOUR, DAY as the time unit.';
  const cases: Array<[string, string, string | RegExp, number, number]> = [
    [
      'a missing query',
      "CREATE DYNAMIC TABLE t\n  FRESHNESS = INTERVAL '1' HOUR",
      /^Expected AS <query> but found end of input at line 2, column 32/,
      2,
      32,
    ],
    [
      'an empty query',
      'CREATE DYNAMIC TABLE t AS  -- nothing',
      /^Expected a query after AS but found end of input/,
      1,
      38,
    ],
    [
      'a missing AS',
      'CREATE DYNAMIC TABLE t SELECT 1',
      /^Expected AS <query> or a clause \(COMMENT, .*\) but found SELECT at line 1, column 24/,
      1,
      24,
    ],
    ['a missing name', 'CREATE DYNAMIC TABLE AS SELECT 1', /^Expected a table name but found AS/, 1, 22],
    ['a name with four parts', 'CREATE DYNAMIC TABLE a.b.c.d AS SELECT 1', /at most three parts/, 1, 28],
    ['DYNAMIC VIEW', 'CREATE DYNAMIC VIEW v AS SELECT 1', /^Expected TABLE after DYNAMIC but found VIEW/, 1, 16],
    [
      'a bare number as FRESHNESS',
      'CREATE DYNAMIC TABLE t FRESHNESS = 5 AS SELECT 1',
      /^FRESHNESS must be an interval such as INTERVAL '5' MINUTE/,
      1,
      36,
    ],
    [
      'FRESHNESS without =',
      "CREATE DYNAMIC TABLE t FRESHNESS INTERVAL '5' MINUTE AS SELECT 1",
      /^Expected '=' after FRESHNESS but found INTERVAL/,
      1,
      34,
    ],
    [
      'an unquoted interval value',
      'CREATE DYNAMIC TABLE t FRESHNESS = INTERVAL 5 MINUTE AS SELECT 1',
      /^Expected the interval value as a string literal/,
      1,
      45,
    ],
    [
      'a missing unit',
      "CREATE DYNAMIC TABLE t FRESHNESS = INTERVAL '5' AS SELECT 1",
      /^Expected a time unit \(SECOND, MINUTE, HOUR or DAY\) but found AS/,
      1,
      49,
    ],
    [
      'a zero interval',
      "CREATE DYNAMIC TABLE t FRESHNESS = INTERVAL '0' HOUR AS SELECT 1",
      `${INVALID_INTERVAL}0`,
      1,
      45,
    ],
    [
      'a negative interval',
      "CREATE DYNAMIC TABLE t FRESHNESS = INTERVAL '-2' HOUR AS SELECT 1",
      `${INVALID_INTERVAL}-2`,
      1,
      45,
    ],
    [
      'a fractional interval',
      "CREATE DYNAMIC TABLE t FRESHNESS = INTERVAL '2.5' HOUR AS SELECT 1",
      `${INVALID_INTERVAL}2.5`,
      1,
      45,
    ],
    [
      'a non-numeric interval',
      "CREATE DYNAMIC TABLE t FRESHNESS = INTERVAL '2efedd' HOUR AS SELECT 1",
      `${INVALID_INTERVAL}2efedd`,
      1,
      45,
    ],
    [
      'an interval beyond 32 bits',
      "CREATE DYNAMIC TABLE t FRESHNESS = INTERVAL '12345678901234567890' HOUR AS SELECT 1",
      `${INVALID_INTERVAL}12345678901234567890`,
      1,
      45,
    ],
    [
      'one more than the largest 32-bit value',
      "CREATE DYNAMIC TABLE t FRESHNESS = INTERVAL '2147483648' SECOND AS SELECT 1",
      `${INVALID_INTERVAL}2147483648`,
      1,
      45,
    ],
    ['YEAR', "CREATE DYNAMIC TABLE t FRESHNESS = INTERVAL '1' YEAR AS SELECT 1", UNSUPPORTED_UNIT, 1, 49],
    ['MONTH', "CREATE DYNAMIC TABLE t FRESHNESS = INTERVAL '1' MONTH AS SELECT 1", UNSUPPORTED_UNIT, 1, 49],
    ['WEEK', "CREATE DYNAMIC TABLE t FRESHNESS = INTERVAL '1' WEEK AS SELECT 1", UNSUPPORTED_UNIT, 1, 49],
    [
      'DAY TO HOUR',
      "CREATE DYNAMIC TABLE t FRESHNESS = INTERVAL '1 2' DAY TO HOUR AS SELECT 1",
      `${INVALID_INTERVAL}1 2`,
      1,
      45,
    ],
    [
      'DAY TO HOUR with a plain value',
      "CREATE DYNAMIC TABLE t FRESHNESS = INTERVAL '1' DAY TO HOUR AS SELECT 1",
      UNSUPPORTED_UNIT,
      1,
      49,
    ],
    ['TARGET_LAG in weeks', "CREATE DYNAMIC TABLE t TARGET_LAG = '1 week' AS SELECT 1", UNSUPPORTED_UNIT, 1, 37],
    [
      'TARGET_LAG without a unit',
      "CREATE DYNAMIC TABLE t TARGET_LAG = '10' AS SELECT 1",
      /^TARGET_LAG must be a number and a time unit, such as '5 minutes'/,
      1,
      37,
    ],
    [
      'TARGET_LAG of zero',
      "CREATE DYNAMIC TABLE t TARGET_LAG = '0 minutes' AS SELECT 1",
      `${INVALID_INTERVAL}0`,
      1,
      37,
    ],
    [
      'TARGET_LAG = DOWNSTREAM',
      'CREATE DYNAMIC TABLE t TARGET_LAG = DOWNSTREAM AS SELECT 1',
      /^TARGET_LAG = DOWNSTREAM is not supported/,
      1,
      37,
    ],
    [
      "TARGET_LAG = 'downstream'",
      "CREATE DYNAMIC TABLE t TARGET_LAG = 'downstream' AS SELECT 1",
      /^TARGET_LAG = DOWNSTREAM is not supported/,
      1,
      37,
    ],
    [
      'FRESHNESS and TARGET_LAG together',
      "CREATE DYNAMIC TABLE t FRESHNESS = INTERVAL '1' HOUR TARGET_LAG = '1 hour' AS SELECT 1",
      /^FRESHNESS and TARGET_LAG both set the freshness/,
      1,
      54,
    ],
    [
      'a repeated FRESHNESS',
      "CREATE DYNAMIC TABLE t FRESHNESS = INTERVAL '1' HOUR FRESHNESS = INTERVAL '2' HOUR AS SELECT 1",
      /^The FRESHNESS clause appears more than once/,
      1,
      54,
    ],
    [
      'a repeated COMMENT',
      "CREATE DYNAMIC TABLE t COMMENT 'a' COMMENT 'b' AS SELECT 1",
      /^The COMMENT clause appears more than once/,
      1,
      36,
    ],
    [
      'a repeated PARTITIONED BY',
      'CREATE DYNAMIC TABLE t PARTITIONED BY (a) PARTITIONED BY (b) AS SELECT 1',
      /^The PARTITIONED BY clause appears more than once/,
      1,
      43,
    ],
    [
      'a repeated WITH',
      "CREATE DYNAMIC TABLE t WITH ('a' = 'b') WITH ('c' = 'd') AS SELECT 1",
      /^The WITH clause appears more than once/,
      1,
      41,
    ],
    [
      'a repeated REFRESH_MODE',
      'CREATE DYNAMIC TABLE t REFRESH_MODE = FULL REFRESH_MODE = FULL AS SELECT 1',
      /^The REFRESH_MODE clause appears more than once/,
      1,
      44,
    ],
    [
      'a duplicate WITH key',
      "CREATE DYNAMIC TABLE t WITH ('a' = '1', 'a' = '2') AS SELECT 1",
      /^Option 'a' is given more than once/,
      1,
      41,
    ],
    [
      'an unquoted WITH key',
      "CREATE DYNAMIC TABLE t WITH (a = '1') AS SELECT 1",
      /^Expected an option key as a string literal/,
      1,
      30,
    ],
    [
      'an empty WITH',
      'CREATE DYNAMIC TABLE t WITH () AS SELECT 1',
      /^Expected an option key as a string literal.* but found '\)'/,
      1,
      30,
    ],
    [
      'REFRESH_MODE = AUTOMATIC',
      'CREATE DYNAMIC TABLE t REFRESH_MODE = AUTOMATIC AS SELECT 1',
      /^Expected FULL or CONTINUOUS but found AUTOMATIC.*Leave REFRESH_MODE out/,
      1,
      39,
    ],
    [
      'an empty PARTITIONED BY',
      'CREATE DYNAMIC TABLE t PARTITIONED BY () AS SELECT 1',
      /^Expected a partition column but found '\)'/,
      1,
      40,
    ],
    [
      'a repeated partition column',
      'CREATE DYNAMIC TABLE t PARTITIONED BY (a, a) AS SELECT 1',
      /^Column 'a' appears more than once in PARTITIONED BY/,
      1,
      43,
    ],
    [
      'a typed column list',
      'CREATE DYNAMIC TABLE t (a INT) AS SELECT 1',
      /^Expected ',' or '\)' but found INT.*types come from the query/,
      1,
      27,
    ],
    [
      'an empty column list',
      'CREATE DYNAMIC TABLE t () AS SELECT 1',
      /^Expected a column name, PRIMARY KEY or CONSTRAINT … EXPECT \(…\) but found '\)'/,
      1,
      25,
    ],
    [
      'two primary keys',
      'CREATE DYNAMIC TABLE t (a, PRIMARY KEY (a), PRIMARY KEY (a)) AS SELECT 1',
      /^Only one PRIMARY KEY/,
      1,
      45,
    ],
    [
      'ENFORCED without NOT',
      'CREATE DYNAMIC TABLE t (PRIMARY KEY (a) ENFORCED) AS SELECT 1',
      /^Expected ',' or '\)' but found ENFORCED/,
      1,
      41,
    ],
    [
      'CREATE TEMPORARY',
      'CREATE TEMPORARY DYNAMIC TABLE t AS SELECT 1',
      /^CREATE TEMPORARY DYNAMIC TABLE is not supported\./,
      1,
      8,
    ],
    [
      'CREATE TEMP MATERIALIZED',
      'CREATE TEMP MATERIALIZED TABLE t AS SELECT 1',
      /^CREATE TEMP MATERIALIZED TABLE is not supported\./,
      1,
      8,
    ],
    [
      'CREATE OR REPLACE',
      'CREATE OR REPLACE DYNAMIC TABLE t AS SELECT 1',
      /^CREATE OR REPLACE DYNAMIC TABLE is not supported: use CREATE OR ALTER DYNAMIC TABLE/,
      1,
      11,
    ],
    [
      'CREATE OR REPLACE MATERIALIZED',
      'CREATE OR REPLACE MATERIALIZED TABLE t AS SELECT 1',
      /^CREATE OR REPLACE MATERIALIZED TABLE is not supported: use CREATE OR ALTER MATERIALIZED TABLE/,
      1,
      11,
    ],
    [
      'IF NOT EXISTS after the name',
      'CREATE DYNAMIC TABLE t IF NOT EXISTS AS SELECT 1',
      /^IF NOT EXISTS goes before the table name/,
      1,
      24,
    ],
    [
      'an unterminated string before AS',
      "CREATE DYNAMIC TABLE t COMMENT 'oops AS SELECT 1",
      /^Unterminated string literal/,
      1,
      32,
    ],
    ['an unterminated comment before AS', 'CREATE DYNAMIC TABLE t /* oops AS SELECT 1', /^Unterminated comment/, 1, 24],
    ['DROP TEMPORARY', 'DROP TEMPORARY DYNAMIC TABLE t', /^DROP TEMPORARY DYNAMIC TABLE is not supported/, 1, 6],
    [
      'IF EXISTS after the name',
      'DROP DYNAMIC TABLE t IF EXISTS',
      /^IF EXISTS goes before the table name, as in DROP DYNAMIC TABLE IF EXISTS t/,
      1,
      22,
    ],
    ['anything after DROP', 'DROP DYNAMIC TABLE t CASCADE', /^Expected end of statement but found CASCADE/, 1, 22],
    [
      'ALTER without an action',
      'ALTER DYNAMIC TABLE t',
      /^Expected one of SUSPEND, RESUME, REFRESH, REFLECT, BACKFILL, SET, RESET, AS but found end of input/,
      1,
      22,
    ],
    [
      'ALTER with an unknown action',
      'ALTER DYNAMIC TABLE t PAUSE',
      /^Expected one of SUSPEND, RESUME, REFRESH, REFLECT, BACKFILL, SET, RESET, AS but found PAUSE/,
      1,
      23,
    ],
    [
      'an empty REFRESH PARTITION',
      'ALTER DYNAMIC TABLE t REFRESH PARTITION ()',
      /^Expected a partition column.* but found '\)'/,
      1,
      42,
    ],
    [
      'a repeated partition in REFRESH',
      "ALTER DYNAMIC TABLE t REFRESH PARTITION (ds = '1', ds = '2')",
      /^Partition column 'ds' is given more than once/,
      1,
      52,
    ],
    [
      'a partition value that is not a literal',
      'ALTER DYNAMIC TABLE t REFRESH PARTITION (ds = today)',
      /^Expected a value for partition column ds as a string literal but found today/,
      1,
      47,
    ],
    [
      'SET REFRESH_MODE = NONE',
      'ALTER DYNAMIC TABLE t SET REFRESH_MODE = NONE',
      /^Expected FULL or CONTINUOUS but found NONE/,
      1,
      42,
    ],
    [
      'SET something else',
      'ALTER DYNAMIC TABLE t SET OWNER = x',
      /^Expected FRESHNESS, TARGET_LAG, REFRESH_MODE or options such as \('guard.min_rows' = '1'\) after SET but found OWNER/,
      1,
      27,
    ],
    ['SET FRESHNESS in months', "ALTER DYNAMIC TABLE t SET FRESHNESS = INTERVAL '1' MONTH", UNSUPPORTED_UNIT, 1, 52],
    ['anything after SUSPEND', 'ALTER DYNAMIC TABLE t SUSPEND NOW', /^Expected end of statement but found NOW/, 1, 31],
    [
      'SHOW DYNAMIC TABLE (singular)',
      'SHOW DYNAMIC TABLE',
      /^Expected TABLES after SHOW DYNAMIC but found TABLE/,
      1,
      14,
    ],
    [
      'SHOW … LIKE without a string',
      'SHOW DYNAMIC TABLES LIKE orders',
      /^Expected a pattern as a string literal/,
      1,
      26,
    ],
    ['DESCRIBE without a name', 'DESCRIBE DYNAMIC TABLE', /^Expected a table name but found end of input/, 1, 23],
  ];
  for (const [name, script, message, line, column] of cases) {
    it(`rejects ${name}`, () => {
      const failure = parseFailure(script);
      if (typeof message === 'string') assert.equal(failure.message, message);
      else assert.match(failure.message, message);
      assert.deepEqual([failure.line, failure.column], [line, column]);
    });
  }

  it('points at the right line and column in the second statement of a script', () => {
    const script =
      "INSERT INTO t VALUES (1);\n\nCREATE DYNAMIC TABLE d\n    FRESHNESS = INTERVAL '0' MINUTE\n  AS SELECT * FROM t;";
    const failure = parseFailure(script);
    assert.equal(
      failure.message,
      'The freshness interval currently only supports positive integer type values. But was: 0',
    );
    assert.deepEqual([failure.line, failure.column], [4, 26]);
  });

  it('reports a missing query at the end of the second statement, before its ;', () => {
    const failure = parseFailure("SELECT 1;\n  CREATE DYNAMIC TABLE d FRESHNESS = INTERVAL '1' HOUR ;\nSELECT 2");
    assert.match(failure.message, /^Expected AS <query> but found end of input at line 2, column 55/);
    assert.deepEqual([failure.line, failure.column], [2, 55]);
  });
});

describe('pass-through statements', () => {
  const cases: Array<[string, string, string, string[] | null]> = [
    ['CREATE TABLE orders (id INTEGER)', 'CREATE', 'create', ['orders']],
    ['create temp table if not exists main."Orders" (id int)', 'CREATE', 'create', ['main', 'Orders']],
    ['CREATE TEMPORARY TABLE t AS SELECT 1', 'CREATE', 'create', ['t']],
    ['CREATE VIRTUAL TABLE docs USING fts5(body)', 'CREATE', 'create', ['docs']],
    ['CREATE VIEW v AS SELECT 1', 'CREATE', 'create', null],
    ['CREATE UNIQUE INDEX i ON t (a)', 'CREATE', 'create', null],
    ['CREATE MATERIALIZED VIEW mv AS SELECT 1', 'CREATE', 'create', null],
    ['DROP TABLE IF EXISTS db.t', 'DROP', 'drop', ['db', 't']],
    ['DROP TABLE t', 'DROP', 'drop', ['t']],
    ['DROP VIEW v', 'DROP', 'drop', null],
    ['DROP MATERIALIZED VIEW mv', 'DROP', 'drop', null],
    ['ALTER TABLE t ADD COLUMN b INT', 'ALTER', 'alter', ['t']],
    ['ALTER TABLE IF EXISTS ONLY s.t RENAME TO u', 'ALTER', 'alter', ['s', 't']],
    ['ALTER VIEW v RENAME TO w', 'ALTER', 'alter', null],
    ['INSERT INTO t VALUES (1)', 'INSERT', 'write', ['t']],
    ['INSERT OR REPLACE INTO main.t (a) VALUES (1)', 'INSERT', 'write', ['main', 't']],
    ['INSERT IGNORE INTO `t` VALUES (1)', 'INSERT', 'write', ['t']],
    ['REPLACE INTO t VALUES (1)', 'REPLACE', 'write', ['t']],
    ['UPDATE t SET a = 1', 'UPDATE', 'write', ['t']],
    ['UPDATE OR IGNORE "T" SET a = 1', 'UPDATE', 'write', ['T']],
    ['DELETE FROM t WHERE a = 1', 'DELETE', 'write', ['t']],
    ['DELETE t1 FROM t1 JOIN t2 ON t1.id = t2.id', 'DELETE', 'write', null],
    ['TRUNCATE TABLE t', 'TRUNCATE', 'write', ['t']],
    ['TRUNCATE t', 'TRUNCATE', 'write', ['t']],
    ['SELECT * FROM t', 'SELECT', 'read', null],
    ['(SELECT 1) UNION (SELECT 2)', 'SELECT', 'read', null],
    ['WITH a AS (SELECT 1) SELECT * FROM a', 'WITH', 'read', null],
    ['VALUES (1)', 'VALUES', 'read', null],
    ['PRAGMA table_info(t)', 'PRAGMA', 'read', null],
    ['EXPLAIN QUERY PLAN SELECT 1', 'EXPLAIN', 'read', null],
    // Plain SHOW TABLES is the gateway's own (sql-client-psql.test.ts); other SHOW forms reach the engine.
    ['SHOW FULL TABLES', 'SHOW', 'read', null],
    ['SHOW MATERIALIZED VIEWS', 'SHOW', 'read', null],
    ['BEGIN', 'BEGIN', 'other', null],
    ['REFRESH MATERIALIZED VIEW mv', 'REFRESH', 'other', null],
    ["ATTACH DATABASE 'x.db' AS x", 'ATTACH', 'other', null],
  ];
  for (const [script, verb, effect, target] of cases) {
    it(`classifies ${script}`, () => {
      const statement = only(script);
      assert.equal(statement.kind, 'passthrough');
      assert.ok(statement.kind === 'passthrough');
      assert.deepEqual([statement.verb, statement.effect, statement.target?.parts ?? null], [verb, effect, target]);
      assert.equal(statement.text, script);
    });
  }

  it('keeps the text and position of each statement, and the target position', () => {
    const [first, second] = parseScript('SELECT 1;\n  INSERT INTO\n t VALUES (1);');
    assert.deepEqual(first, {
      kind: 'passthrough',
      text: 'SELECT 1',
      position: { offset: 0, line: 1, column: 1 },
      verb: 'SELECT',
      effect: 'read',
      target: null,
    });
    assert.ok(second?.kind === 'passthrough');
    assert.equal(second.text, 'INSERT INTO\n t VALUES (1)');
    assert.deepEqual(second.position, { offset: 12, line: 2, column: 3 });
    assert.deepEqual(second.target?.position, { offset: 25, line: 3, column: 2 });
  });

  it('never fails on engine syntax it does not understand', () => {
    const statement = only("INSERT INTO t VALUES ('it\\'s')");
    assert.ok(statement.kind === 'passthrough');
    assert.deepEqual(statement.target?.parts, ['t']);
  });
});
