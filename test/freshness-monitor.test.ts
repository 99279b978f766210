/**
 * The freshness monitor (DESIGN.md §12) through REST and SQL: every table's state and cause, thresholds from
 * `sla.*` options, transitions recorded once, worst first. Lag is made deterministic by refreshing with schedule
 * times far in the past: such a refresh's data timestamp is its schedule time.
 */
import { strict as assert } from 'node:assert';
import { BACKENDS } from './helpers/backends';
import { TestGateway } from './helpers/gateway';
import { waitUntil } from './helpers/wait';

const OLD = '2024-06-01 10:00:00';
const OLD_ISO = '2024-06-01T10:00:00.000Z';

for (const backend of BACKENDS) {
  describe(`freshness monitor (${backend.kind} catalog)`, function () {
    this.timeout(60_000);
    let gw: TestGateway;
    let drop: () => Promise<void> = async () => undefined;

    const freshness = async () => {
      const res = await gw.request('GET', '/v3/freshness');
      assert.equal(res.status, 200, JSON.stringify(res.body));
      return res.body.tables as any[];
    };
    const stateOf = async (name: string) => {
      const found = (await freshness()).find((t) => t.table === `default.main.${name}`);
      assert.ok(found, `${name} is listed`);
      return found;
    };
    const periodic = async (table: string, scheduleTime: string, expected = 200) => {
      const res = await gw.refresh({ tables: table, scheduleTime, isPeriodic: true }, 30);
      assert.equal(res.status, expected, JSON.stringify(res.body));
    };

    before(async () => {
      const setUp = await backend.setUp();
      drop = setUp.drop;
      gw = await TestGateway.start({ ...setUp.overrides, monitor: { intervalSeconds: 0 } });
      await gw.sql(`CREATE TABLE src (k TEXT, v INTEGER); INSERT INTO src VALUES ('a', 1), ('b', 2);
        CREATE DYNAMIC TABLE never_run WITH ('initialize' = 'on_schedule') FRESHNESS = INTERVAL '1' HOUR
          REFRESH_MODE = FULL AS SELECT k FROM src;
        CREATE DYNAMIC TABLE fresh_one FRESHNESS = INTERVAL '1' HOUR REFRESH_MODE = FULL AS SELECT k FROM src;
        CREATE DYNAMIC TABLE old_data WITH ('initialize' = 'on_schedule') FRESHNESS = INTERVAL '1' HOUR
          REFRESH_MODE = FULL AS SELECT k, v FROM src;
        CREATE DYNAMIC TABLE lenient WITH ('initialize' = 'on_schedule', 'sla.warn_after' = '1 hour',
          'sla.error_after' = '10000 days') FRESHNESS = INTERVAL '1' HOUR REFRESH_MODE = FULL AS SELECT k FROM src;
        CREATE TABLE keys (k TEXT); INSERT INTO keys VALUES ('x');
        CREATE DYNAMIC TABLE failing (k, PRIMARY KEY (k)) WITH ('initialize' = 'on_schedule')
          FRESHNESS = INTERVAL '1' HOUR REFRESH_MODE = FULL AS SELECT k FROM keys;
        CREATE DYNAMIC TABLE held FRESHNESS = INTERVAL '1' HOUR REFRESH_MODE = FULL AS SELECT k FROM src`);
      await periodic('old_data', OLD);
      await periodic('lenient', OLD);
      await periodic('failing', OLD);
      await gw.sql(`INSERT INTO keys VALUES ('x');
        CREATE DYNAMIC TABLE reads_old FRESHNESS = INTERVAL '1' HOUR REFRESH_MODE = FULL AS SELECT k FROM old_data;
        ALTER DYNAMIC TABLE held SUSPEND`);
      await periodic('failing', '2024-06-01 11:00:00', 500);
    });
    after(async () => {
      await gw.close();
      await drop();
    });

    it('calls a table never refreshed UNKNOWN and one refreshed just now FRESH', async () => {
      const never = await stateOf('never_run');
      assert.equal(never.state, 'UNKNOWN');
      assert.equal(never.lagSeconds, null);
      assert.equal(never.validThrough, null);
      assert.equal(never.cause.kind, 'neverRefreshed');
      const fresh = await stateOf('fresh_one');
      assert.equal(fresh.state, 'FRESH');
      assert.equal(fresh.cause, null);
      assert.equal(fresh.targetLagSeconds, 3600);
      assert.ok(fresh.lagSeconds < 3600);
    });

    it('measures lag from the data timestamp: old data is STALE', async () => {
      const old = await stateOf('old_data');
      assert.equal(old.state, 'STALE');
      assert.equal(old.validThrough, OLD_ISO);
      assert.ok(Math.abs(old.lagSeconds - (Date.now() - Date.parse(OLD_ISO)) / 1000) < 60);
      assert.equal(old.cause.kind, 'notRefreshed');
      assert.equal((await gw.table('old_data')).validThrough, old.validThrough);
    });

    it('takes its thresholds from sla.warn_after and sla.error_after', async () => {
      const lenient = await stateOf('lenient');
      assert.equal(lenient.state, 'WARN', 'older than warn_after, younger than error_after');
      assert.equal(lenient.warnAfterSeconds, 3600);
      assert.equal(lenient.errorAfterSeconds, 10000 * 86400);
      const old = await stateOf('old_data');
      assert.deepEqual([old.warnAfterSeconds, old.errorAfterSeconds], [3600, 7200], 'freshness and twice it');
    });

    it('refuses sla options that do not parse or put error before warn, naming the option', async () => {
      const bad = await gw.sqlError(`CREATE DYNAMIC TABLE bad WITH ('sla.warn_after' = 'soon')
        FRESHNESS = INTERVAL '1' HOUR AS SELECT k FROM src`);
      assert.equal(bad.status, 400);
      assert.match(bad.error.message, /'sla\.warn_after'/);
      const order = await gw.sqlError(`CREATE DYNAMIC TABLE bad WITH ('sla.warn_after' = '2 hours',
        'sla.error_after' = '1 hour') FRESHNESS = INTERVAL '1' HOUR AS SELECT k FROM src`);
      assert.equal(order.status, 400);
      assert.match(order.error.message, /'sla\.error_after' \(3600 s\) must be at least 'sla\.warn_after' \(7200 s\)/);
      const typo = await gw.sqlError(`CREATE DYNAMIC TABLE bad WITH ('sla.warn_afterr' = '1 hour')
        FRESHNESS = INTERVAL '1' HOUR AS SELECT k FROM src`);
      assert.match(typo.error.message, /Known options: .*'sla\.warn_after', 'sla\.error_after'/);
    });

    it('names a failed last refresh with its error', async () => {
      const failing = await stateOf('failing');
      assert.equal(failing.state, 'STALE');
      assert.equal(failing.cause.kind, 'refreshFailed');
      assert.match(failing.cause.error, /unique|constraint|duplicate/i);
      assert.match(failing.cause.message, /The last refresh failed: /);
    });

    it('names a stale upstream table', async () => {
      const reads = await stateOf('reads_old');
      assert.equal(reads.validThrough, OLD_ISO, 'never fresher than what it read');
      assert.equal(reads.state, 'STALE');
      assert.equal(reads.cause.kind, 'upstreamStale');
      assert.equal(reads.cause.upstream, 'default.main.old_data');
      assert.equal(reads.cause.upstreamState, 'STALE');
      assert.match(reads.cause.message, /is STALE \(lag \d+ d( \d+ h)?\)/, 'the lag in days, not in seconds');
    });

    it('calls a suspended table PAUSED with the reason', async () => {
      const held = await stateOf('held');
      assert.equal(held.state, 'PAUSED');
      assert.deepEqual([held.cause.kind, held.cause.reason], ['suspended', 'MANUAL']);
    });

    it('lists every table worst first, then by lag', async () => {
      const tables = await freshness();
      const order = ['STALE', 'WARN', 'UNKNOWN', 'PAUSED', 'FRESH'];
      const ranks = tables.map((t) => order.indexOf(t.state));
      assert.deepEqual(
        ranks,
        [...ranks].sort((a, b) => a - b),
      );
      const stale = tables.filter((t) => t.state === 'STALE').map((t) => t.lagSeconds);
      assert.deepEqual(
        stale,
        [...stale].sort((a, b) => b - a),
      );
      for (const t of tables) {
        for (const key of ['table', 'state', 'lagSeconds', 'targetLagSeconds', 'validThrough', 'since', 'cause'])
          assert.ok(key in t, `${t.table} has ${key}`);
      }
    });

    it('answers SHOW FRESHNESS [LIKE] with the same rows', async () => {
      const [all] = await gw.sql('SHOW FRESHNESS');
      assert.deepEqual(all.columns.slice(0, 3), ['table', 'state', 'lag_seconds']);
      assert.deepEqual(
        all.rows.map((r: unknown[]) => r[0]),
        (await freshness()).map((t) => t.table),
      );
      const [some] = await gw.sql("SHOW FRESHNESS LIKE 'old%'");
      assert.deepEqual(
        some.rows.map((r: unknown[]) => [r[0], r[1], r[8]]),
        [['default.main.old_data', 'STALE', 'notRefreshed']],
      );
      const bad = await gw.sqlError('SHOW FRESHNESS LIKE old');
      assert.equal(bad.status, 400);
    });

    it('records each transition once, and answers the events newest first', async () => {
      const first = await gw.gateway.manager.freshnessPass();
      assert.equal(first.length, 7, 'every table gets its first state');
      assert.deepEqual(await gw.gateway.manager.freshnessPass(), [], 'nothing changed: nothing recorded');
      const held = await stateOf('held');
      assert.equal(held.since, first[0]?.at, 'since: when the state was recorded');
      await gw.sql('ALTER DYNAMIC TABLE never_run REFRESH');
      const second = await gw.gateway.manager.freshnessPass();
      assert.deepEqual(
        second.map((e) => [e.identifier, e.previousState, e.state]),
        [['default.main.never_run', 'UNKNOWN', 'FRESH']],
      );
      const res = await gw.request('GET', '/v3/freshness/events?table=never_run');
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.deepEqual(
        res.body.events.map((e: any) => [e.table, e.previousState, e.state]),
        [
          ['default.main.never_run', 'UNKNOWN', 'FRESH'],
          ['default.main.never_run', null, 'UNKNOWN'],
        ],
      );
      assert.equal(res.body.events[1].cause.kind, 'neverRefreshed');
      const since = encodeURIComponent(second[0]?.at ?? '');
      const recent = await gw.request('GET', `/v3/freshness/events?since=${since}&limit=5`);
      assert.equal(recent.body.events.length, 1);
      const all = await gw.request('GET', '/v3/freshness/events?limit=1000');
      const ids = all.body.events.map((e: any) => e.id);
      assert.deepEqual(
        ids,
        [...ids].sort((a: number, b: number) => b - a),
      );
      const unknown = await gw.request('GET', '/v3/freshness/events?table=nope');
      assert.equal(unknown.status, 404);
      const badLimit = await gw.request('GET', '/v3/freshness/events?limit=many');
      assert.equal(badLimit.status, 400);
      assert.match(badLimit.body.error.message, /limit/);
    });

    it('names a refresh waiting for its sources to be ready', async () => {
      const created = await gw.request('POST', '/v3/sources', { name: 'feed', owner: 'data-team' });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      await gw.sql(`CREATE DYNAMIC TABLE gated WITH ('initialize' = 'on_schedule', 'readiness.sources' = 'feed')
        FRESHNESS = INTERVAL '1' HOUR REFRESH_MODE = FULL AS SELECT k FROM src`);
      const res = await gw.refresh({ tables: 'gated', scheduleTime: OLD, isPeriodic: true });
      await waitUntil(async () => (await gw.job(res.body.jobId)).status === 'WAITING', { timeoutMs: 10_000 });
      const gated = await stateOf('gated');
      assert.equal(gated.state, 'UNKNOWN');
      assert.equal(gated.cause.kind, 'waitingForReadiness');
      assert.equal(gated.cause.waitingOn.sources[0].source, 'feed');
      assert.match(gated.cause.message, /waiting for its sources to be ready: feed/);
    });
  });
}
