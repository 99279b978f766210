import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Catalog } from '../src/catalog/catalog';
import type { DynamicTableRecord, JobRecord } from '../src/catalog/records';
import { createDatabase, type CatalogKind } from './helpers/databases';

function tableRecord(key: string, overrides: Partial<DynamicTableRecord> = {}): DynamicTableRecord {
  return {
    key,
    identifier: key,
    catalogName: 'default',
    databaseName: 'main',
    tableName: key.split('.').at(-1)!,
    definitionQuery: 'SELECT k, COUNT(*) AS n\nFROM src -- comment\nGROUP BY k',
    queryHash: 'h'.repeat(64),
    createStatement: 'CREATE DYNAMIC TABLE …',
    freshness: { interval: 5, unit: 'MINUTE' },
    logicalRefreshMode: 'AUTOMATIC',
    refreshMode: 'CONTINUOUS',
    refreshStatus: 'ACTIVATED',
    partitionKeys: ['k'],
    options: { 'partition.fields.k.date-formatter': 'yyyy-MM-dd', initialize: 'on_schedule' },
    schema: [
      { name: 'k', type: 'TEXT', nullable: true },
      { name: 'n', type: 'INTEGER', nullable: false },
    ],
    columnMapping: [
      { target: 'k', source: 'k' },
      { target: 'n', source: 'n' },
    ],
    primaryKey: { constraintName: null, columns: ['k'], enforced: false },
    comment: 'it’s “unicode” ✓',
    sourceTables: ['default.main.src'],
    schedulerType: null,
    cron: null,
    refreshHandler: null,
    createdAt: '2024-01-01T00:00:00.000Z',
    updatedAt: '2024-01-01T00:00:00.000Z',
    ...overrides,
  };
}

function jobRecord(jobId: string, overrides: Partial<JobRecord> = {}): JobRecord {
  return {
    jobId,
    dedupeKey: 'k1',
    attempt: 1,
    trigger: 'SCHEDULED',
    status: 'PENDING',
    tables: ['default.main.t'],
    scheduleTime: '2024-01-01T00:00:00.000Z',
    isPeriodic: true,
    configuration: { a: 'b' },
    staticPartitions: null,
    clusterInfo: { engine: 'sqlite' },
    error: null,
    createdAt: '2024-01-01T00:00:01.000Z',
    startedAt: null,
    finishedAt: null,
    ...overrides,
  };
}

const history = (jobId: string, tableKey: string) => ({
  jobId,
  tableKey,
  identifier: tableKey,
  trigger: 'SCHEDULED' as const,
  scheduleTime: '2024-01-01T00:00:00.000Z',
  partition: { k: 'x' },
  state: 'PENDING' as const,
  rowsWritten: null,
  rowsDeleted: null,
  startedAt: null,
  finishedAt: null,
  error: null,
});

for (const kind of ['sqlite', 'postgres', 'mysql'] as CatalogKind[]) {
  describe(`catalog on ${kind}`, function () {
    this.timeout(60_000);
    let dir: string;
    let url: string;
    let drop: () => Promise<void> = async () => undefined;
    let catalog: Catalog;

    beforeEach(async () => {
      dir = mkdtempSync(path.join(os.tmpdir(), 'freshet-catalog-'));
      if (kind === 'sqlite') url = 'sqlite:catalog.db';
      else ({ url, drop } = await createDatabase(kind));
      catalog = new Catalog(url, dir);
      await catalog.open();
    });
    afterEach(async () => {
      await catalog.close();
      await drop();
      rmSync(dir, { recursive: true, force: true });
    });

    it('migrates once and again without harm', async () => {
      await catalog.open();
      const again = new Catalog(url, dir);
      await again.open();
      await again.close();
    });

    it('stores every field of a dynamic table and reads it back unchanged, also from a new connection', async () => {
      const record = tableRecord('default.main.t', { refreshHandler: { workflowId: 'w-1', nested: { n: 1 } }, cron: '0 0/5 * * * ? *' });
      assert.equal(await catalog.insertTable(record), true);
      assert.equal(await catalog.insertTable(record), false, 'a second insert of the same key is refused');
      assert.deepEqual(await catalog.getTable('default.main.t'), record);
      const other = new Catalog(url, dir);
      assert.deepEqual(await other.getTable('default.main.t'), record);
      await other.close();
      const updated = { ...record, refreshStatus: 'SUSPENDED' as const, updatedAt: '2024-01-02T00:00:00.000Z' };
      await catalog.updateTable(updated);
      assert.deepEqual(await catalog.getTable('default.main.t'), updated);
      assert.deepEqual((await catalog.listTables()).map((t) => t.key), ['default.main.t']);
      await catalog.deleteTable('default.main.t');
      assert.equal(await catalog.getTable('default.main.t'), null);
    });

    it('keeps one job per (dedupe key, attempt) and finds the newest attempt', async () => {
      assert.equal(await catalog.insertJob(jobRecord('j1'), [history('j1', 'default.main.t')]), true);
      assert.equal(await catalog.insertJob(jobRecord('j2'), [history('j2', 'default.main.t')]), false, 'same key and attempt');
      assert.equal(await catalog.getJob('j2'), null, 'nothing of the refused job is stored');
      assert.deepEqual(await catalog.historyOfJob('j2'), []);
      await catalog.updateJob('j1', { status: 'FAILED', error: 'boom', finishedAt: '2024-01-01T00:00:02.000Z' });
      assert.equal(await catalog.insertJob(jobRecord('j3', { attempt: 2 }), [history('j3', 'default.main.t')]), true);
      const latest = await catalog.latestJobByKey('k1');
      assert.equal(latest?.jobId, 'j3');
      assert.deepEqual(await catalog.getJob('j1'), { ...jobRecord('j1'), status: 'FAILED', error: 'boom', finishedAt: '2024-01-01T00:00:02.000Z' });
    });

    it('records history per table and marks unfinished work FAILED after a restart', async () => {
      await catalog.insertJob(jobRecord('j1', { dedupeKey: null }), [history('j1', 'default.main.a'), history('j1', 'default.main.b')]);
      await catalog.updateHistory('j1', 'default.main.a', { state: 'SUCCEEDED', rowsWritten: 5_000_000_000, rowsDeleted: 3, finishedAt: '2024-01-01T00:00:05.000Z' });
      await catalog.updateHistory('j1', 'default.main.b', { state: 'RUNNING', startedAt: '2024-01-01T00:00:05.000Z' });
      assert.equal(await catalog.failUnfinished('stopped', '2024-01-01T00:01:00.000Z'), 1);
      const rows = await catalog.historyOfJob('j1');
      assert.deepEqual(rows.map((h) => [h.tableKey, h.state, h.rowsWritten]), [
        ['default.main.a', 'SUCCEEDED', 5_000_000_000],
        ['default.main.b', 'FAILED', null],
      ]);
      assert.deepEqual(rows[0]!.partition, { k: 'x' });
      assert.equal((await catalog.getJob('j1'))?.status, 'FAILED');
      assert.equal((await catalog.lastSuccessfulRefresh('default.main.a'))?.jobId, 'j1');
      assert.equal(await catalog.lastSuccessfulRefresh('default.main.b'), null);
      assert.equal((await catalog.historyOfTable('default.main.a', 10)).length, 1);
    });

    it('keeps plugin state, callback token hashes and orphaned workflows', async () => {
      const store = catalog.pluginStateStore('embedded');
      await store.put('w1', { cron: '0 0/5 * * * ? *', paused: false });
      await store.put('w1', { cron: '0 0/5 * * * ? *', paused: true });
      assert.deepEqual(await store.get('w1'), { cron: '0 0/5 * * * ? *', paused: true });
      assert.deepEqual(await catalog.pluginStateStore('other').list(), []);
      await store.delete('w1');
      assert.equal(await store.get('w1'), undefined);

      await catalog.insertCallbackToken('a'.repeat(64), 'default.main.t', '2024-01-01T00:00:00.000Z');
      assert.equal(await catalog.callbackTokenTable('a'.repeat(64)), 'default.main.t');
      await catalog.deleteCallbackTokens('default.main.t');
      assert.equal(await catalog.callbackTokenTable('a'.repeat(64)), null);

      await catalog.insertOrphan({ schedulerType: 'airflow', tableIdentifier: 'default.main.t', handler: { dagId: 'd' }, reason: 'down', createdAt: '2024-01-01T00:00:00.000Z' });
      const [orphan] = await catalog.listOrphans('airflow');
      assert.deepEqual(orphan?.handler, { dagId: 'd' });
      await catalog.deleteOrphan(orphan!.id);
      assert.deepEqual(await catalog.listOrphans('airflow'), []);
    });
  });
}
