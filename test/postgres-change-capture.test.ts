/**
 * Change capture on PostgreSQL source tables, on a throwaway database (the server must be running: CI starts
 * it, and a run without it fails). Every test works in a schema of its own.
 */
import assert from 'node:assert/strict';
import type { TableRef } from '../src/engine/engine';
import {
  captureInstalled,
  captureMismatch,
  changeSetSql,
  changelogName,
  currentSnapshot,
  installCapture,
  pendingChanges,
  pruneChanges,
  removeCapture,
} from '../src/engine/postgres/postgres-change-capture';
import type { PgPool, PgPoolClient } from '../src/engine/postgres/postgres-driver';
import { createPool, inTransaction, withClient } from '../src/engine/postgres/postgres-pool';
import { type ThrowawayDatabase, createDatabase } from './helpers/databases';
import { rejectsWith } from './helpers/assertions';
import { waitUntil } from './helpers/wait';

const src: TableRef = { database: null, name: 'src' };

describe('PostgreSQL change capture', function () {
  this.timeout(60_000);
  let database: ThrowawayDatabase;
  let pool: PgPool;
  let schema: string;
  let schemas = 0;

  const exec = async (sql: string) => (await pool.query({ text: sql })).rows;
  const q = (name: string) => `"${name.replace(/"/g, '""')}"`;
  const tx = <T>(work: (client: PgPoolClient) => Promise<T>) => inTransaction(pool, work);
  const install = (table: TableRef = src) => tx((client) => installCapture(client, table, schema));
  const remove = (table: TableRef = src) => tx((client) => removeCapture(client, table, schema));
  const installed = (table: TableRef = src) => withClient(pool, (client) => captureInstalled(client, table, schema));
  const mismatch = (table: TableRef = src) => withClient(pool, (client) => captureMismatch(client, table, schema));
  const pending = (after: string, table: TableRef = src) =>
    withClient(pool, (client) => pendingChanges(client, table, schema, after));

  /** `work` in a REPEATABLE READ transaction, as consumers read changes. */
  function repeatableRead<T>(work: (client: PgPoolClient) => Promise<T>): Promise<T> {
    return tx(async (client) => {
      await client.query({ text: 'SET TRANSACTION ISOLATION LEVEL REPEATABLE READ' });
      return work(client);
    });
  }

  const watermark = () => repeatableRead(currentSnapshot);

  /** A watermark whose xmin is past `xid`: other sessions' transactions on the server may hold it back a moment. */
  async function watermarkPast(xid: string): Promise<string> {
    return waitUntil(
      async () => {
        const snapshot = await watermark();
        return BigInt(snapshot.split(':')[0] ?? '0') > BigInt(xid) && snapshot;
      },
      { timeoutMs: 10_000, what: `a snapshot past transaction ${xid}` },
    );
  }

  /** The rows of one change set (`I` or `D`) not seen by `after`, sorted, read as a consumer would. */
  async function changeSet(
    columns: readonly string[],
    op: 'I' | 'D',
    after: string,
    table: TableRef = src,
  ): Promise<unknown[][]> {
    return repeatableRead(async (client) => {
      const result = await client.query<unknown[]>({
        text: changeSetSql(table, schema, columns, op, after),
        rowMode: 'array',
      });
      return result.rows.sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
    });
  }

  /** The whole changelog of `table` as `[op, ...data]`, in change order. */
  async function changelog(table = 'src'): Promise<unknown[][]> {
    const result = await pool.query<unknown[]>({
      text: `SELECT * FROM ${q(schema)}.${q(changelogName(table))} ORDER BY __change_id`,
      rowMode: 'array',
    });
    return result.rows.map(([, , op, , ...data]) => [op, ...data]);
  }

  async function xidsOf(table = 'src'): Promise<string[]> {
    const rows = await exec(
      `SELECT __xid::text AS xid FROM ${q(schema)}.${q(changelogName(table))} ORDER BY __change_id`,
    );
    return rows.map((row) => String(row.xid));
  }

  async function exists(name: string, kind: 'table' | 'function'): Promise<boolean> {
    const qualified = `${q(schema)}.${q(name)}`.replace(/'/g, "''");
    const rows = await exec(
      kind === 'table' ? `SELECT to_regclass('${qualified}') AS found` : `SELECT to_regproc('${qualified}') AS found`,
    );
    return rows[0]?.found !== null;
  }

  before(async function () {
    database = await createDatabase('postgres');
    pool = createPool({ url: database.url, size: 4, connectTimeoutMs: 10_000, role: 'capture test' });
  });

  after(async function () {
    await pool?.end();
    await database?.drop();
  });

  beforeEach(async function () {
    schema = `s${++schemas}`;
    await exec(`CREATE SCHEMA ${schema}; CREATE TABLE ${schema}.src (id integer, name text)`);
  });

  it('installs capture, reinstalls it without losing changes, repairs a dropped trigger and removes it', async function () {
    assert.equal(await installed(), false);
    assert.equal(await mismatch(), `Change capture is not installed on "${schema}"."src".`);
    await install();
    assert.equal(await installed(), true);
    assert.equal(await mismatch(), null);
    await exec(`INSERT INTO ${schema}.src VALUES (1, 'a')`);
    await install();
    assert.deepEqual(await changelog(), [['I', 1, 'a']]);

    await exec(`DROP TRIGGER __freshet_capture_delete ON ${schema}.src`);
    assert.equal(await installed(), false);
    assert.match((await mismatch()) ?? '', /lacks its trigger __freshet_capture_delete/);
    await install();
    assert.equal(await installed(), true);
    assert.equal(await mismatch(), null);

    await remove();
    assert.equal(await installed(), false);
    assert.equal(await exists(changelogName('src'), 'table'), false);
    assert.equal(await exists('__freshet_capture_src', 'function'), false);
    assert.deepEqual(await exec(`SELECT tgname FROM pg_trigger WHERE tgrelid = '${schema}.src'::regclass`), []);
    await remove();
    await exec(`INSERT INTO ${schema}.src VALUES (2, 'b')`);
  });

  it('removes capture after the source table was dropped, and resolves explicit schemas', async function () {
    await exec(`CREATE SCHEMA ${schema}_other; CREATE TABLE ${schema}_other.src (id integer, name text)`);
    const other: TableRef = { database: `${schema}_other`, name: 'src' };
    await install(other);
    assert.equal(await installed(other), true);
    assert.equal(await installed(), false);
    await exec(`DROP TABLE ${schema}_other.src`);
    assert.equal(await installed(other), false);
    assert.equal(
      await mismatch(other),
      `Table "${schema}_other"."src", whose changes were captured, no longer exists.`,
    );
    await remove(other);
    const left = await exec(
      `SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = '${schema}_other'`,
    );
    assert.deepEqual(left, []);
    assert.deepEqual(
      await exec(`SELECT proname FROM pg_proc WHERE pronamespace = '${schema}_other'::regnamespace`),
      [],
    );
  });

  it('refuses tables it cannot capture completely, and a reinstall over changed columns', async function () {
    const attempt = (name: string) => install({ database: null, name });
    await rejectsWith(attempt('missing'), 'VALIDATION_ERROR', /"missing": there is no such table/);
    await exec(`CREATE VIEW ${schema}.v AS SELECT 1 AS one`);
    await rejectsWith(attempt('v'), 'VALIDATION_ERROR', /it is a view/);
    await exec(`CREATE TABLE ${schema}.__freshet_stage_x (id integer)`);
    await rejectsWith(attempt('__freshet_stage_x'), 'VALIDATION_ERROR', /one of Freshet's own tables/);
    await exec(`CREATE TABLE ${schema}.reserved (id integer, __op text)`);
    await rejectsWith(attempt('reserved'), 'VALIDATION_ERROR', /column "__op" has a name the changelog reserves/);
    await exec(`CREATE TABLE ${schema}.parted (id integer) PARTITION BY RANGE (id)`);
    await exec(`CREATE TABLE ${schema}.part1 PARTITION OF ${schema}.parted FOR VALUES FROM (0) TO (10)`);
    await rejectsWith(attempt('parted'), 'VALIDATION_ERROR', /it is partitioned/);
    await rejectsWith(attempt('part1'), 'VALIDATION_ERROR', /inheritance parent or children/);
    assert.equal(await exists(changelogName('reserved'), 'table'), false);

    await install();
    await exec(`ALTER TABLE ${schema}.src ALTER COLUMN id TYPE bigint`);
    await rejectsWith(
      install(),
      'INVALID_STATE',
      /installed for columns \("id" integer, "name" text\) but the table now has \("id" bigint, "name" text\)/,
    );
    await remove();
    await install();
    assert.equal(await mismatch(), null);
  });

  it('captures inserts, multi-row inserts, updates as deletes then inserts, deletes and truncates', async function () {
    await install();
    const start = await watermark();
    assert.deepEqual(await pending(start), { changes: 0, truncated: false });
    await exec(`INSERT INTO ${schema}.src VALUES (1, 'a')`);
    await exec(`INSERT INTO ${schema}.src VALUES (2, 'b'), (3, NULL), (3, NULL)`);
    await exec(`UPDATE ${schema}.src SET name = 'c' WHERE id = 2`);
    await exec(`DELETE FROM ${schema}.src WHERE id = 3`);
    assert.deepEqual(await changelog(), [
      ['I', 1, 'a'],
      ['I', 2, 'b'],
      ['I', 3, null],
      ['I', 3, null],
      ['D', 2, 'b'],
      ['I', 2, 'c'],
      ['D', 3, null],
      ['D', 3, null],
    ]);
    assert.deepEqual(await changeSet(['id', 'name'], 'I', start), [
      [1, 'a'],
      [2, 'b'],
      [2, 'c'],
      [3, null],
      [3, null],
    ]);
    assert.deepEqual(await changeSet(['name'], 'D', start), [['b'], [null], [null]]);
    assert.deepEqual(await pending(start), { changes: 8, truncated: false });
    const beforeTruncate = await watermark();

    await exec(`TRUNCATE ${schema}.src`);
    await exec(`INSERT INTO ${schema}.src VALUES (4, 'd') ON CONFLICT DO NOTHING`);
    assert.deepEqual((await changelog()).slice(8), [
      ['T', null, null],
      ['I', 4, 'd'],
    ]);
    assert.deepEqual(await pending(start), { changes: 10, truncated: true });
    assert.deepEqual(await pending(beforeTruncate), { changes: 2, truncated: true });
    assert.deepEqual(await changeSet(['id', 'name'], 'I', beforeTruncate), [[4, 'd']]);
    assert.deepEqual(await pending(await watermark()), { changes: 0, truncated: false });
  });

  it('captures both sides of INSERT … ON CONFLICT DO UPDATE', async function () {
    await exec(`CREATE TABLE ${schema}.keyed (k integer PRIMARY KEY, v text)`);
    const keyed: TableRef = { database: null, name: 'keyed' };
    await install(keyed);
    await exec(`INSERT INTO ${schema}.keyed VALUES (1, 'x'), (2, 'y')`);
    await exec(`INSERT INTO ${schema}.keyed VALUES (2, 'z'), (3, 'w') ON CONFLICT (k) DO UPDATE SET v = excluded.v`);
    const changes = await changelog('keyed');
    assert.deepEqual(changes.slice(0, 2), [
      ['I', 1, 'x'],
      ['I', 2, 'y'],
    ]);
    // The statement's insert and update triggers both fire; their order does not matter to readers.
    assert.deepEqual(
      changes.slice(2).sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b))),
      [
        ['D', 2, 'y'],
        ['I', 2, 'z'],
        ['I', 3, 'w'],
      ],
    );
  });

  it('keeps NULLs and values of common types exactly, generated columns included', async function () {
    await exec(`CREATE DOMAIN ${schema}.positive AS integer NOT NULL CHECK (VALUE > 0)`);
    await exec(
      `CREATE TABLE ${schema}.typed (i integer, t text, n numeric(12, 4), ts timestamptz, b boolean, j jsonb, ` +
        `p ${schema}.positive DEFAULT 1, g integer GENERATED ALWAYS AS (i * 2) STORED)`,
    );
    const typed: TableRef = { database: null, name: 'typed' };
    await install(typed);
    const start = await watermark();
    await exec(
      `INSERT INTO ${schema}.typed (i, t, n, ts, b, j, p) VALUES ` +
        `(7, 'ünïcødé ''quoted''', 12345678.1234, '2024-02-29 23:59:59.123456+00', true, '{"a": [1, null, "x"]}', 3), ` +
        `(NULL, NULL, NULL, NULL, NULL, NULL, 5), (-1, '', 0, '-infinity', false, 'null', 9)`,
    );
    const columns = ['i', 't', 'n', 'ts', 'b', 'j', 'p', 'g'];
    const captured = await changeSet(columns, 'I', start, typed);
    const source = await pool.query<unknown[]>({
      text: `SELECT ${columns.join(', ')} FROM ${schema}.typed`,
      rowMode: 'array',
    });
    assert.deepEqual(
      captured,
      source.rows.sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b))),
    );
    const seven = captured.find((row) => row[0] === 7) ?? [];
    assert.deepEqual(
      [seven[1], seven[2], seven[4], seven[5], seven[6], seven[7]],
      ["ünïcødé 'quoted'", '12345678.1234', true, { a: [1, null, 'x'] }, 3, 14],
    );
    assert.deepEqual(
      captured.find((row) => row[0] === null),
      [null, null, null, null, null, null, 5, null],
    );
    assert.equal(captured.find((row) => row[0] === -1)?.[3], '-infinity');
    const types = await exec(
      `SELECT attname, format_type(atttypid, atttypmod) AS type FROM pg_attribute WHERE attrelid = '${schema}.${changelogName('typed')}'::regclass AND attnum > 4 ORDER BY attnum`,
    );
    assert.deepEqual(
      types.map((row) => `${String(row.attname)} ${String(row.type)}`),
      [
        'i integer',
        't text',
        'n numeric(12,4)',
        'ts timestamp with time zone',
        'b boolean',
        'j jsonb',
        'p integer',
        'g integer',
      ],
    );
    // The changelog holds the domain's base type, so the data-less TRUNCATE row does not break its NOT NULL.
    await exec(`TRUNCATE ${schema}.typed`);
    assert.deepEqual(await pending(start, typed), { changes: 4, truncated: true });
  });

  it('returns a change whose transaction commits after a later one, though its change id is lower', async function () {
    await install();
    const start = await watermark();
    const a = await pool.connect();
    const b = await pool.connect();
    try {
      await a.query({ text: 'BEGIN' });
      await a.query({ text: `INSERT INTO ${schema}.src VALUES (1, 'first logged, last committed')` });
      await b.query({ text: 'BEGIN' });
      await b.query({ text: `INSERT INTO ${schema}.src VALUES (2, 'logged later, committed first')` });
      await b.query({ text: 'COMMIT' });

      const [seen, afterB] = await repeatableRead(async (client) => {
        const rows = await client.query<unknown[]>({
          text: changeSetSql(src, schema, ['id'], 'I', start),
          rowMode: 'array',
        });
        return [rows.rows, await currentSnapshot(client)] as const;
      });
      assert.deepEqual(seen, [[2]]);
      await a.query({ text: 'COMMIT' });

      const ids = await exec(`SELECT id, __change_id FROM ${schema}.${changelogName('src')} ORDER BY __change_id`);
      assert.deepEqual(
        ids.map((row) => row.id),
        [1, 2],
        'the change committed last has the lower change id, so a watermark of the highest id seen would skip it',
      );
      assert.deepEqual(await changeSet(['id'], 'I', afterB), [[1]]);
      assert.deepEqual(await pending(afterB), { changes: 1, truncated: false });
      assert.deepEqual(await changeSet(['id'], 'I', await watermark()), []);
    } finally {
      a.release();
      b.release();
    }
  });

  it('never returns changes that were rolled back', async function () {
    await install();
    const start = await watermark();
    await tx(async (client) => {
      await client.query({ text: `INSERT INTO ${schema}.src VALUES (1, 'kept')` });
      await client.query({ text: 'SAVEPOINT s' });
      await client.query({ text: `INSERT INTO ${schema}.src VALUES (2, 'lost in savepoint')` });
      await client.query({ text: `DELETE FROM ${schema}.src WHERE id = 1` });
      await client.query({ text: 'ROLLBACK TO SAVEPOINT s' });
    });
    await assert.rejects(
      tx(async (client) => {
        await client.query({ text: `INSERT INTO ${schema}.src VALUES (3, 'lost')` });
        await client.query({ text: `TRUNCATE ${schema}.src` });
        await client.query({ text: 'SELECT 1 / 0' });
      }),
      /division by zero/,
    );
    assert.deepEqual(await changeSet(['id', 'name'], 'I', start), [[1, 'kept']]);
    assert.deepEqual(await changeSet(['id', 'name'], 'D', start), []);
    assert.deepEqual(await pending(start), { changes: 1, truncated: false });
  });

  it('prunes only the changes that the oldest watermark has seen', async function () {
    await install();
    await exec(`INSERT INTO ${schema}.src VALUES (1, 'seen by both')`);
    const [first] = await xidsOf();
    const older = await watermarkPast(first ?? '0');
    await exec(`INSERT INTO ${schema}.src VALUES (2, 'seen by the newer')`);
    const open = await pool.connect();
    let newer: string;
    try {
      await open.query({ text: 'BEGIN' });
      await open.query({ text: `INSERT INTO ${schema}.src VALUES (3, 'in flight for both')` });
      newer = await watermarkPast((await xidsOf())[1] ?? '0');
      await open.query({ text: 'COMMIT' });
    } finally {
      open.release();
    }
    const prune = (watermarks: string[]) => tx((client) => pruneChanges(client, src, schema, watermarks));

    assert.equal(await prune([newer, older]), 1);
    assert.deepEqual(await changeSet(['id'], 'I', older), [[2], [3]]);
    assert.equal(await prune([newer]), 1);
    assert.deepEqual(await changeSet(['id'], 'I', newer), [[3]]);
    assert.equal(await prune([newer]), 0);
    const xids = await xidsOf();
    assert.equal(await prune([await watermarkPast(xids[0] ?? '0')]), 1);
    assert.deepEqual(await changelog(), []);

    await assert.rejects(prune([]), RangeError);
    await assert.rejects(prune(['not a snapshot']), RangeError);
  });

  it('reports a mismatch after columns change or a trigger is disabled, and keeps writes working after ADD and RENAME', async function () {
    await install();
    await exec(`ALTER TABLE ${schema}.src ADD COLUMN extra integer`);
    assert.equal(
      await mismatch(),
      `Change capture of "${schema}"."src" records columns ("id" integer, "name" text) but the table now has ("id" integer, "name" text, "extra" integer).`,
    );
    await exec(`INSERT INTO ${schema}.src VALUES (1, 'a', 10)`);
    await rejectsWith(install(), 'INVALID_STATE', /remove capture and install it again/);
    await exec(`ALTER TABLE ${schema}.src RENAME COLUMN name TO label`);
    await exec(`INSERT INTO ${schema}.src VALUES (2, 'b', 20)`);
    assert.deepEqual(await changelog(), [
      ['I', 1, 'a'],
      ['I', 2, 'b'],
    ]);
    assert.match((await mismatch()) ?? '', /but the table now has \("id" integer, "label" text, "extra" integer\)/);
    await remove();
    await install();
    assert.equal(await mismatch(), null);

    await exec(`ALTER TABLE ${schema}.src DISABLE TRIGGER __freshet_capture_update`);
    assert.equal(await installed(), true);
    assert.equal(
      await mismatch(),
      `Change capture of "${schema}"."src" has its trigger __freshet_capture_update disabled; changes may have been lost.`,
    );
    await exec(`ALTER TABLE ${schema}.src ENABLE REPLICA TRIGGER __freshet_capture_update`);
    assert.match((await mismatch()) ?? '', /disabled/);
    await install();
    assert.equal(await mismatch(), null);

    await exec(`ALTER TABLE ${schema}.src DISABLE TRIGGER ALL`);
    assert.match(
      (await mismatch()) ?? '',
      /has its trigger __freshet_capture_insert, __freshet_capture_update, __freshet_capture_delete, __freshet_capture_truncate disabled/,
    );
  });

  it('captures writes of sessions that run as a replication replica', async function () {
    await install();
    await tx(async (client) => {
      await client.query({ text: 'SET LOCAL session_replication_role = replica' });
      await client.query({ text: `INSERT INTO ${schema}.src VALUES (1, 'replica')` });
    });
    assert.deepEqual(await changelog(), [['I', 1, 'replica']]);
  });

  it('captures tables whose names are long or need quoting, with a changelog name PostgreSQL keeps whole', async function () {
    const long1 = `${'l'.repeat(60)}_01`;
    const long2 = `${'l'.repeat(60)}_02`;
    const odd = `Mixed "Quoted" name; with spaces`;
    assert.ok(Buffer.byteLength(changelogName(long1)) <= 63);
    assert.notEqual(changelogName(long1), changelogName(long2));
    assert.equal(changelogName('src'), '__freshet_changes_src');
    for (const name of [long1, long2, odd]) {
      await exec(`CREATE TABLE ${schema}.${q(name)} (${q('Key "K"')} integer, new text)`);
      await install({ database: null, name });
    }
    await exec(`INSERT INTO ${schema}.${q(long1)} VALUES (1, 'one')`);
    await exec(`INSERT INTO ${schema}.${q(long2)} VALUES (2, 'two')`);
    await exec(`UPDATE ${schema}.${q(odd)} SET new = 'x'`);
    await exec(`INSERT INTO ${schema}.${q(odd)} VALUES (3, 'three')`);
    assert.deepEqual(await changelog(long1), [['I', 1, 'one']]);
    assert.deepEqual(await changelog(long2), [['I', 2, 'two']]);
    assert.deepEqual(await changelog(odd), [['I', 3, 'three']]);
    const start = '1:1:';
    assert.deepEqual(await changeSet(['Key "K"', 'new'], 'I', start, { database: null, name: long2 }), [[2, 'two']]);
    for (const name of [long1, long2, odd]) {
      assert.equal(await mismatch({ database: null, name }), null);
      await remove({ database: null, name });
      assert.equal(await exists(changelogName(name), 'table'), false);
    }
    await exec(`INSERT INTO ${schema}.${q(long1)} VALUES (4, 'four')`);
  });

  it('builds change sets only from well-formed watermarks', function () {
    assert.equal(
      changeSetSql({ database: 'app', name: 't' }, 'public', ['a', 'b"c'], 'D', '10:12:10,11'),
      `SELECT "a", "b""c" FROM "app"."__freshet_changes_t" WHERE "__op" = 'D' AND "__xid" >= pg_catalog.pg_snapshot_xmin('10:12:10,11'::pg_catalog.pg_snapshot) ` +
        `AND NOT pg_catalog.pg_visible_in_snapshot("__xid", '10:12:10,11'::pg_catalog.pg_snapshot)`,
    );
    for (const bad of ['', '1:2', '1:2:3,', "1:2:'); DROP TABLE t; --", ' 1:2:', '1:2:3 ']) {
      assert.throws(() => changeSetSql(src, 'public', ['id'], 'I', bad), RangeError, bad);
    }
  });

  it('measures the cost of capture (printed, not asserted)', async function () {
    this.timeout(600_000);
    await exec(`CREATE TABLE ${schema}.plain (id integer, name text, at timestamptz)`);
    await exec(`CREATE TABLE ${schema}.captured (id integer, name text, at timestamptz)`);
    await install({ database: null, name: 'captured' });
    const time = async (sql: string) => {
      const started = process.hrtime.bigint();
      await exec(sql);
      return Number(process.hrtime.bigint() - started) / 1e6;
    };
    const singleRows = (table: string) =>
      `DO $$ BEGIN FOR i IN 1..100000 LOOP INSERT INTO ${schema}.${table} VALUES (i, 'row ' || i, now()); END LOOP; END $$`;
    const oneStatement = (table: string) =>
      `INSERT INTO ${schema}.${table} SELECT i, 'row ' || i, now() FROM generate_series(1, 100000) AS i`;
    const figures = {
      singleWithout: await time(singleRows('plain')),
      singleWith: await time(singleRows('captured')),
      bulkWithout: await time(oneStatement('plain')),
      bulkWith: await time(oneStatement('captured')),
    };
    assert.deepEqual(await pending('1:1:', { database: null, name: 'captured' }), {
      changes: 200_000,
      truncated: false,
    });
    const ms = (value: number) => `${value.toFixed(0)} ms`;
    console.log(
      `      100,000 single-row INSERTs in one transaction: ${ms(figures.singleWithout)} without capture, ${ms(figures.singleWith)} with\n` +
        `      one 100,000-row INSERT … SELECT: ${ms(figures.bulkWithout)} without capture, ${ms(figures.bulkWith)} with`,
    );
  });
});
