import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import type { Database } from 'better-sqlite3';
import {
  captureInstalled,
  captureMismatch,
  changelogName,
  currentChangeId,
  installCapture,
  pruneChanges,
  readChanges,
  removeCapture,
} from '../src/engine/sqlite/sqlite-change-capture';
import { FreshetError } from '../src/errors';

const ALL = Number.MAX_SAFE_INTEGER;

/** Changes as compact tuples, ids left out, for comparing what was captured. */
function opsOf(db: Database, table = 'src', after = 0): [string, ...unknown[]][] {
  return readChanges(db, table, after, ALL, 1_000_000).map((change) => [change.op, ...change.row]);
}

function throwsCode(fn: () => unknown, code: string, message: RegExp): void {
  assert.throws(fn, (error: unknown) => {
    assert.ok(error instanceof FreshetError, `expected a FreshetError, got ${String(error)}`);
    assert.equal(error.code, code);
    assert.match(error.message, message);
    return true;
  });
}

describe('SQLite change capture', function () {
  let dir: string;
  let db: Database;

  beforeEach(function () {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'freshet-capture-'));
    db = new BetterSqlite3(path.join(dir, 'engine.db'));
    db.pragma('journal_mode = WAL');
    db.pragma('recursive_triggers = ON');
    db.exec('CREATE TABLE src (id INTEGER, name TEXT, score REAL)');
  });

  afterEach(function () {
    db.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('captures inserts, deletes and updates in order, an update as the old row deleted then the new one inserted', function () {
    installCapture(db, 'src');
    assert.equal(captureInstalled(db, 'src'), true);
    assert.equal(currentChangeId(db, 'src'), 0);
    db.prepare('INSERT INTO src VALUES (?, ?, ?)').run(1, 'a', 1.5);
    db.prepare('INSERT INTO src VALUES (?, ?, ?)').run(2, null, null);
    db.prepare('INSERT INTO src VALUES (?, ?, ?)').run(2, null, null);
    db.exec(`UPDATE src SET name = 'b' WHERE id = 1`);
    db.exec('DELETE FROM src WHERE id = 2');
    assert.deepEqual(opsOf(db), [
      ['I', 1, 'a', 1.5],
      ['I', 2, null, null],
      ['I', 2, null, null],
      ['D', 1, 'a', 1.5],
      ['I', 1, 'b', 1.5],
      ['D', 2, null, null],
      ['D', 2, null, null],
    ]);
    const ids = readChanges(db, 'src', 0, ALL, 100).map((change) => change.changeId);
    assert.deepEqual(ids, [1, 2, 3, 4, 5, 6, 7]);
    assert.equal(currentChangeId(db, 'src'), 7);
  });

  it('keeps values exactly as stored and skips updates that change nothing', function () {
    installCapture(db, 'src');
    db.prepare('INSERT INTO src VALUES (?, ?, ?)').run(1, '007', 2);
    db.exec('UPDATE src SET name = name');
    db.exec(`UPDATE src SET name = '007'`);
    db.exec('UPDATE src SET id = NULL');
    assert.deepEqual(opsOf(db), [
      ['I', 1, '007', 2],
      ['D', 1, '007', 2],
      ['I', null, '007', 2],
    ]);
  });

  it('captures every row of a multi-row statement, and REPLACE as a delete then an insert', function () {
    db.exec('CREATE TABLE keyed (k INTEGER PRIMARY KEY, v TEXT)');
    installCapture(db, 'keyed');
    db.exec(`INSERT INTO keyed VALUES (1, 'x'), (2, 'y'), (3, 'z')`);
    db.exec(`UPDATE keyed SET v = v || '!' WHERE k >= 2`);
    db.exec(`INSERT OR REPLACE INTO keyed VALUES (1, 'w')`);
    db.exec(`INSERT INTO keyed VALUES (3, 'q') ON CONFLICT (k) DO UPDATE SET v = excluded.v`);
    db.exec('DELETE FROM keyed');
    assert.deepEqual(opsOf(db, 'keyed'), [
      ['I', 1, 'x'],
      ['I', 2, 'y'],
      ['I', 3, 'z'],
      ['D', 2, 'y'],
      ['I', 2, 'y!'],
      ['D', 3, 'z'],
      ['I', 3, 'z!'],
      ['D', 1, 'x'],
      ['I', 1, 'w'],
      ['D', 3, 'z!'],
      ['I', 3, 'q'],
      ['D', 1, 'w'],
      ['D', 2, 'y!'],
      ['D', 3, 'q'],
    ]);
  });

  it('leaves nothing behind for a rolled-back transaction', function () {
    installCapture(db, 'src');
    db.exec(`INSERT INTO src VALUES (1, 'kept', 0)`);
    db.exec('BEGIN');
    db.exec(`INSERT INTO src VALUES (2, 'lost', 0)`);
    db.exec('DELETE FROM src WHERE id = 1');
    db.exec('ROLLBACK');
    assert.throws(() =>
      db.transaction(() => {
        db.exec(`UPDATE src SET name = 'lost'`);
        throw new Error('abort');
      })(),
    );
    assert.deepEqual(opsOf(db), [['I', 1, 'kept', 0]]);
    assert.equal(currentChangeId(db, 'src'), 1);
  });

  it('captures writes from another connection to the same file', function () {
    installCapture(db, 'src');
    const other = new BetterSqlite3(path.join(dir, 'engine.db'));
    try {
      other.exec(`INSERT INTO src VALUES (9, 'elsewhere', 1)`);
    } finally {
      other.close();
    }
    assert.deepEqual(opsOf(db), [['I', 9, 'elsewhere', 1]]);
  });

  it('never reuses a change id after pruning, keeping the newest change as the high-water mark', function () {
    installCapture(db, 'src');
    for (let i = 1; i <= 5; i++) db.prepare('INSERT INTO src VALUES (?, ?, ?)').run(i, 'r', 0);
    assert.equal(pruneChanges(db, 'src', 3), 3);
    assert.deepEqual(
      readChanges(db, 'src', 0, ALL, 100).map((change) => change.changeId),
      [4, 5],
    );
    assert.equal(pruneChanges(db, 'src', 5), 1);
    assert.equal(pruneChanges(db, 'src', ALL), 0);
    assert.deepEqual(
      readChanges(db, 'src', 0, ALL, 100).map((change) => change.changeId),
      [5],
    );
    assert.equal(currentChangeId(db, 'src'), 5);
    db.exec(`INSERT INTO src VALUES (6, 'after', 0)`);
    const [change] = readChanges(db, 'src', 5, ALL, 100);
    assert.equal(change?.changeId, 6);
    assert.deepEqual(change?.row, [6, 'after', 0]);
    assert.equal(currentChangeId(db, 'src'), 6);
  });

  it('keeps ids growing while a reader prunes everything it has seen, round after round', function () {
    installCapture(db, 'src');
    const seen: number[] = [];
    let watermark = currentChangeId(db, 'src');
    for (let round = 0; round < 4; round++) {
      db.prepare('INSERT INTO src VALUES (?, ?, ?)').run(round, 'new', 0);
      db.prepare('UPDATE src SET score = ? WHERE id = ?').run(round + 0.5, round);
      if (round % 2 === 1) db.prepare('DELETE FROM src WHERE id = ?').run(round - 1);
      const batch = readChanges(db, 'src', watermark, currentChangeId(db, 'src'), 100);
      assert.ok(batch.length > 0);
      seen.push(...batch.map((change) => change.changeId));
      watermark = batch[batch.length - 1]?.changeId ?? watermark;
      assert.equal(currentChangeId(db, 'src'), watermark);
      pruneChanges(db, 'src', watermark);
      assert.equal(currentChangeId(db, 'src'), watermark, 'pruning leaves the high-water mark in place');
      assert.deepEqual(readChanges(db, 'src', watermark, ALL, 100), []);
    }
    assert.deepEqual(
      seen,
      Array.from({ length: seen.length }, (_, i) => i + 1),
      'every id once, in order, none reused',
    );
    // VACUUM keeps the rowid alias, so the kept change still holds the high-water mark afterwards.
    db.exec('VACUUM');
    db.prepare('INSERT INTO src VALUES (?, ?, ?)').run(99, 'last', 0);
    assert.deepEqual(
      readChanges(db, 'src', watermark, ALL, 100).map((change) => [change.changeId, ...change.row]),
      [[watermark + 1, 99, 'last', 0]],
    );
  });

  it('keeps watermarks taken before pruning meaningful: each reader gets exactly the changes after its own', function () {
    installCapture(db, 'src');
    const ids = (after: number) => readChanges(db, 'src', after, ALL, 100).map((change) => change.changeId);
    for (let i = 1; i <= 3; i++) db.prepare('INSERT INTO src VALUES (?, ?, ?)').run(i, 'a', 0);
    const slow = currentChangeId(db, 'src');
    db.exec(`INSERT INTO src VALUES (4, 'b', 0)`);
    db.exec('DELETE FROM src WHERE id = 1');
    const fast = currentChangeId(db, 'src');
    assert.deepEqual([slow, fast], [3, 5]);
    assert.equal(pruneChanges(db, 'src', Math.min(slow, fast)), 3);
    assert.equal(currentChangeId(db, 'src'), 5);
    db.exec(`INSERT INTO src VALUES (5, 'c', 0)`);
    assert.deepEqual(ids(slow), [4, 5, 6]);
    assert.deepEqual(ids(fast), [6]);
    assert.equal(pruneChanges(db, 'src', fast), 2);
    assert.equal(pruneChanges(db, 'src', ALL), 0);
    assert.deepEqual(ids(fast), [6]);
    assert.equal(currentChangeId(db, 'src'), 6);
  });

  it('reads changes in windows bounded by after, upTo and limit', function () {
    installCapture(db, 'src');
    for (let i = 1; i <= 10; i++) db.prepare('INSERT INTO src VALUES (?, ?, ?)').run(i, null, null);
    const ids = (after: number, upTo: number, limit: number) =>
      readChanges(db, 'src', after, upTo, limit).map((change) => change.changeId);
    assert.deepEqual(ids(0, 10, 3), [1, 2, 3]);
    assert.deepEqual(ids(3, 10, 3), [4, 5, 6]);
    assert.deepEqual(ids(3, 5, 100), [4, 5]);
    assert.deepEqual(ids(10, 20, 100), []);
    assert.deepEqual(ids(5, 5, 100), []);
    // Paging by the last id read visits every change exactly once.
    const seen: number[] = [];
    for (let watermark = 0; ; ) {
      const batch = ids(watermark, 10, 4);
      if (batch.length === 0) break;
      seen.push(...batch);
      watermark = batch[batch.length - 1] ?? watermark;
    }
    assert.deepEqual(seen, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    assert.throws(() => readChanges(db, 'src', 0, 10, 0), RangeError);
    assert.throws(() => readChanges(db, 'src', -1, 10, 1), RangeError);
  });

  it('removes triggers and changelog, after which writes are no longer captured', function () {
    installCapture(db, 'src');
    db.exec(`INSERT INTO src VALUES (1, 'a', 0)`);
    removeCapture(db, 'src');
    assert.equal(captureInstalled(db, 'src'), false);
    const leftovers = db.prepare(`SELECT name FROM sqlite_schema WHERE name LIKE '\\_\\_freshet%' ESCAPE '\\'`).all();
    assert.deepEqual(leftovers, []);
    db.exec(`INSERT INTO src VALUES (2, 'b', 0)`);
    db.exec('DELETE FROM src');
    assert.equal((db.prepare('SELECT count(*) AS n FROM src').get() as { n: number }).n, 0);
    throwsCode(() => readChanges(db, 'src', 0, ALL, 10), 'INVALID_STATE', /not installed on "src"/);
    throwsCode(() => currentChangeId(db, 'src'), 'INVALID_STATE', /not installed/);
    removeCapture(db, 'src');
  });

  it('is harmless to install twice, keeping the changes already captured and capturing each write once', function () {
    installCapture(db, 'src');
    db.exec(`INSERT INTO src VALUES (1, 'a', 0)`);
    installCapture(db, 'src');
    db.exec(`INSERT INTO src VALUES (2, 'b', 0)`);
    assert.deepEqual(opsOf(db), [
      ['I', 1, 'a', 0],
      ['I', 2, 'b', 0],
    ]);
  });

  it('installs inside a caller transaction and is undone with it', function () {
    assert.throws(() =>
      db.transaction(() => {
        installCapture(db, 'src');
        throw new Error('abort');
      })(),
    );
    assert.equal(captureInstalled(db, 'src'), false);
  });

  it('refuses missing tables, views and reserved column names with a clear error', function () {
    throwsCode(() => installCapture(db, 'nope'), 'VALIDATION_ERROR', /"nope": there is no such table/);
    db.exec('CREATE VIEW v AS SELECT * FROM src');
    throwsCode(
      () => installCapture(db, 'v'),
      'VALIDATION_ERROR',
      /"v": there is no such table in main \(views cannot be captured\)/,
    );
    db.exec('CREATE TABLE odd (__op TEXT)');
    throwsCode(() => installCapture(db, 'odd'), 'VALIDATION_ERROR', /column "__op" has a name the changelog reserves/);
    throwsCode(() => installCapture(db, changelogName('src')), 'VALIDATION_ERROR', /Freshet's own tables/);
    assert.equal(captureInstalled(db, 'nope'), false);
  });

  it('handles awkward identifiers', function () {
    db.exec(`CREATE TABLE "we""ird tbl" ("a col" TEXT, "sel""ect" INTEGER)`);
    installCapture(db, 'we"ird tbl');
    db.exec(`INSERT INTO "we""ird tbl" VALUES ('x', 1)`);
    db.exec(`UPDATE "we""ird tbl" SET "sel""ect" = 2`);
    assert.deepEqual(opsOf(db, 'we"ird tbl'), [
      ['I', 'x', 1],
      ['D', 'x', 1],
      ['I', 'x', 2],
    ]);
  });

  it('reports a source whose columns changed, and refuses to read from it until reinstalled', function () {
    installCapture(db, 'src');
    assert.equal(captureMismatch(db, 'src'), null);
    db.exec(`INSERT INTO src VALUES (1, 'a', 0)`);
    db.exec('ALTER TABLE src ADD COLUMN extra TEXT');
    assert.match(
      captureMismatch(db, 'src') ?? '',
      /records columns \(id, name, score\) but the table now has \(id, name, score, extra\)/,
    );
    throwsCode(() => readChanges(db, 'src', 0, ALL, 10), 'INVALID_STATE', /table now has/);
    throwsCode(() => installCapture(db, 'src'), 'INVALID_STATE', /remove capture and install it again/);
    assert.throws(() => db.exec('ALTER TABLE src DROP COLUMN name'), /no such column/);
    removeCapture(db, 'src');
    installCapture(db, 'src');
    db.exec(`INSERT INTO src VALUES (2, 'b', 0, 'e')`);
    assert.deepEqual(opsOf(db), [['I', 2, 'b', 0, 'e']]);
  });

  it('reports a changelog of the earlier layout as needing reinstallation, and refuses to install over it', function () {
    // The layout earlier versions created: AUTOINCREMENT ids and a capture timestamp before the data columns.
    const log = `"${changelogName('src')}"`;
    db.exec(
      `CREATE TABLE ${log} ("__change_id" INTEGER PRIMARY KEY AUTOINCREMENT, "__op" TEXT NOT NULL CHECK ("__op" IN ('I', 'D')), ` +
        `"__captured_at" INTEGER NOT NULL, "id", "name", "score")`,
    );
    const append = (op: string, prefix: string) =>
      `INSERT INTO ${log} ("__op", "__captured_at", "id", "name", "score") VALUES ('${op}', 0, ${prefix}."id", ${prefix}."name", ${prefix}."score");`;
    db.exec(
      `CREATE TRIGGER "__freshet_capture_insert_src" AFTER INSERT ON src FOR EACH ROW BEGIN ${append('I', 'NEW')} END`,
    );
    db.exec(
      `CREATE TRIGGER "__freshet_capture_update_src" AFTER UPDATE ON src FOR EACH ROW BEGIN ${append('D', 'OLD')} ${append('I', 'NEW')} END`,
    );
    db.exec(
      `CREATE TRIGGER "__freshet_capture_delete_src" AFTER DELETE ON src FOR EACH ROW BEGIN ${append('D', 'OLD')} END`,
    );
    db.exec(`INSERT INTO src VALUES (1, 'a', 0)`);
    assert.equal(captureInstalled(db, 'src'), true);
    assert.match(
      captureMismatch(db, 'src') ?? '',
      /^Change capture of "src" was installed by an older version of Freshet\.$/,
    );
    throwsCode(() => readChanges(db, 'src', 0, ALL, 10), 'INVALID_STATE', /installed by an older version/);
    throwsCode(
      () => installCapture(db, 'src'),
      'INVALID_STATE',
      /installed by an older version of Freshet; remove capture and install it again/,
    );
    removeCapture(db, 'src');
    installCapture(db, 'src');
    assert.equal(captureMismatch(db, 'src'), null);
    assert.equal(currentChangeId(db, 'src'), 0);
    db.exec(`INSERT INTO src VALUES (2, 'b', 0)`);
    assert.deepEqual(readChanges(db, 'src', 0, ALL, 10), [{ changeId: 1, op: 'I', row: [2, 'b', 0] }]);
    const layout = db.prepare(`SELECT name FROM pragma_table_info(?)`).all(changelogName('src')) as { name: string }[];
    assert.deepEqual(
      layout.map((column) => column.name),
      ['__change_id', '__op', 'id', 'name', 'score'],
    );
  });

  it("captures a source column named like the earlier layout's timestamp, and still reserves the meta columns", function () {
    db.exec('CREATE TABLE stamped (__captured_at INTEGER NOT NULL, v TEXT)');
    installCapture(db, 'stamped');
    assert.equal(captureMismatch(db, 'stamped'), null);
    db.exec(`INSERT INTO stamped VALUES (1700000000000, 'x')`);
    assert.deepEqual(opsOf(db, 'stamped'), [['I', 1700000000000, 'x']]);
    installCapture(db, 'stamped');
    db.exec('CREATE TABLE clash (v TEXT, "__Change_Id" INTEGER)');
    throwsCode(
      () => installCapture(db, 'clash'),
      'VALIDATION_ERROR',
      /column "__Change_Id" has a name the changelog reserves \(__change_id, __op\)/,
    );
  });

  it('captures generated columns and reports a renamed column', function () {
    db.exec('CREATE TABLE gen (a INTEGER, twice INTEGER GENERATED ALWAYS AS (a * 2) VIRTUAL)');
    installCapture(db, 'gen');
    db.exec('INSERT INTO gen (a) VALUES (4)');
    db.exec('UPDATE gen SET a = 5');
    assert.deepEqual(opsOf(db, 'gen'), [
      ['I', 4, 8],
      ['D', 4, 8],
      ['I', 5, 10],
    ]);
    db.exec('ALTER TABLE gen RENAME COLUMN a TO b');
    assert.match(captureMismatch(db, 'gen') ?? '', /records columns \(a, twice\) but the table now has \(b, twice\)/);
  });

  it('reports a dropped trigger or source table as a mismatch', function () {
    installCapture(db, 'src');
    db.exec(`DROP TRIGGER "__freshet_capture_delete_src"`);
    assert.equal(captureInstalled(db, 'src'), false);
    assert.match(captureMismatch(db, 'src') ?? '', /lacks its delete trigger/);
    installCapture(db, 'src');
    assert.equal(captureMismatch(db, 'src'), null);
    db.exec('DROP TABLE src');
    assert.match(captureMismatch(db, 'src') ?? '', /no longer exists/);
    removeCapture(db, 'src');
    assert.equal(db.prepare(`SELECT 1 FROM sqlite_schema WHERE name = ?`).get(changelogName('src')), undefined);
  });

  it('completes 20,000 inserts with and without capture', function () {
    db.exec('CREATE TABLE plain (id INTEGER, name TEXT, score REAL)');
    const load = (table: string) => {
      const insert = db.prepare(`INSERT INTO ${table} VALUES (?, ?, ?)`);
      const started = process.hrtime.bigint();
      db.transaction(() => {
        for (let i = 0; i < 20_000; i++) insert.run(i, `row ${i}`, i / 2);
      })();
      return Number(process.hrtime.bigint() - started) / 1e6;
    };
    const without = load('plain');
    installCapture(db, 'src');
    const withCapture = load('src');
    assert.equal(currentChangeId(db, 'src'), 20_000);
    assert.equal(readChanges(db, 'src', 19_999, ALL, 10)[0]?.row[1], 'row 19999');
    console.log(
      `      20,000 inserts: ${without.toFixed(0)} ms plain, ${withCapture.toFixed(0)} ms captured (x${(withCapture / without).toFixed(1)})`,
    );
  });
});
