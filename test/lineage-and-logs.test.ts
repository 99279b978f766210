import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { type ConfigInput, loadConfig } from '../src/config/config';
import { type Gateway, startGateway } from '../src/gateway';
import { createLogger } from '../src/logger';
import { TestGateway } from './helpers/gateway';
import { waitUntil } from './helpers/wait';

const A = 'default.main.a';
const B = 'default.main.b';
const C = 'default.main.c';
const ORDERS = 'default.main.orders';
const REGIONS = 'default.main.regions';

interface Lineage {
  nodes: Array<{
    id: string;
    kind: string;
    catalog: string;
    status?: string;
    freshness?: string;
    validThrough?: string;
  }>;
  edges: Array<{ from: string; to: string }>;
}

const sortedEdges = (edges: Lineage['edges']) => edges.map((e) => `${e.from} -> ${e.to}`).sort();

describe('dependency graph: upstream, downstream and lineage over REST', () => {
  let gw: TestGateway;
  before(async () => {
    gw = await TestGateway.start();
    // orders → a → b → c, and b also reads the source regions.
    await gw.sql(`CREATE TABLE orders (id INTEGER PRIMARY KEY, region TEXT, amount REAL);
      CREATE TABLE regions (region TEXT PRIMARY KEY, name TEXT);
      CREATE TABLE lonely (x INTEGER);
      INSERT INTO orders (region, amount) VALUES ('n', 1), ('s', 2), ('n', 3);
      INSERT INTO regions VALUES ('n', 'North'), ('s', 'South');
      CREATE DYNAMIC TABLE a FRESHNESS = INTERVAL '1' HOUR AS SELECT region, SUM(amount) AS total FROM orders GROUP BY region;
      CREATE DYNAMIC TABLE b FRESHNESS = INTERVAL '1' HOUR
        AS SELECT r.name, a.total FROM a JOIN regions r ON r.region = a.region;
      CREATE DYNAMIC TABLE c FRESHNESS = INTERVAL '1' HOUR AS SELECT MAX(total) AS top FROM b`);
  });
  after(() => gw.close());

  const lineage = async (query: string) => gw.request<Lineage>('GET', `/v3/lineage?${query}`);

  it('lists direct upstream and downstream neighbours of a table, each with its kind', async () => {
    const b = await gw.table('b');
    assert.deepEqual(b.upstream, [
      { id: A, kind: 'dynamic' },
      { id: REGIONS, kind: 'source' },
    ]);
    assert.deepEqual(b.downstream, [{ id: C, kind: 'dynamic' }]);
    const a = await gw.table(A);
    assert.deepEqual(a.upstream, [{ id: ORDERS, kind: 'source' }]);
    assert.deepEqual(a.downstream, [{ id: B, kind: 'dynamic' }]);
    const c = await gw.table('c');
    assert.deepEqual(c.upstream, [{ id: B, kind: 'dynamic' }]);
    assert.deepEqual(c.downstream, []);
  });

  it('DESCRIBE shows the neighbours too', async () => {
    const [described] = await gw.sql('DESCRIBE DYNAMIC TABLE b');
    assert.match(described.message, /reads 2, read by 1(;|$)/);
    assert.deepEqual(described.table.downstream, [{ id: C, kind: 'dynamic' }]);
  });

  it('walks both directions up to the default depth, each node and edge once, with status and freshness', async () => {
    const res = await lineage('table=b');
    assert.equal(res.status, 200);
    assert.deepEqual(
      res.body.nodes.map((n) => n.id),
      [B, A, REGIONS, ORDERS, C],
    );
    assert.deepEqual(sortedEdges(res.body.edges), [
      `${A} -> ${B}`,
      `${B} -> ${C}`,
      `${ORDERS} -> ${A}`,
      `${REGIONS} -> ${B}`,
    ]);
    const a = res.body.nodes.find((n) => n.id === A);
    assert.equal(a?.kind, 'dynamic');
    assert.equal(a?.catalog, 'default');
    assert.equal(a?.status, 'ACTIVATED');
    assert.equal(a?.freshness, "INTERVAL '1' HOUR");
    assert.ok(a?.validThrough, 'a was refreshed at CREATE');
    assert.deepEqual(
      res.body.nodes.find((n) => n.id === ORDERS),
      { id: ORDERS, kind: 'source', catalog: 'default' },
    );
  });

  it('stops at the depth asked for, and never goes sideways', async () => {
    const one = await lineage('table=a&depth=1');
    assert.deepEqual(
      one.body.nodes.map((n) => n.id),
      [A, ORDERS, B],
    );
    assert.deepEqual(sortedEdges(one.body.edges), [`${A} -> ${B}`, `${ORDERS} -> ${A}`]);

    const zero = await lineage('table=a&depth=0');
    assert.deepEqual(
      zero.body.nodes.map((n) => n.id),
      [A],
    );
    assert.deepEqual(zero.body.edges, []);

    const up = await lineage(`table=${encodeURIComponent(C)}&depth=2`);
    assert.deepEqual(
      up.body.nodes.map((n) => n.id),
      [C, B, A, REGIONS],
    );

    // From a source, downstream only: regions is another source of b, not reached by walking down.
    const fromSource = await lineage('table=orders&depth=10');
    assert.deepEqual(
      fromSource.body.nodes.map((n) => n.id),
      [ORDERS, A, B, C],
    );
    assert.deepEqual(sortedEdges(fromSource.body.edges), [`${A} -> ${B}`, `${B} -> ${C}`, `${ORDERS} -> ${A}`]);
  });

  it('shows a plain table nobody reads alone, and answers 404 for a table that does not exist', async () => {
    const lonely = await lineage('table=lonely');
    assert.equal(lonely.status, 200);
    assert.deepEqual(lonely.body, {
      nodes: [{ id: 'default.main.lonely', kind: 'source', catalog: 'default' }],
      edges: [],
    });

    const missing = await lineage('table=nope');
    assert.equal(missing.status, 404);
    assert.equal((missing.body as any).error.code, 'NOT_FOUND');
    assert.match((missing.body as any).error.message, /default\.main\.nope does not exist/);
    assert.equal((await gw.request('GET', '/v3/dynamic-tables/nope')).status, 404);
  });

  it('refuses bad parameters with 400 naming the parameter', async () => {
    for (const query of ['table=a&depth=11', 'table=a&depth=-1', 'table=a&depth=two', 'table=a&depth=1.5']) {
      const res = await lineage(query);
      assert.equal(res.status, 400, query);
      assert.equal((res.body as any).error.code, 'VALIDATION_ERROR');
      assert.match((res.body as any).error.message, /depth/, query);
    }
    const twice = await lineage('table=a&depth=1&depth=2');
    assert.equal(twice.status, 400);
    assert.match((twice.body as any).error.message, /depth/);
    const noTable = await lineage('depth=1');
    assert.equal(noTable.status, 400);
    assert.match((noTable.body as any).error.message, /table is required/);
    const typo = await lineage('table=a&dept=1');
    assert.equal(typo.status, 400);
    assert.match((typo.body as any).error.message, /dept/);
  });

  it('is readable with a read-scoped token', async () => {
    const token = 'reader-token-0123456789';
    const authed = await TestGateway.start({ auth: { tokens: [{ token, scopes: ['read'] }] } });
    try {
      const res = await authed.request('GET', '/v3/lineage?table=x', undefined, { authorization: `Bearer ${token}` });
      assert.equal(res.status, 404, 'allowed through auth; the table does not exist');
      const anonymous = await authed.request('GET', '/v3/lineage?table=x');
      assert.equal(anonymous.status, 401);
    } finally {
      await authed.close();
    }
  });
});

/** A gateway whose log lines are collected, with the logger built from the configuration as the gateway's own. */
async function loggedGateway(overrides: ConfigInput) {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'freshet-logs-'));
  const config = loadConfig({ env: {}, overrides: { ...overrides, dataDir, server: { port: 0 } } });
  const lines: string[] = [];
  const gateway: Gateway = await startGateway(
    config,
    createLogger(config.logLevel, (l) => lines.push(l), config.logFormat),
  );
  const request = async (method: string, route: string, body?: unknown) => {
    const res = await fetch(`${gateway.url}${route}`, {
      method,
      headers: { 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: res.status, body: (await res.json()) as any };
  };
  const sql = (statement: string) => request('POST', '/v3/statements', { statement });
  const close = async () => {
    await gateway.close();
    rmSync(dataDir, { recursive: true, force: true });
  };
  return { lines, request, sql, close };
}

describe('logs an operator can follow', () => {
  it('json: one line per refresh, per DDL, per start and stop, and request timing at debug', async () => {
    const gw = await loggedGateway({ logLevel: 'debug', logFormat: 'json' });
    const parsed = () => gw.lines.map((l) => JSON.parse(l) as Record<string, any>);
    try {
      assert.ok(parsed().some((l) => l.message === 'Freshet gateway listening' && l.level === 'info'));
      await gw.sql(`CREATE TABLE src (k TEXT, v INTEGER); INSERT INTO src VALUES ('a', 1), ('b', 2);
        CREATE DYNAMIC TABLE t FRESHNESS = INTERVAL '1' HOUR AS SELECT k, v FROM src`);
      const created = await waitUntil(() => parsed().find((l) => l.message === 'ddl' && l.statement === 'CREATE'));
      assert.equal(created.level, 'info');
      assert.equal(created.table, 'default.main.t');
      assert.equal(created.outcome, 'OK');
      assert.equal(typeof created.durationMs, 'number');
      const initial = await waitUntil(() => parsed().find((l) => l.message === 'refresh' && l.trigger === 'CREATION'));
      assert.equal(initial.table, 'default.main.t');
      assert.equal(initial.action, 'FULL');
      assert.equal(initial.rows, 2);
      assert.equal(typeof initial.durationMs, 'number');
      assert.match(initial.dataTimestamp, /^\d{4}-\d\d-\d\dT/);

      const res = await gw.request('POST', '/v3/dynamic-tables/refresh?wait=30', {
        tables: ['t'],
        scheduleTime: '2024-06-01 10:00:00',
        isPeriodic: true,
      });
      assert.equal(res.status, 200);
      const scheduled = await waitUntil(() =>
        parsed().find((l) => l.message === 'refresh' && l.job === res.body.jobId),
      );
      assert.equal(scheduled.dataTimestamp, '2024-06-01T10:00:00.000Z');
      assert.equal(scheduled.trigger, res.body.job.trigger);

      const refused = await gw.sql('CREATE DYNAMIC TABLE bad AS SELECT * FROM missing_source');
      assert.equal(refused.status >= 400, true);
      const failed = await waitUntil(() => parsed().find((l) => l.message === 'ddl' && l.outcome === 'FAILED'));
      assert.equal(failed.level, 'warn');
      assert.equal(failed.table, 'bad');
      assert.match(failed.error, /missing_source/);

      await gw.sql('ALTER DYNAMIC TABLE t SUSPEND; DROP DYNAMIC TABLE t');
      const later = parsed()
        .filter((l) => l.message === 'ddl')
        .map((l) => [l.statement, l.action ?? null, l.outcome]);
      assert.deepEqual(later.slice(-2), [
        ['ALTER', 'SUSPEND', 'OK'],
        ['DROP', null, 'OK'],
      ]);

      const timing = parsed().find((l) => l.message === 'request' && l.path === '/v3/dynamic-tables/refresh');
      assert.ok(timing, 'request timing is logged at debug level');
      assert.equal(timing.level, 'debug');
      assert.equal(timing.method, 'POST');
      assert.equal(timing.status, 200);
      assert.equal(typeof timing.durationMs, 'number');
    } finally {
      await gw.close();
    }
    assert.ok(parsed().some((l) => l.message === 'Freshet gateway stopped'));
  });

  it('pretty: a human line per event, and no request timing above debug level', async () => {
    const gw = await loggedGateway({ logLevel: 'info', logFormat: 'pretty' });
    try {
      await gw.sql(`CREATE TABLE src (k TEXT, v INTEGER); INSERT INTO src VALUES ('a', 1), ('b', 2), ('c', 3);
        CREATE DYNAMIC TABLE t FRESHNESS = INTERVAL '1' HOUR AS SELECT k, v FROM src`);
      const refresh = await waitUntil(() => gw.lines.find((l) => / INFO refresh /.test(l)));
      assert.match(
        refresh,
        /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ INFO refresh default\.main\.t CREATION FULL 3 rows \d+ ms data \d{4}-\S+ job=\S+\n$/,
      );
      const ddl = gw.lines.find((l) => / INFO ddl /.test(l));
      assert.match(ddl ?? '', /^\S+Z INFO ddl CREATE default\.main\.t OK \d+ ms /);
      assert.ok(gw.lines.some((l) => / INFO Freshet gateway listening url=http/.test(l)));
      assert.ok(!gw.lines.some((l) => / request /.test(l)), 'request timing only at debug level');
      assert.ok(
        gw.lines.every((l) => !l.startsWith('{')),
        'no JSON lines in the pretty format',
      );
    } finally {
      await gw.close();
    }
  });

  it('reads the format from FRESHET_LOG_FORMAT and refuses an unknown one', () => {
    assert.equal(loadConfig({ env: { FRESHET_LOG_FORMAT: 'pretty' } }).logFormat, 'pretty');
    assert.equal(loadConfig({ env: {} }).logFormat, 'json');
    assert.throws(() => loadConfig({ env: { FRESHET_LOG_FORMAT: 'xml' } }), /logFormat/);
  });
});
