import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import knexFactory, { type Knex } from 'knex';
import { CATALOG_MIGRATIONS } from '../catalog';
import { Catalog, catalogConnection } from '../src/catalog/catalog';
import type { DynamicTableRecord, JobRecord } from '../src/catalog/records';
import { fromTable } from '../src/catalog/row-mapping';
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
    continuousJob: null,
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

    if (kind !== 'sqlite') {
      it('is migrated once when several gateways start on a new catalog at the same moment', async () => {
        const fresh = await createDatabase(kind);
        const gateways = Array.from({ length: 4 }, () => new Catalog(fresh.url, dir));
        try {
          const results = await Promise.allSettled(gateways.map((g) => g.open()));
          assert.deepEqual(
            results.map((r) => (r.status === 'rejected' ? String(r.reason) : 'ok')),
            ['ok', 'ok', 'ok', 'ok'],
          );
          assert.equal(await gateways[0]!.insertTable(tableRecord('default.main.t')), true);
          await Promise.all(gateways.map((g) => g.open()));
        } finally {
          for (const g of gateways) await g.close();
          await fresh.drop();
        }
      });
    }

    it('stores every field of a dynamic table and reads it back unchanged, also from a new connection', async () => {
      const record = tableRecord('default.main.t', {
        refreshHandler: { workflowId: 'w-1', nested: { n: 1 } },
        cron: '0 0/5 * * * ? *',
        expectations: [
          { name: 'positive', condition: "v > 0 AND k <> 'it''s'", onViolation: 'DROP_ROW' },
          { name: 'Named', condition: 'k IS NOT NULL', onViolation: 'FAIL_REFRESH' },
        ],
      });
      assert.equal(await catalog.insertTable(record), true);
      assert.equal(await catalog.insertTable(record), false, 'a second insert of the same key is refused');
      assert.deepEqual(await catalog.getTable('default.main.t'), record);
      const other = new Catalog(url, dir);
      assert.deepEqual(await other.getTable('default.main.t'), record);
      await other.close();
      const updated = { ...record, refreshStatus: 'SUSPENDED' as const, updatedAt: '2024-01-02T00:00:00.000Z' };
      await catalog.updateTable(updated);
      assert.deepEqual(await catalog.getTable('default.main.t'), updated);
      const { expectations: _dropped, ...withoutExpectations } = updated;
      await catalog.updateTable({ ...withoutExpectations, expectations: undefined });
      const fresh = new Catalog(url, dir);
      assert.deepEqual(await fresh.getTable('default.main.t'), withoutExpectations, 'expectations removed');
      await fresh.close();
      assert.deepEqual(
        (await catalog.listTables()).map((t) => t.key),
        ['default.main.t'],
      );
      await catalog.deleteTable('default.main.t');
      assert.equal(await catalog.getTable('default.main.t'), null);
    });

    it('keeps one job per (dedupe key, attempt) and finds the newest attempt', async () => {
      assert.equal(await catalog.insertJob(jobRecord('j1'), [history('j1', 'default.main.t')]), true);
      assert.equal(
        await catalog.insertJob(jobRecord('j2'), [history('j2', 'default.main.t')]),
        false,
        'same key and attempt',
      );
      assert.equal(await catalog.getJob('j2'), null, 'nothing of the refused job is stored');
      assert.deepEqual(await catalog.historyOfJob('j2'), []);
      await catalog.updateJob('j1', { status: 'FAILED', error: 'boom', finishedAt: '2024-01-01T00:00:02.000Z' });
      assert.equal(await catalog.insertJob(jobRecord('j3', { attempt: 2 }), [history('j3', 'default.main.t')]), true);
      const latest = await catalog.latestJobByKey('k1');
      assert.equal(latest?.jobId, 'j3');
      assert.deepEqual(await catalog.getJob('j1'), {
        ...jobRecord('j1'),
        status: 'FAILED',
        error: 'boom',
        finishedAt: '2024-01-01T00:00:02.000Z',
      });
    });

    it('records history per table and marks unfinished work FAILED after a restart', async () => {
      await catalog.insertJob(jobRecord('j1', { dedupeKey: null }), [
        history('j1', 'default.main.a'),
        history('j1', 'default.main.b'),
      ]);
      await catalog.updateHistory('j1', 'default.main.a', {
        state: 'SUCCEEDED',
        rowsWritten: 5_000_000_000,
        rowsDeleted: 3,
        dataTimestamp: '2024-01-01T00:00:00.000Z',
        finishedAt: '2024-01-01T00:00:05.000Z',
      });
      await catalog.updateHistory('j1', 'default.main.b', { state: 'RUNNING', startedAt: '2024-01-01T00:00:05.000Z' });
      assert.equal(await catalog.failUnfinished('stopped', '2024-01-01T00:01:00.000Z'), 1);
      const rows = await catalog.historyOfJob('j1');
      assert.deepEqual(
        rows.map((h) => [h.tableKey, h.state, h.rowsWritten]),
        [
          ['default.main.a', 'SUCCEEDED', 5_000_000_000],
          ['default.main.b', 'FAILED', null],
        ],
      );
      assert.deepEqual(rows[0]!.partition, { k: 'x' });
      assert.equal((await catalog.getJob('j1'))?.status, 'FAILED');
      assert.equal((await catalog.lastSuccessfulRefresh('default.main.a'))?.jobId, 'j1');
      assert.equal(await catalog.lastSuccessfulRefresh('default.main.b'), null);
      assert.equal((await catalog.historyOfTable('default.main.a', 10)).length, 1);
    });

    it('records what each refresh did, and nothing for refreshes that have not finished', async () => {
      const tables = ['default.main.a', 'default.main.b', 'default.main.c'];
      await catalog.insertJob(
        jobRecord('j1', { dedupeKey: null }),
        tables.map((t) => history('j1', t)),
      );
      assert.deepEqual(
        (await catalog.historyOfJob('j1')).map((h) => [h.action, h.actionDetail]),
        tables.map(() => [null, null]),
      );
      const detail = `Captured changes were lost: recomputed “everything” ✓ ${'x'.repeat(5_000)}`;
      const finishedAt = '2024-01-01T00:00:05.000Z';
      await catalog.updateHistory('j1', 'default.main.a', {
        state: 'SUCCEEDED',
        rowsWritten: 2,
        rowsDeleted: 1,
        action: 'INCREMENTAL',
        actionDetail: null,
        finishedAt,
      });
      await catalog.updateHistory('j1', 'default.main.b', {
        state: 'SUCCEEDED',
        rowsWritten: 7,
        rowsDeleted: 7,
        action: 'FULL',
        actionDetail: detail,
        finishedAt,
      });
      await catalog.updateHistory('j1', 'default.main.c', {
        state: 'SUCCEEDED',
        rowsWritten: 0,
        rowsDeleted: 0,
        action: 'NO_DATA',
        dataTimestamp: '2024-01-01T00:00:00.000Z',
        finishedAt,
      });

      const rows = await catalog.historyOfJob('j1');
      assert.deepEqual(
        rows.map((h) => [h.tableKey, h.action, h.actionDetail]),
        [
          ['default.main.a', 'INCREMENTAL', null],
          ['default.main.b', 'FULL', detail],
          ['default.main.c', 'NO_DATA', null],
        ],
      );
      assert.deepEqual(rows[1], {
        id: rows[1]!.id,
        ...history('j1', 'default.main.b'),
        state: 'SUCCEEDED',
        rowsWritten: 7,
        rowsDeleted: 7,
        action: 'FULL',
        actionDetail: detail,
        dataTimestamp: null,
        waitingOn: null,
        errorCode: null,
        guardReport: null,
        staged: null,
        resolution: null,
        resolvedBy: null,
        resolvedAt: null,
        finishedAt,
      });
      const other = new Catalog(url, dir);
      try {
        assert.deepEqual(
          (await other.historyOfTable('default.main.b', 1))[0],
          rows[1],
          'the same from a new connection',
        );
        assert.equal((await other.lastSuccessfulRefresh('default.main.c'))?.action, 'NO_DATA');
        assert.equal(
          await other.lastSuccessfulRefresh('default.main.b'),
          null,
          'a success without a data timestamp vouches for nothing',
        );
      } finally {
        await other.close();
      }
    });

    it('reads refreshes recorded before actions were kept with no action, and records actions from then on', async () => {
      const before =
        kind === 'sqlite' ? { url: 'sqlite:before.db', drop: async () => undefined } : await createDatabase(kind);
      const upTo = CATALOG_MIGRATIONS.findIndex((m) => m.name === '0003-replicas');
      const db = knexFactory(catalogConnection(before.url, dir));
      let migrated: Catalog | undefined;
      try {
        await db.migrate.latest({
          tableName: 'catalog_migrations',
          migrationSource: {
            getMigrations: async () => CATALOG_MIGRATIONS.slice(0, upTo + 1),
            getMigrationName: (migration: { name: string }) => migration.name,
            getMigration: async (migration: Knex.Migration) => migration,
          },
        });
        await db('refresh_history').insert(
          (['SUCCEEDED', 'FAILED'] as const).map((state, i) => ({
            job_id: 'old',
            table_key: `default.main.t${i}`,
            identifier: `default.main.t${i}`,
            trigger_kind: 'SCHEDULED',
            schedule_time: '2024-01-01T00:00:00.000Z',
            partition_spec: null,
            state,
            rows_written: state === 'SUCCEEDED' ? 4 : null,
            rows_deleted: state === 'SUCCEEDED' ? 1 : null,
            started_at: '2024-01-01T00:00:01.000Z',
            finished_at: '2024-01-01T00:00:02.000Z',
            error: state === 'FAILED' ? 'boom' : null,
          })),
        );
        await db.destroy();

        migrated = new Catalog(before.url, dir);
        await migrated.open();
        const rows = await migrated.historyOfJob('old');
        assert.deepEqual(
          rows.map((h) => [h.tableKey, h.state, h.rowsWritten, h.action, h.actionDetail]),
          [
            ['default.main.t0', 'SUCCEEDED', 4, null, null],
            ['default.main.t1', 'FAILED', null, null, null],
          ],
        );
        await migrated.updateHistory('old', 'default.main.t1', {
          state: 'SUCCEEDED',
          action: 'FULL',
          actionDetail: 'retried',
        });
        assert.deepEqual(
          (await migrated.historyOfTable('default.main.t1', 1)).map((h) => [h.action, h.actionDetail]),
          [['FULL', 'retried']],
        );
      } finally {
        await db.destroy();
        await migrated?.close();
        await before.drop();
      }
    });

    it('moves the continuous job of a table out of its refresh handler into a field of its own, and back', async () => {
      const before =
        kind === 'sqlite' ? { url: 'sqlite:before-0005.db', drop: async () => undefined } : await createDatabase(kind);
      const source = (upTo: string) => ({
        getMigrations: async () =>
          CATALOG_MIGRATIONS.slice(0, CATALOG_MIGRATIONS.findIndex((m) => m.name === upTo) + 1),
        getMigrationName: (migration: { name: string }) => migration.name,
        getMigration: async (migration: Knex.Migration) => migration,
      });
      const job = { jobId: 'streaming-1', clusterInfo: { engine: 'flink', session: 's' } };
      const handlers = {
        'default.main.streamed': { continuousJob: job },
        'default.main.scheduled': { workflowId: 'w-1', nested: { continuousJob: 'not a job' } },
        'default.main.idle': null,
      };
      let db = knexFactory(catalogConnection(before.url, dir));
      let migrated: Catalog | undefined;
      try {
        await db.migrate.latest({ tableName: 'catalog_migrations', migrationSource: source('0004-refresh-action') });
        for (const [key, refreshHandler] of Object.entries(handlers)) {
          const { continuous_job: _, ...row } = fromTable(tableRecord(key, { refreshHandler }));
          await db('dynamic_tables').insert(row);
        }
        await db.destroy();

        migrated = new Catalog(before.url, dir);
        await migrated.open();
        assert.deepEqual(
          (await migrated.listTables()).map((t) => [t.key, t.refreshHandler, t.continuousJob]),
          [
            ['default.main.idle', null, null],
            ['default.main.scheduled', handlers['default.main.scheduled'], null],
            ['default.main.streamed', null, job],
          ],
        );
        const restarted = tableRecord('default.main.idle', { continuousJob: { ...job, jobId: 'streaming-2' } });
        await migrated.updateTable(restarted);
        await migrated.close();
        migrated = new Catalog(before.url, dir);
        assert.deepEqual(await migrated.getTable('default.main.idle'), restarted, 'read back from a new connection');
        await migrated.close();
        migrated = undefined;

        db = knexFactory(catalogConnection(before.url, dir));
        // Later migrations are rolled back first, newest first, down to 0005 itself.
        const from = CATALOG_MIGRATIONS.findIndex((m) => m.name === '0005-continuous-job');
        for (const { name } of CATALOG_MIGRATIONS.slice(from).reverse()) {
          await db.migrate.down({ tableName: 'catalog_migrations', migrationSource: source(name) });
        }
        const rows = (await db('dynamic_tables').orderBy('table_key').select('table_key', 'refresh_handler')) as Array<{
          table_key: string;
          refresh_handler: string | null;
        }>;
        assert.deepEqual(
          rows.map((r) => [r.table_key, r.refresh_handler === null ? null : JSON.parse(r.refresh_handler)]),
          [
            ['default.main.idle', { continuousJob: { ...job, jobId: 'streaming-2' } }],
            ['default.main.scheduled', handlers['default.main.scheduled']],
            ['default.main.streamed', { continuousJob: job }],
          ],
          'undone, the jobs are back in the handlers',
        );
      } finally {
        await db.destroy();
        await migrated?.close();
        await before.drop();
      }
    });

    it('hands each expired job to exactly one gateway, and leaves live and finished ones alone', async () => {
      const past = '2024-01-01T00:00:00.000Z';
      const future = '2999-01-01T00:00:00.000Z';
      const now = new Date().toISOString();
      await catalog.insertJob(jobRecord('live', { dedupeKey: null }), [history('live', 'default.main.t')], {
        owner: 'a',
        leaseUntil: future,
        resumable: true,
      });
      await catalog.insertJob(
        jobRecord('expired', { dedupeKey: null, createdAt: '2024-01-01T00:00:01.000Z' }),
        [history('expired', 'default.main.t')],
        {
          owner: 'a',
          leaseUntil: past,
          resumable: false,
        },
      );
      await catalog.insertJob(jobRecord('unowned', { dedupeKey: null, createdAt: '2024-01-01T00:00:02.000Z' }), [
        history('unowned', 'default.main.t'),
      ]);
      await catalog.insertJob(jobRecord('done', { dedupeKey: null, status: 'SUCCEEDED' }), [], {
        owner: 'a',
        leaseUntil: past,
        resumable: true,
      });
      assert.deepEqual(await catalog.jobOwnership('live'), { owner: 'a', leaseUntil: future, resumable: true });
      assert.equal(await catalog.jobOwnership('unowned'), null);

      const claimed = await catalog.claimExpiredJobs('b', future, now, 10);
      assert.deepEqual(
        claimed.map((c) => [c.job.jobId, c.previousOwner, c.resumable]),
        [
          ['expired', 'a', false],
          ['unowned', null, true],
        ],
      );
      assert.deepEqual(
        claimed[0]!.job,
        jobRecord('expired', { dedupeKey: null, createdAt: '2024-01-01T00:00:01.000Z' }),
      );
      assert.deepEqual(await catalog.claimExpiredJobs('c', future, now, 10), [], 'claimed jobs hold a live lease now');
      assert.deepEqual(await catalog.jobOwnership('expired'), { owner: 'b', leaseUntil: future, resumable: false });

      assert.equal(
        await catalog.renewJobLeases(['live', 'expired', 'done'], 'a', future),
        1,
        'a renews only what it still owns',
      );
      assert.equal(
        await catalog.updateJob('expired', { status: 'SUCCEEDED' }, 'a'),
        false,
        'a may not finish a job b took over',
      );
      assert.equal(await catalog.updateJob('expired', { status: 'SUCCEEDED' }, 'b'), true);
      assert.equal((await catalog.getJob('expired'))?.status, 'SUCCEEDED');
    });

    it('never hands one job to two gateways claiming at the same moment', async () => {
      const ids = Array.from({ length: 30 }, (_, i) => `j${String(i).padStart(2, '0')}`);
      for (const id of ids) {
        await catalog.insertJob(jobRecord(id, { dedupeKey: null }), [], {
          owner: 'dead',
          leaseUntil: '2024-01-01T00:00:00.000Z',
          resumable: true,
        });
      }
      const gateways = [catalog, new Catalog(url, dir), new Catalog(url, dir)];
      const won = await Promise.all(
        gateways.map(async (gateway, i) => {
          const mine: string[] = [];
          for (;;) {
            const batch = await gateway.claimExpiredJobs(
              `g${i}`,
              '2999-01-01T00:00:00.000Z',
              new Date().toISOString(),
              4,
            );
            if (batch.length === 0) return mine;
            mine.push(...batch.map((c) => c.job.jobId));
          }
        }),
      );
      await Promise.all(gateways.slice(1).map((g) => g.close()));
      assert.deepEqual(won.flat().sort(), ids, 'every job claimed once, none twice');
      for (const [i, mine] of won.entries()) {
        for (const id of mine) assert.equal((await catalog.jobOwnership(id))?.owner, `g${i}`);
      }
    });

    it('gives a named lease to one holder at a time, and to another once it passes or is released', async () => {
      const t = (s: number) => new Date(Date.UTC(2030, 0, 1, 0, 0, s)).toISOString();
      assert.equal(await catalog.getLease('scheduler-leader'), null);
      assert.equal(await catalog.acquireLease('scheduler-leader', 'a', t(30), t(0)), true);
      assert.equal(
        await catalog.acquireLease('scheduler-leader', 'b', t(40), t(10)),
        false,
        'a holds it until second 30',
      );
      assert.equal(await catalog.acquireLease('scheduler-leader', 'a', t(45), t(15)), true, 'the holder renews');
      assert.equal(await catalog.renewLeases(['scheduler-leader'], 'b', t(60)), 0);
      assert.equal(await catalog.renewLeases(['scheduler-leader', 'table:x'], 'a', t(50)), 1);
      assert.deepEqual(await catalog.getLease('scheduler-leader'), {
        name: 'scheduler-leader',
        owner: 'a',
        until: t(50),
      });
      assert.equal(await catalog.acquireLease('scheduler-leader', 'b', t(59), t(51)), true, 'passed: b takes it');
      await catalog.releaseLease('scheduler-leader', 'a');
      assert.equal(
        (await catalog.getLease('scheduler-leader'))?.owner,
        'b',
        'a cannot release what it no longer holds',
      );
      await catalog.releaseLease('scheduler-leader', 'b');
      assert.equal(await catalog.getLease('scheduler-leader'), null);
      assert.equal(await catalog.acquireLease('scheduler-leader', 'c', t(58), t(52)), true, 'released: taken at once');

      const others = [new Catalog(url, dir), new Catalog(url, dir)];
      const contenders = [catalog, ...others, catalog, ...others];
      const results = await Promise.all(
        contenders.map((c, i) => c.acquireLease('table:default.main.t', `r${i}`, t(30), t(0))),
      );
      await Promise.all(others.map((c) => c.close()));
      assert.equal(results.filter(Boolean).length, 1, 'exactly one of the gateways racing for a new lease gets it');
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

      await catalog.insertOrphan({
        schedulerType: 'airflow',
        tableIdentifier: 'default.main.t',
        handler: { dagId: 'd' },
        reason: 'down',
        createdAt: '2024-01-01T00:00:00.000Z',
      });
      const [orphan] = await catalog.listOrphans('airflow');
      assert.deepEqual(orphan?.handler, { dagId: 'd' });
      await catalog.deleteOrphan(orphan!.id);
      assert.deepEqual(await catalog.listOrphans('airflow'), []);
    });
  });
}
