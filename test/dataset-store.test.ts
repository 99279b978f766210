import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Catalog } from '../src/catalog/catalog';
import type { DatasetRecord } from '../src/catalog/dataset-store';
import { type CatalogKind, createDatabase } from './helpers/databases';

function dataset(id: string, overrides: Partial<DatasetRecord> = {}): DatasetRecord {
  return {
    id,
    discoverer: id.split(':')[0] ?? 'files',
    localId: id.split(':')[1] ?? id,
    kind: 'file',
    name: 'Rainfall – “daily” ✓',
    materialize: { kind: 'file', path: '/data/rain.csv', format: 'csv' },
    metadata: { name: 'Rainfall', columns: [{ name: 'day' }, { name: 'mm' }], keywords: ['weather'] },
    rowCount: null,
    updatedAt: '2024-01-01T00:00:00.000Z',
    origin: 'discover',
    status: 'pending',
    profiledVersion: null,
    summary: null,
    firstSeen: '2024-01-01T00:00:00.000Z',
    lastSeen: '2024-01-01T00:00:00.000Z',
    changedAt: '2024-01-01T00:00:00.000Z',
    ...overrides,
  };
}

const profile = (datasetId: string, n: number) => ({
  datasetId,
  profiledAt: `2024-01-0${n}T00:00:00.000Z`,
  rowCount: 10 * n,
  profiledRows: 10 * n,
  sampled: n % 2 === 0,
  durationMs: n,
  trigger: 'discovery',
  profile: { columns: [{ name: 'day' }], n },
});

for (const kind of ['sqlite', 'postgres', 'mysql'] as CatalogKind[]) {
  describe(`dataset store on ${kind}`, function () {
    this.timeout(60_000);
    let dir: string;
    let drop: () => Promise<void> = async () => undefined;
    let catalog: Catalog;

    beforeEach(async () => {
      dir = mkdtempSync(path.join(os.tmpdir(), 'freshet-datasets-'));
      let url = 'sqlite:catalog.db';
      if (kind !== 'sqlite') ({ url, drop } = await createDatabase(kind));
      catalog = new Catalog(url, dir);
      await catalog.open();
    });
    afterEach(async () => {
      await catalog.close();
      await drop();
      rmSync(dir, { recursive: true, force: true });
    });

    it('stores, replaces and deletes datasets with their JSON intact', async () => {
      const store = catalog.datasets;
      const record = dataset('files:weather/rain.csv');
      await store.put(record);
      assert.deepEqual(await store.get(record.id), record);
      const changed = dataset(record.id, { rowCount: 12_345_678_901, status: 'profiled', summary: { a: [1] } });
      await store.put(changed);
      assert.deepEqual(await store.list(), [changed]);
      await store.delete([record.id]);
      assert.equal(await store.get(record.id), null);
    });

    it('keeps the newest profiles of a dataset, the newest setting its summary', async () => {
      const store = catalog.datasets;
      await store.put(dataset('files:a.csv'));
      for (const n of [1, 2, 3, 4]) {
        const outcome = { status: 'profiled', version: `v${n}`, summary: { n } };
        assert.equal(await store.addProfile(profile('files:a.csv', n), outcome, 3), true);
      }
      assert.equal(await store.addProfile(profile('files:a.csv', 5), null, 3), true);
      const kept = await store.profiles('files:a.csv', 10);
      assert.deepEqual(
        kept.map((p) => [p.rowCount, p.sampled]),
        [
          [50, false],
          [40, true],
          [30, false],
        ],
      );
      const stored = await store.get('files:a.csv');
      assert.deepEqual([stored?.summary, stored?.profiledVersion, stored?.rowCount], [{ n: 4 }, 'v4', 40]);
      assert.equal(await store.addProfile(profile('files:gone.csv', 1), null, 3), false);
      await store.delete(['files:a.csv']);
      assert.deepEqual(await store.profiles('files:a.csv', 10), []);
    });

    it('records each error once per discoverer, dataset and stage, counting repeats, until cleared', async () => {
      const store = catalog.datasets;
      const error = { discoverer: 'files', datasetId: 'files:a.csv', stage: 'profile', message: 'line 4', code: null };
      await store.recordError(error, '2024-01-01T00:00:00.000Z');
      await store.recordError({ ...error, message: 'line 5' }, '2024-01-02T00:00:00.000Z');
      await store.recordError({ ...error, datasetId: null, stage: 'discover' }, '2024-01-03T00:00:00.000Z');
      const all = await store.errors({ limit: 10 });
      assert.deepEqual(
        all.map((e) => [e.datasetId, e.stage, e.message, e.occurrences, e.firstAt]),
        [
          [null, 'discover', 'line 4', 1, '2024-01-03T00:00:00.000Z'],
          ['files:a.csv', 'profile', 'line 5', 2, '2024-01-01T00:00:00.000Z'],
        ],
      );
      await store.clearError('files', 'files:a.csv', 'profile');
      assert.equal((await store.errors({ datasetId: 'files:a.csv', limit: 10 })).length, 0);
    });
  });
}
