import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import * as path from 'node:path';
import { TestGateway } from './helpers/gateway';
import { eventually } from './helpers/wait';
import { runDagOnce } from './fakes/airflow-dag-run';
import { observeFake, pluginOptions, startFakeAirflow, type FakeAirflowSetup } from './fakes/airflow-harness';

const PLUGIN_PATH = path.join(__dirname, '..', 'plugins', 'airflow');
const ADMIN = 'admin-token-0123456789abcdef';
const CALLBACK = 'callback-token-0123456789abcdef';

for (const airflow of [2, 3] as const) {
  describe(`gateway with the airflow scheduler on Airflow ${airflow}`, function () {
    this.timeout(30_000);
    let setup: FakeAirflowSetup;
    let gw: TestGateway;

    const statement = (text: string) =>
      gw.request('POST', '/v3/statements', { statement: text }, { authorization: `Bearer ${ADMIN}` });
    const table = (id: string) =>
      gw.request('GET', `/v3/dynamic-tables/${encodeURIComponent(id)}`, undefined, {
        authorization: `Bearer ${ADMIN}`,
      });
    async function sql(text: string) {
      const res = await statement(text);
      assert.equal(res.status, 200, JSON.stringify(res.body));
      return res.body.results;
    }
    const dagFiles = () => readdirSync(setup.dagsFolder).filter((f) => f.endsWith('.py'));
    /** The gateway's drift check finds nothing left over in Airflow and nothing missing. */
    async function assertNoDrift() {
      const { status, body } = await gw.request('GET', '/v3/scheduler/drift', undefined, {
        authorization: `Bearer ${ADMIN}`,
      });
      assert.equal(status, 200);
      assert.deepEqual(
        [body.missing, body.extra, body.orphansPending, body.wronglyPaused, body.errors],
        [[], [], [], [], []],
        JSON.stringify(body),
      );
    }

    beforeEach(async () => {
      setup = await startFakeAirflow({ airflow, parseDelayMs: 100 });
      gw = await TestGateway.start({
        scheduler: { type: PLUGIN_PATH, options: pluginOptions(setup) },
        auth: {
          tokens: [
            { token: ADMIN, scopes: ['admin'] },
            { token: CALLBACK, scopes: ['callback'] },
          ],
        },
      });
      await sql(
        "CREATE TABLE orders (id INTEGER PRIMARY KEY, customer TEXT, amount REAL); INSERT INTO orders (customer, amount) VALUES ('ada', 10), ('bob', 5)",
      );
    });

    afterEach(async () => {
      await gw.close();
      assert.deepEqual(setup.fake.violations, [], 'every request the plugin sent is in the published spec');
      await setup.close();
    });

    it('creates an unpaused DAG whose run refreshes the table through the callback, then suspends and drops it', async () => {
      await sql(
        `CREATE DYNAMIC TABLE spend FRESHNESS = INTERVAL '1' HOUR AS SELECT customer, SUM(amount) AS total FROM orders GROUP BY customer`,
      );
      const detail = (await table('spend')).body;
      const handler = detail.scheduler.handler;
      assert.deepEqual(detail.scheduler.type, 'airflow');
      assert.deepEqual(dagFiles(), [handler.fileName]);
      assert.deepEqual(observeFake(setup, handler), { exists: true, paused: false });
      assert.equal(setup.fake.dag(handler.dagId)?.schedule, '0 * * * *');

      await sql(`INSERT INTO orders (customer, amount) VALUES ('cyd', 7)`);
      const run =
        airflow === 2
          ? ({
              airflow: 2,
              data_interval_end: '2024-05-01T11:00:00+00:00',
              run_after: '2024-05-01T11:00:00+00:00',
            } as const)
          : ({ airflow: 3, data_interval_end: null, run_after: '2024-05-01T11:00:00+00:00' } as const);
      const file = path.join(setup.dagsFolder, handler.fileName);
      const result = await runDagOnce(file, { airflow: airflow === 3 ? '3' : '2' }, run);
      assert.equal(result.failure, null);
      // The gateway gives each workflow a callback token of its own; the DAG sends it, and the gateway takes it.
      assert.match(String(result.refresh.headers.Authorization), /^Bearer \S+$/);
      assert.notEqual(result.refresh.headers.Authorization, `Bearer ${ADMIN}`);
      assert.equal(result.refresh.url, `${gw.url}/v3/dynamic-tables/refresh`);
      assert.equal(result.job.status, 'SUCCEEDED');
      assert.equal(result.job.trigger, 'SCHEDULED');
      assert.equal(Date.parse(String(result.job.scheduleTime)), Date.parse('2024-05-01T11:00:00Z'));
      const rows = (await sql('SELECT customer, total FROM spend ORDER BY customer'))[0].rows;
      assert.deepEqual(rows, [
        ['ada', 10],
        ['bob', 5],
        ['cyd', 7],
      ]);
      const again = await runDagOnce(file, { airflow: airflow === 3 ? '3' : '2' }, run);
      assert.equal(again.jobId, result.jobId, 'a retried run is the same job');

      await sql('ALTER DYNAMIC TABLE spend SUSPEND');
      assert.deepEqual(observeFake(setup, handler), { exists: true, paused: true });
      await sql('ALTER DYNAMIC TABLE spend RESUME');
      assert.deepEqual(observeFake(setup, handler), { exists: true, paused: false });

      await sql('DROP DYNAMIC TABLE spend');
      assert.deepEqual(dagFiles(), []);
      assert.equal(setup.fake.dag(handler.dagId), undefined);
      assert.equal((await table('spend')).status, 404);
    });

    it('refuses a FULL table refreshed more often than once a minute, naming minute granularity', async () => {
      const res = await statement(
        `CREATE DYNAMIC TABLE fast FRESHNESS = INTERVAL '30' SECOND REFRESH_MODE = FULL AS SELECT * FROM orders`,
      );
      assert.equal(res.status, 400);
      assert.equal(res.body.error.code, 'VALIDATION_ERROR');
      assert.match(res.body.error.message, /minute granularity/);
      assert.equal((await table('fast')).status, 404);
      assert.deepEqual(dagFiles(), []);
    });

    it('leaves no table and no DAG file when Airflow goes away during a CREATE', async () => {
      setup.fake.processor.setParseDelay(1000);
      const creating = statement(`CREATE DYNAMIC TABLE spend FRESHNESS = INTERVAL '1' HOUR AS SELECT * FROM orders`);
      await eventually(async () => dagFiles().length > 0, 5000, 10);
      await setup.fake.stop();
      const res = await creating;
      assert.equal(res.status, 502);
      assert.equal(res.body.error.code, 'SCHEDULER_ERROR');
      assert.match(res.body.error.message, new RegExp(`Airflow at ${setup.fake.url} cannot be reached`));
      await setup.fake.start();
      assert.equal((await table('spend')).status, 404);
      assert.deepEqual(dagFiles(), []);
      await assertNoDrift();
    });

    it('keeps the table when Airflow is away during a DROP, and drops it once Airflow is back', async () => {
      await sql(`CREATE DYNAMIC TABLE spend FRESHNESS = INTERVAL '1' HOUR AS SELECT * FROM orders`);
      const handler = (await table('spend')).body.scheduler.handler;
      await setup.fake.stop();
      const res = await statement('DROP DYNAMIC TABLE spend');
      assert.equal(res.status, 502);
      assert.equal(res.body.error.code, 'SCHEDULER_ERROR');
      assert.equal((await table('spend')).status, 200);
      assert.ok(existsSync(path.join(setup.dagsFolder, handler.fileName)));
      await setup.fake.start();
      await assertNoDrift();
      await sql('DROP DYNAMIC TABLE spend');
      assert.equal((await table('spend')).status, 404);
      assert.deepEqual(dagFiles(), []);
      assert.equal(setup.fake.dag(handler.dagId), undefined);
      await assertNoDrift();
    });
  });
}
