/**
 * Alerts across a gateway restart, against a local receiver: what fired before the restart is not sent again, is
 * repeated as before, and resolves with the alert that fired (its startsAt) when the table recovers afterwards;
 * a suspension alert resolves after a restart too. The gateway learns what fired from the freshness transitions
 * the catalog recorded.
 */
import { strict as assert } from 'node:assert';
import { type AlertReceiver, startReceiver } from './helpers/alert-receiver';
import { BACKENDS } from './helpers/backends';
import { TestGateway } from './helpers/gateway';
import { waitUntil } from './helpers/wait';

for (const backend of BACKENDS) {
  describe(`alerts across a gateway restart (${backend.kind} catalog)`, function () {
    this.timeout(60_000);
    let gw: TestGateway;
    let receiver: AlertReceiver;
    let drop: () => Promise<void> = async () => undefined;
    const of = (channel: string) => receiver.received.filter((r) => r.channel === channel);
    const pager = (alertname: string, status: string) =>
      of('pager').filter((r) => r.body.alertname === alertname && r.body.status === status);
    const settle = async () => {
      await gw.gateway.manager.freshnessPass();
      await gw.gateway.manager.alerts.idle();
    };

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
          channels: [
            { name: 'am', url: `${receiver.url}/hook/am`, repeatIntervalSeconds: 0 },
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
      await gw.sql(`CREATE TABLE src (k TEXT); INSERT INTO src VALUES ('a'), ('a');
        CREATE DYNAMIC TABLE behind WITH ('initialize' = 'on_schedule') FRESHNESS = INTERVAL '1' HOUR
          REFRESH_MODE = FULL AS SELECT k FROM src;
        CREATE DYNAMIC TABLE broken (k, PRIMARY KEY (k)) WITH ('initialize' = 'on_schedule')
          FRESHNESS = INTERVAL '1' HOUR REFRESH_MODE = FULL AS SELECT k FROM src`);
      const res = await gw.refresh({ tables: 'behind', scheduleTime: '2024-06-01 10:00:00', isPeriodic: true }, 30);
      assert.equal(res.status, 200, JSON.stringify(res.body));
      for (const hour of ['10', '11']) {
        await gw.refresh({ tables: 'broken', scheduleTime: `2024-06-01 ${hour}:00:00`, isPeriodic: true }, 30);
      }
      await waitUntil(async () => (await gw.table('broken')).refreshStatus === 'SUSPENDED', { timeoutMs: 10_000 });
      await settle();
    });
    after(async () => {
      await gw?.close();
      await receiver?.close();
      await drop();
    });

    it('sends nothing again after a restart while the table is still STALE', async () => {
      assert.equal(pager('DynamicTableFreshness', 'firing').length, 1, 'behind is STALE');
      assert.equal(pager('DynamicTableSuspended', 'firing').length, 1, 'broken was suspended');
      const before = receiver.received.length;
      gw = await gw.restart();
      await settle();
      await settle();
      assert.equal(receiver.received.length, before, 'no duplicate after the restart');
    });

    it('repeats what fired before the restart, as it was sent', async () => {
      const [fired] = pager('DynamicTableFreshness', 'firing');
      gw.gateway.manager.alerts.resendDue(new Date(Date.now() + 3601_000));
      await gw.gateway.manager.alerts.idle();
      const repeated = pager('DynamicTableFreshness', 'firing');
      assert.equal(repeated.length, 2);
      const { generatorURL: _, ...again } = repeated[1]?.body ?? {};
      const { generatorURL: __, ...first } = fired?.body ?? {};
      assert.deepEqual(again, first, 'the same alert (the restarted gateway listens on another port)');
      assert.notEqual(repeated[1]?.delivery, fired?.delivery);
      assert.equal(pager('DynamicTableSuspended', 'firing').length, 2, 'the suspension is repeated too');
      assert.equal(of('am').length, 2, 'repeatIntervalSeconds 0: no repeats');
    });

    it('resolves after the restart with the alert that fired before it', async () => {
      const [fired] = pager('DynamicTableFreshness', 'firing');
      await gw.sql('ALTER DYNAMIC TABLE behind REFRESH');
      const [recovered] = await gw.gateway.manager.freshnessPass();
      assert.equal(recovered?.state, 'FRESH');
      await gw.gateway.manager.alerts.idle();
      const [resolved] = pager('DynamicTableFreshness', 'resolved');
      assert.equal(resolved?.body.table, 'default.main.behind');
      assert.equal(resolved?.body.startsAt, fired?.body.startsAt, 'startsAt of the alert that fired');
      assert.equal(resolved?.body.endsAt, recovered?.at);
      const am = of('am').at(-1)?.body[0];
      assert.deepEqual([am.labels.severity, am.startsAt, am.endsAt], ['critical', fired?.body.startsAt, recovered?.at]);
      gw.gateway.manager.alerts.resendDue(new Date(Date.now() + 7202_000));
      await gw.gateway.manager.alerts.idle();
      assert.equal(pager('DynamicTableFreshness', 'firing').length, 2, 'a resolved alert is not repeated');
    });

    it('resolves a suspension alert that fired before the restart once the table is resumed and refreshed', async () => {
      await gw.sql(`DELETE FROM src; INSERT INTO src VALUES ('a')`);
      await gw.sql('ALTER DYNAMIC TABLE broken RESUME; ALTER DYNAMIC TABLE broken REFRESH');
      await settle();
      const [resolved] = pager('DynamicTableSuspended', 'resolved');
      assert.equal(resolved?.body.table, 'default.main.broken');
      assert.match(resolved?.body.summary ?? '', /no longer suspended/);
    });
  });
}
