/**
 * ALTER DYNAMIC TABLE … BACKFILL FROM … TO … and POST /v3/dynamic-tables/{id}/backfill: one job per window, each
 * rewriting its partition; and REFRESH PARTITION refusing values the table's formatter cannot produce. On SQLite
 * and for real on PostgreSQL.
 */
import { strict as assert } from 'node:assert';
import { BACKENDS } from './helpers/backends';
import { TestGateway } from './helpers/gateway';
import { waitUntil } from './helpers/wait';

/** On PostgreSQL the tables live in the catalog's database, as catalog `wh`. */
const ENGINES = BACKENDS.map((backend) => ({
  name: backend.kind === 'sqlite' ? backend.name : `${backend.name} (engine and catalog)`,
  settings: () => backend.setUp({ warehouse: 'with-catalog' }),
}));

/** Hourly partitions `yyyy-MM-dd HH`; on_schedule, so only the windows refreshed hold rows. */
const HOURLY = `CREATE DYNAMIC TABLE hourly PARTITIONED BY (hr)
  WITH ('partition.fields.hr.date-formatter' = 'yyyy-MM-dd HH', 'initialize' = 'on_schedule')
  FRESHNESS = INTERVAL '1' HOUR AS SELECT hr, v FROM events`;

const HOURS = ['00', '01', '02', '03', '04', '05', '06'].map((h) => `2024-01-01 ${h}`);

for (const engine of ENGINES) {
  describe(`BACKFILL and partition values (${engine.name})`, function () {
    this.timeout(60_000);
    let gw: TestGateway;
    let drop: () => Promise<void>;

    before(async () => {
      const settings = await engine.settings();
      drop = settings.drop;
      gw = await TestGateway.start(settings.overrides);
      await gw.sql(`CREATE TABLE events (hr VARCHAR(13), v INTEGER);
        INSERT INTO events VALUES ${HOURS.map((h, i) => `('${h}', ${i})`).join(', ')};
        ${HOURLY};
        CREATE DYNAMIC TABLE whole FRESHNESS = INTERVAL '1' HOUR AS SELECT hr, v FROM events`);
    });
    after(async () => {
      await gw?.close();
      await drop?.();
    });

    const partitions = async () => (await gw.rows('SELECT DISTINCT hr FROM hourly ORDER BY hr')).map((r) => r[0]);
    const allSucceeded = (jobIds: readonly string[]) =>
      waitUntil(async () => {
        const jobs = await Promise.all(jobIds.map((id) => gw.job(id)));
        return jobs.every((j) => j.status === 'SUCCEEDED') && jobs;
      });

    it('makes one MANUAL job per window within [FROM, TO), oldest first, each writing its partition', async () => {
      const [result] = await gw.sql(
        `ALTER DYNAMIC TABLE hourly BACKFILL FROM '2024-01-01 01:00:00' TO '2024-01-01 04:00:00'`,
      );
      assert.deepEqual(result.columns, ['job_id', 'schedule_time', 'partition']);
      assert.deepEqual(
        result.rows.map((r: unknown[]) => r.slice(1)),
        [
          ['2024-01-01 02:00:00', '{"hr":"2024-01-01 01"}'],
          ['2024-01-01 03:00:00', '{"hr":"2024-01-01 02"}'],
          ['2024-01-01 04:00:00', '{"hr":"2024-01-01 03"}'],
        ],
      );
      assert.deepEqual(
        result.jobIds,
        result.rows.map((r: unknown[]) => r[0]),
      );
      assert.match(result.message, /3 jobs, one per window/);
      const jobs = await allSucceeded(result.jobIds);
      assert.deepEqual(
        jobs.map((j) => [j.trigger, j.tables[0].partition.hr]),
        [
          ['MANUAL', '2024-01-01 01'],
          ['MANUAL', '2024-01-01 02'],
          ['MANUAL', '2024-01-01 03'],
        ],
      );
      assert.deepEqual(await partitions(), ['2024-01-01 01', '2024-01-01 02', '2024-01-01 03']);
      // The backfilled windows are published as ready, for the tables and consumers that gate on this one.
      const source = String((await gw.table('hourly')).identifier).toLowerCase();
      const readiness = await gw.request(
        'GET',
        `/v3/sources/${source}/readiness?start=2024-01-01T01:00:00Z&end=2024-01-01T04:00:00Z`,
      );
      assert.equal(readiness.body.ready, true, JSON.stringify(readiness.body));
    });

    it('answers a repeated backfill with the same jobs (one job per window)', async () => {
      const again = async () =>
        (await gw.sql(`ALTER DYNAMIC TABLE hourly BACKFILL FROM '2024-01-01 01:00:00' TO '2024-01-01 03:00:00'`))[0];
      const first = await again();
      const second = await again();
      assert.equal(first.jobIds.length, 2);
      assert.deepEqual(second.jobIds, first.jobIds);
    });

    it('backfills over REST too', async () => {
      const res = await gw.request('POST', '/v3/dynamic-tables/hourly/backfill', {
        from: '2024-01-01 04:00:00',
        to: '2024-01-01T06:00:00Z',
      });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.equal(res.body.jobIds.length, 2);
      assert.deepEqual(
        res.body.windows.map((w: any) => w.partition.hr),
        ['2024-01-01 04', '2024-01-01 05'],
      );
      await allSucceeded(res.body.jobIds);
      assert.deepEqual((await partitions()).slice(-2), ['2024-01-01 04', '2024-01-01 05']);
      const missing = await gw.request('POST', '/v3/dynamic-tables/hourly/backfill', { from: '2024-01-01 04:00:00' });
      assert.equal(missing.status, 400);
      assert.match(missing.body.error.message, /to is required/);
      const unknown = await gw.request('POST', '/v3/dynamic-tables/nope/backfill', { from: 'a', to: 'b' });
      assert.equal(unknown.status, 404);
    });

    it('refuses what it cannot backfill, saying why and where', async () => {
      const cases: Array<[string, RegExp, number]> = [
        [
          `ALTER DYNAMIC TABLE whole BACKFILL FROM '2024-01-01 00:00:00' TO '2024-01-02 00:00:00'`,
          /whole cannot be backfilled: it has no 'partition\.fields\.<column>\.date-formatter' option.*Use ALTER DYNAMIC TABLE \S+whole REFRESH/,
          21,
        ],
        [
          `ALTER DYNAMIC TABLE hourly BACKFILL FROM '2024-01-02 00:00:00' TO '2024-01-01 00:00:00'`,
          /FROM '2024-01-02 00:00:00' is not before TO '2024-01-01 00:00:00'/,
          67,
        ],
        [
          `ALTER DYNAMIC TABLE hourly BACKFILL FROM '2024-01-01 01:30:00' TO '2024-01-01 02:00:00'`,
          /No window of \S+hourly lies within \[2024-01-01 01:30:00, 2024-01-01 02:00:00\): its windows are 1 hour long.*ends at 2024-01-01 03:00:00/,
          67,
        ],
        [
          `ALTER DYNAMIC TABLE hourly BACKFILL FROM '2024-01-01 00:00:00' TO '2025-01-01 00:00:00'`,
          /more than 1000 windows .*at most 1000 jobs.*TO '2024-02-11 16:00:00'/,
          67,
        ],
        [
          `ALTER DYNAMIC TABLE hourly BACKFILL FROM 'yesterday' TO '2024-01-01 00:00:00'`,
          /BACKFILL FROM: Invalid schedule time 'yesterday'/,
          42,
        ],
      ];
      for (const [statement, message, column] of cases) {
        const { status, error } = await gw.sqlError(statement);
        assert.equal(status, 400, statement);
        assert.equal(error.code, 'VALIDATION_ERROR');
        assert.match(error.message, message);
        assert.deepEqual([error.line, error.column], [1, column], statement);
      }
      const syntax = await gw.sqlError(`ALTER DYNAMIC TABLE hourly BACKFILL '2024-01-01 00:00:00'`);
      assert.equal(syntax.status, 400);
      assert.match(syntax.error.message, /FROM and a timestamp/);
    });

    it('refuses to backfill a suspended table (409)', async () => {
      await gw.sql('ALTER DYNAMIC TABLE hourly SUSPEND');
      try {
        const { status, error } = await gw.sqlError(
          `ALTER DYNAMIC TABLE hourly BACKFILL FROM '2024-01-01 00:00:00' TO '2024-01-01 02:00:00'`,
        );
        assert.equal(status, 409);
        assert.equal(error.code, 'INVALID_STATE');
        assert.match(error.message, /suspended; resume it/);
      } finally {
        await gw.sql('ALTER DYNAMIC TABLE hourly RESUME');
      }
    });

    it('refuses REFRESH PARTITION values the formatter cannot produce, in SQL and in the callback', async () => {
      for (const value of ['2024-13-45 00', '2024-1-5 00', 'yesterday', '2024-01-01']) {
        const { status, error } = await gw.sqlError(`ALTER DYNAMIC TABLE hourly REFRESH PARTITION (hr = '${value}')`);
        assert.equal(status, 400, value);
        assert.equal(error.code, 'VALIDATION_ERROR');
        assert.match(error.message, new RegExp(`'${value}' for column hr .*'yyyy-MM-dd HH'.*such as '2024-03-05 07'`));
      }
      const res = await gw.refresh({
        tables: ['hourly'],
        isPeriodic: false,
        staticPartitions: { hr: '2024-02-30 00' },
      });
      assert.equal(res.status, 400);
      assert.match(res.body.error.message, /'2024-02-30 00' for column hr/);
      const [ok] = await gw.sql(`ALTER DYNAMIC TABLE hourly REFRESH PARTITION (hr = '2024-01-01 06')`);
      assert.match(ok.message, /SUCCEEDED/);
      assert.ok((await partitions()).includes('2024-01-01 06'));
    });
  });
}

describe('BACKFILL needs the operate scope', () => {
  const tokens = { read: 'read-token-0123456789', operate: 'operate-token-0123456789' };
  let gw: TestGateway;

  before(async () => {
    gw = await TestGateway.start({
      auth: {
        tokens: [
          { token: 'admin-token-0123456789', scopes: ['admin'] },
          { token: tokens.read, scopes: ['read'] },
          { token: tokens.operate, scopes: ['operate'] },
        ],
      },
    });
    const admin = { authorization: 'Bearer admin-token-0123456789' };
    const res = await gw.request(
      'POST',
      '/v3/statements',
      { statement: `CREATE TABLE events (hr VARCHAR(13), v INTEGER); ${HOURLY}` },
      admin,
    );
    assert.equal(res.status, 200, JSON.stringify(res.body));
  });
  after(() => gw?.close());

  const backfill = `ALTER DYNAMIC TABLE hourly BACKFILL FROM '2024-01-01 00:00:00' TO '2024-01-01 01:00:00'`;
  const as = (token: string) => ({ authorization: `Bearer ${token}` });

  it('refuses a read token in SQL and over REST', async () => {
    const sql = await gw.request('POST', '/v3/statements', { statement: backfill }, as(tokens.read));
    assert.equal(sql.status, 403);
    assert.match(sql.body.error.message, /BACKFILL needs the operate scope/);
    const range = { from: '2024-01-01 00:00:00', to: '2024-01-01 01:00:00' };
    const rest = await gw.request('POST', '/v3/dynamic-tables/hourly/backfill', range, as(tokens.read));
    assert.equal(rest.status, 403);
  });

  it('lets an operate token backfill', async () => {
    const sql = await gw.request('POST', '/v3/statements', { statement: backfill }, as(tokens.operate));
    assert.equal(sql.status, 200, JSON.stringify(sql.body));
    assert.equal(sql.body.results[0].jobIds.length, 1);
    const range = { from: '2024-01-01 00:00:00', to: '2024-01-01 01:00:00' };
    const rest = await gw.request('POST', '/v3/dynamic-tables/hourly/backfill', range, as(tokens.operate));
    assert.equal(rest.status, 200);
    assert.deepEqual(rest.body.jobIds, sql.body.results[0].jobIds);
  });
});
