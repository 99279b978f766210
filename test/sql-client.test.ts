import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import type { Server } from 'node:http';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import express from 'express';
import { runSqlClient, type ClientIo } from '../src/cli/sql-client';
import { splitStatements } from '../src/sql/splitter';
import { sleep, waitUntil } from './helpers/wait';

interface RecordedRequest {
  readonly statement: string;
  readonly authorization: string | undefined;
}

interface FakeGateway {
  readonly url: string;
  readonly requests: RecordedRequest[];
  close(): Promise<void>;
}

type Result =
  | { kind: 'rows'; columns: string[]; rows: unknown[][]; truncated?: boolean }
  | { kind: 'ok'; message: string; table?: string; jobId?: string };

interface StatementFailure {
  readonly code: string;
  readonly status: number;
  readonly message: string;
  /** Offset in the statement of the offending text; the fake turns it into line/column of the whole request. */
  readonly at?: number;
}

/** The canned behaviour of the fake gateway, keyed by how a statement starts. */
function answer(statement: string): Result | StatementFailure {
  if (/^select\s+\*\s+from\s+orders\b/i.test(statement)) {
    return {
      kind: 'rows',
      columns: ['id', 'customer', 'amount'],
      rows: [
        [1, 'alice', 12.5],
        [20, 'bob', null],
        [300, 'carol', 7],
      ],
    };
  }
  if (/^select '/i.test(statement)) {
    const literal = /^select '([^']*)'/i.exec(statement)?.[1] ?? '';
    return { kind: 'rows', columns: ['s'], rows: [[literal]] };
  }
  if (/^select\s+\*\s+from\s+events\b/i.test(statement)) {
    return {
      kind: 'rows',
      columns: ['id', 'note', 'payload'],
      rows: [
        [1, null, { a: 1, b: [true, null] }],
        [2, 'line one\nline two', 'x'.repeat(80)],
      ],
      truncated: true,
    };
  }
  if (/^create dynamic table/i.test(statement)) {
    return { kind: 'ok', message: 'Dynamic table daily_orders created.', table: 'daily_orders' };
  }
  if (/^alter dynamic table \w+ refresh/i.test(statement)) {
    return { kind: 'ok', message: 'Refresh started.', table: 'daily_orders', jobId: 'job-42' };
  }
  const misspelt = /\bFORM\b/.exec(statement);
  if (misspelt !== null) {
    return { code: 'PARSE_ERROR', status: 400, message: "unexpected 'FORM'", at: misspelt.index };
  }
  if (/^drop dynamic table missing/i.test(statement)) {
    return { code: 'NOT_FOUND', status: 404, message: 'Dynamic table missing does not exist.' };
  }
  return { code: 'PARSE_ERROR', status: 400, message: `the fake gateway does not know: ${statement}`, at: 0 };
}

function positionOf(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset).split('\n');
  return { line: before.length, column: (before[before.length - 1] ?? '').length + 1 };
}

async function startFakeGateway(options: { token?: string } = {}): Promise<FakeGateway> {
  const requests: RecordedRequest[] = [];
  const app = express();
  app.use(express.json());
  app.post('/v3/statements', (req, res) => {
    const authorization = req.get('authorization');
    const body = req.body as { statement?: unknown };
    requests.push({ statement: String(body.statement), authorization });
    if (options.token !== undefined && authorization !== `Bearer ${options.token}`) {
      res.status(401).json({ error: { code: 'UNAUTHORIZED', message: 'A valid bearer token is required.' } });
      return;
    }
    if (typeof body.statement !== 'string') {
      res.status(400).json({ error: { code: 'VALIDATION_ERROR', message: 'statement must be a string' } });
      return;
    }
    const text = body.statement;
    const results: Result[] = [];
    for (const [index, piece] of splitStatements(text).entries()) {
      // Leading comments stay in a split statement; the canned answers look past them.
      const statement = piece.text.replace(/^(?:--[^\n]*\n\s*)+/, '');
      const outcome = answer(statement);
      if ('kind' in outcome) {
        results.push(outcome);
        continue;
      }
      const position =
        outcome.at === undefined
          ? {}
          : positionOf(text, piece.position.offset + piece.text.length - statement.length + outcome.at);
      const details = index > 0 ? { statementIndex: index, results } : undefined;
      res
        .status(outcome.status)
        .json({ error: { code: outcome.code, message: outcome.message, ...position, details } });
      return;
    }
    res.json({ results });
  });

  const server: Server = await new Promise((resolve) => {
    const listening = app.listen(0, '127.0.0.1', () => resolve(listening));
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () => new Promise((resolve, reject) => server.close((error) => (error ? reject(error) : resolve()))),
  };
}

class Collector extends Writable {
  private chunks: string[] = [];

  override _write(chunk: Buffer | string, _encoding: BufferEncoding, callback: () => void): void {
    this.chunks.push(chunk.toString());
    callback();
  }

  get text(): string {
    return this.chunks.join('');
  }
}

interface Session {
  readonly stdin: PassThrough;
  readonly stdout: Collector;
  readonly stderr: Collector;
  readonly io: ClientIo;
}

function session(isTty = false): Session {
  const stdin = new PassThrough();
  const stdout = new Collector();
  const stderr = new Collector();
  return { stdin, stdout, stderr, io: { stdin, stdout, stderr, isTty } };
}

/** Runs `freshet sql` with no environment, so a developer's FRESHET_* variables cannot leak into a test. */
async function run(argv: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; out: string; err: string }> {
  const s = session();
  s.stdin.end();
  const code = await runSqlClient(argv, s.io, env);
  return { code, out: s.stdout.text, err: s.stderr.text };
}

const waitFor = (condition: () => boolean, what: string) =>
  waitUntil(condition, { timeoutMs: 2000, intervalMs: 5, what });

const settle = () => sleep(50);

async function unusedPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

describe('freshet sql', () => {
  let gateway: FakeGateway;

  beforeEach(async () => {
    gateway = await startFakeGateway();
  });

  afterEach(async () => {
    await gateway.close();
  });

  describe('-e', () => {
    it('sends several statements as one request and prints every result', async () => {
      const text =
        "CREATE DYNAMIC TABLE daily_orders FRESHNESS = INTERVAL '1' HOUR AS SELECT * FROM orders;\n" +
        'SELECT * FROM orders;';
      const { code, out, err } = await run(['--url', gateway.url, '-e', text]);

      assert.equal(code, 0);
      assert.equal(err, '');
      assert.deepEqual(
        gateway.requests.map((r) => r.statement),
        [text],
      );
      assert.match(out, /^Dynamic table daily_orders created\.\n\n/);
      assert.match(out, /carol/);
      assert.match(out, /3 rows\n$/);
    });

    it('prints rows as an aligned table with numbers right-aligned', async () => {
      const { code, out } = await run(['--url', gateway.url, '-e', 'SELECT * FROM orders;']);

      assert.equal(code, 0);
      assert.deepEqual(out.split('\n'), [
        ' id | customer | amount',
        '----+----------+-------',
        '  1 | alice    |   12.5',
        ' 20 | bob      |   NULL',
        '300 | carol    |      7',
        '3 rows',
        '',
      ]);
    });

    it('shows NULL, compact JSON, escaped newlines, long cells whole and the truncation note', async () => {
      const { code, out } = await run(['--url', gateway.url, '-e', 'SELECT * FROM events']);

      assert.equal(code, 0);
      // Not a terminal: nothing is cut or wrapped (see sql-client-psql.test.ts for wrapping).
      const long = 'x'.repeat(80);
      assert.deepEqual(out.split('\n'), [
        `id | note               | payload`,
        `---+--------------------+-${'-'.repeat(80)}`,
        ` 1 | NULL               | {"a":1,"b":[true,null]}`,
        ` 2 | line one\\nline two | ${long}`,
        '2 rows',
        '(truncated at 2 rows)',
        '',
      ]);
    });

    it('names the refresh job of an acknowledgement', async () => {
      const { out } = await run(['--url', gateway.url, '-e', 'ALTER DYNAMIC TABLE daily_orders REFRESH']);
      assert.equal(out, 'Refresh started. (job job-42)\n');
    });

    it('prints a gateway error with its line and column to stderr and exits 1', async () => {
      const { code, out, err } = await run(['--url', gateway.url, '-e', 'SELECT id\nFORM orders;']);

      assert.equal(code, 1);
      assert.equal(out, '');
      assert.equal(err, "ERROR [PARSE_ERROR] (line 2, column 1): unexpected 'FORM'\n");
    });

    it('leaves out the position when the gateway does not know it', async () => {
      const { code, err } = await run(['--url', gateway.url, '-e', 'DROP DYNAMIC TABLE missing']);

      assert.equal(code, 1);
      assert.equal(err, 'ERROR [NOT_FOUND]: Dynamic table missing does not exist.\n');
    });

    it('prints the results of the statements before a failing one, then the error', async () => {
      const text = "SELECT 'first';\nSELECT * FROM orders;\n  SELECT * FORM orders;\nSELECT 'never';";
      const { code, out, err } = await run(['--url', gateway.url, '-e', text]);

      assert.equal(code, 1);
      assert.match(out, /^s\n-----\nfirst\n1 row\n\n id \| customer/);
      assert.match(out, /3 rows\n$/);
      assert.doesNotMatch(out, /never/);
      assert.equal(err, "ERROR [PARSE_ERROR] (line 3, column 12): unexpected 'FORM'\n");
    });
  });

  describe('-f', () => {
    let dir: string;

    beforeEach(async () => {
      dir = await mkdtemp(join(tmpdir(), 'freshet-sql-'));
    });

    afterEach(async () => {
      await rm(dir, { recursive: true, force: true });
    });

    it("sends the file's text as one request", async () => {
      const file = join(dir, 'setup.sql');
      const text = "-- nightly set-up\nSELECT 'from a file';\nSELECT * FROM orders;\n";
      await writeFile(file, text);

      const { code, out } = await run(['--url', gateway.url, '-f', file]);

      assert.equal(code, 0);
      assert.deepEqual(
        gateway.requests.map((r) => r.statement),
        [text],
      );
      assert.match(out, /^s\n-+\nfrom a file\n1 row\n/);
    });

    it('reports a missing file and exits 2 without calling the gateway', async () => {
      const file = join(dir, 'nope.sql');
      const { code, err } = await run(['--url', gateway.url, '-f', file]);

      assert.equal(code, 2);
      assert.match(err, new RegExp(`cannot read ${file.replace(/[\\^$.*+?()[\]{}|/]/g, '\\$&')}: no such file`));
      assert.equal(gateway.requests.length, 0);
    });
  });

  describe('usage', () => {
    for (const [why, argv] of [
      ['both -e and -f', ['-e', 'SELECT 1;', '-f', 'x.sql']],
      ['an unknown option', ['--verbose']],
      ['an option without its value', ['--url']],
      ['a stray argument', ['SELECT 1;']],
      ['a URL that is not http', ['--url', 'ftp://example.com', '-e', 'SELECT 1;']],
      ['an empty -e', ['-e', '  ']],
    ] as const) {
      it(`rejects ${why} with exit code 2`, async () => {
        const { code, out, err } = await run([...argv]);

        assert.equal(code, 2);
        assert.equal(out, '');
        assert.match(err, /^freshet sql: .+\nRun 'freshet sql --help' for usage\.\n$/);
        assert.equal(gateway.requests.length, 0);
      });
    }

    it('prints the usage for --help and exits 0', async () => {
      const { code, out } = await run(['--help']);

      assert.equal(code, 0);
      assert.match(out, /^Usage: freshet sql /);
      assert.match(out, /--token TOKEN/);
    });
  });

  describe('tokens and addresses', () => {
    it('sends --token as a bearer token', async () => {
      const secured = await startFakeGateway({ token: 's3cret' });
      try {
        const { code } = await run(['--url', secured.url, '--token', 's3cret', '-e', "SELECT 'hi';"]);

        assert.equal(code, 0);
        assert.equal(secured.requests[0]?.authorization, 'Bearer s3cret');
      } finally {
        await secured.close();
      }
    });

    it('takes the URL and token from FRESHET_URL and FRESHET_TOKEN', async () => {
      const secured = await startFakeGateway({ token: 'from-env' });
      try {
        const { code } = await run(['-e', "SELECT 'hi';"], {
          FRESHET_URL: `${secured.url}/`,
          FRESHET_TOKEN: 'from-env',
        });

        assert.equal(code, 0);
        assert.equal(secured.requests[0]?.authorization, 'Bearer from-env');
      } finally {
        await secured.close();
      }
    });

    it('explains a 401 when no token was given', async () => {
      const secured = await startFakeGateway({ token: 's3cret' });
      try {
        const { code, err } = await run(['--url', secured.url, '-e', "SELECT 'hi';"]);

        assert.equal(code, 1);
        assert.equal(secured.requests[0]?.authorization, undefined);
        assert.match(err, /^ERROR \[UNAUTHORIZED\]: A valid bearer token is required\.\n/);
        assert.match(err, /--token TOKEN or set FRESHET_TOKEN/);
      } finally {
        await secured.close();
      }
    });

    it('names the URL and how to start the gateway when nothing listens there', async () => {
      const url = `http://127.0.0.1:${await unusedPort()}`;
      const { code, out, err } = await run(['--url', url, '-e', 'SELECT 1;']);

      assert.equal(code, 1);
      assert.equal(out, '');
      assert.ok(err.includes(`cannot reach the Freshet gateway at ${url}`), err);
      assert.match(err, /ECONNREFUSED/);
      assert.match(err, /npm start/);
      assert.match(err, /--url/);
    });

    it('reports a server that is not a Freshet gateway', async () => {
      const { code, err } = await run(['--url', `${gateway.url}/elsewhere`, '-e', 'SELECT 1;']);

      assert.equal(code, 1);
      assert.match(err, /^ERROR \[UNEXPECTED_RESPONSE\]: .*answered HTTP 404/);
    });
  });

  describe('interactive', () => {
    it('sends a statement typed over three lines once, after the line that ends it', async () => {
      const s = session(true);
      const done = runSqlClient(['--url', gateway.url], s.io, {});

      s.stdin.write('SELECT *\n');
      s.stdin.write('  FROM\n');
      await settle();
      assert.equal(gateway.requests.length, 0);
      assert.ok(s.stdout.text.includes('      -> '), 'shows the continuation prompt');

      s.stdin.write('  orders;\n');
      await waitFor(() => s.stdout.text.includes('3 rows'), 'the result');
      assert.deepEqual(
        gateway.requests.map((r) => r.statement),
        ['SELECT *\n  FROM\n  orders;'],
      );

      s.stdin.write('quit\n');
      assert.equal(await done, 0);
      assert.match(s.stdout.text, new RegExp(`^Freshet SQL client, gateway ${gateway.url}\\. Type help .*quit`));
      assert.match(s.stdout.text, /freshet> $/);
    });

    it('does not end a statement at a ; inside a string literal', async () => {
      const s = session(true);
      const done = runSqlClient(['--url', gateway.url], s.io, {});

      s.stdin.write("SELECT 'a;\n");
      s.stdin.write("b';\n");
      await waitFor(() => gateway.requests.length === 1, 'the request');
      assert.equal(gateway.requests[0]?.statement, "SELECT 'a;\nb';");

      s.stdin.write('exit;\n');
      assert.equal(await done, 0);
    });

    it('keeps going after an error, prints help, and ends at end of input with 0', async () => {
      const s = session(true);
      const done = runSqlClient(['--url', gateway.url], s.io, {});

      s.stdin.write('SELECT id FORM orders;\n');
      await waitFor(() => s.stderr.text.includes('PARSE_ERROR'), 'the error');
      s.stdin.write('help\n');
      s.stdin.write("SELECT 'still here';\n");
      await waitFor(() => s.stdout.text.includes('still here'), 'the second result');
      s.stdin.end();

      assert.equal(await done, 0);
      assert.match(s.stdout.text, /ALTER DYNAMIC TABLE name SUSPEND/);
      assert.equal(gateway.requests.length, 2);
    });
  });

  describe('piped stdin', () => {
    it('sends statements as they complete, without prompts, and exits 1 when one failed', async () => {
      const s = session(false);
      s.stdin.end("SELECT 'one';\n\nSELECT id\nFORM orders;\nSELECT 'three'");

      // --on-error continue: the default stops at the failing statement (sql-client-psql.test.ts).
      const code = await runSqlClient(['--url', gateway.url, '--on-error', 'continue'], s.io, {});

      assert.equal(code, 1);
      assert.deepEqual(
        gateway.requests.map((r) => r.statement),
        ["SELECT 'one';", 'SELECT id\nFORM orders;', "SELECT 'three'"],
      );
      assert.doesNotMatch(s.stdout.text, /freshet>/);
      assert.equal(s.stdout.text, 's\n---\none\n1 row\n\ns\n-----\nthree\n1 row\n');
      // The line number counts from the start of the piped input, not of the statement.
      assert.equal(s.stderr.text, "ERROR [PARSE_ERROR] (line 4, column 1): unexpected 'FORM'\n");
    });

    it('exits 0 when every statement succeeded', async () => {
      const s = session(false);
      s.stdin.end('SELECT * FROM orders;\n');

      assert.equal(await runSqlClient(['--url', gateway.url], s.io, {}), 0);
      assert.match(s.stdout.text, /3 rows/);
    });
  });
});
