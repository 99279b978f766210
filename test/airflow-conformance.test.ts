import assert from 'node:assert/strict';
import { runSchedulerConformance } from '../src/scheduler/conformance';
import { MemoryStateStore } from '../src/scheduler/memory-state-store';
import { airflowSchedulerFactory } from '../plugins/airflow';
import {
  observeFake,
  pluginOptions,
  schedulerContext,
  startFakeAirflow,
  type FakeAirflowSetup,
} from './fakes/airflow-harness';

for (const airflow of [2, 3] as const) {
  describe(`airflow ${airflow} scheduler against the fake`, () => {
    let setup: FakeAirflowSetup;
    let store = new MemoryStateStore();

    before(async () => {
      setup = await startFakeAirflow({ airflow, parseDelayMs: 150 });
    });

    after(async () => {
      await setup.close();
    });

    runSchedulerConformance(`airflow ${airflow}`, airflowSchedulerFactory, {
      makeContext: () => schedulerContext(store).context,
      options: () => pluginOptions(setup),
      observe: async (handler) => observeFake(setup, handler),
      reset: async () => {
        store = new MemoryStateStore();
      },
    });

    describe('requests', () => {
      it(`sent only requests that Airflow ${airflow}'s published spec describes`, () => {
        assert.ok(setup.fake.requests.length > 0);
        assert.deepEqual(setup.fake.violations, []);
        const apiRoot = airflow === 3 ? '/api/v2/' : '/api/v1/';
        const outside = setup.fake.requests.filter((r) => !r.path.startsWith(apiRoot) && r.path !== '/auth/token');
        assert.deepEqual(outside, []);
      });
    });
  });
}
