/**
 * Catch-up after downtime: a partitioned table whose scheduled refreshes missed ticks refreshes one window per
 * missed tick, oldest first, before the tick that arrived — through the callback, and with the embedded scheduler
 * after the gateway was stopped for a while. On SQLite and for real on PostgreSQL.
 */
import { strict as assert } from 'node:assert';
import { BACKENDS } from './helpers/backends';
import { TestGateway } from './helpers/gateway';
import { sleep, waitUntil } from './helpers/wait';

/** On PostgreSQL the tables live in the catalog's database, as catalog `wh`. */
const ENGINES = BACKENDS.map((backend) => ({
  name: backend.kind === 'sqlite' ? backend.name : `${backend.name} (engine and catalog)`,
  settings: () => backend.setUp({ warehouse: 'with-catalog' }),
}));

const HOUR_MS = 3600_000;
/** `yyyy-MM-dd HH:mm:ss` in UTC, the gateway's zone: a schedule time, and what the formatters below write. */
const utc = (ms: number) => new Date(ms).toISOString().slice(0, 19).replace('T', ' ');
const hourOf = (ms: number) => utc(ms).slice(0, 13);

interface Refresh {
  jobId: string;
  trigger: string;
  scheduleTime: string;
  partition: Record<string, string> | null;
  state: string;
}

for (const engine of ENGINES) {
  describe(`catch-up of missed windows (${engine.name})`, function () {
    this.timeout(90_000);

    describe('through the callback', () => {
      let gw: TestGateway;
      let drop: () => Promise<void>;
      /** The first tick after the tables were created. */
      let first: number;

      before(async () => {
        const settings = await engine.settings();
        drop = settings.drop;
        gw = await TestGateway.start({ ...settings.overrides, refresh: { maxCatchUpWindows: 3 } });
        const hours = Array.from({ length: 16 }, (_, i) => hourOf(Date.now() + (i - 2) * HOUR_MS));
        await gw.sql(`CREATE TABLE events (hr VARCHAR(13), v INTEGER);
          INSERT INTO events VALUES ${hours.map((h, i) => `('${h}', ${i})`).join(', ')};
          CREATE DYNAMIC TABLE hourly PARTITIONED BY (hr)
            WITH ('partition.fields.hr.date-formatter' = 'yyyy-MM-dd HH', 'initialize' = 'on_schedule')
            FRESHNESS = INTERVAL '1' HOUR AS SELECT hr, v FROM events;
          CREATE DYNAMIC TABLE whole WITH ('initialize' = 'on_schedule') FRESHNESS = INTERVAL '1' HOUR
            AS SELECT hr, v FROM events`);
        const changed = Math.max(
          ...(await Promise.all(['hourly', 'whole'].map(async (t) => Date.parse((await gw.table(t)).updatedAt)))),
        );
        first = Math.floor(changed / HOUR_MS) * HOUR_MS + HOUR_MS;
      });
      after(async () => {
        await gw?.close();
        await drop?.();
      });

      const tick = (table: string, at: number) =>
        gw.refresh({ tables: [table], scheduleTime: utc(at), configuration: {} }, 30);
      const scheduled = async (table: string): Promise<Refresh[]> =>
        ((await gw.refreshes(table)) as Refresh[])
          .filter((r) => r.trigger === 'SCHEDULED')
          .sort((a, b) => a.scheduleTime.localeCompare(b.scheduleTime));
      const partitions = async () => (await gw.rows('SELECT DISTINCT hr FROM hourly ORDER BY hr')).map((r) => r[0]);

      it('refreshes each missed window as its own job, oldest first, then answers with the tick', async () => {
        const one = await tick('hourly', first);
        assert.equal(one.status, 200, JSON.stringify(one.body));
        assert.deepEqual(await partitions(), [hourOf(first - HOUR_MS)], 'nothing missed before the first tick');
        const four = await tick('hourly', first + 3 * HOUR_MS);
        assert.equal(four.status, 200, JSON.stringify(four.body));
        assert.equal(four.body.job.scheduleTime, new Date(first + 3 * HOUR_MS).toISOString());
        assert.deepEqual(four.body.job.tables[0].partition, { hr: hourOf(first + 2 * HOUR_MS) });
        const refreshes = await waitUntil(async () => {
          const rows = await scheduled('hourly');
          return rows.length === 4 && rows.every((r) => r.state === 'SUCCEEDED') && rows;
        });
        assert.deepEqual(
          refreshes.map((r) => [r.scheduleTime, r.partition?.hr]),
          [0, 1, 2, 3].map((i) => [new Date(first + i * HOUR_MS).toISOString(), hourOf(first + (i - 1) * HOUR_MS)]),
        );
        assert.equal(new Set(refreshes.map((r) => r.jobId)).size, 4, 'one job per window, never merged');
        assert.deepEqual(
          await partitions(),
          [-1, 0, 1, 2].map((i) => hourOf(first + i * HOUR_MS)),
        );
      });

      it("answers a scheduler's own late callback for a caught-up tick with the catch-up job", async () => {
        const caughtUp = (await scheduled('hourly')).find(
          (r) => r.scheduleTime === new Date(first + HOUR_MS).toISOString(),
        );
        const late = await tick('hourly', first + HOUR_MS);
        assert.equal(late.status, 200);
        assert.equal(late.body.jobId, caughtUp?.jobId);
        assert.equal((await scheduled('hourly')).length, 4);
      });

      it('catches up only the newest refresh.maxCatchUpWindows windows', async () => {
        const res = await tick('hourly', first + 10 * HOUR_MS);
        assert.equal(res.status, 200, JSON.stringify(res.body));
        const refreshes = await waitUntil(async () => {
          const rows = await scheduled('hourly');
          return rows.length === 8 && rows.every((r) => r.state === 'SUCCEEDED') && rows;
        });
        assert.deepEqual(
          refreshes.slice(4).map((r) => r.partition?.hr),
          [6, 7, 8, 9].map((i) => hourOf(first + i * HOUR_MS)),
        );
        const written = await partitions();
        for (const i of [3, 4, 5]) assert.ok(!written.includes(hourOf(first + i * HOUR_MS)), `window ${i} left out`);
      });

      it('leaves a table refreshed whole to catch up by itself', async () => {
        assert.equal((await tick('whole', first)).status, 200);
        assert.equal((await tick('whole', first + 3 * HOUR_MS)).status, 200);
        assert.equal((await scheduled('whole')).length, 2);
      });
    });

    describe('with the embedded scheduler, after the gateway was stopped', () => {
      let gw: TestGateway;
      let drop: () => Promise<void>;
      let overrides: Record<string, unknown>;

      before(async () => {
        const settings = await engine.settings();
        drop = settings.drop;
        overrides = settings.overrides;
        gw = await TestGateway.start(overrides);
        const now = Math.floor(Date.now() / 1000) * 1000;
        const seconds = Array.from({ length: 600 }, (_, i) => utc(now + (i - 5) * 1000));
        await gw.sql(`CREATE TABLE events (ts VARCHAR(19), v INTEGER);
          INSERT INTO events VALUES ${seconds.map((s, i) => `('${s}', ${i})`).join(', ')}`);
      });
      after(async () => {
        await gw?.close();
        await drop?.();
      });

      const partitions = async (): Promise<string[]> =>
        (await gw.rows('SELECT DISTINCT ts FROM per_second ORDER BY ts')).map((r) => String(r[0]));
      /** Every second from the first partition to the last is there. */
      const gaps = (written: readonly string[]): string[] => {
        const missing: string[] = [];
        const start = Date.parse(`${written[0]}Z`);
        const end = Date.parse(`${written[written.length - 1]}Z`);
        for (let at = start; at <= end; at += 1000) if (!written.includes(utc(at))) missing.push(utc(at));
        return missing;
      };

      it('writes the partitions of the seconds it was down once it is back', async () => {
        await gw.sql(`CREATE DYNAMIC TABLE per_second PARTITIONED BY (ts)
          WITH ('partition.fields.ts.date-formatter' = 'yyyy-MM-dd HH:mm:ss', 'initialize' = 'on_schedule')
          FRESHNESS = INTERVAL '1' SECOND REFRESH_MODE = FULL AS SELECT ts, v FROM events`);
        await waitUntil(async () => (await partitions()).length >= 2, { what: 'two scheduled refreshes' });
        await gw.gateway.close();
        const stoppedAt = Date.now();
        // Ticks pass while nothing runs.
        await sleep(4000);
        gw = await TestGateway.start(overrides, gw.dataDir);
        const written = await waitUntil(
          async () => {
            const now = await partitions();
            const last = now[now.length - 1];
            return last !== undefined && Date.parse(`${last}Z`) > stoppedAt + 5000 && gaps(now).length === 0 && now;
          },
          { timeoutMs: 30_000, what: 'every second from before the stop to after the restart' },
        );
        assert.ok(Date.parse(`${written[0]}Z`) < stoppedAt, 'partitions from before the stop');
        const caughtUp = ((await gw.refreshes('per_second')) as Refresh[]).filter(
          (r) =>
            r.trigger === 'SCHEDULED' &&
            Date.parse(r.scheduleTime) > stoppedAt &&
            Date.parse(r.scheduleTime) < stoppedAt + 4000,
        );
        assert.ok(caughtUp.length >= 3, `the ticks of the downtime were refreshed: ${caughtUp.length}`);
      });
    });
  });
}

describe('catch-up turned off (refresh.maxCatchUpWindows = 0)', () => {
  let gw: TestGateway;
  before(async () => {
    gw = await TestGateway.start({ refresh: { maxCatchUpWindows: 0 } });
    await gw.sql(`CREATE TABLE events (hr VARCHAR(13), v INTEGER);
      CREATE DYNAMIC TABLE hourly PARTITIONED BY (hr)
        WITH ('partition.fields.hr.date-formatter' = 'yyyy-MM-dd HH', 'initialize' = 'on_schedule')
        FRESHNESS = INTERVAL '1' HOUR AS SELECT hr, v FROM events`);
  });
  after(() => gw?.close());

  it('refreshes only the tick that arrived', async () => {
    const changed = Date.parse((await gw.table('hourly')).updatedAt);
    const first = Math.floor(changed / HOUR_MS) * HOUR_MS + HOUR_MS;
    for (const at of [first, first + 3 * HOUR_MS]) {
      assert.equal((await gw.refresh({ tables: ['hourly'], scheduleTime: utc(at) }, 30)).status, 200);
    }
    const scheduled = ((await gw.refreshes('hourly')) as Refresh[]).filter((r) => r.trigger === 'SCHEDULED');
    assert.equal(scheduled.length, 2);
  });
});
