/**
 * The breaking schema change alert end to end, against a local receiver: a column a dynamic table reads is
 * dropped behind Freshet's back; reflection (its pass, or the check at the start of a refresh) finds the change,
 * applies the table's `on_schema_change`, and the receiver gets `DynamicTableSchemaChange` naming the table, the
 * source, the column and the change. Tables the change does not break get nothing.
 */
import { strict as assert } from 'node:assert';
import { type AlertReceiver, startReceiver } from './helpers/alert-receiver';
import { TestGateway } from './helpers/gateway';
import { REFLECTION_BACKENDS } from './helpers/reflection-backends';
import { waitUntil } from './helpers/wait';

const SCHEMA_ALERT = 'DynamicTableSchemaChange';

for (const backend of REFLECTION_BACKENDS) {
  describe(`the breaking schema change alert (${backend.name})`, function () {
    this.timeout(60_000);
    let gw: TestGateway;
    let receiver: AlertReceiver;
    let outside: (sql: string) => Promise<void>;
    let drop: () => Promise<void> = async () => undefined;
    const schemaAlerts = () =>
      receiver.received.filter((r) => r.channel === 'ops' && r.body.alertname === SCHEMA_ALERT).map((r) => r.body);
    const alertsFor = (name: string) => schemaAlerts().filter((a) => a.table.endsWith(`.${name}`));

    before(async () => {
      receiver = await startReceiver();
      const setUp = await backend.setUp();
      drop = setUp.drop;
      gw = await TestGateway.start({
        ...setUp.overrides,
        monitor: { intervalSeconds: 0 },
        alerts: {
          retryInitialSeconds: 0.02,
          channels: [
            { name: 'ops', url: `${receiver.url}/hook/ops`, format: 'json', repeatIntervalSeconds: 0 },
            { name: 'am', url: `${receiver.url}/hook/am`, repeatIntervalSeconds: 0 },
          ],
        },
      });
      outside = (sql) => setUp.outside(gw.dataDir, sql);
      await gw.sql(`CREATE TABLE orders (id INTEGER, region TEXT, amount INTEGER);
        INSERT INTO orders VALUES (1, 'north', 10), (2, 'south', 5);
        CREATE DYNAMIC TABLE by_region FRESHNESS = INTERVAL '1' HOUR
          AS SELECT region, SUM(amount) AS total FROM orders GROUP BY region;
        CREATE DYNAMIC TABLE order_ids FRESHNESS = INTERVAL '1' HOUR AS SELECT id, region FROM orders;
        CREATE TABLE customers (id INTEGER, name TEXT, tier TEXT);
        INSERT INTO customers VALUES (1, 'Ada', 'gold');
        CREATE DYNAMIC TABLE tiers WITH ('on_schema_change' = 'fail') FRESHNESS = INTERVAL '1' HOUR
          AS SELECT tier, COUNT(*) AS n FROM customers GROUP BY tier`);
      const res = await gw.request('POST', '/v3/reflection/run');
      assert.equal(res.status, 200, JSON.stringify(res.body));
    });
    after(async () => {
      await gw?.close();
      await receiver?.close();
      await drop();
    });

    it('sends the alert when a reflection pass finds a dropped column that a table reads', async () => {
      assert.deepEqual(schemaAlerts(), [], 'nothing before the change');
      await outside('ALTER TABLE orders DROP COLUMN amount');
      const res = await gw.request('POST', '/v3/reflection/run');
      assert.equal(res.status, 200, JSON.stringify(res.body));
      await gw.gateway.manager.alerts.idle();

      const [alert, ...more] = alertsFor('by_region');
      assert.equal(more.length, 0, 'one alert for one change');
      assert.equal(alert.table, (await gw.table('by_region')).identifier);
      assert.deepEqual([alert.status, alert.severity], ['firing', 'critical']);
      assert.match(alert.summary, /breaking schema change reached \S+by_region/);
      assert.match(
        alert.description,
        /\S+orders changed \(schema version 2\.0\): amount dropped; on_schema_change = suspend/,
      );
      assert.equal(alert.cause, alert.description);
      assert.deepEqual(alertsFor('order_ids'), [], 'order_ids does not read amount');
      const table = await gw.table('by_region');
      assert.deepEqual([table.refreshStatus, table.suspendedReason], ['SUSPENDED', 'SCHEMA_DRIFT']);

      const am = receiver.received.filter((r) => r.channel === 'am' && r.body[0].labels.alertname === SCHEMA_ALERT);
      assert.equal(am.length, 1);
      assert.deepEqual(am[0]?.body[0].labels, { alertname: SCHEMA_ALERT, table: alert.table, severity: 'critical' });
      assert.match(am[0]?.body[0].annotations.description, /amount dropped/);
    });

    it('sends the alert when the check at the start of a refresh finds the change first', async () => {
      await outside('ALTER TABLE customers DROP COLUMN tier');
      const refreshed = await gw.request('POST', '/v3/statements', { statement: 'ALTER DYNAMIC TABLE tiers REFRESH' });
      assert.match(JSON.stringify(refreshed.body), /column tier of \S+customers was dropped/);
      const alert = await waitUntil(() => alertsFor('tiers')[0] ?? null, { timeoutMs: 10_000 });
      assert.match(
        alert.description,
        /\S+customers changed \(schema version 2\.0\): tier dropped; on_schema_change = fail/,
      );
      assert.equal((await gw.table('tiers')).refreshStatus, 'ACTIVATED', "'fail' leaves the table active");
    });
  });
}
