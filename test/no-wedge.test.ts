/**
 * No request wedges the gateway: each request below once held the event loop for seconds (or forever), or
 * answered 500. Each is sent to a real gateway while /health is polled; /health must keep answering quickly
 * and the request must be answered within 2 s, with a 4xx naming the limit it went past.
 */
import { strict as assert } from 'node:assert';
import { performance } from 'node:perf_hooks';
import { likeMatcher } from '../src/sql/like';
import { analyzeQuery } from '../src/sql/query-analyzer';
import { type HttpResult, TestGateway, sleep } from './helpers/gateway';

const HEALTH_LIMIT_MS = 200;
const POLL_PAUSE_MS = 20;
const ANSWER_LIMIT_MS = 2_000;

interface Probed {
  readonly result: HttpResult;
  readonly elapsedMs: number;
}

/** Sends `statement` while polling /health; asserts /health never stalled and the answer came in time. */
async function probe(gw: TestGateway, statement: string): Promise<Probed> {
  let done = false;
  const stalls: string[] = [];
  const poller = (async () => {
    let last = performance.now();
    while (!done) {
      const started = performance.now();
      const health = await gw.request('GET', '/health');
      const now = performance.now();
      if (health.status !== 200) stalls.push(`/health answered ${health.status}`);
      if (now - started > HEALTH_LIMIT_MS) stalls.push(`/health took ${Math.round(now - started)} ms`);
      // A loop held between two polls shows as a late poll rather than a slow one.
      if (now - last > HEALTH_LIMIT_MS + POLL_PAUSE_MS)
        stalls.push(`no /health answer for ${Math.round(now - last)} ms`);
      last = now;
      await sleep(POLL_PAUSE_MS);
    }
  })();
  await sleep(3 * POLL_PAUSE_MS);
  const started = performance.now();
  const result = await gw.request('POST', '/v3/statements', { statement });
  const elapsedMs = performance.now() - started;
  await sleep(3 * POLL_PAUSE_MS);
  done = true;
  await poller;
  assert.deepEqual(stalls, [], `the gateway stalled while answering: ${statement.slice(0, 80)}…`);
  assert.ok(elapsedMs < ANSWER_LIMIT_MS, `answered after ${Math.round(elapsedMs)} ms`);
  return { result, elapsedMs };
}

/** Probes `statement` and asserts a 400 with `code` whose message matches `message`. */
async function refused(gw: TestGateway, statement: string, code: string, message: RegExp): Promise<any> {
  const { result } = await probe(gw, statement);
  assert.equal(result.status, 400, JSON.stringify(result.body).slice(0, 300));
  assert.equal(result.body.error.code, code);
  assert.match(result.body.error.message, message);
  return result.body.error;
}

const create = (query: string) => `CREATE DYNAMIC TABLE wedge AS ${query}`;
const chain = (term: string, operator: string, count: number) => Array(count).fill(term).join(operator);

describe('no request wedges the gateway', function () {
  this.timeout(60_000);
  let gw: TestGateway;
  before(async () => {
    gw = await TestGateway.start();
    await gw.sql(`CREATE TABLE t (id INTEGER PRIMARY KEY, a INTEGER);
      CREATE DYNAMIC TABLE orders_daily AS SELECT id, a FROM t;
      CREATE DYNAMIC TABLE orders_2 AS SELECT id FROM t`);
  });
  after(() => gw.close());

  describe('SHOW DYNAMIC TABLES LIKE', () => {
    const names = async (pattern: string) => {
      const { result } = await probe(gw, `SHOW DYNAMIC TABLES LIKE '${pattern}'`);
      assert.equal(result.status, 200, JSON.stringify(result.body).slice(0, 300));
      return result.body.results[0].rows.map((row: unknown[]) => row[0]).sort();
    };

    it("answers '%%%%%%%%%%%%!' at once (it backtracked for ever as a regular expression)", async () => {
      assert.deepEqual(await names('%%%%%%%%%%%%!'), []);
      assert.deepEqual(await names(`${'%'.repeat(40)}!`), []);
    });

    it('answers a pattern of 100,000 wildcards (refused as a regular expression: a 500)', async () => {
      assert.deepEqual(await names('%'.repeat(100_000)), ['default.main.orders_2', 'default.main.orders_daily']);
      assert.deepEqual(await names('_'.repeat(100_000)), []);
      assert.deepEqual(await names('%_'.repeat(50_000)), []);
    });

    it('still matches the way LIKE does: % any run, _ one character, case ignored', async () => {
      assert.deepEqual(await names('ORDERS%'), ['default.main.orders_2', 'default.main.orders_daily']);
      assert.deepEqual(await names('orders__'), ['default.main.orders_2']);
      assert.deepEqual(await names('%daily'), ['default.main.orders_daily']);
      assert.deepEqual(await names('%s_d%y'), ['default.main.orders_daily']);
      assert.deepEqual(await names('orders'), []);
    });
  });

  describe('CREATE DYNAMIC TABLE', () => {
    it('refuses unbalanced parentheses at once, pointing at the one left open (16–100 took seconds or for ever)', async () => {
      for (const count of [17, 100]) {
        const statement = create(`SELECT ${'('.repeat(count)}1 FROM t`);
        const error = await refused(gw, statement, 'PARSE_ERROR', /Unbalanced parentheses: this '\(' is never closed/);

        assert.equal(error.line, 1);
        assert.equal(error.column, statement.indexOf('1 FROM'));
      }
      const error = await refused(gw, create('SELECT (1)) FROM t'), 'PARSE_ERROR', /this '\)' closes no '\('/);
      assert.equal(error.column, create('SELECT (1)').length + 1);
    });

    it('refuses parentheses nested deeper than 64', async () => {
      const query = `SELECT ${'('.repeat(65)}1${')'.repeat(65)} FROM t`;
      await refused(gw, create(query), 'VALIDATION_ERROR', /more than 64 deep.*nesting depth of 64/);
      const fine = await gw.sql(`EXPLAIN ${create(`SELECT ${'('.repeat(64)}a${')'.repeat(64)} AS a FROM t`)}`);
      assert.equal(fine[0].kind, 'rows');
    });

    it('refuses 5,000 joins (15 s before) naming the limit of 256 table references', async () => {
      const joins = Array.from({ length: 5_000 }, (_, i) => `JOIN t AS t${i} ON t${i}.id = t.id`).join(' ');
      await refused(gw, create(`SELECT t.id FROM t ${joins}`), 'VALIDATION_ERROR', /256 table references/);
    });

    it('refuses 9,000-term expressions (a 500 from a stack overflow before) naming the limit of 2000', async () => {
      for (const expression of [
        chain('1', '+', 9_000),
        chain('a = 1', ' AND ', 9_000),
        chain('a = 1', ' OR ', 9_000),
        chain("'x'", ' || ', 9_000),
      ]) {
        await refused(gw, create(`SELECT ${expression} AS v FROM t`), 'VALIDATION_ERROR', /limit is 2000 operators/);
      }
    });

    it('answers a query the parser would take seconds over with "too complex", and keeps working', async () => {
      // Balanced and within every limit, but node-sql-parser backtracks exponentially on it.
      const query = `SELECT ${'(SELECT '.repeat(14)}1 FROM${')'.repeat(14)} AS v FROM t`;
      await refused(gw, create(query), 'VALIDATION_ERROR', /too complex to analyse/);
      const [created] = await gw.sql(create('SELECT id, a + 1 AS b FROM t'));
      assert.match(created.message, /SUCCEEDED/);
      await gw.sql('DROP DYNAMIC TABLE wedge');
    });

    it('accepts long expressions within the limits', async () => {
      const [created] = await gw.sql(create(`SELECT id, ${chain('a', ' + ', 900)} AS v FROM t`));
      assert.equal(created.kind, 'ok');
      await gw.sql('DROP DYNAMIC TABLE wedge');
    });
  });

  it('refuses a statement text longer than statements.maxLength', async () => {
    const small = await TestGateway.start({ statements: { maxLength: 1_000 } });
    try {
      const { status, error } = await small.sqlError(`SELECT ${chain('1', '+', 1_000)}`);
      assert.equal(status, 400);
      assert.equal(error.code, 'VALIDATION_ERROR');
      assert.match(error.message, /statements\.maxLength\) is 1000 characters/);
      assert.deepEqual(await small.rows('SELECT 1 + 1'), [[2]]);
    } finally {
      await small.close();
    }
  });
});

describe('query analysis keeps its own stack', () => {
  it('lists the tables of a query whose AST nests thousands deep', () => {
    const text = `SELECT ${chain('a', ' + ', 1_999)} FROM t UNION ALL SELECT b FROM u`;
    const analysis = analyzeQuery({ text, position: { offset: 0, line: 1, column: 1 } }, 'sqlite');
    assert.deepEqual(
      analysis.sourceTables.map((table) => table.parts),
      [['t'], ['u']],
    );
  });

  it('matches LIKE patterns without backtracking', () => {
    const started = performance.now();
    const matcher = likeMatcher(`${'%a'.repeat(5_000)}!`);
    assert.equal(matcher.matches('a'.repeat(5_000)), false);
    assert.ok(performance.now() - started < 1_000);
    assert.equal(likeMatcher('a%b_c').matches('AxxbYc'), true);
    assert.equal(likeMatcher('a%b_c').matches('abc'), false);
    assert.equal(likeMatcher('%').matches(''), true);
    assert.equal(likeMatcher('').matches(''), true);
    assert.equal(likeMatcher('a.b').matches('axb'), false);
  });
});
