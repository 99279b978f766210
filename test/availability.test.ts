/**
 * Availability per dataset (DESIGN.md §10): a registered source reports how far its data is available — from
 * `max(<availability.time_column>)` of its table, or from its ready partitions — and a dynamic table from the data
 * timestamp and the windows it publishes. Registered sources' tables are reflected with the rest.
 */
import { strict as assert } from 'node:assert';
import { createDatabase, type ThrowawayDatabase } from './helpers/databases';
import { TestGateway } from './helpers/gateway';

const ENGINES = [
  {
    name: 'SQLite',
    catalog: 'default',
    table: 'main.events',
    timeType: 'TEXT',
    start: async () => ({ overrides: {}, drop: async () => undefined }),
  },
  {
    name: 'PostgreSQL',
    catalog: 'wh',
    table: 'public.events',
    timeType: 'TIMESTAMPTZ',
    start: async () => {
      const db: ThrowawayDatabase = await createDatabase('postgres');
      return { overrides: { catalogs: { wh: { url: db.url } }, defaultCatalog: 'wh' }, drop: () => db.drop() };
    },
  },
];

for (const engine of ENGINES) {
  describe(`availability of sources and dynamic tables (${engine.name})`, function () {
    this.timeout(60_000);
    let gw: TestGateway;
    let drop: () => Promise<void>;

    before(async () => {
      const started = await engine.start();
      drop = started.drop;
      gw = await TestGateway.start(started.overrides);
      await gw.sql(`CREATE TABLE events (id INTEGER, loaded_at ${engine.timeType});
        INSERT INTO events VALUES (1, '2026-01-01T10:00:00Z'), (2, '2026-01-02T03:04:05Z')`);
    });
    after(async () => {
      await gw?.close();
      await drop?.();
    });

    it('reads validThrough from the time column, and the rest from the registered partitions', async () => {
      const created = await gw.request('POST', '/v3/sources', {
        name: 'events',
        owner: 'data-team',
        catalog: engine.catalog,
        table: engine.table,
        options: { 'availability.time_column': 'loaded_at' },
      });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      const auth = { authorization: `Bearer ${created.body.accessToken}` };
      await gw.request('POST', '/v3/providers', { name: 'loader', source: 'events' }, auth);
      for (const [start, end] of [
        ['2026-01-01T00:00:00Z', '2026-01-02T00:00:00Z'],
        ['2026-01-02T00:00:00Z', '2026-01-03T00:00:00Z'],
      ]) {
        const res = await gw.request(
          'POST',
          '/v3/sources/events/partitions',
          { provider: 'loader', start, end, state: 'ready' },
          auth,
        );
        assert.equal(res.status, 201, JSON.stringify(res.body));
      }
      const { body } = await gw.request('GET', '/v3/sources/events');
      assert.deepEqual(body.availability, {
        validThrough: '2026-01-02T03:04:05.000Z',
        readyThrough: '2026-01-03T00:00:00.000Z',
        minTemporalPartition: '2026-01-01T00:00:00.000Z',
        maxTemporalPartition: '2026-01-03T00:00:00.000Z',
        partitions: 2,
      });
      await gw.sql(`INSERT INTO events VALUES (3, '2026-01-02T09:00:00Z')`);
      const later = await gw.request('GET', '/v3/sources/events');
      assert.equal(later.body.availability.validThrough, '2026-01-02T09:00:00.000Z', 'max(loaded_at) as it is now');
    });

    it("reflects a registered source's table although no dynamic table reads it", async () => {
      const run = await gw.request('POST', '/v3/reflection/run');
      assert.equal(run.status, 200, JSON.stringify(run.body));
      const key = `${engine.catalog}.${engine.table}`;
      const versions = await gw.request('GET', `/v3/tables/${key}/schema-versions`);
      assert.equal(versions.status, 200, JSON.stringify(versions.body));
      assert.deepEqual(
        versions.body.versions[0].columns.map((c: { name: string }) => c.name),
        ['id', 'loaded_at'],
      );
    });

    it("gives a dynamic table's availability its data timestamp and the windows it published", async () => {
      await gw.sql('CREATE DYNAMIC TABLE counted AS SELECT COUNT(*) AS n FROM events');
      const table = await gw.table('counted');
      assert.equal(table.availability.validThrough, table.validThrough);
      assert.equal(table.availability.readyThrough, table.validThrough, 'its creation refresh published it all');
    });
  });
}
