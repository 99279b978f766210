/**
 * What the server engines (PostgreSQL, MySQL/MariaDB) and the Flink engine say a pass-through statement would
 * write or reach, asked of the engines directly: every spelling of a write to the table `dt` names `dt` with its
 * schema or database, reads and writes of other tables are not mistaken for it, and statements that reach the
 * server's files, load code or change the pooled session are named. Inspecting runs nothing.
 */
import assert from 'node:assert/strict';
import type { Engine, TableRef } from '../src/engine/engine';
import { FlinkEngine } from '../src/engine/flink/flink-engine';
import { MysqlEngine } from '../src/engine/mysql/mysql-engine';
import { PostgresEngine } from '../src/engine/postgres/postgres-engine';
import { FlinkGatewayFake } from './fakes/flink-gateway-fake';
import { rowsOf } from './helpers/assertions';
import { type ThrowawayDatabase, createDatabase } from './helpers/databases';

type Case = readonly [sql: string, writes: readonly (readonly [string, string])[]];

const sorted = (tables: readonly TableRef[]) =>
  tables.map((table) => [table.database, table.name]).sort((a, b) => String(a).localeCompare(String(b)));

function inspect(engine: Engine, sql: string) {
  assert.ok(engine.inspectStatement !== undefined, `${engine.name} inspects statements`);
  return engine.inspectStatement(sql);
}

async function assertWrites(engine: Engine, cases: readonly Case[]): Promise<void> {
  for (const [sql, expected] of cases) {
    const effects = await inspect(engine, sql);
    assert.deepEqual(sorted(effects.writes), sorted(expected.map(([database, name]) => ({ database, name }))), sql);
    assert.equal(effects.escapes, null, sql);
  }
}

async function assertEscapes(engine: Engine, cases: readonly (readonly [string, string | null])[]): Promise<void> {
  for (const [sql, expected] of cases) assert.equal((await inspect(engine, sql)).escapes, expected, sql);
}

describe('Statement inspection on PostgreSQL', function () {
  this.timeout(60_000);
  let database: ThrowawayDatabase;
  let engine: PostgresEngine;
  const run = (sql: string) => engine.execute(sql, { rowLimit: 100 });
  const DT: readonly [string, string] = ['public', 'dt'];
  const SRC: readonly [string, string] = ['public', 'src'];

  before(async function () {
    database = await createDatabase('postgres');
    engine = new PostgresEngine({ url: database.url, statementPoolSize: 1 });
    await engine.open();
    await run('CREATE TABLE dt (id integer PRIMARY KEY, v text)');
    await run("INSERT INTO dt VALUES (1, 'a'), (2, 'b')");
    await run('CREATE TABLE src (id integer, v text)');
    await run('CREATE VIEW dt_view AS SELECT id, v FROM dt');
    await run('CREATE SCHEMA other');
    await run('CREATE TABLE other.dt (id integer)');
    await run('CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$');
  });

  after(async function () {
    await engine?.close();
    await database?.drop();
  });

  it('names the table behind every spelling of a write, resolved with its schema', async function () {
    await assertWrites(engine, [
      ["INSERT INTO dt VALUES (3, 'c')", [DT]],
      ["insert into DT values (3, 'c')", [DT]],
      ['INSERT INTO "dt" VALUES (3, \'c\')', [DT]],
      ["INSERT INTO public.dt VALUES (3, 'c')", [DT]],
      ['INSERT INTO "public"."dt" (id, v) VALUES (3, \'c\')', [DT]],
      ["/* a */ INSERT /* b */ INTO -- c\n dt VALUES (3, 'c')", [DT]],
      ["WITH c AS (SELECT 3 AS id) INSERT INTO dt SELECT id, 'x' FROM c", [DT]],
      ["WITH c AS (SELECT 1) UPDATE dt SET v = 'x'", [DT]],
      ['WITH c AS (SELECT 1) DELETE FROM dt', [DT]],
      ['WITH x AS (DELETE FROM dt RETURNING *) SELECT count(*) FROM x', [DT]],
      ["with x as (update DT set v = 'y' returning id) select * from x", [DT]],
      ['WITH x AS (DELETE FROM dt RETURNING *) INSERT INTO src SELECT * FROM x', [DT, SRC]],
      ["UPDATE dt SET v = 'z' WHERE id IN (SELECT id FROM src)", [DT]],
      ['UPDATE ONLY dt AS d SET v = s.v FROM src s WHERE s.id = d.id', [DT]],
      ['DELETE FROM dt USING src WHERE src.id = dt.id', [DT]],
      ['DELETE FROM ONLY public.dt', [DT]],
      ["INSERT INTO dt VALUES (1, 'a') ON CONFLICT (id) DO UPDATE SET v = excluded.v", [DT]],
      [
        'MERGE INTO dt USING src ON dt.id = src.id WHEN MATCHED THEN UPDATE SET v = src.v ' +
          'WHEN NOT MATCHED THEN INSERT VALUES (src.id, src.v)',
        [DT],
      ],
      ["INSERT INTO dt SELECT $1::integer, 'p'", [DT]],
      ['TRUNCATE dt', [DT]],
      ['TRUNCATE TABLE ONLY dt, src', [DT, SRC]],
      ['ALTER TABLE dt ADD COLUMN w integer', [DT]],
      ['ALTER TABLE IF EXISTS ONLY "public".dt RENAME TO dt_old', [DT]],
      ['DROP TABLE dt', [DT]],
      ['DROP TABLE IF EXISTS src, dt CASCADE', [SRC, DT]],
      ['CREATE TRIGGER trg BEFORE INSERT OR UPDATE ON dt FOR EACH ROW EXECUTE FUNCTION touch()', [DT]],
      ['CREATE RULE r AS ON INSERT TO dt DO INSTEAD NOTHING', [DT]],
      ['CREATE RULE r AS ON INSERT TO src DO ALSO DELETE FROM dt', [SRC, DT]],
      ["COMMENT ON TABLE dt IS 'mine'", [DT]],
      ['COMMENT ON COLUMN public.dt.v IS NULL', [DT]],
      ['DO $$ BEGIN DELETE FROM dt; END $$', [DT]],
      ['CREATE FUNCTION wipe() RETURNS void LANGUAGE sql AS $body$ DELETE FROM dt $body$', [DT]],
      ['CREATE TABLE child (x integer) INHERITS (dt)', [DT]],
      ['CREATE TABLE part PARTITION OF dt FOR VALUES IN (1)', [DT]],
      ['INSERT INTO other.dt VALUES (1)', [['other', 'dt']]],
      ['INSERT INTO "DT" VALUES (1)', [['public', 'DT']]],
      ['DROP SCHEMA public CASCADE', [DT, SRC]],
      ['ALTER SCHEMA public RENAME TO old_public', [DT, SRC]],
      ['DROP SCHEMA IF EXISTS other', [['other', 'dt']]],
    ]);
  });

  it('names the base table of a write through an updatable view, as the plan does', async function () {
    const effects = await engine.inspectStatement("INSERT INTO dt_view VALUES (5, 'e')");
    assert.ok(
      effects.writes.some((table) => table.database === 'public' && table.name === 'dt'),
      JSON.stringify(effects.writes),
    );
  });

  it('does not mistake reads of the table, or writes of other tables, for writes to it', async function () {
    await assertWrites(engine, [
      ['SELECT * FROM dt', []],
      ['SELECT * FROM dt FOR UPDATE', []],
      ['SELECT * FROM dt FOR NO KEY UPDATE OF dt NOWAIT', []],
      ['INSERT INTO src SELECT * FROM dt', [SRC]],
      ['UPDATE src SET v = dt.v FROM dt WHERE dt.id = src.id', [SRC]],
      ['DELETE FROM src WHERE id IN (SELECT id FROM dt)', [SRC]],
      ['WITH d AS (SELECT * FROM dt) INSERT INTO src SELECT * FROM d', [SRC]],
      ['CREATE TABLE copy AS SELECT * FROM dt', []],
      ['CREATE VIEW vv AS SELECT * FROM dt', []],
      ['CREATE INDEX ON dt (v)', []],
      ["SELECT 'DELETE FROM dt'", []],
      ['SELECT 1 -- DELETE FROM dt', []],
      ['SELECT 1 /* outer /* DELETE FROM dt */ still a comment */', []],
      ['CREATE TRIGGER trg AFTER UPDATE OR DELETE ON src FOR EACH ROW EXECUTE FUNCTION touch()', [SRC]],
      ['GRANT INSERT, UPDATE, DELETE ON dt TO PUBLIC', []],
    ]);
  });

  it('names COPY, file functions and statements that would change the pooled session', async function () {
    await assertEscapes(engine, [
      ["COPY dt TO '/tmp/freshet-copy'", 'COPY'],
      ["copy dt from program 'id'", 'COPY'],
      ['COPY (SELECT 1) TO STDOUT', 'COPY'],
      ["/* x */ COPY dt FROM '/etc/passwd'", 'COPY'],
      ["SELECT pg_read_file('/etc/passwd')", 'pg_read_file()'],
      ["SELECT pg_catalog.PG_READ_BINARY_FILE('/etc/passwd')", 'pg_read_binary_file()'],
      ["SELECT * FROM pg_ls_dir('.')", 'pg_ls_dir()'],
      ['SELECT "pg_stat_file"(\'postgresql.conf\')', 'pg_stat_file()'],
      ["SELECT lo_import('/etc/passwd')", 'lo_import()'],
      ["SELECT lo_export(1, '/tmp/freshet-lo')", 'lo_export()'],
      ["WITH f AS (SELECT pg_read_file('/etc/passwd') AS t) SELECT * FROM f", 'pg_read_file()'],
      // E'\'' is one quote: the call after it is code, not the inside of a string.
      ["SELECT E'\\'' AS q, pg_read_file('/etc/passwd') -- '", 'pg_read_file()'],
      ["SELECT 1 /* /* */ */ , pg_ls_dir('.')", 'pg_ls_dir()'],
      ["DO $$ BEGIN PERFORM pg_read_file('/etc/passwd'); END $$", 'pg_read_file()'],
      ["DO $x$ BEGIN COPY dt TO '/tmp/freshet-copy'; END $x$", 'COPY'],
      ['SET search_path = other', 'SET'],
      ['set session search_path to other', 'SET'],
      ['SET ROLE postgres', 'SET'],
      ['RESET search_path', 'RESET'],
      ['LISTEN freshet', 'LISTEN'],
      ["LOAD 'plpgsql'", 'LOAD'],
      ['ALTER ROLE CURRENT_USER SET search_path = other', 'ALTER ROLE … SET'],
      ['alter database current_database set search_path to other', 'ALTER DATABASE … SET'],
      ["ALTER SYSTEM SET work_mem = '1GB'", 'ALTER SYSTEM'],
      ["DO $$ BEGIN EXECUTE format('DELETE FROM %I', 'dt'); END $$", 'DO … EXECUTE'],
      ['ALTER ROLE CURRENT_USER RENAME TO someone', null],
      ["SET LOCAL statement_timeout = '1s'", null],
      ['SELECT id FROM dt', null],
      ["SELECT 'pg_read_file(1)'", null],
    ]);
  });

  it('runs nothing while inspecting, not even a function the planner evaluates early', async function () {
    await run(
      'CREATE FUNCTION wipe_now() RETURNS integer IMMUTABLE LANGUAGE plpgsql AS $$ BEGIN DELETE FROM dt; RETURN 1; END $$',
    );
    const folded = await engine.inspectStatement('UPDATE src SET id = wipe_now()');
    assert.deepEqual(sorted(folded.writes), [SRC]);
    await engine.inspectStatement('DELETE FROM dt');
    await engine.inspectStatement('DROP TABLE dt');
    await engine.inspectStatement('WITH x AS (DELETE FROM dt RETURNING *) SELECT * FROM x');
    await engine.inspectStatement("COPY dt TO '/tmp/freshet-copy'");
    assert.deepEqual(rowsOf(await run('SELECT id, v FROM dt ORDER BY id')), [
      [1, 'a'],
      [2, 'b'],
    ]);
  });

  it('leaves no session state on the pooled connection for the next statement', async function () {
    await run("SELECT set_config('search_path', 'other', false)");
    await run('CREATE TEMPORARY TABLE scratch (x integer)');
    assert.deepEqual(rowsOf(await run("SELECT current_setting('search_path')")), [['"$user", public']]);
    assert.deepEqual(rowsOf(await run("SELECT to_regclass('scratch') IS NULL")), [[true]]);
  });
});

describe('Statement inspection on MySQL/MariaDB', function () {
  this.timeout(60_000);
  let database: ThrowawayDatabase;
  let engine: MysqlEngine;
  let db: string;
  const run = (sql: string) => engine.execute(sql, { rowLimit: 100 });
  let DT: readonly [string, string];
  let SRC: readonly [string, string];

  before(async function () {
    database = await createDatabase('mysql');
    engine = new MysqlEngine({ url: database.url, statementPoolSize: 1 });
    await engine.open();
    db = engine.defaultDatabase;
    DT = [db, 'dt'];
    SRC = [db, 'src'];
    await run('CREATE TABLE dt (id integer PRIMARY KEY, v varchar(20), w integer)');
    await run("INSERT INTO dt VALUES (1, 'a', 0), (2, 'b', 0)");
    await run('CREATE TABLE src (id integer, v varchar(20), s integer)');
    await run('CREATE VIEW dt_view AS SELECT id, v FROM dt WHERE id > 0');
  });

  after(async function () {
    await engine?.close();
    await database?.drop();
  });

  it('names the table behind every spelling of a write, resolved with its database', async function () {
    await assertWrites(engine, [
      ["INSERT INTO dt VALUES (3, 'c', 0)", [DT]],
      ["insert dt values (3, 'c', 0)", [DT]],
      ["INSERT INTO `dt` VALUES (3, 'c', 0)", [DT]],
      [`INSERT INTO \`${db}\`.\`dt\` VALUES (3, 'c', 0)`, [DT]],
      [`INSERT INTO ${db}.dt VALUES (3, 'c', 0)`, [DT]],
      ["INSERT LOW_PRIORITY IGNORE INTO dt VALUES (3, 'c', 0)", [DT]],
      ["INSERT INTO dt SET id = 3, v = 'c'", [DT]],
      ['INSERT INTO dt SELECT id, v, s FROM src', [DT]],
      ["INSERT INTO dt VALUES (1, 'a', 0) ON DUPLICATE KEY UPDATE v = 'b'", [DT]],
      ["REPLACE INTO dt VALUES (1, 'a', 0)", [DT]],
      ["replace dt set id = 1, v = 'r'", [DT]],
      ["UPDATE dt SET v = 'x'", [DT]],
      ["UPDATE LOW_PRIORITY IGNORE dt SET v = 'x' ORDER BY id LIMIT 1", [DT]],
      ['UPDATE dt JOIN src ON dt.id = src.id SET dt.v = src.v', [DT]],
      ['UPDATE src JOIN dt d ON d.id = src.id SET d.v = src.v', [DT]],
      ['UPDATE src, dt SET dt.v = src.v WHERE dt.id = src.id', [DT]],
      ['UPDATE src s JOIN dt AS d ON s.id = d.id SET w = 1', [DT]],
      ['DELETE FROM dt', [DT]],
      ['DELETE QUICK IGNORE FROM dt WHERE id = 1', [DT]],
      ['DELETE dt FROM dt JOIN src ON dt.id = src.id', [DT]],
      ['DELETE d FROM src JOIN dt AS d ON d.id = src.id', [DT]],
      ['DELETE FROM d USING src JOIN dt AS d ON d.id = src.id', [DT]],
      ['DELETE d.* FROM dt d', [DT]],
      ["WITH c AS (SELECT 1) UPDATE dt SET v = 'x'", [DT]],
      ['WITH c AS (SELECT 1) DELETE FROM dt', [DT]],
      ['TRUNCATE dt', [DT]],
      ['truncate table `dt`', [DT]],
      ['ALTER TABLE dt ADD COLUMN z integer', [DT]],
      ['DROP TABLE IF EXISTS src, dt', [SRC, DT]],
      ['RENAME TABLE dt TO dt_old', [DT, [db, 'dt_old']]],
      ["CREATE TRIGGER trg BEFORE INSERT ON dt FOR EACH ROW SET NEW.v = 'x'", [DT]],
      [
        'CREATE DEFINER = CURRENT_USER TRIGGER trg AFTER INSERT ON src ' +
          'FOR EACH ROW INSERT INTO dt VALUES (NEW.id, NEW.v, 0)',
        [SRC, DT],
      ],
      ['CREATE TRIGGER t2 AFTER DELETE ON src FOR EACH ROW BEGIN DELETE FROM dt WHERE id = OLD.id; END', [SRC, DT]],
      ['CREATE OR REPLACE TABLE dt (id integer)', [DT]],
      ['ALTER TABLE src EXCHANGE PARTITION p0 WITH TABLE dt', [SRC, DT]],
      ['/*!50000 DELETE FROM dt */', [DT]],
      ['DELETE /*M!100000 FROM dt */', [DT]],
      ["INSERT INTO src VALUES (1, 'it\\'s', 0); # ' \n DELETE FROM dt", [SRC, DT]],
      ['INSERT INTO DT VALUES (1)', [[db, 'DT']]],
      ["INSERT INTO dt_view VALUES (5, 'e')", [[db, 'dt_view'], DT]],
      [`DROP DATABASE IF EXISTS \`${db}\``, [DT, SRC]],
    ]);
  });

  it('does not mistake reads of the table, or writes of other tables, for writes to it', async function () {
    await assertWrites(engine, [
      ['SELECT * FROM dt', []],
      ['SELECT * FROM dt FOR UPDATE', []],
      ['INSERT INTO src SELECT id, v, w FROM dt', [SRC]],
      ['UPDATE src JOIN dt ON src.id = dt.id SET src.v = dt.v', [SRC]],
      ['UPDATE src JOIN dt ON src.id = dt.id SET s = dt.w', [SRC]],
      ['DELETE src FROM src JOIN dt ON src.id = dt.id', [SRC]],
      ['UPDATE src JOIN dt ON src.id = dt.id AND dt.id IN (1, dt.w) SET s = 1', [SRC]],
      ['CREATE TABLE c AS SELECT * FROM dt', []],
      ['CREATE INDEX i ON dt (v)', []],
      ["SELECT REPLACE(v, 'a', 'b') FROM dt", []],
      ["SELECT 'DELETE FROM dt'", []],
      ['SELECT 1 # DELETE FROM dt', []],
      ['SELECT 1 -- DELETE FROM dt', []],
      ['CREATE TABLE x (id integer, ts timestamp DEFAULT now() ON UPDATE CURRENT_TIMESTAMP)', []],
      ['CREATE TABLE y (id integer REFERENCES dt (id) ON DELETE CASCADE ON UPDATE CASCADE)', []],
    ]);
  });

  it('names file statements, code loading and statements that would change the pooled session', async function () {
    await assertEscapes(engine, [
      ["LOAD DATA INFILE '/etc/passwd' INTO TABLE src", 'LOAD DATA INFILE'],
      ["load data local infile '/etc/passwd' into table src", 'LOAD DATA INFILE'],
      ["LOAD XML LOCAL INFILE '/tmp/x.xml' INTO TABLE src", 'LOAD XML INFILE'],
      ["SELECT * FROM src INTO OUTFILE '/tmp/freshet-out'", 'SELECT … INTO OUTFILE'],
      ["SELECT v INTO DUMPFILE '/tmp/freshet-out' FROM src", 'SELECT … INTO DUMPFILE'],
      ["SELECT LOAD_FILE('/etc/passwd')", 'LOAD_FILE()'],
      ["SELECT `load_file`('/etc/passwd')", 'LOAD_FILE()'],
      ["/*!50000 SELECT LOAD_FILE('/etc/passwd') */", 'LOAD_FILE()'],
      // MySQL reads 'a\'' as one string: what follows is code.
      ["SELECT 'a\\'' INTO OUTFILE '/tmp/freshet-out' -- '", 'SELECT … INTO OUTFILE'],
      ["SELECT 1 # '\nINTO OUTFILE '/tmp/freshet-out'", 'SELECT … INTO OUTFILE'],
      ["SELECT 1--1 INTO OUTFILE '/tmp/freshet-out'", 'SELECT … INTO OUTFILE'],
      ["SET @@session.sql_mode = ''", 'SET'],
      ["set sql_mode = ''", 'SET'],
      ['SET NAMES latin1', 'SET'],
      ['SET @x = 1', 'SET'],
      ['USE mysql', 'USE'],
      ["INSTALL PLUGIN x SONAME 'x.so'", 'INSTALL PLUGIN'],
      ["INSTALL SONAME 'x'", 'INSTALL SONAME'],
      ["CREATE FUNCTION f RETURNS STRING SONAME 'x.so'", 'CREATE FUNCTION … SONAME'],
      ['SET STATEMENT max_statement_time = 1 FOR SELECT 1', null],
      ["EXECUTE IMMEDIATE CONCAT('DELETE FROM ', 'dt')", 'EXECUTE IMMEDIATE'],
      ["SELECT 'INTO OUTFILE'", null],
      ['SELECT v FROM src', null],
    ]);
  });

  it('runs nothing while inspecting', async function () {
    await engine.inspectStatement('DELETE FROM dt');
    await engine.inspectStatement('UPDATE src JOIN dt ON src.id = dt.id SET w = 9');
    await engine.inspectStatement('DROP TABLE dt');
    assert.deepEqual(rowsOf(await run('SELECT id, v, w FROM dt ORDER BY id')), [
      [1, 'a', 0],
      [2, 'b', 0],
    ]);
  });

  it('leaves no session state on the pooled connection for the next statement', async function () {
    await run('SELECT 1 INTO @leak');
    await run('CREATE TEMPORARY TABLE scratch (x integer)');
    assert.deepEqual(rowsOf(await run('SELECT @leak IS NULL')), [[1]]);
    await assert.rejects(run('SELECT x FROM scratch'), /scratch' doesn't exist/);
  });
});

describe('Statement inspection on Flink', function () {
  this.timeout(30_000);
  let fake: FlinkGatewayFake;
  let engine: FlinkEngine;
  const DT: readonly [string, string] = ['default_database', 'dt'];

  before(async function () {
    fake = await FlinkGatewayFake.start({ jobDurationMs: 30 });
    engine = new FlinkEngine({ url: fake.url, pollIntervalMs: 20, heartbeatIntervalMs: 40 });
    await engine.open();
  });

  after(async function () {
    await engine?.close();
    await fake?.close();
  });

  it('names the table behind every spelling of a write, from the statement’s tokens', async function () {
    await assertWrites(engine, [
      ['INSERT INTO dt SELECT * FROM src', [DT]],
      ['insert into `dt` values (1)', [DT]],
      ["INSERT INTO dt (id, v) VALUES (1, 'a')", [DT]],
      ['INSERT OVERWRITE dt SELECT * FROM src', [DT]],
      ['INSERT OVERWRITE TABLE dt SELECT * FROM src', [DT]],
      ['INSERT INTO default_database.dt SELECT * FROM src', [DT]],
      ['INSERT INTO default_catalog.default_database.dt SELECT * FROM src', [DT]],
      ['INSERT INTO `default_catalog`.`default_database`.`dt` SELECT * FROM src', [DT]],
      ["INSERT INTO dt PARTITION (k = 'x') SELECT id, v FROM src", [DT]],
      ['/* c */ INSERT -- x\n INTO dt SELECT * FROM src', [DT]],
      ['insert /* hi */ overwrite `dt` select * from src', [DT]],
      [
        'EXECUTE STATEMENT SET BEGIN INSERT INTO a SELECT * FROM src; INSERT INTO dt SELECT * FROM src; END',
        [['default_database', 'a'], DT],
      ],
      ['EXECUTE INSERT INTO dt SELECT * FROM src', [DT]],
      ['INSERT INTO dt WITH c AS (SELECT * FROM src) SELECT * FROM c', [DT]],
      ['WITH c AS (SELECT * FROM src) INSERT INTO dt SELECT * FROM c', [DT]],
      ["UPDATE dt SET v = 'x'", [DT]],
      ['DELETE FROM dt WHERE id = 1', [DT]],
      ['TRUNCATE TABLE dt', [DT]],
      ['ALTER TABLE dt ADD w STRING', [DT]],
      ['ALTER TABLE IF EXISTS dt RENAME TO dt2', [DT]],
      ['DROP TABLE dt', [DT]],
      ['DROP TEMPORARY TABLE IF EXISTS dt', [DT]],
      ['CREATE OR REPLACE TABLE dt AS SELECT * FROM src', [DT]],
      ['REPLACE TABLE dt AS SELECT * FROM src', [DT]],
      ['INSERT INTO other_catalog.default_database.dt SELECT 1', [['other_catalog.default_database', 'dt']]],
      ['INSERT INTO otherdb.dt SELECT 1', [['otherdb', 'dt']]],
      ['INSERT INTO DT SELECT 1', [['default_database', 'DT']]],
    ]);
  });

  it('does not mistake reads of the table, or writes of other tables, for writes to it', async function () {
    await assertWrites(engine, [
      ['SELECT * FROM dt', []],
      ['INSERT INTO src SELECT * FROM dt', [['default_database', 'src']]],
      ['CREATE TABLE x AS SELECT * FROM dt', []],
      ['CREATE VIEW v AS SELECT * FROM dt', []],
      ["SELECT 'INSERT INTO dt'", []],
      ["SET 'table.dml-sync' = 'true'", []],
      ['USE CATALOG other', []],
    ]);
  });

  it('names statements that write or read files, or load code from them', async function () {
    await assertEscapes(engine, [
      ["COMPILE PLAN '/tmp/plan.json' FOR INSERT INTO dt SELECT * FROM src", 'COMPILE PLAN'],
      ["EXECUTE PLAN '/tmp/plan.json'", 'EXECUTE PLAN'],
      ["ADD JAR '/tmp/x.jar'", 'ADD JAR'],
      ["CREATE FUNCTION f AS 'com.example.F' USING JAR '/tmp/x.jar'", 'CREATE FUNCTION … USING JAR'],
      ['SELECT * FROM src', null],
    ]);
  });
});
