/**
 * Generated bad SQL for the request fuzzer. Generators produce small descriptions (`SqlCase`) and `renderSql`
 * turns them into text, so that a counterexample prints as a few words even when its statement is a megabyte.
 *
 * The fixture the statements aim at: a source table `src`, a dynamic table `dt` over it that must never change, and
 * a table `scratch` that anything may write. Generated statements never name `src` in a write, and never DROP,
 * ALTER or replace `dt` through Freshet's own DDL (an admin may do that; it is not a bad request). Every file name
 * is relative (the gateway runs in the test's temporary folder) or lies under the `base` folder given to them.
 */
import fc from 'fast-check';

/** The dynamic table that must stay unchanged, and the tables around it. */
export const FIXTURE = {
  source: 'src',
  dynamic: 'dt',
  scratch: 'scratch',
} as const;

/** Valid statements and near-misses that mutations start from. */
export const SEEDS: readonly string[] = [
  'SELECT k, v FROM src WHERE v > 1 ORDER BY k',
  'SELECT * FROM dt',
  "SELECT count(*) AS n, group_concat(k, ',') FROM src GROUP BY v HAVING n > 0",
  'WITH a AS (SELECT k FROM src), b AS (SELECT k FROM a) SELECT * FROM b JOIN a USING (k)',
  "INSERT INTO scratch (a, b) VALUES (1, 'x'), (2, 'y')",
  "UPDATE scratch SET b = 'z' WHERE a = 1",
  "DELETE FROM scratch WHERE a IN (SELECT a FROM scratch WHERE b LIKE 'x%')",
  "CREATE DYNAMIC TABLE fz_new FRESHNESS = INTERVAL '1' HOUR AS SELECT k, v FROM src",
  "CREATE DYNAMIC TABLE IF NOT EXISTS fz_new2 WITH ('initialize' = 'on_schedule') AS SELECT v, count(*) AS n FROM src GROUP BY v",
  "EXPLAIN CREATE DYNAMIC TABLE fz_x FRESHNESS = INTERVAL '5' MINUTE AS SELECT k FROM src WHERE v < 3",
  "SHOW DYNAMIC TABLES LIKE 'd%'",
  'SHOW CREATE DYNAMIC TABLE dt',
  'DESCRIBE DYNAMIC TABLE dt',
  'DROP DYNAMIC TABLE IF EXISTS nope',
  'ALTER DYNAMIC TABLE nope SUSPEND',
  "ALTER DYNAMIC TABLE nope SET FRESHNESS = INTERVAL '2' DAY",
  // Writes to the dynamic table: every one must be refused, whatever a mutation makes of it.
  'INSERT INTO dt (k, v) VALUES (100, 100)',
  'WITH c AS (SELECT 1) INSERT INTO dt SELECT 7, 7 FROM c',
  'WITH c AS (SELECT 1) UPDATE dt SET v = v + 1',
  'WITH c AS (SELECT 1) DELETE FROM dt',
  'REPLACE INTO "dt" (k, v) VALUES (1, 99)',
  'INSERT OR REPLACE INTO [dt] VALUES (1, 42)',
  'INSERT INTO main.`dt` VALUES (1, 5) ON CONFLICT DO NOTHING',
  'CREATE TRIGGER fz_trg AFTER INSERT ON scratch BEGIN DELETE FROM dt; END',
  'ALTER TABLE dt ADD COLUMN fz INTEGER',
  'DROP TABLE dt',
  // Ways out of the engine; file names stay relative (the gateway's working folder is the test's).
  "ATTACH DATABASE 'fz-attached.db' AS fz",
  "ATTACH DATABASE 'data/catalog.db' AS c",
  'DETACH DATABASE fz',
  "VACUUM INTO 'fz-copy.db'",
  'PRAGMA database_list',
  'PRAGMA table_info(dt)',
  'PRAGMA writable_schema = 1',
  'PRAGMA query_only = 1',
];

/** Tokens mutations insert: keywords, punctuation, literals; never `src` or `dt` (see the module comment). */
const POOL: readonly string[] = [
  'SELECT',
  'FROM',
  'WHERE',
  'AND',
  'OR',
  'NOT',
  'NULL',
  'WITH',
  'RECURSIVE',
  'AS',
  'INSERT',
  'INTO',
  'VALUES',
  'UPDATE',
  'SET',
  'DELETE',
  'REPLACE',
  'JOIN',
  'ON',
  'GROUP',
  'BY',
  'ORDER',
  'LIMIT',
  'UNION',
  'ALL',
  'CREATE',
  'TABLE',
  'TABLES',
  'DYNAMIC',
  'MATERIALIZED',
  'FRESHNESS',
  'INTERVAL',
  'ATTACH',
  'DETACH',
  'DATABASE',
  'VACUUM',
  'PRAGMA',
  'EXPLAIN',
  'SHOW',
  'DESCRIBE',
  'LIKE',
  'ESCAPE',
  'CASE',
  'WHEN',
  'THEN',
  'END',
  'TRIGGER',
  'BEGIN',
  'COMMIT',
  'ROLLBACK',
  'TEMP',
  'IF',
  'EXISTS',
  'OVER',
  'PARTITION',
  '(',
  ')',
  ',',
  ';',
  '.',
  '*',
  '=',
  '+',
  '-',
  '||',
  "'",
  '"',
  '`',
  '[',
  ']',
  '/*',
  '*/',
  '--',
  '?',
  ':x',
  '@x',
  '$1',
  '1',
  '0',
  '-1',
  '9e999',
  "''",
  "'x'",
  "X'00'",
  "'é中'",
  '\u0000',
  'nope',
  'scratch',
  'main',
  'temp',
  "'%'",
  'HOUR',
  'SECOND',
  "'1'",
  "'-1'",
];

const TOKEN = /'(?:[^']|'')*'|"[^"]*"|`[^`]*`|\[[^\]]*\]|--[^\n]*|\/\*[\s\S]*?\*\/|\w+|\S/g;

export function tokenize(sql: string): string[] {
  return sql.match(TOKEN) ?? [];
}

function join(tokens: readonly string[]): string {
  return tokens.map((t) => (t.startsWith('--') ? `${t}\n` : t)).join(' ');
}

type Op = readonly ['insert' | 'delete' | 'duplicate' | 'swap' | 'open' | 'close', number, number];

/** A mutation: seed index and edits; applied in order, positions taken modulo the current length. */
export function applyOps(seed: string, ops: readonly Op[]): string {
  const tokens = tokenize(seed);
  for (const [kind, at, poolIndex] of ops) {
    const i = tokens.length === 0 ? 0 : at % tokens.length;
    if (kind === 'insert') tokens.splice(i, 0, POOL[poolIndex % POOL.length]!);
    else if (kind === 'delete') tokens.splice(i, 1);
    else if (kind === 'duplicate' && tokens.length > 0) tokens.splice(i, 0, tokens[i]!);
    else if (kind === 'swap' && i + 1 < tokens.length) [tokens[i], tokens[i + 1]] = [tokens[i + 1]!, tokens[i]!];
    else if (kind === 'open') tokens.splice(i, 0, ...Array<string>((poolIndex % 40) + 1).fill('('));
    else if (kind === 'close') tokens.splice(i, 0, ...Array<string>((poolIndex % 40) + 1).fill(')'));
  }
  return join(tokens);
}

/**
 * Statements that would be a legitimate change by an admin, not a bad request: Freshet's own DDL on `dt`, or
 * writes to `src` (which a refresh would carry into `dt`). Mutations that land on one of these are discarded.
 */
export function isLegitimateChange(sql: string): boolean {
  return (
    /\b(DROP|ALTER|REPLACE)\b[\s\S]*\b(DYNAMIC|MATERIALIZED)\b[\s\S]*\bdt\b/i.test(sql) ||
    /\b(INSERT|UPDATE|DELETE|REPLACE|DROP|ALTER|TRIGGER)\b[\s\S]*\bsrc\b/i.test(sql)
  );
}

/** Where a generated expression or query is put. */
export type Context = 'select' | 'where' | 'create' | 'explain' | 'cte-write';

function inContext(context: Context, expression: string, from = 'src'): string {
  switch (context) {
    case 'select':
      return `SELECT ${expression} AS e FROM ${from}`;
    case 'where':
      return `SELECT k FROM ${from} WHERE ${expression}`;
    case 'create':
      return `CREATE DYNAMIC TABLE fz_deep AS SELECT ${expression} AS e FROM ${from}`;
    case 'explain':
      return `EXPLAIN CREATE DYNAMIC TABLE fz_deep AS SELECT ${expression} AS e FROM ${from}`;
    case 'cte-write':
      return `WITH c AS (SELECT ${expression} AS e) INSERT INTO dt (k, v) SELECT 1, e FROM c`;
  }
}

/** A description of one generated statement; `renderSql` makes its text. */
export type SqlCase =
  | { readonly t: 'mutated'; readonly seed: number; readonly ops: readonly Op[] }
  | { readonly t: 'nest'; readonly n: number; readonly open: number; readonly close: number; readonly at: Context }
  | { readonly t: 'chain'; readonly op: string; readonly n: number; readonly at: Context }
  | { readonly t: 'joins'; readonly n: number; readonly at: Context }
  | { readonly t: 'like'; readonly unit: string; readonly n: number; readonly tail: string }
  | { readonly t: 'dt-write'; readonly spelling: number; readonly wrap: number }
  | { readonly t: 'outside'; readonly statement: number; readonly wrap: number }
  | { readonly t: 'huge'; readonly kind: 'literal' | 'in-list' | 'identifier' | 'statements'; readonly n: number }
  | { readonly t: 'text'; readonly text: string };

/** Spellings of a write to `dt`; `%` stands for the table's name as quoted by `DT_NAMES`. */
const DT_WRITES: readonly string[] = [
  'INSERT INTO % (k, v) VALUES (500, 500)',
  'INSERT INTO % SELECT 501, 501',
  'INSERT OR REPLACE INTO % (k, v) VALUES (1, 502)',
  'INSERT OR IGNORE INTO % (k, v) VALUES (503, 503)',
  'REPLACE INTO % (k, v) VALUES (1, 504)',
  'INSERT INTO % (k, v) VALUES (1, 505) ON CONFLICT (k) DO UPDATE SET v = excluded.v',
  'UPDATE % SET v = 506',
  'UPDATE OR REPLACE % SET k = 1',
  'DELETE FROM %',
  'DELETE FROM % WHERE k = 1',
  'WITH c AS (SELECT 1) INSERT INTO % (k, v) SELECT 507, 507 FROM c',
  'WITH c AS (SELECT 1) UPDATE % SET v = 508',
  'WITH c AS (SELECT 1) DELETE FROM %',
  'WITH RECURSIVE r(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM r WHERE i < 3) INSERT INTO % SELECT i + 600, i FROM r',
  'WITH c AS (SELECT 1) REPLACE INTO % (k, v) VALUES (1, 509)',
  'CREATE TRIGGER fz_t1 AFTER INSERT ON scratch BEGIN DELETE FROM %; END',
  'CREATE TRIGGER fz_t2 BEFORE UPDATE ON % BEGIN SELECT 1; END',
  'CREATE TEMP TRIGGER fz_t3 AFTER INSERT ON scratch BEGIN INSERT INTO % VALUES (510, 510); END',
  'ALTER TABLE % ADD COLUMN fz_c INTEGER',
  'ALTER TABLE % RENAME TO fz_renamed',
  'ALTER TABLE % RENAME COLUMN v TO fz_v',
  'DROP TABLE %',
  'DROP TABLE IF EXISTS %',
  'CREATE TEMP TABLE % (k, v)',
  'CREATE TEMP VIEW % AS SELECT 1 AS k, 2 AS v',
  'SELECT 1; DELETE FROM %',
];

const DT_NAMES: readonly string[] = ['dt', 'DT', '"dt"', '[dt]', '`dt`', 'main.dt', '"main"."dt"', 'main.[dt]', 'Dt'];

/** How a statement is dressed: comments, case, a leading empty statement, a transaction around it. */
function wrapStatement(sql: string, wrap: number): string {
  switch (wrap % 7) {
    case 0:
      return sql;
    case 1:
      return `/* fz */ ${sql}`;
    case 2:
      return `-- fz\n${sql}`;
    case 3:
      return sql.toLowerCase();
    case 4:
      return `;${sql};`;
    case 5:
      return `BEGIN; ${sql}; COMMIT`;
    default:
      return `  \n\t${sql.replace(/ /g, '\n ')}  `;
  }
}

/**
 * Statements that reach outside the engine's data; files are relative, so inside the test's folder. Those before
 * `OUTSIDE_REFUSED_END` attach, copy or reveal files or change a connection's state: they must be refused with 403.
 */
const OUTSIDE: readonly string[] = [
  "ATTACH DATABASE 'data/catalog.db' AS c",
  "ATTACH 'data/catalog.db' AS c; SELECT * FROM c.dynamic_tables",
  "ATTACH DATABASE 'fz-new.db' AS fz",
  "ATTACH DATABASE 'file:fz-uri.db?mode=rwc' AS fz",
  "ATTACH DATABASE ':memory:' AS m",
  'ATTACH DATABASE fz_bare AS fz',
  "ATTACH DATABASE 'fz-' || 'concat.db' AS fz",
  "WITH x AS (SELECT 1) SELECT 1; ATTACH 'fz-after.db' AS a",
  'DETACH DATABASE c',
  'DETACH main',
  "VACUUM INTO 'fz-vacuum.db'",
  "VACUUM main INTO 'fz-vacuum-main.db'",
  'PRAGMA database_list',
  'PRAGMA main.database_list',
  'SELECT * FROM pragma_database_list',
  'SELECT file FROM pragma_database_list()',
  'PRAGMA writable_schema = ON',
  'PRAGMA query_only = true',
  'PRAGMA journal_mode = OFF',
  'PRAGMA foreign_keys = OFF',
  'PRAGMA case_sensitive_like = 1',
  'PRAGMA recursive_triggers = 1',
  "PRAGMA temp_store_directory = 'fz-temp'",
  'PRAGMA mmap_size = 1099511627776',
  'PRAGMA cache_size = -100000000',
  'PRAGMA max_page_count = 1',
  'PRAGMA locking_mode = EXCLUSIVE',
  'PRAGMA schema_version = 1',
  'PRAGMA user_version = 77',
  // From here on: allowed or failing on their own; they must only not break anything.
  'PRAGMA table_info(dt)',
  'VACUUM',
  'PRAGMA integrity_check',
  "SELECT load_extension('fz-none')",
  "SELECT readfile('data/catalog.db')",
  "SELECT writefile('fz-written', 'x')",
];

const OUTSIDE_REFUSED_END = OUTSIDE.indexOf('PRAGMA table_info(dt)');

/**
 * The answer a case is owed beyond the shape every answer has: `forbidden` (403 FORBIDDEN, it reaches outside the
 * engine or changes a connection), `refused` (any 4xx: it writes to or shadows `dt`), or `any`.
 */
export function owedAnswer(c: SqlCase): 'forbidden' | 'refused' | 'any' {
  if (c.t === 'outside' && c.statement % OUTSIDE.length < OUTSIDE_REFUSED_END) {
    // Inside BEGIN … COMMIT the BEGIN is refused first (every statement runs in its own transaction): a 4xx before
    // the statement is reached, which the file checks still hold to.
    return c.wrap % 7 === 5 ? 'refused' : 'forbidden';
  }
  if (c.t === 'dt-write') return 'refused';
  if (c.t === 'nest' || c.t === 'chain' || c.t === 'joins') return c.at === 'cte-write' ? 'refused' : 'any';
  return 'any';
}

export function renderSql(c: SqlCase): string {
  switch (c.t) {
    case 'mutated':
      return applyOps(SEEDS[c.seed % SEEDS.length]!, c.ops);
    case 'nest':
      return inContext(c.at, `${'('.repeat(c.n + c.open)}k${')'.repeat(c.n + c.close)}`);
    case 'chain':
      return inContext(
        c.at,
        Array<string>(c.n + 1)
          .fill(c.op === '||' ? "'a'" : c.op === '+' ? '1' : 'k = 1')
          .join(` ${c.op} `),
      );
    case 'joins':
      return inContext(
        c.at,
        's0.k',
        `src s0${Array.from({ length: c.n }, (_, i) => ` JOIN src s${i + 1} ON s${i + 1}.k = s${i}.k`).join('')}`,
      );
    case 'like':
      return `SHOW DYNAMIC TABLES LIKE '${c.unit.repeat(c.n).replace(/'/g, "''")}${c.tail.replace(/'/g, "''")}'`;
    case 'dt-write': {
      const name = DT_NAMES[Math.floor(c.spelling / DT_WRITES.length) % DT_NAMES.length]!;
      return wrapStatement(DT_WRITES[c.spelling % DT_WRITES.length]!.replace('%', name), c.wrap);
    }
    case 'outside':
      return wrapStatement(OUTSIDE[c.statement % OUTSIDE.length]!, c.wrap);
    case 'huge':
      return renderHuge(c.kind, c.n);
    case 'text':
      return c.text;
  }
}

function renderHuge(kind: 'literal' | 'in-list' | 'identifier' | 'statements', n: number): string {
  switch (kind) {
    case 'literal':
      return `SELECT '${'x'.repeat(n)}`; // unterminated on purpose: the error must not echo all of it
    case 'in-list':
      return `SELECT k FROM src WHERE k IN (${Array.from({ length: n }, (_, i) => i).join(',')}`;
    case 'identifier':
      return `SELECT * FROM ${'q'.repeat(n)}`;
    case 'statements':
      return 'SELECT 1;'.repeat(n);
  }
}

const context = fc.constantFrom<Context>('select', 'where', 'create', 'explain', 'cte-write');

/** The kinds of generated statement. */
export type SqlKind = SqlCase['t'];

/** Generated statements of the given kinds (all when omitted), weighted towards mutations. */
export function sqlCase(kinds?: readonly SqlKind[]): fc.Arbitrary<SqlCase> {
  const op = fc.tuple(
    fc.constantFrom('insert', 'delete', 'duplicate', 'swap', 'open', 'close') as fc.Arbitrary<Op[0]>,
    fc.nat({ max: 400 }),
    fc.nat({ max: 400 }),
  ) as fc.Arbitrary<Op>;
  const all: ReadonlyArray<{ kind: SqlKind; weight: number; arbitrary: fc.Arbitrary<SqlCase> }> = [
    {
      kind: 'mutated',
      weight: 8,
      arbitrary: fc
        .record({
          t: fc.constant('mutated' as const),
          seed: fc.nat({ max: SEEDS.length - 1 }),
          ops: fc.array(op, { minLength: 1, maxLength: 4 }),
        })
        .filter((c) => !isLegitimateChange(renderSql(c))),
    },
    {
      kind: 'nest',
      weight: 2,
      arbitrary: fc.record({
        t: fc.constant('nest' as const),
        n: fc.oneof(fc.nat({ max: 40 }), fc.integer({ min: 100, max: 5000 })),
        open: fc.oneof(fc.constant(0), fc.nat({ max: 120 })),
        close: fc.oneof(fc.constant(0), fc.nat({ max: 120 })),
        at: context,
      }),
    },
    {
      kind: 'chain',
      weight: 2,
      arbitrary: fc.record({
        t: fc.constant('chain' as const),
        op: fc.constantFrom('+', 'AND', 'OR', '||', '*', '-'),
        n: fc.oneof(fc.nat({ max: 50 }), fc.integer({ min: 1000, max: 20000 })),
        at: context,
      }),
    },
    {
      kind: 'joins',
      weight: 1,
      arbitrary: fc.record({
        t: fc.constant('joins' as const),
        n: fc.oneof(fc.nat({ max: 20 }), fc.integer({ min: 200, max: 5000 })),
        at: fc.constantFrom<Context>('select', 'create', 'explain'),
      }),
    },
    {
      kind: 'like',
      weight: 2,
      arbitrary: fc.record({
        t: fc.constant('like' as const),
        unit: fc.oneof(
          fc.constantFrom('%', '_', '%_', '%a', '\\', '!', "'", '.*', '(', '['),
          fc.string({ maxLength: 3 }),
        ),
        n: fc.oneof(fc.nat({ max: 30 }), fc.integer({ min: 1000, max: 100000 })),
        tail: fc.constantFrom('', '!', 'x', '%', '\\', '['),
      }),
    },
    {
      kind: 'dt-write',
      weight: 3,
      arbitrary: fc.record({
        t: fc.constant('dt-write' as const),
        spelling: fc.nat({ max: DT_WRITES.length * DT_NAMES.length - 1 }),
        wrap: fc.nat({ max: 6 }),
      }),
    },
    {
      kind: 'outside',
      weight: 2,
      arbitrary: fc.record({
        t: fc.constant('outside' as const),
        statement: fc.nat({ max: OUTSIDE.length - 1 }),
        wrap: fc.nat({ max: 6 }),
      }),
    },
    {
      kind: 'huge',
      weight: 1,
      arbitrary: fc.record({
        t: fc.constant('huge' as const),
        kind: fc.constantFrom('literal', 'in-list', 'identifier', 'statements') as fc.Arbitrary<
          'literal' | 'in-list' | 'identifier' | 'statements'
        >,
        n: fc.integer({ min: 10_000, max: 90_000 }),
      }),
    },
    {
      kind: 'text',
      weight: 1,
      arbitrary: fc.record({
        t: fc.constant('text' as const),
        text: fc.string({ unit: 'grapheme', minLength: 1, maxLength: 80 }),
      }),
    },
  ];
  const chosen = all.filter((a) => kinds === undefined || kinds.includes(a.kind));
  return fc.oneof(...chosen.map(({ weight, arbitrary }) => ({ weight, arbitrary })));
}
