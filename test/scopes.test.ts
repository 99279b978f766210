import { strict as assert } from 'node:assert';
import { ConfigError, loadConfig } from '../src/config/config';
import { statementNeed } from '../src/manager/scopes';
import { parseScript } from '../src/sql/ddl-parser';
import { type HttpResult, TestGateway } from './helpers/gateway';

const TOKENS = {
  admin: 'scope-admin-token-0123456789',
  operate: 'scope-operate-token-0123456789',
  read: 'scope-read-token-0123456789',
  metrics: 'scope-metrics-token-0123456789',
  callback: 'scope-callback-token-0123456789',
} as const;

type Who = keyof typeof TOKENS;
const EVERYONE: readonly Who[] = ['admin', 'operate', 'read', 'metrics', 'callback'];

const SETUP = `
CREATE TABLE orders (id INTEGER PRIMARY KEY, customer TEXT NOT NULL, amount REAL);
INSERT INTO orders (customer, amount) VALUES ('ada', 10.5), ('ada', 4.5), ('bob', 7);
CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT);
INSERT INTO notes (id, body) VALUES (1, 'first'), (2, 'second');
CREATE DYNAMIC TABLE spend FRESHNESS = INTERVAL '1' HOUR
  AS SELECT customer, SUM(amount) AS total FROM orders GROUP BY customer;
`;

/** Pass-through and gateway statements a `read` token may run. */
const READS = [
  'SELECT customer, amount FROM orders ORDER BY id',
  "SELECT replace(customer, 'a', 'b') FROM orders WHERE customer <> 'update' AND customer <> 'insert into x'",
  'SELECT "update" FROM (SELECT 1 AS "update")',
  'WITH c AS (SELECT 1 AS x) SELECT x FROM c',
  'VALUES (1, 2)',
  'EXPLAIN QUERY PLAN SELECT * FROM orders',
  'PRAGMA table_info(orders)',
  'SHOW DYNAMIC TABLES',
  "SHOW DYNAMIC TABLES LIKE 'sp%'",
  'SHOW CREATE DYNAMIC TABLE spend',
  'DESCRIBE DYNAMIC TABLE spend',
  'EXPLAIN CREATE DYNAMIC TABLE maybe AS SELECT customer FROM orders',
];

/** Statements that need `admin`, including writes that start like a read. */
const ADMIN_ONLY = [
  'CREATE DYNAMIC TABLE other AS SELECT customer FROM orders',
  "ALTER DYNAMIC TABLE spend SET FRESHNESS = INTERVAL '2' HOUR",
  'ALTER DYNAMIC TABLE spend SET REFRESH_MODE = CONTINUOUS',
  'ALTER DYNAMIC TABLE spend AS SELECT customer FROM orders',
  'DROP DYNAMIC TABLE spend',
  'CREATE TABLE extra (x INTEGER)',
  'CREATE INDEX notes_body ON notes (body)',
  "INSERT INTO notes (id, body) VALUES (9, 'new')",
  "UPDATE notes SET body = 'changed'",
  'DELETE FROM notes',
  'DROP TABLE notes',
  "WITH c AS (SELECT 1) INSERT INTO notes (id, body) SELECT 9, 'cte' FROM c",
  "WITH c AS (SELECT 1) UPDATE notes SET body = 'cte'",
  'WITH c AS (SELECT 1) DELETE FROM notes',
  "WITH c AS (SELECT 1) REPLACE INTO notes (id, body) VALUES (1, 'cte')",
  "with/* x */c as (select 1) insert into notes (id, body) select 9, 'lower' from c",
  "INSERT INTO notes (id, body) VALUES (1, 'x') ON CONFLICT (id) DO UPDATE SET body = 'upsert'",
  'PRAGMA user_version = 7',
  'PRAGMA main.user_version(8)',
  "ATTACH DATABASE ':memory:' AS side",
  'VACUUM',
];

const OPERATE_ONLY = ['ALTER DYNAMIC TABLE spend REFRESH', 'ALTER DYNAMIC TABLE spend SUSPEND'];

describe('token scopes', () => {
  let gw: TestGateway;

  const call = (who: Who | null, method: string, route: string, body?: unknown): Promise<HttpResult> =>
    gw.request(method, route, body, who === null ? {} : { authorization: `Bearer ${TOKENS[who]}` });
  const sql = (who: Who, statement: string) => call(who, 'POST', '/v3/statements', { statement });

  /** Everything a refused request could have changed: rows, schema, settings, the dynamic table and its history. */
  async function snapshot(): Promise<unknown> {
    const res = await sql(
      'admin',
      `SELECT * FROM orders ORDER BY id; SELECT * FROM notes ORDER BY id;
       SELECT type, name, sql FROM sqlite_master ORDER BY type, name; PRAGMA user_version;
       SHOW DYNAMIC TABLES`,
    );
    assert.equal(res.status, 200, JSON.stringify(res.body));
    const detail = (await call('admin', 'GET', '/v3/dynamic-tables/spend')).body;
    const history = (await call('admin', 'GET', '/v3/dynamic-tables/spend/refreshes')).body.refreshes;
    return {
      results: res.body.results.map((r: { rows: unknown[][] }, i: number) =>
        // SHOW DYNAMIC TABLES carries lag, which moves with the clock.
        i === 4 ? r.rows.map((row) => row.slice(0, 4)) : r.rows,
      ),
      detail: [detail.refreshStatus, detail.refreshMode, detail.freshness.text, detail.definitionQuery],
      history: history.length,
    };
  }

  function assertForbidden(res: HttpResult, needs: string, has: string): void {
    assert.equal(res.status, 403, JSON.stringify(res.body));
    assert.equal(res.body.error.code, 'FORBIDDEN');
    assert.match(res.body.error.message, new RegExp(`needs the ${needs} scope; this token has ${has}\\b`));
  }

  before(async () => {
    gw = await TestGateway.start({
      auth: { tokens: EVERYONE.map((who) => ({ token: TOKENS[who], scopes: [who] })) },
    });
    const res = await sql('admin', SETUP);
    assert.equal(res.status, 200, JSON.stringify(res.body));
  });
  after(() => gw.close());

  describe('endpoints', () => {
    const matrix: ReadonlyArray<{
      method: string;
      route: string;
      body?: unknown;
      allowed: readonly Who[];
      needs: string;
    }> = [
      { method: 'GET', route: '/v3/dynamic-tables', allowed: ['admin', 'operate', 'read'], needs: 'read' },
      { method: 'GET', route: '/v3/dynamic-tables/spend', allowed: ['admin', 'operate', 'read'], needs: 'read' },
      {
        method: 'GET',
        route: '/v3/dynamic-tables/spend/refreshes',
        allowed: ['admin', 'operate', 'read'],
        needs: 'read',
      },
      { method: 'GET', route: '/v3/scheduler/drift', allowed: ['admin', 'operate', 'read'], needs: 'read' },
      {
        method: 'POST',
        route: '/v3/statements',
        body: { statement: 'SELECT 1' },
        allowed: ['admin', 'operate', 'read'],
        needs: 'read',
      },
      {
        method: 'POST',
        route: '/v3/dynamic-tables/refresh?wait=10',
        body: { tables: ['spend'] },
        allowed: ['admin', 'operate', 'callback'],
        needs: 'operate',
      },
      { method: 'POST', route: '/v3/scheduler/drift/repair', allowed: ['admin'], needs: 'admin' },
    ];
    for (const { method, route, body, allowed, needs } of matrix) {
      it(`${method} ${route}: ${allowed.join(', ')} may; the others are told it needs ${needs}`, async () => {
        for (const who of EVERYONE) {
          const res = await call(who, method, route, body);
          if (allowed.includes(who)) assert.equal(res.status, 200, `${who}: ${JSON.stringify(res.body)}`);
          else assertForbidden(res, needs, who);
        }
      });
    }

    it('GET /v3/jobs/{id}: read, operate, admin and callback may; metrics may not', async () => {
      const job = await call('admin', 'POST', '/v3/dynamic-tables/refresh?wait=10', { tables: ['spend'] });
      assert.equal(job.status, 200);
      for (const who of ['admin', 'operate', 'read', 'callback'] as const) {
        const res = await call(who, 'GET', `/v3/jobs/${job.body.jobId}`);
        assert.equal(res.status, 200, who);
        assert.equal(res.body.status, 'SUCCEEDED');
      }
      assertForbidden(await call('metrics', 'GET', `/v3/jobs/${job.body.jobId}`), 'read', 'metrics');
    });

    it('a metrics token reaches only /metrics, and /health stays open', async () => {
      for (const who of ['metrics', 'admin'] as const) {
        const res = await fetch(`${gw.url}/metrics`, { headers: { authorization: `Bearer ${TOKENS[who]}` } });
        assert.equal(res.status, 200, who);
        assert.match(await res.text(), /^# HELP freshet_/m);
      }
      for (const who of ['read', 'operate', 'callback'] as const)
        assertForbidden(await call(who, 'GET', '/metrics'), 'metrics', who);
      assert.equal((await call(null, 'GET', '/health')).status, 200);
      assert.equal((await call(null, 'GET', '/v3/dynamic-tables')).status, 401);
    });

    it('a path no rule names is for admin only', async () => {
      assertForbidden(await call('operate', 'DELETE', '/v3/dynamic-tables/spend'), 'admin', 'operate');
      assert.equal((await call('admin', 'DELETE', '/v3/dynamic-tables/spend')).status, 404);
    });
  });

  describe('statements', () => {
    it('read, operate and admin tokens run every reading statement', async () => {
      for (const statement of READS) {
        for (const who of ['read', 'operate', 'admin'] as const) {
          const res = await sql(who, statement);
          assert.equal(res.status, 200, `${who}: ${statement}: ${JSON.stringify(res.body)}`);
          assert.equal(res.body.results[0].kind, 'rows', statement);
        }
      }
    });

    it('refuses statements that need admin to read and operate tokens, and changes nothing', async () => {
      const before = await snapshot();
      for (const statement of ADMIN_ONLY) {
        for (const who of ['read', 'operate'] as const) {
          const res = await sql(who, statement);
          assertForbidden(res, 'admin', who);
          assert.equal(res.body.error.details.requiredScope, 'admin');
          assert.equal(res.body.error.line, 1, statement);
        }
      }
      assert.deepEqual(await snapshot(), before);
    });

    it('names the writing word of a write that starts like a read', async () => {
      const res = await sql('read', "WITH c AS (SELECT 1) INSERT INTO notes (id, body) SELECT 9, 'cte' FROM c");
      assert.match(res.body.error.message, /^WITH … INSERT needs the admin scope; this token has read\./);
    });

    it('refuses REFRESH, SUSPEND and RESUME to a read token, naming operate', async () => {
      const before = await snapshot();
      for (const statement of [...OPERATE_ONLY, 'ALTER DYNAMIC TABLE spend RESUME']) {
        const res = await sql('read', statement);
        assertForbidden(res, 'operate', 'read');
        assert.match(res.body.error.message, /^ALTER DYNAMIC TABLE … (REFRESH|SUSPEND|RESUME) needs/);
      }
      const refresh = await call('read', 'POST', '/v3/dynamic-tables/refresh', { tables: ['spend'] });
      assertForbidden(refresh, 'operate', 'read');
      assert.equal(
        refresh.body.error.message,
        'POST /v3/dynamic-tables/refresh needs the operate scope; this token has read.',
      );
      assert.deepEqual(await snapshot(), before);
    });

    it('lets an operate token refresh, suspend and resume', async () => {
      const history = (await call('admin', 'GET', '/v3/dynamic-tables/spend/refreshes')).body.refreshes.length;
      const refreshed = await sql('operate', 'ALTER DYNAMIC TABLE spend REFRESH');
      assert.equal(refreshed.status, 200, JSON.stringify(refreshed.body));
      const after = (await call('admin', 'GET', '/v3/dynamic-tables/spend/refreshes')).body.refreshes;
      assert.equal(after.length, history + 1);
      assert.equal((await sql('operate', 'ALTER DYNAMIC TABLE spend SUSPEND')).status, 200);
      assert.equal((await call('read', 'GET', '/v3/dynamic-tables/spend')).body.refreshStatus, 'SUSPENDED');
      assert.equal((await sql('operate', 'ALTER DYNAMIC TABLE spend RESUME')).status, 200);
      assert.equal((await call('read', 'GET', '/v3/dynamic-tables/spend')).body.refreshStatus, 'ACTIVATED');
    });

    it('lets an admin token run the writes that start like a read', async () => {
      const writes = [
        "WITH c AS (SELECT 1) INSERT INTO notes (id, body) SELECT 9, 'cte' FROM c",
        "WITH c AS (SELECT 1) UPDATE notes SET body = 'cte' WHERE id = 9",
      ];
      for (const statement of writes) assert.equal((await sql('admin', statement)).status, 200, statement);
      const res = await sql('admin', 'SELECT body FROM notes WHERE id = 9');
      assert.deepEqual(res.body.results[0].rows, [['cte']]);
      assert.equal((await sql('admin', 'WITH c AS (SELECT 1) DELETE FROM notes WHERE id = 9')).status, 200);
    });

    it('refuses callback and metrics tokens any statement, naming read', async () => {
      for (const who of ['callback', 'metrics'] as const) assertForbidden(await sql(who, 'SELECT 1'), 'read', who);
    });
  });

  describe('scripts', () => {
    it('a read token sending a SELECT and a DROP runs neither', async () => {
      const before = await snapshot();
      const res = await sql('read', 'SELECT * FROM notes;\nDROP TABLE notes');
      assertForbidden(res, 'admin', 'read');
      assert.match(
        res.body.error.message,
        /^Statement 2 \(DROP\) needs the admin scope; this token has read\. Nothing was run\./,
      );
      assert.equal(res.body.error.line, 2);
      assert.equal(res.body.error.column, 1);
      assert.equal(res.body.error.details.statementIndex, 1);
      assert.deepEqual(await snapshot(), before);
    });

    it('an operate token sending a SUSPEND and a DROP DYNAMIC TABLE runs neither', async () => {
      const before = await snapshot();
      const res = await sql('operate', 'ALTER DYNAMIC TABLE spend SUSPEND; DROP DYNAMIC TABLE spend');
      assertForbidden(res, 'admin', 'operate');
      assert.equal(res.body.error.details.statementIndex, 1);
      assert.deepEqual(await snapshot(), before);
      assert.equal((await call('read', 'GET', '/v3/dynamic-tables/spend')).body.refreshStatus, 'ACTIVATED');
    });

    it('a read token sending a REFRESH before a SELECT runs neither', async () => {
      const before = await snapshot();
      const res = await sql('read', 'ALTER DYNAMIC TABLE spend REFRESH; SELECT 1');
      assertForbidden(res, 'operate', 'read');
      assert.equal(res.body.error.details.statementIndex, 0);
      assert.deepEqual(await snapshot(), before);
    });
  });
});

describe('scope of a statement', () => {
  const need = (text: string) => {
    const [statement] = parseScript(text);
    assert.ok(statement);
    return statementNeed(statement).scope;
  };

  it('reads comments, where MySQL may run code', () => {
    assert.equal(need('SELECT 1 /*! , (SELECT 1) INTO OUTFILE "/tmp/x" */'), 'admin');
    assert.equal(need('SELECT 1 --x UPDATE t SET a = 1'), 'admin');
  });

  it('skips string literals and quoted names only where every engine would read them alike', () => {
    assert.equal(need("SELECT 'it''s an update' AS note, \"delete\" FROM t WHERE action <> 'insert into'"), 'read');
    const traps = [
      "WITH c AS (SELECT 'p\\', ') UPDATE t SET x = 1 -- '", // MySQL's backslash escape
      "WITH c AS (SELECT 1 # '\n) UPDATE t SET a = 1 -- '", // MySQL's # comment
      "WITH c AS (SELECT 1 --'\n' AS z) UPDATE t SET a = 1 -- '", // MySQL's --x is two minus signs
      "WITH c AS (SELECT 1 /* /* */ ' */ ) DELETE FROM t -- '", // PostgreSQL nests comments
      "WITH c AS (SELECT 1 AS [x']) INSERT INTO t VALUES (1) -- ']", // SQLite's [name]
      "WITH c AS (SELECT 1 AS $$x, '$$') UPDATE t SET a = 1 -- '", // MySQL names may start with $
    ];
    for (const text of traps) assert.equal(need(text), 'admin', text);
  });

  it('allows only PRAGMAs that describe a table', () => {
    assert.equal(need('PRAGMA table_info(orders)'), 'read');
    assert.equal(need("pragma main.index_list('orders');"), 'read');
    assert.equal(need('PRAGMA journal_mode'), 'admin');
    assert.equal(need('PRAGMA journal_mode(DELETE)'), 'admin');
    assert.equal(need('PRAGMA database_list'), 'admin');
    assert.equal(need('EXPLAIN PRAGMA foreign_keys = OFF'), 'admin');
    assert.equal(need("SELECT name FROM pragma_table_info('orders')"), 'read');
  });

  it("takes the engine's SHOW and DESCRIBE for reads", () => {
    assert.equal(need('SHOW CREATE TABLE orders'), 'read');
    assert.equal(need('DESCRIBE orders'), 'read');
  });

  it('tells the string function replace() from a REPLACE statement', () => {
    assert.equal(need("SELECT replace (name, 'a', 'b') FROM t"), 'read');
    assert.equal(need('WITH c AS (SELECT 1) REPLACE INTO t VALUES (1)'), 'admin');
  });
});

describe('scopes in the configuration', () => {
  it('accepts every scope and names an unknown one', () => {
    const tokens = EVERYONE.map((who) => ({ token: TOKENS[who], scopes: [who] }));
    assert.deepEqual(
      loadConfig({ env: {}, overrides: { auth: { tokens } } }).auth.tokens.map((t) => t.scopes),
      EVERYONE.map((who) => [who]),
    );
    assert.throws(
      () =>
        loadConfig({ env: {}, overrides: { auth: { tokens: [{ token: TOKENS.read, scopes: ['write'] }] } } as never }),
      (error: unknown) => {
        assert.ok(error instanceof ConfigError);
        assert.match(error.message, /auth\.tokens\.0\.scopes\.0/);
        return true;
      },
    );
  });
});
