import { strict as assert } from 'node:assert';
import { FlinkGatewayFake } from './fakes/flink-gateway-fake';
import { TestGateway } from './helpers/gateway';

describe('the catalogs discoverer on a Flink catalog', function () {
  this.timeout(30_000);
  let fake: FlinkGatewayFake;
  let gw: TestGateway;

  before(async () => {
    fake = await FlinkGatewayFake.start({ jobDurationMs: 20 });
    fake.createTable('clicks', [
      { name: 'id', type: 'INT', nullable: false },
      { name: 'page', type: 'STRING' },
    ]);
    gw = await TestGateway.start({ catalogs: { stream: { url: `flink:${fake.url}` } } });
  });
  after(async () => {
    await gw.close();
    await fake.close();
  });

  it('lists its tables with their columns, marked as not profiled, and leaves no session open', async () => {
    const run = await gw.request('POST', '/v3/discoverers/catalogs/run');
    assert.equal(run.body.error, null);
    await gw.gateway.discovery.idle();
    const clicks = await gw.request(
      'GET',
      `/v3/datasets/${encodeURIComponent('catalogs:stream.default_database.clicks')}`,
    );
    assert.equal(clicks.status, 200, JSON.stringify(clicks.body));
    assert.deepEqual(
      clicks.body.columns.map((c: { name: string }) => c.name),
      ['id', 'page'],
    );
    assert.equal(clicks.body.rowCount, null);
    assert.equal(clicks.body.status, 'unprofilable');
    assert.equal(fake.openSessions, 0);
  });
});
