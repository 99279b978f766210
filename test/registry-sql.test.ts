import { strict as assert } from 'node:assert';
import type { ConfigInput } from '../src/config/config';
import { parseScript } from '../src/sql/ddl-parser';
import { createDatabase } from './helpers/databases';
import { TestGateway } from './helpers/gateway';

const BACKENDS: ReadonlyArray<{ name: string; config(): Promise<{ overrides: ConfigInput; drop(): Promise<void> }> }> =
  [
    { name: 'SQLite catalog', config: async () => ({ overrides: {}, drop: async () => undefined }) },
    {
      name: 'PostgreSQL catalog',
      config: async () => {
        const catalog = await createDatabase('postgres');
        return { overrides: { catalog: { url: catalog.url } }, drop: () => catalog.drop() };
      },
    },
  ];

describe('parsing the registry statements', () => {
  it('claims SHOW SOURCES, SHOW PARTITIONS OF, SHOW READINESS OF and ALTER SOURCE, and nothing else', () => {
    const kinds = (sql: string) => parseScript(sql).map((s) => s.kind);
    assert.deepEqual(kinds("SHOW SOURCES; show sources like 'p%'"), ['showSources', 'showSources']);
    assert.deepEqual(kinds("SHOW PARTITIONS OF public.orders BETWEEN '2026-01-01' AND '2026-01-02'"), [
      'showPartitions',
    ]);
    assert.deepEqual(kinds("SHOW READINESS OF 'odd name' FOR TIMESTAMP '2026-01-01' TO '2026-01-02'"), [
      'showReadiness',
    ]);
    assert.deepEqual(kinds("ALTER SOURCE a.b SET ('availability.time_column' = 'ts')"), ['alterSource']);
    // An engine's own SHOW PARTITIONS (Flink, Hive) is not ours.
    assert.deepEqual(kinds('SHOW PARTITIONS t'), ['passthrough']);
    const [readiness] = parseScript("SHOW READINESS OF default.main.t FOR '2026-01-01' TO '2026-01-02'");
    assert.ok(readiness?.kind === 'showReadiness');
    assert.deepEqual(readiness.name.parts, ['default', 'main', 't']);
    assert.deepEqual([readiness.start.value, readiness.end.value], ['2026-01-01', '2026-01-02']);
  });

  it('reports a syntax error with its line and column', () => {
    const cases: Array<[string, RegExp, number, number]> = [
      ["SHOW READINESS OF s '2026-01-01' TO '2026-01-02'", /Expected FOR/, 1, 21],
      ["SHOW READINESS OF s FOR '2026-01-01'\n  UNTIL '2026-01-02'", /Expected TO/, 2, 3],
      ['SHOW PARTITIONS OF s BETWEEN 1 AND 2', /Expected the start of the interval as a string literal/, 1, 30],
      ["ALTER SOURCE s SET ('a' = 'b'", /Expected ',' or '\)'/, 1, 30],
      ['ALTER SOURCE s RESET', /Expected SET/, 1, 16],
    ];
    for (const [sql, message, line, column] of cases) {
      assert.throws(
        () => parseScript(sql),
        (error: any) => {
          assert.match(error.message, message, sql);
          assert.deepEqual([error.code, error.line, error.column], ['PARSE_ERROR', line, column], sql);
          return true;
        },
      );
    }
  });
});

for (const backend of BACKENDS) {
  describe(`source registry in SQL (${backend.name})`, function () {
    this.timeout(60_000);
    let gw: TestGateway;
    let drop: () => Promise<void>;

    beforeEach(async () => {
      const config = await backend.config();
      drop = config.drop;
      gw = await TestGateway.start(config.overrides);
    });
    afterEach(async () => {
      await gw.close();
      await drop();
    });

    async function register(name: string, partitions: Array<[string, string, 'locked' | 'ready' | undefined]>) {
      const created = await gw.request('POST', '/v3/sources', { name, owner: 'ada' });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      const accessToken = created.body.accessToken;
      await gw.request('POST', '/v3/providers', { name: 'loader', source: name, accessToken });
      for (const [start, end, state] of partitions) {
        const body = { provider: 'loader', start, end, accessToken, ...(state ? { state } : {}) };
        const res = await gw.request('POST', `/v3/sources/${name}/partitions`, body);
        assert.equal(res.status, 201, JSON.stringify(res.body));
      }
    }

    it('shows sources and their partitions', async () => {
      await register('public.orders', [
        ['2026-01-01T00:00:00Z', '2026-01-02T00:00:00Z', 'ready'],
        ['2026-01-02T00:00:00Z', '2026-01-03T00:00:00Z', 'locked'],
        ['2026-01-03T00:00:00Z', '2026-01-04T00:00:00Z', undefined],
      ]);
      await register('crm.customers', []);
      const [sources] = await gw.sql('SHOW SOURCES');
      assert.deepEqual(sources.columns.slice(0, 3), ['name', 'kind', 'owner']);
      assert.deepEqual(
        sources.rows.map((r: unknown[]) => [r[0], r[1], r[7], r[8]]),
        [
          ['crm.customers', 'registered', 1, 0],
          ['public.orders', 'registered', 1, 3],
        ],
      );
      const [like] = await gw.sql("SHOW SOURCES LIKE 'public.%'");
      assert.deepEqual(
        like.rows.map((r: unknown[]) => r[0]),
        ['public.orders'],
      );
      const [all] = await gw.sql('SHOW PARTITIONS OF public.orders');
      assert.deepEqual(all.columns, ['id', 'provider', 'start', 'end', 'state', 'state_since']);
      assert.deepEqual(
        all.rows.map((r: unknown[]) => [r[2], r[4]]),
        [
          ['2026-01-03T00:00:00.000Z', 'REGISTERED'],
          ['2026-01-02T00:00:00.000Z', 'LOCKED'],
          ['2026-01-01T00:00:00.000Z', 'READY'],
        ],
      );
      const [between] = await gw.sql(
        "SHOW PARTITIONS OF \"public\".orders BETWEEN '2026-01-01T12:00:00Z' AND '2026-01-02T12:00:00Z'",
      );
      assert.deepEqual(
        between.rows.map((r: unknown[]) => r[4]),
        ['LOCKED', 'READY'],
      );
    });

    it('shows readiness of a source, with gaps and locks', async () => {
      await register('public.orders', [
        ['2026-01-01T00:00:00Z', '2026-01-02T00:00:00Z', 'ready'],
        ['2026-01-01T06:00:00Z', '2026-01-01T07:00:00Z', 'ready'],
        ['2026-01-03T00:00:00Z', '2026-01-04T00:00:00Z', 'locked'],
      ]);
      const [ready] = await gw.sql("SHOW READINESS OF public.orders FOR '2026-01-01' TO '2026-01-02'");
      assert.deepEqual(ready.columns, [
        'source',
        'start',
        'end',
        'ready',
        'ready_through',
        'covered',
        'gaps',
        'locked',
      ]);
      assert.deepEqual(ready.rows[0].slice(0, 5), [
        'public.orders',
        '2026-01-01T00:00:00.000Z',
        '2026-01-02T00:00:00.000Z',
        true,
        '2026-01-02T00:00:00.000Z',
      ]);
      assert.match(ready.message, /is ready/);
      const [notReady] = await gw.sql("SHOW READINESS OF 'public.orders' FOR '2026-01-01' TO '2026-01-04'");
      assert.equal(notReady.rows[0][3], false);
      assert.deepEqual(JSON.parse(notReady.rows[0][6]), [['2026-01-02T00:00:00.000Z', '2026-01-04T00:00:00.000Z']]);
      assert.equal(JSON.parse(notReady.rows[0][7]).length, 1);
      assert.match(notReady.message, /not ready: 1 gap\(s\).*1 locked partition/);
    });

    it("answers a dynamic table's readiness from the source it publishes, not ready before it has one", async () => {
      await gw.sql(`CREATE TABLE raw (id INTEGER);
        CREATE DYNAMIC TABLE later WITH ('initialize' = 'on_schedule') FRESHNESS = INTERVAL '1' HOUR
          AS SELECT id FROM raw`);
      const [none] = await gw.sql("SHOW READINESS OF later FOR '2026-01-01T00:00:00Z' TO '2026-01-01T01:00:00Z'");
      assert.deepEqual(none.rows[0].slice(0, 5), [
        'default.main.later',
        '2026-01-01T00:00:00.000Z',
        '2026-01-01T01:00:00.000Z',
        false,
        null,
      ]);
      assert.deepEqual(JSON.parse(none.rows[0][6]), [['2026-01-01T00:00:00.000Z', '2026-01-01T01:00:00.000Z']]);
      // Its creation refresh publishes everything up to its data timestamp as ready, under its lower-cased key.
      await gw.sql("CREATE DYNAMIC TABLE T FRESHNESS = INTERVAL '1' HOUR AS SELECT id FROM raw");
      const validThrough = (await gw.table('t')).validThrough as string;
      for (const name of ['t', 'main.T', 'default.main.t']) {
        const [answer] = await gw.sql(`SHOW READINESS OF ${name} FOR '2026-01-01T00:00:00Z' TO '2026-01-01T01:00:00Z'`);
        assert.deepEqual(
          [answer.rows[0][0], answer.rows[0][3], answer.rows[0][4]],
          ['default.main.t', true, validThrough],
          name,
        );
      }
      const [ahead] = await gw.sql("SHOW READINESS OF t FOR '2999-01-01T00:00:00Z' TO '2999-01-01T01:00:00Z'");
      assert.equal(ahead.rows[0][3], false, 'not ready beyond its data timestamp');
    });

    it('alters a source option, shown over REST', async () => {
      await register('public.orders', []);
      const [altered] = await gw.sql("ALTER SOURCE public.orders SET ('availability.time_column' = 'loaded_at')");
      assert.equal(altered.kind, 'ok');
      assert.match(altered.message, /loaded_at/);
      const shown = await gw.request('GET', '/v3/sources/public.orders');
      assert.deepEqual(shown.body.options, { 'availability.time_column': 'loaded_at' });
      const [listed] = await gw.sql('SHOW SOURCES');
      assert.deepEqual(JSON.parse(listed.rows[0][6]), { 'availability.time_column': 'loaded_at' });
    });

    it('reports what is wrong with line and column', async () => {
      await register('public.orders', []);
      const cases: Array<[string, number, RegExp, number, number]> = [
        ['SELECT 1;\nSHOW PARTITIONS OF nope', 404, /Source nope is not registered/, 2, 20],
        [
          "SHOW READINESS OF nope FOR '2026-01-01' TO '2026-01-02'",
          404,
          /neither a registered source nor a dynamic table/,
          1,
          19,
        ],
        ["SHOW READINESS OF public.orders FOR '2026-01-01' TO 'later'", 400, /^end: 'later' is not an ISO-8601/, 1, 53],
        ["SHOW READINESS OF public.orders\n FOR '2026-01-02' TO '2026-01-01'", 400, /^end: must be after start/, 2, 22],
        [
          "ALTER SOURCE public.orders SET ('availability.colum' = 'x')",
          400,
          /unknown source option 'availability.colum'/,
          1,
          14,
        ],
        ["ALTER SOURCE nope SET ('availability.time_column' = 'x')", 404, /Source nope is not registered/, 1, 14],
        ["SHOW READINESS OF public.orders FOR '2026-01-01' '2026-01-02'", 400, /Expected TO/, 1, 50],
      ];
      for (const [sql, status, message, line, column] of cases) {
        const { status: got, error } = await gw.sqlError(sql);
        assert.equal(got, status, `${sql}: ${JSON.stringify(error)}`);
        assert.match(error.message, message, sql);
        assert.deepEqual([error.line, error.column], [line, column], `${sql}: ${JSON.stringify(error)}`);
      }
    });
  });
}

describe('registry statements and scopes', function () {
  this.timeout(60_000);
  it('lets read tokens show and operate tokens alter', async () => {
    const READ = 'read-token-1234567';
    const OPERATE = 'operate-token-1234567';
    const gw = await TestGateway.start({
      auth: {
        tokens: [
          { token: READ, scopes: ['read'] },
          { token: OPERATE, scopes: ['operate'] },
        ],
      },
    });
    try {
      const as = (token: string) => ({ authorization: `Bearer ${token}` });
      await gw.request('POST', '/v3/sources', { name: 's', owner: 'ada' }, as(OPERATE));
      const show = await gw.request('POST', '/v3/statements', { statement: 'SHOW SOURCES' }, as(READ));
      assert.equal(show.status, 200);
      const alter = "ALTER SOURCE s SET ('availability.time_column' = 'ts')";
      const refused = await gw.request('POST', '/v3/statements', { statement: alter }, as(READ));
      assert.equal(refused.status, 403);
      assert.match(refused.body.error.message, /ALTER SOURCE needs the operate scope/);
      assert.equal((await gw.request('POST', '/v3/statements', { statement: alter }, as(OPERATE))).status, 200);
    } finally {
      await gw.close();
    }
  });
});
