/**
 * Errors that help and stay small: SQL errors carry the line and column in the script the client sent, no error
 * response grows with the input it echoes, start-up problems are one line that says what is wrong, a full disk is
 * STORAGE_FULL (507) with /health degraded, and `freshet config` shows no password in any URL form.
 */
import { strict as assert } from 'node:assert';
import { type SpawnSyncReturns, spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { maskSecrets, loadConfig, maskUrlSecrets } from '../src/config/config';
import { toFreshetError as mysqlError } from '../src/engine/mysql/mysql-errors';
import { toFreshetError as postgresError } from '../src/engine/postgres/postgres-errors';
import { EXCERPT_LENGTH, FreshetError, boundEchoes, excerpt, storageOpenError } from '../src/errors';
import { createDatabase, type ThrowawayDatabase } from './helpers/databases';
import { TestGateway } from './helpers/gateway';

const CLI = path.resolve(__dirname, '..', 'src', 'cli', 'main.js');
const BIG = 'x'.repeat(900_000);

/** Runs statements on the catalog `catalog` (the default one when undefined), expecting an error. */
async function sqlError(gw: TestGateway, statement: string, catalog?: string) {
  const res = await gw.request('POST', '/v3/statements', { statement, ...(catalog ? { catalog } : {}) });
  assert.notEqual(res.status, 200, `expected an error for ${statement.slice(0, 80)}`);
  return { status: res.status, error: res.body.error, size: JSON.stringify(res.body).length };
}

describe('SQL errors carry the line and column in the script', () => {
  const engines: Array<{ kind: 'sqlite' | 'postgres' | 'mysql' }> = [
    { kind: 'sqlite' },
    { kind: 'postgres' },
    { kind: 'mysql' },
  ];
  for (const { kind } of engines) {
    describe(`on ${kind}`, () => {
      let gw: TestGateway;
      let db: ThrowawayDatabase | undefined;
      const catalog = kind === 'sqlite' ? undefined : 'w';
      const at = async (statement: string) => {
        const { status, error } = await sqlError(gw, statement, catalog);
        assert.equal(status, 400, JSON.stringify(error));
        return { line: error.line, column: error.column, error };
      };

      before(async () => {
        db = kind === 'sqlite' ? undefined : await createDatabase(kind);
        gw = await TestGateway.start(db ? { catalogs: { w: { url: db.url } } } : {});
        await gw.request('POST', '/v3/statements', {
          statement: 'CREATE TABLE src (id INTEGER PRIMARY KEY, v VARCHAR(20))',
          ...(catalog ? { catalog } : {}),
        });
      });
      after(async () => {
        await gw.close();
        await db?.drop();
      });

      it('places a statement that ends too early at its end', async () => {
        const early = await at('SELECT (1');
        assert.deepEqual([early.line, early.column], [1, 10]);
        const trailing = await at('SELECT * FROM src WHERE   \n  ');
        assert.deepEqual([trailing.line, trailing.column], [1, 24]);
      });

      it('places the error in a later statement relative to the script, with the statement index', async () => {
        const { line, column, error } = await at('SELECT 1;\nSELECT 2;\n  SELECT * FROM src WHERE');
        assert.deepEqual([line, column], [3, 26]);
        assert.equal(error.details.statementIndex, 2);
        const named = await at('SELECT 1;\n  SELEC 2');
        assert.deepEqual([named.line, named.column], [2, 3]);
        assert.equal(named.error.details.statementIndex, 1);
      });

      it('finds the token the engine names where it stopped, not where the same word first occurs', async () => {
        const twice = await at('SELECT * FROM src WHERE v = 1 AND AND id = 2');
        assert.deepEqual([twice.line, twice.column], [1, 35]);
        const alias = await at('SELECT * FROM src s s s');
        assert.deepEqual([alias.line, alias.column], [1, 21]);
        const later = await at('SELECT v\nFROM src\nWHERE v = v v');
        assert.deepEqual([later.line, later.column], [3, 13]);
      });

      if (kind === 'postgres') {
        it("places an error in a dynamic table's query in the script, not in the query", async () => {
          const create = "SELECT 1;\nCREATE DYNAMIC TABLE d TARGET_LAG = '1 hour' AS\n  SELECT id, v + 1 AS x FROM src";
          const operator = await at(create);
          assert.match(operator.error.message, /operator does not exist/);
          assert.deepEqual([operator.line, operator.column, operator.error.details.statementIndex], [3, 16, 1]);
          const sameLine = await at("CREATE DYNAMIC TABLE d TARGET_LAG = '1 hour' AS SELECT id, nosuch FROM src");
          assert.deepEqual([sameLine.line, sameLine.column], [1, 60]);
        });
      }

      it('answers a 900 KB statement with a small error, its echo cut to about 200 characters', async () => {
        for (const statement of [
          `SELECT * FROM src WHERE v = '${BIG}' AND`,
          `SELECT ${BIG} FROM src`,
          `SELECT * FROM ${BIG}`,
          `SELECT '${BIG}`,
        ]) {
          const { status, error, size } = await sqlError(gw, statement, catalog);
          assert.ok(status >= 400 && status < 500, `${status} ${JSON.stringify(error).slice(0, 300)}`);
          assert.ok(size < 2000, `the response has ${size} characters: ${JSON.stringify(error).slice(0, 400)}`);
        }
      });
    });
  }

  describe('statements the gateway parses', () => {
    let gw: TestGateway;
    before(async () => {
      gw = await TestGateway.start();
      await gw.sql('CREATE TABLE src (id INTEGER PRIMARY KEY, v TEXT)');
    });
    after(() => gw.close());

    it('cut what they echo of a 900 KB value too', async () => {
      for (const statement of [
        `CREATE DYNAMIC TABLE d TARGET_LAG = '${BIG}' AS SELECT * FROM src`,
        `CREATE DYNAMIC TABLE d TARGET_LAG = '1 hour' AS SELECT * FROM src WHERE v = '${BIG}' AND`,
        `CREATE DYNAMIC TABLE d TARGET_LAG = '1 hour' AS SELECT * FROM ${BIG}`,
        `DROP DYNAMIC TABLE ${BIG}`,
      ]) {
        const { status, error, size } = await sqlError(gw, statement);
        assert.ok(status >= 400 && status < 500, `${status} ${JSON.stringify(error).slice(0, 300)}`);
        assert.ok(size < 2000, `the response has ${size} characters: ${JSON.stringify(error).slice(0, 400)}`);
      }
    });

    it('and request-body validation cuts the values it quotes', async () => {
      const res = await gw.request('POST', '/v3/statements', { statement: 'SELECT 1', [BIG]: 1 });
      assert.equal(res.status, 400);
      assert.ok(JSON.stringify(res.body).length < 4000, JSON.stringify(res.body).slice(0, 400));
    });

    it('a path with a broken percent escape is a 400 about the path, not about the body', async () => {
      const res = await gw.request('GET', '/v3/dynamic-tables/%zz');
      assert.equal(res.status, 400);
      const body = (res.body as { error: { code: string; message: string } }).error;
      assert.equal(body.code, 'VALIDATION_ERROR');
      assert.match(body.message, /request path could not be decoded.*%25/);
    });
  });
});

describe('excerpt and boundEchoes', () => {
  it('keep short text as it is and cut long text, saying how long it was', () => {
    assert.equal(excerpt('short'), 'short');
    assert.equal(excerpt('y'.repeat(EXCERPT_LENGTH)), 'y'.repeat(EXCERPT_LENGTH));
    assert.equal(excerpt('y'.repeat(1000)), `${'y'.repeat(EXCERPT_LENGTH)}… (1000 characters)`);
    // A surrogate pair is never split in two.
    const emoji = `${'a'.repeat(EXCERPT_LENGTH - 1)}😀tail`;
    assert.equal(excerpt(emoji), `${'a'.repeat(EXCERPT_LENGTH - 1)}… (${emoji.length} characters)`);
  });

  it('cut each long quoted or unbroken echo in a message and leave the rest of the message', () => {
    const message = boundEchoes(`near "${'q '.repeat(500)}": syntax error; value '${'z'.repeat(5000)}' is wrong`);
    assert.match(message, /^near "(q ){100}… \(1000 characters\)": syntax error; value 'z{200}… \(5000 characters\)'/);
    assert.match(message, /is wrong$/);
    assert.ok(new FreshetError('VALIDATION_ERROR', `no such column: ${BIG}`).message.length < 300);
  });
});

/** `freshet start` on port 0 with `env` on top of a minimal environment; fails fast, so it runs synchronously. */
function freshetStart(env: Record<string, string>, uid?: number): SpawnSyncReturns<string> {
  return spawnSync(process.execPath, [CLI, 'start'], {
    env: { PATH: process.env.PATH ?? '', FRESHET_PORT: '0', FRESHET_LOG_LEVEL: 'silent', ...env },
    encoding: 'utf8',
    timeout: 20_000,
    ...(uid === undefined ? {} : { uid, gid: uid }),
  });
}

/** Asserts the start failed with exit code 1 and one line on stderr, no stack frames, matching `expected`. */
function assertOneLineFailure(run: SpawnSyncReturns<string>, expected: RegExp): void {
  assert.equal(run.signal, null, 'the process ended by itself');
  assert.equal(run.status, 1, `stdout: ${run.stdout}\nstderr: ${run.stderr}`);
  const lines = run.stderr.trimEnd().split('\n');
  assert.equal(lines.length, 1, `one line expected, got:\n${run.stderr}`);
  assert.doesNotMatch(run.stderr, /^\s+at /m);
  assert.match(lines[0] ?? '', expected);
}

describe('start-up problems are one line that says what is wrong', () => {
  let dataDir: string;
  const isRoot = process.getuid?.() === 0;
  // Root writes through any permission; an unprivileged user (nobody) sees the folder as it is.
  const asUser = isRoot ? 65534 : undefined;

  beforeEach(() => {
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'freshet-errors-'));
  });
  afterEach(() => {
    chmodSync(dataDir, 0o755);
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('a catalog.db that is no SQLite file', () => {
    writeFileSync(
      path.join(dataDir, 'catalog.db'),
      'this is not a database, just text long enough to look like one\n'.repeat(20),
    );
    assertOneLineFailure(
      freshetStart({ FRESHET_DATA_DIR: dataDir }),
      /^freshet: The catalog .*catalog\.db is not a SQLite database \(file is not a database\)/,
    );
  });

  it('a warehouse.db that is no SQLite file', () => {
    writeFileSync(path.join(dataDir, 'warehouse.db'), 'not a database either\n'.repeat(50));
    assertOneLineFailure(
      freshetStart({ FRESHET_DATA_DIR: dataDir }),
      /^freshet: The SQLite database .*warehouse\.db is not a SQLite database/,
    );
  });

  it('a read-only data folder, empty or with a catalog in it', async () => {
    chmodSync(dataDir, 0o555);
    assertOneLineFailure(
      freshetStart({ FRESHET_DATA_DIR: dataDir }, asUser),
      /^freshet: The catalog .*catalog\.db cannot be written: it or its folder is read-only or not writable/,
    );
    chmodSync(dataDir, 0o755);
    await (await TestGateway.start({}, dataDir)).close({ keepData: true });
    chmodSync(dataDir, 0o555);
    assertOneLineFailure(
      freshetStart({ FRESHET_DATA_DIR: dataDir }, asUser),
      /^freshet: The catalog .*catalog\.db cannot be written: it or its folder is read-only or not writable/,
    );
  });

  it('a data folder that cannot be created, under a read-only folder or a file', () => {
    chmodSync(dataDir, 0o555);
    assertOneLineFailure(
      freshetStart({ FRESHET_DATA_DIR: path.join(dataDir, 'data') }, asUser),
      /^freshet: The catalog's folder .*data cannot be written: .*read-only or not writable \(EACCES/,
    );
    chmodSync(dataDir, 0o755);
    writeFileSync(path.join(dataDir, 'file'), '');
    assertOneLineFailure(
      freshetStart({ FRESHET_DATA_DIR: path.join(dataDir, 'file', 'data') }),
      /^freshet: The catalog's folder .*file\/data cannot be created: part of its path is a file, not a folder/,
    );
  });

  it('a full disk (a tiny file system, where this user may mount one)', function () {
    const mountPoint = path.join(dataDir, 'tiny');
    mkdirSync(mountPoint);
    const mount = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=24k', 'tmpfs', mountPoint], { encoding: 'utf8' });
    // Skipped, not failed, where this user may not mount a file system (not root, or no CAP_SYS_ADMIN): the
    // page-limit tests below cover a full catalog everywhere.
    if (mount.status !== 0) this.skip();
    try {
      assertOneLineFailure(
        freshetStart({ FRESHET_DATA_DIR: mountPoint }),
        /^freshet: The catalog .*catalog\.db cannot be written: the disk \(or the database's size limit\) is full/,
      );
    } finally {
      spawnSync('umount', [mountPoint]);
    }
  });

  it('maps each storage failure to what is wrong', () => {
    const failure = (code: string, message = code) => Object.assign(new Error(message), { code });
    const cases: Array<[string, RegExp]> = [
      ['EROFS', /cannot be written: it or its folder is read-only or not writable \(EROFS\)/],
      ['EACCES', /read-only or not writable/],
      ['EPERM', /read-only or not writable/],
      ['SQLITE_READONLY', /read-only or not writable/],
      ['SQLITE_CANTOPEN', /read-only or not writable/],
      ['ENOTDIR', /cannot be created: part of its path is a file, not a folder/],
      ['SQLITE_NOTADB', /is not a SQLite database/],
      ['ENOSPC', /the disk \(or the database's size limit\) is full/],
      ['SQLITE_FULL', /the disk \(or the database's size limit\) is full/],
    ];
    for (const [code, expected] of cases) {
      const error = storageOpenError('The catalog /data/catalog.db', failure(code));
      assert.ok(error, code);
      assert.match(error.message, expected, code);
      assert.equal(error.code, /FULL|ENOSPC/.test(code) ? 'STORAGE_FULL' : 'ENGINE_ERROR', code);
    }
    assert.equal(storageOpenError('x', failure('ECONNREFUSED')), undefined);
  });
});

describe('a full disk', () => {
  let gw: TestGateway;
  beforeEach(async () => {
    gw = await TestGateway.start();
    await gw.sql("CREATE TABLE src (id INTEGER PRIMARY KEY, v TEXT); INSERT INTO src VALUES (1, 'a')");
    await gw.sql("CREATE DYNAMIC TABLE d TARGET_LAG = '1 hour' AS SELECT * FROM src");
  });
  afterEach(() => gw.close());

  it('answers refresh callbacks 507 STORAGE_FULL and makes /health degraded while it lasts', async () => {
    assert.equal((await gw.request('GET', '/health')).body.status, 'ok');
    // The catalog's own connection, limited in size (a per-connection PRAGMA), then filled to the last byte.
    const db = (gw.gateway.manager as any).parts.catalog.connection.db;
    const [{ page_count: pages }] = await db.raw('PRAGMA page_count');
    await db.raw('CREATE TABLE filler (x BLOB)');
    await db.raw(`PRAGMA max_page_count = ${pages + 5}`);
    for (const size of [3000, 300, 30, 1]) {
      await assert.rejects(async () => {
        for (;;) await db.raw(`INSERT INTO filler VALUES (zeroblob(${size}))`);
      }, /SQLITE_FULL|database or disk is full/);
    }
    const health = await gw.request('GET', '/health');
    assert.equal(health.status, 503);
    assert.equal(health.body.status, 'degraded');
    assert.match(health.body.catalog, /^full: The catalog .*catalog\.db cannot be written: .* is full/);

    // The jobs table has room for a few more rows; then a callback cannot record its job.
    let refused: { status: number; body: any } | undefined;
    for (let attempt = 0; attempt < 200 && refused === undefined; attempt += 1) {
      const res = await gw.refresh({ tables: ['d'] }, 10);
      if (res.status !== 200) refused = res;
    }
    assert.ok(refused, 'the catalog filled up');
    assert.equal(refused.status, 507, JSON.stringify(refused.body));
    assert.equal(refused.body.error.code, 'STORAGE_FULL');
    assert.match(refused.body.error.message, /catalog\.db cannot be written: .* is full .*Free space/);

    await db.raw('DROP TABLE filler');
    const healed = await gw.request('GET', '/health');
    assert.equal(healed.status, 200);
    assert.equal(healed.body.status, 'ok');
    assert.equal((await gw.refresh({ tables: ['d'] }, 10)).status, 200);
  });

  it('is STORAGE_FULL from PostgreSQL and MySQL too', () => {
    const pg = Object.assign(new Error('could not extend file: No space left on device'), {
      code: '53100',
      severity: 'ERROR',
    });
    assert.equal(postgresError(pg).code, 'STORAGE_FULL');
    const my = Object.assign(new Error("The table 't' is full"), {
      code: 'ER_RECORD_FILE_FULL',
      errno: 1114,
      sqlState: 'HY000',
    });
    assert.equal(mysqlError(my).code, 'STORAGE_FULL');
  });
});

describe('freshet config masks passwords in every URL form', () => {
  const urls = {
    userinfo: 'postgres://user:pw-userinfo@db.example:5432/wh',
    query: 'postgres://db.example/wh?user=u&password=pw-query',
    first: 'postgres://db.example/wh?password=pw-first&user=u',
    mysql: 'mysql://root:pw-mysql@db.example:3306/wh',
    flink: 'flink:http://flink.example:8083?token=pw-flink-token&password=pw-flink',
  };

  it('in maskUrlSecrets', () => {
    assert.equal(maskUrlSecrets(urls.userinfo), 'postgres://user:****@db.example:5432/wh');
    assert.equal(maskUrlSecrets(urls.query), 'postgres://db.example/wh?user=u&password=****');
    assert.equal(maskUrlSecrets(urls.first), 'postgres://db.example/wh?password=****&user=u');
    assert.equal(maskUrlSecrets(urls.mysql), 'mysql://root:****@db.example:3306/wh');
    assert.equal(maskUrlSecrets(urls.flink), 'flink:http://flink.example:8083?token=****&password=****');
    assert.equal(maskUrlSecrets('mysql://u:p@ss@h/db'), 'mysql://u:****@h/db');
    assert.equal(maskUrlSecrets('sqlite:warehouse.db'), 'sqlite:warehouse.db');
  });

  it('in the printed configuration', () => {
    const catalogs = Object.fromEntries(Object.entries(urls).map(([name, url]) => [name, { url }]));
    const run = spawnSync(process.execPath, [CLI, 'config'], {
      env: {
        PATH: process.env.PATH ?? '',
        FRESHET_CATALOGS: JSON.stringify(catalogs),
        FRESHET_CATALOG_URL: 'postgres://gw:pw-catalog@db.example/catalog?sslpassword=pw-ssl',
      },
      encoding: 'utf8',
    });
    assert.equal(run.status, 0, run.stderr);
    assert.doesNotMatch(run.stdout, /pw-/);
    const printed = JSON.parse(run.stdout);
    assert.equal(printed.catalog.url, 'postgres://gw:****@db.example/catalog?sslpassword=****');
    assert.equal(printed.catalogs.flink.url, 'flink:http://flink.example:8083?token=****&password=****');
    const masked = maskSecrets(loadConfig({ env: {}, overrides: { catalogs } })) as { catalogs: typeof catalogs };
    assert.equal(masked.catalogs.query?.url, 'postgres://db.example/wh?user=u&password=****');
  });

  it('in the error for an unsupported catalog URL', () => {
    assert.throws(
      () => loadConfig({ env: {}, overrides: { catalogs: { odd: { url: 'oracle://u:pw-odd@h/db?password=pw-2' } } } }),
      (error: Error) => !/pw-/.test(error.message) && /oracle:\/\/u:\*\*\*\*@h/.test(error.message),
    );
  });
});

describe('a full disk, for real (a tiny file system, where this user may mount one)', () => {
  let dir: string;
  let gw: TestGateway | undefined;
  beforeEach(function () {
    dir = mkdtempSync(path.join(os.tmpdir(), 'freshet-full-'));
    const mount = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', dir], { encoding: 'utf8' });
    if (mount.status !== 0) {
      rmSync(dir, { recursive: true, force: true });
      // Skipped where this user may not mount a file system; the max_page_count tests run everywhere.
      this.skip();
    }
  });
  afterEach(async () => {
    await gw?.close({ keepData: true });
    gw = undefined;
    spawnSync('umount', [dir]);
    rmSync(dir, { recursive: true, force: true });
  });

  it('makes writes and refresh callbacks 507 STORAGE_FULL and /health degraded', async () => {
    gw = await TestGateway.start({}, dir);
    await gw.sql("CREATE TABLE src (id INTEGER PRIMARY KEY, v TEXT); INSERT INTO src VALUES (1, 'a')");
    await gw.sql("CREATE DYNAMIC TABLE d TARGET_LAG = '1 hour' AS SELECT * FROM src");
    const fill = 'INSERT INTO src (v) SELECT hex(randomblob(2000)) FROM (SELECT 1 UNION ALL SELECT 2)';
    let full: { status: number; body: any } | undefined;
    for (let i = 0; i < 1000 && full === undefined; i += 1) {
      const res = await gw.request('POST', '/v3/statements', { statement: fill });
      if (res.status !== 200) full = res;
    }
    assert.equal(full?.status, 507, JSON.stringify(full?.body));
    assert.equal(full?.body.error.code, 'STORAGE_FULL');
    const health = await gw.request('GET', '/health');
    assert.equal(health.body.status, 'degraded');
    assert.match(health.body.catalog, /^full: .* is full \(less than 64 KiB free on its disk\)/);
    const callback = await gw.refresh({ tables: ['d'] }, 10);
    assert.equal(callback.status, 507, JSON.stringify(callback.body));
    assert.equal(callback.body.error.code, 'STORAGE_FULL');
    assert.match(callback.body.error.message, /cannot be written: the disk .* is full/);
  });
});
