import { strict as assert } from 'node:assert';
import { createDatabase, type CatalogKind } from './helpers/databases';
import { TestGateway } from './helpers/gateway';
import { eventually } from './helpers/wait';

for (const kind of ['postgres', 'mysql'] as Exclude<CatalogKind, 'sqlite'>[]) {
  describe(`gateway with its catalog on ${kind}`, function () {
    this.timeout(60_000);
    let gw: TestGateway;
    let drop: () => Promise<void>;

    before(async () => {
      const db = await createDatabase(kind);
      drop = db.drop;
      gw = await TestGateway.start({ catalog: { url: db.url } });
    });
    after(async () => {
      await gw.close();
      await drop();
    });

    it('creates, refreshes idempotently, suspends, survives a restart, schedules and drops', async () => {
      await gw.sql(`CREATE TABLE src (k TEXT, v INTEGER); INSERT INTO src VALUES ('a', 1), ('a', 2), ('b', 5);
        CREATE DYNAMIC TABLE totals FRESHNESS = INTERVAL '1' HOUR AS SELECT k, SUM(v) AS total FROM src GROUP BY k`);
      assert.deepEqual(await gw.rows('SELECT k, total FROM totals ORDER BY k'), [
        ['a', 3],
        ['b', 5],
      ]);
      const body = { tables: 'totals', scheduleTime: '2024-06-01 10:00:00', isPeriodic: true };
      const first = await gw.refresh(body, 10);
      assert.equal(first.status, 200);
      assert.equal((await gw.refresh(body)).body.jobId, first.body.jobId);
      await gw.sql('ALTER DYNAMIC TABLE totals SUSPEND');
      const before = await gw.table('totals');
      gw = await gw.restart();
      assert.deepEqual({ ...(await gw.table('totals')), lagSeconds: 0 }, { ...before, lagSeconds: 0 });
      await gw.sql('ALTER DYNAMIC TABLE totals RESUME');
      await gw.sql(
        `CREATE DYNAMIC TABLE ticking WITH ('initialize' = 'on_schedule') FRESHNESS = INTERVAL '1' SECOND REFRESH_MODE = FULL AS SELECT k FROM src`,
      );
      await eventually(async () =>
        (await gw.refreshes('ticking')).some((r: any) => r.trigger === 'SCHEDULED' && r.state === 'SUCCEEDED'),
      );
      await gw.sql('DROP DYNAMIC TABLE ticking; DROP DYNAMIC TABLE totals');
      assert.deepEqual((await gw.request('GET', '/v3/dynamic-tables')).body.tables, []);
    });
  });
}
