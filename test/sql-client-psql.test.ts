import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import express from 'express';
import { type ClientIo, runSqlClient } from '../src/cli/sql-client';
import { parseScript } from '../src/sql/ddl-parser';
import { splitStatements } from '../src/sql/splitter';
import { FlinkGatewayFake } from './fakes/flink-gateway-fake';
import { createDatabase, type ThrowawayDatabase } from './helpers/databases';
import { TestGateway } from './helpers/gateway';
import { sleep, waitUntil } from './helpers/wait';

class Collector extends Writable {
  private chunks: string[] = [];
  isTTY?: boolean;
  columns?: number;

  override _write(chunk: Buffer | string, _encoding: BufferEncoding, callback: () => void): void {
    this.chunks.push(chunk.toString());
    callback();
  }

  get text(): string {
    return this.chunks.join('');
  }
}

interface Session {
  readonly stdin: PassThrough & { isTTY?: boolean; setRawMode?: (on: boolean) => void };
  readonly stdout: Collector;
  readonly stderr: Collector;
  readonly io: ClientIo;
}

/** `terminal`: stdin looks like a terminal, so readline edits lines (Enter is `\r`) as it would for a person. */
function session(options: { isTty?: boolean; terminal?: boolean; columns?: number } = {}): Session {
  const stdin: Session['stdin'] = new PassThrough();
  if (options.terminal === true) {
    stdin.isTTY = true;
    stdin.setRawMode = () => undefined;
  }
  const stdout = new Collector();
  if (options.columns !== undefined) {
    stdout.isTTY = true;
    stdout.columns = options.columns;
  }
  const stderr = new Collector();
  return { stdin, stdout, stderr, io: { stdin, stdout, stderr, isTty: options.isTty ?? false } };
}

async function run(argv: string[], env: NodeJS.ProcessEnv = {}, columns?: number) {
  const s = session(columns === undefined ? {} : { columns });
  s.stdin.end();
  const code = await runSqlClient(argv, s.io, env);
  return { code, out: s.stdout.text, err: s.stderr.text };
}

const waitFor = (condition: () => boolean, what: string) =>
  waitUntil(condition, { timeoutMs: 3000, intervalMs: 5, what });

interface Stub {
  readonly url: string;
  readonly statements: string[];
  close(): Promise<void>;
}

/**
 * A stub gateway answering like the real one: each statement of a request in turn; the first failing one
 * answers an error with its line and column and, past the first statement, `details.statementIndex`.
 */
async function startStub(): Promise<Stub> {
  const statements: string[] = [];
  const app = express();
  app.use(express.json());
  app.post('/v3/statements', async (req, res) => {
    const text = String((req.body as { statement: unknown }).statement);
    statements.push(text);
    const results: unknown[] = [];
    for (const [index, piece] of splitStatements(text).entries()) {
      const statement = piece.text.trim().replace(/;$/, '');
      if (/^select sleep/i.test(statement)) await sleep(300);
      const bad = /\bFORM\b/.exec(piece.text);
      if (bad !== null || /^drop table missing/i.test(statement)) {
        const at = piece.position.offset + (bad?.index ?? 0);
        const before = text.slice(0, at).split('\n');
        const position = bad === null ? {} : { line: before.length, column: (before.at(-1) ?? '').length + 1 };
        const message = bad === null ? 'Table missing does not exist.' : "unexpected 'FORM'";
        res.status(bad === null ? 404 : 400).json({
          error: {
            code: bad === null ? 'NOT_FOUND' : 'PARSE_ERROR',
            message,
            ...position,
            details: index > 0 ? { statementIndex: index, results } : undefined,
          },
        });
        return;
      }
      if (/^select wide/i.test(statement)) {
        results.push({
          kind: 'rows',
          columns: ['id', 'note'],
          rows: [
            [1, 'a'.repeat(50)],
            [2, null],
          ],
        });
      } else if (/^select ok/i.test(statement)) {
        results.push({ kind: 'ok', message: 'INSERT OK, 1 row(s) affected.' });
      } else {
        results.push({ kind: 'rows', columns: ['s'], rows: [[statement]] });
      }
    }
    res.json({ results });
  });
  const server: Server = await new Promise((resolve) => {
    const listening = app.listen(0, '127.0.0.1', () => resolve(listening));
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    statements,
    close: () => new Promise((resolve, reject) => server.close((e) => (e ? reject(e) : resolve()))),
  };
}

describe('freshet sql, as people use psql', () => {
  let stub: Stub;
  let dir: string;

  beforeEach(async () => {
    stub = await startStub();
    dir = await mkdtemp(join(tmpdir(), 'freshet-psql-'));
  });

  afterEach(async () => {
    await stub.close();
    await rm(dir, { recursive: true, force: true });
  });

  describe('output', () => {
    it('never cuts a long value: printed whole to a pipe, wrapped to the width of a terminal', async () => {
      const piped = await run(['--url', stub.url, '-e', 'SELECT wide']);
      assert.ok(piped.out.includes(` 1 | ${'a'.repeat(50)}\n`), piped.out);

      const terminal = await run(['--url', stub.url, '-e', 'SELECT wide'], {}, 30);
      assert.deepEqual(terminal.out.split('\n'), [
        'id | note',
        `---+${'-'.repeat(26)}`,
        ` 1 | ${'a'.repeat(25)}`,
        `   | ${'a'.repeat(25)}`,
        ' 2 | NULL',
        '2 rows',
        '',
      ]);
      for (const line of terminal.out.split('\n')) assert.ok(line.length <= 30, line);
    });

    it('prints CSV with the acknowledgements on stderr', async () => {
      const { code, out, err } = await run(['--url', stub.url, '--format', 'csv', '-e', 'SELECT ok; SELECT wide']);
      assert.equal(code, 0);
      assert.equal(out, `id,note\n1,${'a'.repeat(50)}\n2,\n`);
      assert.equal(err, 'INSERT OK, 1 row(s) affected.\n');
    });

    it('quotes CSV fields that need it', async () => {
      const { out } = await run(['--url', stub.url, '--format', 'csv', '-e', 'SELECT \'a, "b"\'']);
      assert.equal(out, `s\n"SELECT 'a, ""b""'"\n`);
    });

    it('prints JSON: an array of objects per result', async () => {
      const { code, out } = await run(['--url', stub.url, '--format', 'json', '-e', 'SELECT wide']);
      assert.equal(code, 0);
      assert.deepEqual(JSON.parse(out), [
        { id: 1, note: 'a'.repeat(50) },
        { id: 2, note: null },
      ]);
    });

    it('prints expanded records, one column a line', async () => {
      const { out } = await run(['--url', stub.url, '--format', 'expanded', '-e', 'SELECT wide']);
      assert.deepEqual(out.split('\n'), [
        `-[ RECORD 1 ]${'-'.repeat(44)}`,
        'id   | 1',
        `note | ${'a'.repeat(50)}`,
        `-[ RECORD 2 ]${'-'.repeat(44)}`,
        'id   | 2',
        'note | NULL',
        '2 rows',
        '',
      ]);
    });

    it('rejects an unknown format with exit code 2', async () => {
      const { code, err } = await run(['--url', stub.url, '--format', 'xml', '-e', 'SELECT 1']);
      assert.equal(code, 2);
      assert.match(err, /--format must be one of table, csv, json, expanded; got 'xml'/);
    });

    it('toggles expanded display with \\x in the interactive client', async () => {
      const s = session({ isTty: true });
      const done = runSqlClient(['--url', stub.url], s.io, {});
      s.stdin.write('\\x\nSELECT wide;\n');
      await waitFor(() => s.stdout.text.includes('RECORD 2'), 'the expanded result');
      s.stdin.write('\\x\nSELECT wide;\n');
      await waitFor(() => s.stdout.text.includes('---+---'), 'the table');
      s.stdin.end();
      assert.equal(await done, 0);
      assert.match(s.stdout.text, /Expanded display is on\.\n/);
      assert.match(s.stdout.text, /Expanded display is off\.\n/);
    });
  });

  describe('errors in scripts', () => {
    const script = "SELECT 'one';\n\nSELECT id\n  FORM t;\nSELECT 'three';\nDROP TABLE missing;\nSELECT 'five';\n";

    it('-f names the file, the statement and its line, and stops there by default', async () => {
      const file = join(dir, 'setup.sql');
      await writeFile(file, script);
      const { code, out, err } = await run(['--url', stub.url, '-f', file]);
      assert.equal(code, 1);
      assert.equal(err, `ERROR [PARSE_ERROR] (${file}, statement 2, line 4, column 3): unexpected 'FORM'\n`);
      assert.doesNotMatch(out, /three/);
      assert.equal(stub.statements.length, 1);
    });

    it('-f --on-error continue runs the rest and reports every error where it is in the file', async () => {
      const file = join(dir, 'setup.sql');
      await writeFile(file, script);
      const { code, out, err } = await run(['--url', stub.url, '-f', file, '--on-error', 'continue']);
      assert.equal(code, 1);
      assert.equal(
        err,
        `ERROR [PARSE_ERROR] (${file}, statement 2, line 4, column 3): unexpected 'FORM'\n` +
          `ERROR [NOT_FOUND] (${file}, statement 4, line 6): Table missing does not exist.\n`,
      );
      assert.match(out, /SELECT 'one'[\s\S]*SELECT 'three'[\s\S]*SELECT 'five'/);
      assert.equal(stub.statements.length, 3);
    });

    it('piped input stops at the first failing statement by default', async () => {
      const s = session();
      s.stdin.end(script);
      assert.equal(await runSqlClient(['--url', stub.url], s.io, {}), 1);
      assert.deepEqual(stub.statements, ["SELECT 'one';", 'SELECT id\n  FORM t;']);
      assert.equal(s.stderr.text, "ERROR [PARSE_ERROR] (line 4, column 3): unexpected 'FORM'\n");
    });

    it('piped input with --on-error continue runs every statement', async () => {
      const s = session();
      s.stdin.end(script);
      assert.equal(await runSqlClient(['--url', stub.url, '--on-error', 'continue'], s.io, {}), 1);
      assert.equal(stub.statements.length, 5);
    });

    it('rejects an unknown --on-error with exit code 2', async () => {
      const { code, err } = await run(['--on-error', 'ignore', '-e', 'SELECT 1']);
      assert.equal(code, 2);
      assert.match(err, /--on-error must be one of stop, continue/);
    });
  });

  describe('the interactive client', () => {
    it('keeps statements, whole, in a history file between sessions', async () => {
      const file = join(dir, 'history');
      const env = { FRESHET_HISTORY: file };
      const first = session({ isTty: true });
      const done = runSqlClient(['--url', stub.url], first.io, env);
      first.stdin.write("SELECT 'a\\b'\n  FROM t;\nSELECT 'two';\n");
      await waitFor(() => stub.statements.length === 2, 'two statements');
      first.stdin.end();
      assert.equal(await done, 0);
      assert.equal(await readFile(file, 'utf8'), "SELECT 'a\\\\b'\\n  FROM t;\nSELECT 'two';\n");

      // A second session at a terminal: the up arrow twice brings back the first statement, both its lines.
      const second = session({ isTty: true, terminal: true });
      const again = runSqlClient(['--url', stub.url], second.io, env);
      second.stdin.write('\x1b[A\x1b[A\r');
      await waitFor(() => stub.statements.length === 3, 'the recalled statement');
      assert.equal(stub.statements[2], "SELECT 'a\\b'\n  FROM t;");
      second.stdin.end();
      assert.equal(await again, 0);
    });

    it('keeps what is typed while a statement runs, with the cursor where it was', async () => {
      const s = session({ isTty: true, terminal: true });
      const done = runSqlClient(['--url', stub.url], s.io, {});
      s.stdin.write('SELECT sleep;\r');
      await waitFor(() => stub.statements.length === 1, 'the slow statement');
      s.stdin.write("SELECT 'typed");
      await waitFor(() => s.stdout.text.includes('1 row'), 'the slow result');
      // The echo of the typed text is wiped before the result, then the text is shown again after the prompt.
      const output = s.stdout.text;
      assert.ok(output.includes(`SELECT 'typed\r\x1b[Ks\n${'-'.repeat(12)}\nSELECT sleep\n1 row\n`), output);
      // …with the cursor at its end (column 23), where it was, not back at the start of the line (column 10).
      assert.ok(output.endsWith("freshet> SELECT 'typed\x1b[23G"), JSON.stringify(output.slice(-80)));
      s.stdin.write(" meanwhile';\r");
      await waitFor(() => stub.statements.length === 2, 'the next statement');
      assert.equal(stub.statements[1], "SELECT 'typed meanwhile';");
      s.stdin.end();
      assert.equal(await done, 0);
    });

    it('says so when Ctrl-D discards an unfinished statement', async () => {
      const s = session({ isTty: true });
      const done = runSqlClient(['--url', stub.url], s.io, {});
      s.stdin.write('SELECT *\n  FROM t\n');
      await sleep(50);
      s.stdin.end();
      assert.equal(await done, 0);
      assert.match(s.stdout.text, /unfinished statement \(no closing ;\) was discarded/);
      assert.equal(stub.statements.length, 0);
    });
  });

  describe('--version and --help', () => {
    const { version } = require('../../package.json') as { version: string };

    it('prints the version', async () => {
      const { code, out } = await run(['--version']);
      assert.equal(code, 0);
      assert.equal(out, `freshet ${version}\n`);
    });

    it('lists the options and environment variables', async () => {
      const { code, out } = await run(['--help']);
      assert.equal(code, 0);
      for (const word of ['--format', '--on-error', '--version', 'FRESHET_URL', 'FRESHET_TOKEN', 'FRESHET_HISTORY']) {
        assert.ok(out.includes(word), word);
      }
    });

    it('documents in README.md every environment variable the client reads', async () => {
      const readme = await readFile(join(__dirname, '../../README.md'), 'utf8');
      for (const name of ['FRESHET_URL', 'FRESHET_TOKEN', 'FRESHET_HISTORY']) assert.ok(readme.includes(name), name);
    });
  });
});

describe('freshet --help and --version for every command', () => {
  const main = join(__dirname, '../src/cli/main.js');
  const freshet = (...args: string[]) => execFileSync(process.execPath, [main, ...args], { encoding: 'utf8' });

  it('prints the version', () => {
    const { version } = require('../../package.json') as { version: string };
    assert.equal(freshet('--version'), `freshet ${version}\n`);
  });

  for (const command of ['start', 'config']) {
    it(`${command} --help lists its options and the environment variables README.md documents`, async () => {
      const out = freshet(command, '--help');
      assert.match(out, new RegExp(`^Usage: freshet ${command} `));
      const readme = await readFile(join(__dirname, '../../README.md'), 'utf8');
      const listed: string[] = out.slice(out.indexOf('Environment variables')).match(/FRESHET_[A-Z_]+/g) ?? [];
      assert.ok(listed.includes('FRESHET_CONFIG') && listed.includes('FRESHET_PORT'), out);
      for (const name of listed) assert.ok(readme.includes(`\`${name}\``), `README.md documents ${name}`);
    });
  }
});

describe('SHOW TABLES and DESCRIBE name in the parser', () => {
  for (const [text, kind] of [
    ['SHOW TABLES', 'showTables'],
    ["show tables like 'o%'", 'showTables'],
    ['DESCRIBE orders', 'describeTable'],
    ['DESC TABLE main.orders', 'describeTable'],
    ['DESCRIBE "my table"', 'describeTable'],
    ['DESCRIBE DYNAMIC TABLE spend', 'describeDynamicTable'],
    ['SHOW TABLES FROM other', 'passthrough'],
    ['SHOW FULL TABLES', 'passthrough'],
    ['DESCRIBE orders id', 'passthrough'],
    ['DESCRIBE SELECT 1', 'passthrough'],
  ] as const) {
    it(`reads ${text} as ${kind}`, () => {
      assert.equal(parseScript(text)[0]?.kind, kind);
    });
  }
});

/** `SHOW TABLES` and `DESCRIBE name` through the REST surface, the same on every engine. */
describe('SHOW TABLES and DESCRIBE on every engine', function () {
  this.timeout(60_000);
  let gw: TestGateway;
  let flink: FlinkGatewayFake;
  const databases: ThrowawayDatabase[] = [];

  before(async () => {
    const pg = await createDatabase('postgres');
    const my = await createDatabase('mysql');
    databases.push(pg, my);
    flink = await FlinkGatewayFake.start({ jobDurationMs: 20 });
    flink.createTable('orders', [
      { name: 'id', type: 'INT', nullable: false },
      { name: 'amount', type: 'INT' },
    ]);
    gw = await TestGateway.start({
      catalogs: { pg: { url: pg.url }, my: { url: my.url }, stream: { url: `flink:${flink.url}` } },
    });
  });

  after(async () => {
    await gw?.close();
    await flink?.close();
    for (const db of databases) await db.drop();
  });

  const inCatalog = async (catalog: string, statement: string) => {
    const res = await gw.request('POST', '/v3/statements', { statement, catalog });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    return res.body.results as Array<{ columns: string[]; rows: unknown[][]; message?: string }>;
  };

  for (const catalog of ['default', 'pg', 'my', 'stream']) {
    it(`answers alike on ${catalog}, dynamic tables marked and internal tables hidden`, async () => {
      if (catalog !== 'stream') {
        await inCatalog(catalog, 'CREATE TABLE orders (id INT NOT NULL PRIMARY KEY, amount INT)');
        await inCatalog(catalog, 'INSERT INTO orders VALUES (1, 10), (2, 20)');
      }
      await inCatalog(
        catalog,
        "CREATE DYNAMIC TABLE big_orders FRESHNESS = INTERVAL '1' HOUR AS SELECT id, amount FROM orders",
      );

      const [shown] = await inCatalog(catalog, 'SHOW TABLES');
      assert.deepEqual(shown?.columns, ['database', 'name', 'type']);
      const byName = new Map(shown?.rows.map((r) => [r[1], r[2]]));
      assert.equal(byName.get('orders'), 'TABLE');
      assert.equal(byName.get('big_orders'), 'DYNAMIC TABLE');
      assert.ok(!shown?.rows.some((r) => String(r[1]).startsWith('__freshet')), JSON.stringify(shown?.rows));

      const [liked] = await inCatalog(catalog, "SHOW TABLES LIKE 'big%'");
      assert.deepEqual(
        liked?.rows.map((r) => r[1]),
        ['big_orders'],
      );

      const [described] = await inCatalog(catalog, 'DESCRIBE orders');
      assert.deepEqual(described?.columns, ['name', 'type', 'nullable', 'primary_key']);
      assert.deepEqual(
        described?.rows.map((r) => r[0]),
        ['id', 'amount'],
      );
      assert.match(described?.message ?? '', /plain table/);

      const [dynamic] = await inCatalog(catalog, 'DESC TABLE big_orders');
      assert.ok(dynamic?.columns.includes('partition_key'));
      assert.match(dynamic?.message ?? '', /FULL refresh|refresh/);

      const missing = await gw.request('POST', '/v3/statements', { statement: 'DESCRIBE nowhere', catalog });
      assert.equal(missing.status, 404);
      assert.match(missing.body.error.message, /nowhere does not exist/);
    });
  }

  it('describes an internal table as missing', async () => {
    const missing = await gw.request('POST', '/v3/statements', { statement: 'DESCRIBE __freshet_watermarks' });
    assert.equal(missing.status, 404);
  });
});
