import { strict as assert } from 'node:assert';
import { FlinkGatewayFake } from './fakes/flink-gateway-fake';
import { TestGateway } from './helpers/gateway';
import { eventually } from './helpers/wait';

describe('gateway with a Flink catalog', function () {
  this.timeout(30_000);
  let fake: FlinkGatewayFake;
  let gw: TestGateway;
  const inFlink = (statement: string) => gw.request('POST', '/v3/statements', { statement, catalog: 'stream' });
  const ok = async (statement: string) => {
    const res = await inFlink(statement);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    return res.body.results;
  };
  const streaming = () => fake.jobs.filter((j) => j.mode === 'streaming');

  beforeEach(async () => {
    fake = await FlinkGatewayFake.start({ jobDurationMs: 20 });
    fake.createTable(
      'src',
      [
        { name: 'id', type: 'INT', nullable: false },
        { name: 'k', type: 'STRING' },
      ],
      {
        rows: [
          [1, 'x'],
          [2, 'x'],
          [3, 'y'],
        ],
      },
    );
    gw = await TestGateway.start({ catalogs: { stream: { url: `flink:${fake.url}` } } });
  });
  afterEach(async () => {
    await gw.close();
    await fake.close();
  });

  it("runs a FULL table's refresh as an INSERT OVERWRITE batch job on the cluster", async () => {
    const [created] = await ok(`CREATE DYNAMIC TABLE copy FRESHNESS = INTERVAL '1' HOUR AS SELECT id, k FROM src`);
    assert.match(created.message, /initial refresh SUCCEEDED/);
    const batch = fake.jobs.filter((j) => j.mode === 'batch');
    assert.equal(batch.length, 1);
    assert.match(batch[0]!.statement, /^INSERT OVERWRITE/);
    assert.equal(fake.rowsOf('copy').length, 3);
    const detail = await gw.table('stream.default_database.copy');
    assert.deepEqual(detail.location.engine, 'flink');
    assert.equal(fake.openSessions, 0, 'every session the engine opened is closed');
  });

  it('refuses publish guards, which a Flink batch job cannot be checked by before it lands', async () => {
    const guarded = await inFlink(`CREATE DYNAMIC TABLE guarded WITH ('guard.min_rows' = '10')
      FRESHNESS = INTERVAL '1' HOUR AS SELECT id, k FROM src`);
    assert.equal(guarded.status, 400, JSON.stringify(guarded.body));
    assert.match(guarded.body.error.message, /flink engine cannot check .* remove 'guard.min_rows'/);
    const expecting = await inFlink(`CREATE DYNAMIC TABLE expecting (CONSTRAINT has_k EXPECT (k IS NOT NULL))
      FRESHNESS = INTERVAL '1' HOUR AS SELECT id, k FROM src`);
    assert.equal(expecting.status, 400, JSON.stringify(expecting.body));
    assert.match(expecting.body.error.message, /CONSTRAINT … EXPECT/);
    await ok(`CREATE DYNAMIC TABLE unguarded WITH ('guard.allow_empty' = 'true')
      FRESHNESS = INTERVAL '1' HOUR AS SELECT id, k FROM src`);
  });

  it('keeps a CONTINUOUS table fresh with a streaming job, stopped on SUSPEND and DROP', async () => {
    const [created] = await ok(`CREATE DYNAMIC TABLE live FRESHNESS = INTERVAL '30' SECOND AS SELECT id, k FROM src`);
    assert.match(created.message, /continuous job \w+ started/);
    assert.equal(streaming().length, 1);
    assert.equal(streaming()[0]!.status, 'RUNNING');
    assert.equal(streaming()[0]!.properties['execution.checkpointing.interval'], '30 s');
    const detail = await gw.table('stream.default_database.live');
    assert.equal(detail.scheduler.type, 'flink');
    assert.equal(detail.scheduler.handler.continuousJob.jobId, streaming()[0]!.id);
    assert.equal(fake.jobs.filter((j) => j.mode === 'batch').length, 0, 'no batch refresh before the streaming job');

    await ok('ALTER DYNAMIC TABLE live SUSPEND');
    await eventually(async () => streaming()[0]!.status !== 'RUNNING');
    assert.equal((await gw.table('stream.default_database.live')).scheduler.handler, null);
    await ok('ALTER DYNAMIC TABLE live RESUME');
    assert.equal(streaming().filter((j) => j.status === 'RUNNING').length, 1, 'a new job runs after RESUME');
    await ok('DROP DYNAMIC TABLE live');
    await eventually(async () => streaming().every((j) => j.status !== 'RUNNING'));
  });
});
