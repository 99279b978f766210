import { strict as assert } from 'node:assert';
import { Catalog } from '../src/catalog/catalog';
import { BACKENDS } from './helpers/backends';
import { TestGateway } from './helpers/gateway';
import { eventually } from './helpers/wait';

const DAY_MS = 24 * 3600 * 1000;

for (const backend of BACKENDS) {
  describe(`jobs you can find and history retention (${backend.kind} catalog)`, function () {
    this.timeout(60_000);
    let gw: TestGateway;
    let catalogUrl: string;
    let drop: () => Promise<void> = async () => undefined;
    /** Every job made in `before`, newest first as the listing shows them. */
    let failedJobId: string;
    const scheduled: string[] = [];

    const jobs = async (query = '') => {
      const res = await gw.request('GET', `/v3/jobs${query}`);
      assert.equal(res.status, 200, JSON.stringify(res.body));
      return res.body as { jobs: any[]; total: number };
    };

    before(async () => {
      const setUp = await backend.setUp();
      drop = setUp.drop;
      catalogUrl = setUp.catalogUrl;
      gw = await TestGateway.start({
        ...setUp.overrides,
        history: { maxRowsPerTable: 2, pruneIntervalSeconds: 0 },
        monitor: { intervalSeconds: 0 },
      });
      await gw.sql(`CREATE TABLE src (k TEXT, v INTEGER); INSERT INTO src VALUES ('a', 1), ('a', 2), ('b', 5);
        CREATE DYNAMIC TABLE totals FRESHNESS = INTERVAL '1' HOUR REFRESH_MODE = FULL
          AS SELECT k, SUM(v) AS total FROM src GROUP BY k;
        CREATE DYNAMIC TABLE keyed (k, PRIMARY KEY (k)) WITH ('initialize' = 'on_schedule')
          FRESHNESS = INTERVAL '1' HOUR REFRESH_MODE = FULL AS SELECT k FROM src`);
      for (const hour of ['10', '11', '12']) {
        const body = { tables: 'totals', scheduleTime: `2024-06-01 ${hour}:00:00`, isPeriodic: true };
        const res = await gw.refresh(body, 10);
        assert.equal(res.status, 200, JSON.stringify(res.body));
        scheduled.push(res.body.jobId);
      }
      const failed = await gw.refresh({ tables: ['keyed'] }, 10);
      assert.equal(failed.status, 500, JSON.stringify(failed.body));
      failedJobId = failed.body.jobId;
    });
    after(async () => {
      await gw.close();
      await drop();
    });

    it('lists jobs newest first, as GET /v3/jobs/{id} shows each, with the total', async () => {
      const all = await jobs();
      assert.equal(all.total, 5, 'the CREATE of totals, three scheduled refreshes and the failed one');
      assert.equal(all.jobs.length, 5);
      assert.equal(all.jobs[0].jobId, failedJobId);
      const created = all.jobs.map((j) => j.createdAt);
      assert.deepEqual(created, [...created].sort().reverse());
      for (const job of all.jobs) assert.deepEqual(job, await gw.job(job.jobId));
    });

    it('filters by status, table, trigger and since, and pages with limit and offset', async () => {
      const failed = await jobs('?status=failed');
      assert.deepEqual(
        failed.jobs.map((j) => j.jobId),
        [failedJobId],
      );
      assert.equal(failed.total, 1);
      assert.match(failed.jobs[0].tables[0].error, /./);
      const ofTotals = await jobs('?table=totals');
      assert.equal(ofTotals.total, 4);
      assert.ok(ofTotals.jobs.every((j) => j.tables.some((t: any) => /totals$/.test(t.table))));
      const periodic = await jobs('?trigger=SCHEDULED&table=totals');
      assert.deepEqual(
        periodic.jobs.map((j) => j.jobId),
        [...scheduled].reverse(),
      );
      const all = await jobs();
      const since = all.jobs[1].createdAt;
      const recent = await jobs(`?since=${encodeURIComponent(since)}`);
      assert.deepEqual(
        recent.jobs.map((j) => j.jobId),
        all.jobs.filter((j) => j.createdAt >= since).map((j) => j.jobId),
      );
      const offset = new Date(Date.parse(since)).toISOString().replace('Z', '+00:00');
      assert.equal((await jobs(`?since=${encodeURIComponent(offset)}`)).total, recent.total);
      const page = await jobs('?limit=2&offset=1');
      assert.equal(page.total, 5);
      assert.deepEqual(
        page.jobs.map((j) => j.jobId),
        all.jobs.slice(1, 3).map((j) => j.jobId),
      );
      assert.deepEqual((await jobs('?offset=5')).jobs, []);
    });

    it('answers 400 naming the parameter for bad values, and 404 for an unknown table', async () => {
      const bad: Array<[string, RegExp]> = [
        ['?status=DONE', /status: expected one of PENDING, WAITING, RUNNING, SUCCEEDED, FAILED, SKIPPED/],
        ['?trigger=CRON', /trigger: expected one of SCHEDULED/],
        ['?limit=1001', /limit: expected a whole number from 0 to 1000/],
        ['?limit=-1', /limit: expected a whole number/],
        ['?offset=1.5', /offset: expected a whole number/],
        ['?since=yesterday', /since: expected an ISO-8601 date-time with an offset/],
        ['?since=2024-06-01T10:00:00', /since: expected an ISO-8601 date-time with an offset/],
        ['?limit=1&limit=2', /limit: expected a whole number/],
        ['?stauts=FAILED', /stauts/],
      ];
      for (const [query, message] of bad) {
        const res = await gw.request('GET', `/v3/jobs${query}`);
        assert.equal(res.status, 400, query);
        assert.equal(res.body.error.code, 'VALIDATION_ERROR', query);
        assert.match(res.body.error.message, message, query);
      }
      const unknown = await gw.request('GET', '/v3/jobs?table=nope');
      assert.equal(unknown.status, 404);
      const badRefreshes = await gw.request('GET', '/v3/dynamic-tables/totals/refreshes?status=maybe');
      assert.equal(badRefreshes.status, 400);
      assert.match(badRefreshes.body.error.message, /status: expected one of/);
    });

    it('filters and pages the refresh history of a table', async () => {
      const get = async (query: string) => {
        const res = await gw.request('GET', `/v3/dynamic-tables/totals/refreshes${query}`);
        assert.equal(res.status, 200, JSON.stringify(res.body));
        return res.body.refreshes as any[];
      };
      const all = await get('');
      assert.equal(all.length, 4);
      assert.deepEqual(
        (await get('?status=SUCCEEDED&since=2024-06-01T11:00:00Z')).map((r) => r.jobId),
        all.filter((r) => r.scheduleTime >= '2024-06-01T11:00:00.000Z').map((r) => r.jobId),
      );
      assert.deepEqual(
        (await get('?limit=2&offset=1')).map((r) => r.jobId),
        all.slice(1, 3).map((r) => r.jobId),
      );
      const failed = await gw.request('GET', '/v3/dynamic-tables/keyed/refreshes?status=FAILED');
      assert.equal(failed.body.refreshes.length, 1);
    });

    it('SHOW REFRESHES lists the history newest first, of one table or all', async () => {
      const [ofTotals] = await gw.sql('SHOW REFRESHES OF totals LIMIT 2');
      assert.deepEqual(ofTotals.columns.slice(0, 6), [
        'job_id',
        'table',
        'trigger',
        'schedule_time',
        'partition',
        'state',
      ]);
      const rest = (await gw.request('GET', '/v3/dynamic-tables/totals/refreshes?limit=2')).body.refreshes as any[];
      assert.deepEqual(
        ofTotals.rows.map((row: unknown[]) => row[0]),
        rest.map((r) => r.jobId),
      );
      const [all] = await gw.sql('show refreshes');
      assert.equal(all.rows.length, 5);
      assert.equal(all.rows[0][0], failedJobId);
      assert.equal(all.rows[0][ofTotals.columns.indexOf('state')], 'FAILED');
      const bad = await gw.sqlError('SHOW REFRESHES OF totals LIMIT 0');
      assert.equal(bad.status, 400);
      assert.match(bad.error.message, /whole number of rows/);
      assert.equal((await gw.sqlError('SHOW REFRESHES OF nope')).status, 404);
    });

    it('prunes rows beyond maxRowsPerTable and older than retentionDays, never the newest success or unfinished jobs', async () => {
      const before = await gw.table('totals');
      const catalog = new Catalog(catalogUrl, gw.dataDir);
      await catalog.open();
      try {
        // A job another gateway is still running, whose finished row is old.
        const [row] = await catalog.historyOfJob(scheduled[0]!);
        const old = '2020-01-01T00:00:00.000Z';
        const running = {
          jobId: 'still-running',
          dedupeKey: null,
          attempt: 1,
          trigger: 'MANUAL' as const,
          status: 'RUNNING' as const,
          tables: [row!.tableKey],
          scheduleTime: old,
          isPeriodic: false,
          configuration: {},
          staticPartitions: null,
          clusterInfo: {},
          error: null,
          createdAt: old,
          startedAt: old,
          finishedAt: null,
        };
        const history = {
          ...row!,
          jobId: 'still-running',
          trigger: 'MANUAL' as const,
          scheduleTime: old,
          startedAt: old,
          finishedAt: old,
        };
        const { id: _, action: __, actionDetail: ___, ...newRow } = history;
        await catalog.jobs.insert(running, [newRow], {
          owner: 'elsewhere',
          leaseUntil: '2999-01-01T00:00:00.000Z',
          resumable: false,
        });
      } finally {
        await catalog.close();
      }
      // totals: CREATION (the newest success), 12:00, 11:00, 10:00 and the running job's row: the two
      // beyond the newest two go, except the running job's.
      assert.deepEqual(await gw.gateway.manager.pruneHistory(), { rows: 2, jobs: 2, events: 0 });
      const kept = (await gw.refreshes('totals')).map((r) => r.jobId);
      assert.equal(kept.length, 3);
      assert.ok(kept.includes('still-running'));
      for (const id of scheduled.slice(0, 2)) {
        assert.equal((await gw.request('GET', `/v3/jobs/${id}`)).status, 404, 'a job without rows is removed');
      }
      // A week and a day later everything finished goes but each table's newest success.
      const later = new Date(Date.now() + 8 * DAY_MS);
      assert.deepEqual(await gw.gateway.manager.pruneHistory(later), { rows: 2, jobs: 2, events: 0 });
      const left = await gw.refreshes('totals');
      assert.deepEqual(left.map((r) => r.trigger).sort(), ['CREATION', 'MANUAL']);
      assert.deepEqual(await gw.refreshes('keyed'), []);
      assert.equal((await gw.request('GET', `/v3/jobs/${failedJobId}`)).status, 404);
      const after = await gw.table('totals');
      assert.equal(after.validThrough, before.validThrough);
      const listed = await jobs();
      assert.equal(listed.total, 2);
      assert.deepEqual(
        (await jobs('?status=RUNNING')).jobs.map((j) => j.jobId),
        ['still-running'],
      );
      assert.deepEqual(await gw.gateway.manager.pruneHistory(later), { rows: 0, jobs: 0, events: 0 });
    });

    it("prunes freshness transitions by the same rules, keeping each table's newest so its state keeps its since", async () => {
      await gw.sql(`CREATE DYNAMIC TABLE watched FRESHNESS = INTERVAL '1' HOUR REFRESH_MODE = FULL AS SELECT k FROM src;
        CREATE DYNAMIC TABLE dropped FRESHNESS = INTERVAL '1' HOUR REFRESH_MODE = FULL AS SELECT k FROM src`);
      const start = Date.now();
      const at = (minutes: number) => new Date(start + minutes * 60_000);
      // watched and dropped: FRESH, then WARN after 90 minutes, then STALE after three hours.
      for (const minutes of [0, 90, 180]) await gw.gateway.manager.freshnessPass(at(minutes));
      const events = async () => {
        const res = await gw.request('GET', '/v3/freshness/events?limit=1000');
        assert.equal(res.status, 200, JSON.stringify(res.body));
        const byTable = new Map<string, string[]>();
        for (const e of (res.body.events as any[]).reverse()) {
          const name = String(e.table).split('.').at(-1) as string;
          byTable.set(name, [...(byTable.get(name) ?? []), e.state]);
        }
        return byTable;
      };
      assert.deepEqual((await events()).get('watched'), ['FRESH', 'WARN', 'STALE']);
      await gw.sql('DROP DYNAMIC TABLE dropped');

      // maxRowsPerTable (2): the oldest transition of watched, dropped and totals goes, however young.
      assert.equal((await gw.gateway.manager.pruneHistory(at(180))).events, 3);
      assert.deepEqual((await events()).get('watched'), ['WARN', 'STALE']);
      assert.deepEqual((await events()).get('dropped'), ['WARN', 'STALE']);

      // Past retentionDays every transition goes but the newest of each table that still exists.
      const later = new Date(at(180).getTime() + 8 * DAY_MS);
      assert.equal((await gw.gateway.manager.pruneHistory(later)).events, 4);
      const left = await events();
      assert.deepEqual(left.get('watched'), ['STALE']);
      assert.deepEqual(left.get('totals'), ['STALE']);
      assert.deepEqual(left.get('keyed'), ['UNKNOWN']);
      assert.equal(left.get('dropped'), undefined, "a dropped table's transitions age out with the rest");
      const watched = (await gw.gateway.manager.freshness(at(180))).find((t) => t.table.endsWith('.watched'));
      assert.equal(watched?.state, 'STALE');
      assert.equal(watched?.since, at(180).toISOString(), 'the state keeps its since');
      assert.equal((await gw.gateway.manager.pruneHistory(later)).events, 0);
    });
  });
}

describe('history pruning in the background, and who may list jobs', function () {
  this.timeout(60_000);
  const readToken = 'read-token-0123456789';
  const operateToken = 'operate-token-0123456789';
  let gw: TestGateway;

  before(async () => {
    gw = await TestGateway.start({
      history: { maxRowsPerTable: 1, pruneIntervalSeconds: 0.1 },
      auth: {
        tokens: [
          { token: readToken, scopes: ['read'] },
          { token: operateToken, scopes: ['admin'] },
        ],
      },
    });
  });
  after(() => gw.close());

  const as = (token: string) => ({ authorization: `Bearer ${token}` });

  it('prunes on its own, keeping the newest success; a read token lists jobs and runs SHOW REFRESHES', async () => {
    const sql = async (statement: string) => {
      const res = await gw.request('POST', '/v3/statements', { statement }, as(operateToken));
      assert.equal(res.status, 200, JSON.stringify(res.body));
      return res.body.results;
    };
    await sql(`CREATE TABLE src (v INTEGER); INSERT INTO src VALUES (1);
      CREATE DYNAMIC TABLE copy FRESHNESS = INTERVAL '1' HOUR REFRESH_MODE = FULL AS SELECT v FROM src;
      ALTER DYNAMIC TABLE copy REFRESH; ALTER DYNAMIC TABLE copy REFRESH`);
    await eventually(async () => {
      const res = await gw.request('GET', '/v3/jobs?table=copy', undefined, as(readToken));
      assert.equal(res.status, 200);
      return res.body.total === 1;
    });
    const res = await gw.request('GET', '/v3/dynamic-tables/copy/refreshes', undefined, as(readToken));
    assert.equal(res.body.refreshes.length, 1);
    assert.equal(res.body.refreshes[0].state, 'SUCCEEDED');
    const shown = await gw.request('POST', '/v3/statements', { statement: 'SHOW REFRESHES' }, as(readToken));
    assert.equal(shown.status, 200);
    assert.equal(shown.body.results[0].rows.length, 1);
  });
});
