import { strict as assert } from 'node:assert';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { TestGateway } from './helpers/gateway';

const SETUP = `
CREATE TABLE src (id INTEGER PRIMARY KEY, k TEXT);
INSERT INTO src VALUES (1, 'a'), (2, 'b');
CREATE DYNAMIC TABLE dt FRESHNESS = INTERVAL '1' HOUR AS SELECT id, k FROM src;
`;

/** What a refused statement must leave as it was: the dynamic table's rows and the whole schema. */
async function snapshot(gw: TestGateway): Promise<unknown> {
  return {
    rows: await gw.rows('SELECT id, k FROM dt ORDER BY id'),
    schema: await gw.rows('SELECT type, name, tbl_name, sql FROM sqlite_schema ORDER BY type, name'),
  };
}

async function refused(gw: TestGateway, statement: string, status: number, code: string, message: RegExp) {
  const before = await snapshot(gw);
  const { status: actual, error } = await gw.sqlError(statement);
  assert.equal(actual, status, `${statement}: ${JSON.stringify(error)}`);
  assert.equal(error.code, code, statement);
  assert.match(error.message, message, statement);
  assert.deepEqual(await snapshot(gw), before, `${statement} changed the table or the schema`);
}

/** 43 ways of writing `dt` (a dynamic table) or its definition. */
const WRITES_TO_DT = [
  `INSERT INTO dt VALUES (9, 'x')`,
  `INSERT INTO [dt] VALUES (9, 'x')`,
  `INSERT INTO "dt" VALUES (9, 'x')`,
  "INSERT INTO `dt` VALUES (9, 'x')",
  `insert into DT values (9, 'x')`,
  `InSeRt InTo "DT" VaLuEs (9, 'x')`,
  `INSERT INTO main.dt VALUES (9, 'x')`,
  `INSERT INTO "main"."DT" VALUES (9, 'x')`,
  `INSERT INTO [main].[dt] VALUES (9, 'x')`,
  `INSERT INTO MAIN.\`dt\` (id, k) VALUES (9, 'x')`,
  `/* hello */ INSERT INTO dt VALUES (9, 'x')`,
  `-- a note\nINSERT INTO dt VALUES (9, 'x')`,
  `INSERT/* inside */INTO/**/dt VALUES (9, 'x')`,
  'INSERT INTO dt DEFAULT VALUES',
  'INSERT INTO dt SELECT id + 10, k FROM src',
  `WITH c AS (SELECT 1) INSERT INTO dt SELECT 9, 'x' FROM c`,
  `WITH c(n) AS (SELECT 1) UPDATE dt SET k = 'x'`,
  'WITH c AS (SELECT 1) DELETE FROM dt',
  `WITH RECURSIVE c(n) AS (SELECT 1) REPLACE INTO dt SELECT n, 'x' FROM c`,
  `/* c */ WITH "c" AS (SELECT 2 AS n) UPDATE [dt] SET k = 'y' WHERE id IN (SELECT n FROM c)`,
  `INSERT OR REPLACE INTO dt VALUES (1, 'x')`,
  `INSERT OR IGNORE INTO dt VALUES (1, 'x')`,
  `REPLACE INTO dt VALUES (1, 'x')`,
  `INSERT INTO dt (id, k) VALUES (1, 'x') ON CONFLICT DO UPDATE SET k = excluded.k`,
  `UPDATE OR IGNORE dt SET k = 'x'`,
  `UPDATE dt SET k = 'x' WHERE id = 1`,
  'UPDATE dt SET k = (SELECT k FROM src WHERE src.id = dt.id) || k',
  'DELETE FROM dt WHERE id = 1',
  'DELETE FROM dt',
  'delete from "main".[dt] where 1',
  'CREATE TRIGGER dt_tr AFTER INSERT ON dt BEGIN SELECT 1; END',
  'CREATE TRIGGER IF NOT EXISTS "src_tr" AFTER INSERT ON src BEGIN DELETE FROM dt; END',
  'CREATE TRIGGER src_begin AFTER INSERT ON src WHEN (SELECT 1 AS begin) BEGIN UPDATE OR ROLLBACK [dt] SET k = 1; END',
  'ALTER TABLE dt ADD COLUMN z INTEGER',
  'ALTER TABLE [dt] RENAME TO dt2',
  'ALTER TABLE main."dt" RENAME COLUMN k TO kk',
  'ALTER TABLE dt DROP COLUMN k',
  'DROP TABLE dt',
  'DROP TABLE IF EXISTS `DT`',
  'CREATE TABLE child (id INTEGER REFERENCES dt (id))',
  'ALTER TABLE src ADD COLUMN parent INTEGER REFERENCES "dt"',
  'CREATE INDEX dt_k ON dt (k)',
  'CREATE UNIQUE INDEX IF NOT EXISTS dt_k ON [dt] (k)',
];

describe('pass-through guard on SQLite: statements stay inside the engine and off dynamic tables', () => {
  let gw: TestGateway;
  let outside: string;
  before(async () => {
    gw = await TestGateway.start();
    await gw.sql(SETUP);
  });
  after(() => gw.close());
  beforeEach(() => {
    outside = mkdtempSync(path.join(os.tmpdir(), 'freshet-outside-'));
  });
  afterEach(() => rmSync(outside, { recursive: true, force: true }));

  it("refuses ATTACH of Freshet's own catalog, and leaves no attachment behind", async () => {
    const catalog = path.join(gw.dataDir, 'catalog.db');
    assert.ok(existsSync(catalog));
    for (const statement of [
      `ATTACH DATABASE '${catalog}' AS c`,
      `attach '${catalog}' as c`,
      `/* x */ ATTACH DATABASE 'file:${catalog}?mode=ro' AS "c"`,
      `EXPLAIN ATTACH DATABASE '${catalog}' AS c`,
    ]) {
      await refused(
        gw,
        statement,
        403,
        'FORBIDDEN',
        /^ATTACH DATABASE is not allowed: it reaches outside the engine's data/,
      );
      const later = await gw.sqlError('SELECT * FROM c.dynamic_tables');
      assert.equal(later.status, 400);
      assert.match(later.error.message, /no such table: c\.dynamic_tables/);
    }
    await refused(gw, 'DETACH DATABASE c', 403, 'FORBIDDEN', /^DETACH DATABASE is not allowed/);
  });

  it('refuses ATTACH and VACUUM INTO elsewhere, and writes no file', async () => {
    const attached = path.join(outside, 'x.db');
    await refused(gw, `ATTACH DATABASE '${attached}' AS x`, 403, 'FORBIDDEN', /^ATTACH DATABASE is not allowed/);
    assert.equal(existsSync(attached), false, 'ATTACH created a file');
    for (const [statement, file] of [
      [`VACUUM INTO '${path.join(outside, 'copy.db')}'`, 'copy.db'],
      [`vacuum main into '${path.join(outside, 'copy2.db')}'`, 'copy2.db'],
    ] as const) {
      await refused(
        gw,
        statement,
        403,
        'FORBIDDEN',
        /^VACUUM INTO is not allowed: it reaches outside the engine's data/,
      );
      assert.equal(existsSync(path.join(outside, file)), false, `${statement} wrote a file`);
    }
  });

  it('refuses PRAGMAs that reveal paths or change settings, in every form', async () => {
    for (const [statement, name] of [
      ['PRAGMA database_list', 'database_list'],
      ['pragma MAIN."DATABASE_LIST"', 'database_list'],
      ['SELECT * FROM pragma_database_list', 'database_list'],
      ['SELECT file FROM [Pragma_Database_List] WHERE seq = 0', 'database_list'],
      ['WITH d AS (SELECT * FROM main.pragma_database_list) SELECT * FROM d', 'database_list'],
      ['EXPLAIN PRAGMA database_list', 'database_list'],
      ['CREATE VIEW leak AS SELECT file FROM pragma_database_list', 'database_list'],
      ['PRAGMA journal_mode = DELETE', 'journal_mode'],
      ['PRAGMA journal_mode', 'journal_mode'],
      ['PRAGMA foreign_keys = OFF', 'foreign_keys'],
      ['PRAGMA writable_schema = ON', 'writable_schema'],
      [`PRAGMA temp_store_directory = '${outside}'`, 'temp_store_directory'],
      ['PRAGMA query_only(1)', 'query_only'],
    ] as const) {
      const message = new RegExp(`^PRAGMA ${name} is not allowed: it reaches outside the engine's data`);
      await refused(gw, statement, 403, 'FORBIDDEN', message);
    }
    assert.deepEqual(await gw.rows(`SELECT 'x' AS journal_mode, 1 AS "database_list"`), [['x', 1]]);
  });

  it('refuses temporary objects and outside-reaching functions', async () => {
    for (const [statement, name] of [
      ['CREATE TEMP TABLE scratch (x)', 'CREATE TEMP TABLE'],
      ['CREATE TABLE temp.scratch (x)', 'CREATE TEMP TABLE'],
      ['CREATE TEMPORARY VIEW v AS SELECT 1', 'CREATE TEMP VIEW'],
      ['CREATE TEMP TRIGGER tt AFTER INSERT ON main.src BEGIN SELECT 1; END', 'CREATE TEMP TRIGGER'],
      [`SELECT load_extension('${path.join(outside, 'evil')}')`, 'load_extension()'],
      [`CREATE VIEW ext AS SELECT load_extension('${path.join(outside, 'evil')}')`, 'load_extension()'],
      [`SELECT fts3_tokenizer('simple')`, 'fts3_tokenizer()'],
    ] as const) {
      const message = new RegExp(`^${name.replace(/[()]/g, '\\$&')} is not allowed`);
      await refused(gw, statement, 403, 'FORBIDDEN', message);
    }
  });

  it(`refuses ${WRITES_TO_DT.length} spellings of a write to a dynamic table, changing nothing`, async () => {
    assert.ok(WRITES_TO_DT.length >= 25);
    for (const statement of WRITES_TO_DT) {
      await refused(gw, statement, 400, 'VALIDATION_ERROR', /^default\.main\.dt is a dynamic table; Freshet maintains/);
    }
    assert.deepEqual(await gw.rows('SELECT id, k FROM dt ORDER BY id'), [
      [1, 'a'],
      [2, 'b'],
    ]);
  });

  it('names the write the statement makes and where it is', async () => {
    const { error } = await gw.sqlError('SELECT 1;\nWITH c AS (SELECT 1) DELETE FROM dt');
    assert.match(error.message, /instead of DELETE\.$/);
    assert.deepEqual([error.line, error.column], [2, 1]);
    const bracket = await gw.sqlError(`SELECT 1; INSERT INTO [dt] VALUES (3, 'c')`);
    assert.match(bracket.error.message, /instead of INSERT\.$/);
    assert.deepEqual([bracket.error.line, bracket.error.column], [1, 11]);
  });

  it('refuses dropping or reshaping a table dynamic tables read, however it is quoted', async () => {
    for (const statement of [
      'DROP TABLE [src]',
      'DROP TABLE "main"."SRC"',
      'ALTER TABLE `src` RENAME TO src2',
      'ALTER TABLE [src] DROP COLUMN "K"',
    ]) {
      await refused(gw, statement, 409, 'INVALID_STATE', /dynamic table default\.main\.dt reads/);
    }
  });

  it('refuses a write that happens through a trigger created before the table was dynamic', async () => {
    await gw.sql(`CREATE TABLE feed (x TEXT);
      CREATE TRIGGER feed_later AFTER INSERT ON feed BEGIN INSERT INTO later VALUES (new.x); END;
      CREATE DYNAMIC TABLE later FRESHNESS = INTERVAL '1' HOUR AS SELECT k FROM src`);
    const before = await gw.rows('SELECT k FROM later ORDER BY k');
    const { status, error } = await gw.sqlError(`INSERT INTO feed VALUES ('z')`);
    assert.equal(status, 400);
    assert.equal(error.code, 'VALIDATION_ERROR');
    assert.match(error.message, /^default\.main\.later is a dynamic table/);
    assert.deepEqual(await gw.rows('SELECT k FROM later ORDER BY k'), before);
    assert.deepEqual(await gw.rows('SELECT count(*) FROM feed'), [[0]]);
    await gw.sql('DROP TRIGGER feed_later; INSERT INTO feed VALUES (1); DROP DYNAMIC TABLE later; DROP TABLE feed');
  });

  it('still runs reads of dynamic tables, introspection PRAGMAs and writes to other tables', async () => {
    assert.deepEqual(await gw.rows('SELECT k FROM [dt] ORDER BY id'), [['a'], ['b']]);
    assert.deepEqual(await gw.rows('WITH c AS (SELECT 1) SELECT count(*) FROM main."DT"'), [[2]]);
    const [info] = await gw.sql('PRAGMA table_info(dt)');
    assert.deepEqual(
      info.rows.map((row: unknown[]) => row[1]),
      ['id', 'k'],
    );
    assert.deepEqual(await gw.rows(`SELECT name FROM pragma_table_info('src') ORDER BY cid`), [['id'], ['k']]);
    await gw.sql('PRAGMA main.index_list(src); PRAGMA foreign_key_list(src); EXPLAIN QUERY PLAN SELECT * FROM dt');
    const [inserted, updated, cte, deleted] = await gw.sql(`INSERT INTO [src] VALUES (3, 'c');
      UPDATE "src" SET k = 'B' WHERE id = 2;
      WITH c AS (SELECT 4 AS id) INSERT OR REPLACE INTO src SELECT id, 'd' FROM c;
      DELETE FROM src WHERE id = 4`);
    assert.deepEqual(
      [inserted, updated, cte, deleted].map((result) => result.rowsAffected),
      [1, 1, 1, 1],
    );
    await gw.sql(`CREATE INDEX src_k ON src (k); DROP INDEX src_k;
      CREATE TABLE other (x); INSERT INTO other SELECT k FROM dt; ALTER TABLE other ADD COLUMN y; DROP TABLE other;
      CREATE VIEW dt_view AS SELECT * FROM dt; DROP VIEW dt_view; ANALYZE; VACUUM`);
    assert.equal((await gw.refresh({ tables: ['dt'] }, 10)).status, 200);
    assert.deepEqual(await gw.rows('SELECT id, k FROM dt ORDER BY id'), [
      [1, 'a'],
      [2, 'B'],
      [3, 'c'],
    ]);
  });
});
