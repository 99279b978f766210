/**
 * Alert channels against a local receiver: Alertmanager-shaped and plain JSON bodies, HMAC signatures, a retry
 * after a 500, no duplicates, resolved after recovery, repeats while firing, a suspension for errors, and a full
 * queue dropping its oldest alert.
 */
import { strict as assert } from 'node:assert';
import { createHmac } from 'node:crypto';
import { ConfigError, loadConfig } from '../src/config/config';
import { createLogger } from '../src/logger';
import { Alerts, DEFAULT_ALERTS } from '../src/manager/alerts';
import { BACKENDS } from './helpers/backends';
import { TestGateway } from './helpers/gateway';
import { waitUntil } from './helpers/wait';
import { type AlertReceiver, startReceiver } from './helpers/alert-receiver';

const SECRET = 'a-shared-secret';

for (const backend of BACKENDS) {
  describe(`alert channels (${backend.kind} catalog)`, function () {
    this.timeout(60_000);
    let gw: TestGateway;
    let receiver: AlertReceiver;
    let drop: () => Promise<void> = async () => undefined;
    const of = (channel: string) => receiver.received.filter((r) => r.channel === channel);
    const alerts = () => gw.gateway.manager.alerts;

    before(async () => {
      receiver = await startReceiver();
      const setUp = await backend.setUp();
      drop = setUp.drop;
      gw = await TestGateway.start({
        ...setUp.overrides,
        monitor: { intervalSeconds: 0 },
        refresh: { maxConsecutiveFailures: 2 },
        alerts: {
          retryInitialSeconds: 0.02,
          maxAttempts: 3,
          channels: [
            { name: 'am', url: `${receiver.url}/hook/am`, secret: SECRET, repeatIntervalSeconds: 0 },
            {
              name: 'pager',
              url: `${receiver.url}/hook/pager`,
              format: 'json',
              minSeverity: 'critical',
              repeatIntervalSeconds: 3600,
            },
          ],
        },
      });
      await gw.sql(`CREATE TABLE src (k TEXT); INSERT INTO src VALUES ('a');
        CREATE DYNAMIC TABLE late WITH ('initialize' = 'on_schedule', 'sla.error_after' = '10000 days')
          FRESHNESS = INTERVAL '1' HOUR REFRESH_MODE = FULL AS SELECT k FROM src;
        CREATE DYNAMIC TABLE gone WITH ('initialize' = 'on_schedule')
          FRESHNESS = INTERVAL '1' HOUR REFRESH_MODE = FULL AS SELECT k FROM src`);
      for (const table of ['late', 'gone']) {
        const res = await gw.refresh({ tables: table, scheduleTime: '2024-06-01 10:00:00', isPeriodic: true }, 30);
        assert.equal(res.status, 200, JSON.stringify(res.body));
      }
    });
    after(async () => {
      await gw.close();
      await receiver.close();
      await drop();
    });

    it('sends a signed Alertmanager alert for WARN, retrying once after a 500', async () => {
      receiver.failNext.set('am', 1);
      await gw.gateway.manager.freshnessPass();
      await alerts().idle();
      const am = of('am');
      assert.equal(am.length, 3, 'late (WARN) and gone (STALE), one of them twice: a 500, then its retry');
      const retried = am.filter((r) => r.delivery === am[0]?.delivery);
      assert.equal(retried.length, 2);
      assert.equal(retried[0]?.raw, retried[1]?.raw, 'the retry sends the same body');
      assert.equal(new Set(am.map((r) => r.delivery)).size, 2);
      const late = am.filter((r) => r.body[0].labels.table === 'default.main.late');
      for (const r of am) {
        const expected = `sha256=${createHmac('sha256', SECRET).update(r.raw).digest('hex')}`;
        assert.equal(r.signature, expected);
      }
      const [alert] = late[0]?.body ?? [];
      assert.deepEqual(alert.labels, {
        alertname: 'DynamicTableFreshness',
        table: 'default.main.late',
        severity: 'warning',
      });
      assert.match(alert.annotations.summary, /default\.main\.late is WARN/);
      assert.match(alert.annotations.lag, /^\d+s$/);
      assert.match(alert.annotations.cause, /^notRefreshed: /);
      assert.ok(Date.parse(alert.startsAt));
      assert.equal(alert.endsAt, undefined);
      assert.match(alert.generatorURL, /\/v3\/freshness\?table=default\.main\.late$/);
    });

    it('sends STALE to the critical channel as plain JSON, unsigned, and WARN not at all', async () => {
      const pager = of('pager');
      assert.equal(pager.length, 1);
      const body = pager[0]?.body;
      assert.equal(pager[0]?.signature, undefined);
      assert.deepEqual(
        [body.table, body.severity, body.status, body.alertname],
        ['default.main.gone', 'critical', 'firing', 'DynamicTableFreshness'],
      );
      assert.equal(typeof body.lagSeconds, 'number');
      assert.equal(body.endsAt, null);
    });

    it('sends nothing again while nothing changes, and resolves after recovery', async () => {
      await gw.gateway.manager.freshnessPass();
      await alerts().idle();
      assert.equal(receiver.received.length, 4, 'no duplicates');
      await gw.sql('ALTER DYNAMIC TABLE late REFRESH');
      const [recovered] = await gw.gateway.manager.freshnessPass();
      assert.equal(recovered?.state, 'FRESH');
      await alerts().idle();
      const resolved = of('am').at(-1)?.body[0];
      assert.equal(resolved.labels.severity, 'warning');
      assert.equal(resolved.endsAt, recovered?.at);
      assert.ok(Date.parse(resolved.startsAt) < Date.parse(resolved.endsAt));
      assert.equal(of('pager').length, 1, 'the critical channel never had the warning');
    });

    it('repeats a firing alert after repeatIntervalSeconds, with a delivery id of its own', async () => {
      alerts().resendDue(new Date(Date.now() + 3601_000));
      await alerts().idle();
      const pager = of('pager');
      assert.equal(pager.length, 2);
      assert.equal(pager[1]?.body.id, pager[0]?.body.id, 'the same alert');
      assert.notEqual(pager[1]?.delivery, pager[0]?.delivery);
      assert.equal(of('am').length, 4, 'repeatIntervalSeconds 0: no repeats');
    });

    it('alerts when a table is suspended after failed refreshes', async () => {
      await gw.sql(`CREATE TABLE dup (k TEXT); INSERT INTO dup VALUES ('x'), ('x');
        CREATE DYNAMIC TABLE broken (k, PRIMARY KEY (k)) WITH ('initialize' = 'on_schedule')
          FRESHNESS = INTERVAL '1' HOUR REFRESH_MODE = FULL AS SELECT k FROM dup`);
      for (const hour of ['10', '11']) {
        await gw.refresh({ tables: 'broken', scheduleTime: `2024-06-01 ${hour}:00:00`, isPeriodic: true }, 30);
      }
      const found = await waitUntil(
        () => of('pager').find((r) => r.body.alertname === 'DynamicTableSuspended') ?? null,
        { timeoutMs: 10_000 },
      );
      assert.equal(found.body.table, 'default.main.broken');
      assert.match(found.body.cause, /^SUSPENDED_DUE_TO_ERRORS: /);
      await alerts().idle();
      assert.ok(of('am').some((r) => r.body[0].labels.alertname === 'DynamicTableSuspended'));
    });
  });
}

describe('alert channels: configuration and queue', () => {
  it('lists every problem of alerts.channels at start-up', () => {
    const overrides = {
      alerts: {
        channels: [
          { name: 'a', url: 'ftp://x', format: 'xml' },
          { name: 'a', url: 'http://x', minSeverity: 'info' },
        ],
      },
    } as never;
    assert.throws(
      () => loadConfig({ env: {}, overrides }),
      (error: unknown) => {
        assert.ok(error instanceof ConfigError);
        const text = error.problems.join('\n');
        assert.match(text, /alerts\.channels\.0\.url/);
        assert.match(text, /alerts\.channels\.0\.format/);
        assert.match(text, /alerts\.channels\.1\.minSeverity/);
        return true;
      },
    );
    const dup = {
      alerts: {
        channels: [
          { name: 'a', url: 'http://x' },
          { name: 'a', url: 'http://y' },
        ],
      },
    } as never;
    assert.throws(() => loadConfig({ env: {}, overrides: dup }), /names must be unique/);
  });

  it('drops the oldest alert with a log line when a channel queue is full, never blocking notify', async () => {
    const receiver = await startReceiver();
    const lines: string[] = [];
    let release: () => void = () => undefined;
    receiver.holdUntil(new Promise<void>((resolve) => (release = resolve)));
    const settings = {
      ...DEFAULT_ALERTS,
      queueSize: 2,
      channels: [
        {
          name: 'slow',
          url: `${receiver.url}/hook/slow`,
          format: 'json' as const,
          minSeverity: 'warning' as const,
          repeatIntervalSeconds: 0,
        },
      ],
    };
    const sink = new Alerts(
      settings,
      () => 'http://gateway',
      createLogger('warn', (l) => lines.push(l)),
    );
    const event = (n: number) => ({
      id: `e${n}`,
      alertname: 'DynamicTablePublishBlocked',
      table: 't',
      severity: 'warning' as const,
      status: 'firing' as const,
      summary: `s${n}`,
      description: 'd',
      startsAt: new Date().toISOString(),
    });
    for (const n of [1, 2, 3, 4]) sink.notify(event(n));
    sink.notify(event(4));
    release();
    await sink.idle();
    await sink.close();
    await receiver.close();
    assert.deepEqual(
      receiver.received.map((r) => r.body.id),
      ['e1', 'e3', 'e4'],
    );
    assert.ok(lines.some((l) => /alert queue full; the oldest alert was dropped/.test(l) && /"dropped":"e2"/.test(l)));
  });
});
