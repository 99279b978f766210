/**
 * Reflection around the edges: the type order that makes a version minor or major, the SQL it adds, the
 * `on_schema_change` option, widening and narrowing on PostgreSQL, the availability of dynamic tables, and who may
 * run and read reflection.
 */
import { strict as assert } from 'node:assert';
import { compareTypes, diffColumns, nextVersion } from '../src/manager/reflection-diff';
import { parseScript } from '../src/sql/ddl-parser';
import { TestGateway } from './helpers/gateway';
import { REFLECTION_BACKENDS } from './helpers/reflection-backends';

describe('Reflection: the type order and version numbers', () => {
  const CASES: ReadonlyArray<readonly [string, string, 'postgresql' | 'mysql' | 'sqlite', string]> = [
    ['integer', 'bigint', 'postgresql', 'widened'],
    ['int4', 'INTEGER', 'postgresql', 'same'],
    ['bigint', 'integer', 'postgresql', 'narrowed'],
    ['smallint', 'int', 'mysql', 'widened'],
    ['int(11)', 'int', 'mysql', 'same'],
    ['real', 'double precision', 'postgresql', 'widened'],
    ['double precision', 'real', 'postgresql', 'narrowed'],
    ['varchar(10)', 'varchar(20)', 'postgresql', 'widened'],
    ['character varying(20)', 'character varying(10)', 'postgresql', 'narrowed'],
    ['varchar(255)', 'text', 'mysql', 'widened'],
    ['text', 'varchar(255)', 'mysql', 'narrowed'],
    ['char(4)', 'varchar(4)', 'postgresql', 'widened'],
    ['numeric(10,2)', 'numeric(12,2)', 'postgresql', 'widened'],
    ['numeric(12,2)', 'numeric(12,4)', 'postgresql', 'narrowed'],
    ['integer', 'text', 'sqlite', 'changed'],
    ['timestamp', 'timestamptz', 'postgresql', 'changed'],
    ['INTEGER', 'integer', 'sqlite', 'same'],
  ];
  for (const [from, to, dialect, expected] of CASES) {
    it(`${from} → ${to} (${dialect}) is ${expected}`, () => assert.equal(compareTypes(from, to, dialect), expected));
  }

  const col = (name: string, type: string) => ({ name, type, nullable: true });

  it('numbers versions 1.0, minor for additions and widenings, major for drops, renames and narrowings', () => {
    const v1 = [col('id', 'integer'), col('name', 'varchar(10)')];
    const added = diffColumns(v1, [...v1, col('note', 'text')], 'postgresql');
    assert.deepEqual(nextVersion(null, added), { major: 1, minor: 0 });
    assert.deepEqual(nextVersion({ major: 1, minor: 0 }, added), { major: 1, minor: 1 });
    const widened = diffColumns(v1, [col('id', 'bigint'), col('name', 'varchar(10)')], 'postgresql');
    assert.deepEqual(nextVersion({ major: 1, minor: 1 }, widened), { major: 1, minor: 2 });
    const renamed = diffColumns(v1, [col('id', 'integer'), col('label', 'varchar(10)')], 'postgresql');
    assert.deepEqual(renamed.renamed, [{ from: 'name', to: 'label' }]);
    assert.deepEqual(nextVersion({ major: 1, minor: 2 }, renamed), { major: 2, minor: 0 });
    const dropped = diffColumns(v1, [col('id', 'integer')], 'postgresql');
    assert.deepEqual(
      dropped.dropped.map((c) => c.name),
      ['name'],
    );
    assert.deepEqual(nextVersion({ major: 2, minor: 0 }, dropped), { major: 3, minor: 0 });
  });

  it('parses SHOW SCHEMA HISTORY OF and ALTER … REFLECT', () => {
    const [show, reflect] = parseScript('SHOW SCHEMA HISTORY OF main.orders; ALTER DYNAMIC TABLE t REFLECT');
    assert.equal(show?.kind, 'showSchemaHistory');
    assert.deepEqual(show?.kind === 'showSchemaHistory' ? show.name.parts : null, ['main', 'orders']);
    assert.deepEqual(reflect?.kind === 'alterDynamicTable' ? reflect.action : null, { kind: 'reflect' });
    assert.throws(() => parseScript('SHOW SCHEMA HISTORY orders'), /OF and a table after SHOW SCHEMA HISTORY/);
  });
});

describe('Reflection: widening and narrowing on PostgreSQL', function () {
  this.timeout(60_000);
  const backend = REFLECTION_BACKENDS.find((b) => b.name === 'PostgreSQL');
  let gw: TestGateway;
  let drop: () => Promise<void>;
  afterEach(async () => {
    await gw?.close();
    await drop?.();
  });

  it('makes a widened column a minor version (ADDITIVE) and a narrowed one a major version (BREAKING)', async () => {
    const setUp = await (backend as NonNullable<typeof backend>).setUp();
    drop = setUp.drop;
    gw = await TestGateway.start(setUp.overrides);
    const outside = (sql: string) => setUp.outside(gw.dataDir, sql);
    await gw.sql(`CREATE TABLE orders (id INTEGER, amount INTEGER);
      INSERT INTO orders VALUES (1, 10);
      CREATE DYNAMIC TABLE totals FRESHNESS = INTERVAL '1' HOUR AS SELECT SUM(amount) AS total FROM orders;
      CREATE DYNAMIC TABLE ids FRESHNESS = INTERVAL '1' HOUR AS SELECT id FROM orders`);
    assert.equal((await gw.request('POST', '/v3/reflection/run')).body.versionsCreated.length, 2);
    await outside('ALTER TABLE orders ALTER COLUMN amount TYPE bigint');
    const widened = (await gw.request('POST', '/v3/reflection/run')).body;
    assert.deepEqual(
      widened.versionsCreated.map((v: any) => [v.version, v.change]),
      [['1.1', 'amount widened from integer to bigint']],
    );
    const impacts = Object.fromEntries(widened.impacts.map((i: any) => [i.table.split('.').pop(), i.impact]));
    assert.deepEqual(impacts, { totals: 'ADDITIVE', ids: 'UNAFFECTED' });
    assert.equal((await gw.table('totals')).refreshStatus, 'ACTIVATED');

    await outside('ALTER TABLE orders ALTER COLUMN amount TYPE smallint');
    const narrowed = (await gw.request('POST', '/v3/reflection/run')).body;
    assert.deepEqual(
      narrowed.versionsCreated.map((v: any) => [v.version, v.change]),
      [['2.0', 'amount narrowed from bigint to smallint']],
    );
    const totals = await gw.table('totals');
    assert.equal(`${totals.refreshStatus} ${totals.suspendedReason}`, 'SUSPENDED SCHEMA_DRIFT');
    assert.equal((await gw.table('ids')).refreshStatus, 'ACTIVATED');
  });
});

for (const backend of REFLECTION_BACKENDS) {
  describe(`Availability of dynamic tables (${backend.name})`, function () {
    this.timeout(60_000);
    let gw: TestGateway;
    let drop: () => Promise<void>;
    beforeEach(async () => {
      const setUp = await backend.setUp();
      drop = setUp.drop;
      gw = await TestGateway.start(setUp.overrides);
    });
    afterEach(async () => {
      await gw.close();
      await drop();
    });

    it('shows validThrough and the temporal partitions present', async () => {
      await gw.sql(`CREATE TABLE events (ds TEXT, n INTEGER);
        INSERT INTO events VALUES ('2024-01-01', 1), ('2024-01-02', 2), ('2024-01-03', 3), ('2024-01-02', 4);
        CREATE DYNAMIC TABLE by_day PARTITIONED BY (ds)
          WITH ('partition.fields.ds.date-formatter' = 'yyyy-MM-dd') FRESHNESS = INTERVAL '1' DAY
          AS SELECT ds, SUM(n) AS total FROM events GROUP BY ds;
        CREATE DYNAMIC TABLE plain FRESHNESS = INTERVAL '1' DAY AS SELECT COUNT(*) AS n FROM events`);
      const detail = await gw.table('by_day');
      assert.deepEqual(detail.availability, {
        validThrough: detail.validThrough,
        readyThrough: detail.validThrough,
        minTemporalPartition: '2024-01-01',
        maxTemporalPartition: '2024-01-03',
        partitions: 3,
      });
      assert.match(detail.availability.validThrough, /^\d{4}-\d\d-\d\dT/);
      const plain = await gw.table('plain');
      assert.deepEqual(plain.availability, {
        validThrough: plain.validThrough,
        readyThrough: plain.validThrough,
        minTemporalPartition: null,
        maxTemporalPartition: null,
        partitions: null,
      });
    });

    it("refuses an unknown 'on_schema_change'", async () => {
      await gw.sql('CREATE TABLE events (ds TEXT, n INTEGER)');
      const refused = await gw.sqlError(
        "CREATE DYNAMIC TABLE t WITH ('on_schema_change' = 'explode') AS SELECT n FROM events",
      );
      assert.equal(refused.status, 400);
      assert.match(
        refused.error.message,
        /'on_schema_change' must be one of 'suspend', 'fail', 'ignore'; got 'explode'/,
      );
    });
  });
}

describe('Reflection: who may run and read it', function () {
  this.timeout(60_000);
  const TOKENS = {
    admin: 'reflect-admin-token-0123456789',
    operate: 'reflect-operate-token-0123456789',
    read: 'reflect-read-token-0123456789',
    metrics: 'reflect-metrics-token-0123456789',
  } as const;
  type Who = keyof typeof TOKENS;
  let gw: TestGateway;
  before(async () => {
    const tokens = (Object.keys(TOKENS) as Who[]).map((who) => ({ token: TOKENS[who], scopes: [who] }));
    gw = await TestGateway.start({ auth: { tokens } });
    const admin = { authorization: `Bearer ${TOKENS.admin}` };
    const setUp = `CREATE TABLE orders (id INTEGER, amount INTEGER);
      CREATE DYNAMIC TABLE totals AS SELECT SUM(amount) AS total FROM orders`;
    assert.equal((await gw.request('POST', '/v3/statements', { statement: setUp }, admin)).status, 200);
  });
  after(() => gw.close());
  const call = (who: Who, method: string, route: string, body?: unknown) =>
    gw.request(method, route, body, { authorization: `Bearer ${TOKENS[who]}` });

  it('lets operate and admin run a pass, not read or metrics', async () => {
    for (const who of ['operate', 'admin'] as const) {
      const res = await call(who, 'POST', '/v3/reflection/run');
      assert.equal(res.status, 200, who);
      assert.equal(res.body.tablesReflected, 2);
    }
    for (const who of ['read', 'metrics'] as const) {
      const res = await call(who, 'POST', '/v3/reflection/run');
      assert.equal(res.status, 403, who);
      assert.match(res.body.error.message, /needs the operate scope/);
    }
  });

  it('lets read see schema versions, and operate REFLECT', async () => {
    assert.equal((await call('read', 'GET', '/v3/tables/orders/schema-versions')).status, 200);
    assert.equal((await call('metrics', 'GET', '/v3/tables/orders/schema-versions')).status, 403);
    const shown = await call('read', 'POST', '/v3/statements', { statement: 'SHOW SCHEMA HISTORY OF totals' });
    assert.equal(shown.status, 200);
    const refused = await call('read', 'POST', '/v3/statements', { statement: 'ALTER DYNAMIC TABLE totals REFLECT' });
    assert.equal(refused.status, 403);
    assert.match(refused.body.error.message, /REFLECT/);
    const reflected = await call('operate', 'POST', '/v3/statements', {
      statement: 'ALTER DYNAMIC TABLE totals REFLECT',
    });
    assert.equal(reflected.status, 200);
  });
});
