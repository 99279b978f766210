import { strict as assert } from 'node:assert';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Catalog } from '../src/catalog/catalog';
import type { DynamicTableRecord } from '../src/catalog/records';
import type { Engine, RefreshOutcome, TableRef } from '../src/engine/engine';
import { createEngine } from '../src/engine/registry';
import { createLogger } from '../src/logger';
import { RefreshRunner, type RunnerStores, type TableRefresher } from '../src/refresh/refresh-runner';
import { type GatewayProcess, startGatewayProcess } from './helpers/gateway-process';
import { createDatabase } from './helpers/databases';
import { ManualClock } from './helpers/manual-clock';
import { eventually } from './helpers/wait';

const CHILD = path.join(__dirname, 'helpers', 'committed-then-stopped-child.js');

async function sql(base: string, statement: string): Promise<any[]> {
  const res = await fetch(`${base}/v3/statements`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ statement }),
  });
  const body = (await res.json()) as any;
  if (res.status !== 200) throw new Error(JSON.stringify(body));
  return body.results;
}

describe('exactly once: a gateway killed after the engine committed, before the catalog recorded it', function () {
  this.timeout(120_000);
  let dataDir: string;
  let child: GatewayProcess | undefined;

  beforeEach(() => {
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'freshet-exactly-once-'));
  });
  afterEach(async () => {
    child?.process.kill('SIGKILL');
    await child?.exited;
    child = undefined;
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("records a CREATE's initial refresh SUCCEEDED after restart, with the new rows in place", async () => {
    const marker = path.join(dataDir, 'committed.json');
    const env = { FRESHET_DATA_DIR: dataDir, FRESHET_LOG_LEVEL: 'silent' };
    child = await startGatewayProcess({ env, script: [CHILD, marker] });
    await sql(
      child.url,
      `CREATE TABLE src (id INTEGER PRIMARY KEY, v TEXT); INSERT INTO src VALUES (1, 'a'), (2, 'b'), (3, 'c')`,
    );
    // The CREATE waits for its initial refresh, which commits and then never returns: no answer is expected.
    void sql(child.url, `CREATE DYNAMIC TABLE copy FRESHNESS = INTERVAL '1' HOUR AS SELECT id, v FROM src`).catch(
      () => undefined,
    );
    await eventually(async () => existsSync(marker), 20_000, 10);
    const committed = JSON.parse(readFileSync(marker, 'utf8')) as { refreshId: string; outcome: RefreshOutcome };
    assert.match(committed.refreshId, /\/default\.main\.copy$/, 'the refresh carried its id to the engine');
    child.process.kill('SIGKILL');
    await child.exited;

    child = await startGatewayProcess({ env });
    const [rows] = await sql(child.url, 'SELECT id, v FROM copy ORDER BY id');
    assert.deepEqual(rows.rows, [
      [1, 'a'],
      [2, 'b'],
      [3, 'c'],
    ]);
    const history = (await (await fetch(`${child.url}/v3/dynamic-tables/copy/refreshes`)).json()) as any;
    assert.equal(history.refreshes.length, 1);
    const [refresh] = history.refreshes;
    assert.equal(refresh.state, 'SUCCEEDED', JSON.stringify(refresh));
    assert.equal(refresh.rowsWritten, 3);
    assert.equal(refresh.rowsDeleted, 0);
    assert.equal(refresh.error ?? null, null, JSON.stringify(refresh));
    const job = (await (await fetch(`${child.url}/v3/jobs/${committed.refreshId.split('/')[0]}`)).json()) as any;
    assert.equal(job.status, 'SUCCEEDED');
    assert.equal(job.error ?? null, null, JSON.stringify(job));
  });
});

const logger = createLogger('silent');

/** A dynamic table `name (id, v)` in `database` of the engine's catalog, as the catalog records it. */
function tableRecord(name: string, database: string): DynamicTableRecord {
  const key = `default.${database}.${name}`;
  return {
    key,
    identifier: key,
    catalogName: 'default',
    databaseName: database,
    tableName: name,
    definitionQuery: 'SELECT id, v FROM src',
    queryHash: 'h'.repeat(64),
    createStatement: `CREATE DYNAMIC TABLE ${name} AS SELECT id, v FROM src`,
    freshness: { interval: 1, unit: 'HOUR' },
    logicalRefreshMode: 'AUTOMATIC',
    refreshMode: 'FULL',
    refreshStatus: 'ACTIVATED',
    partitionKeys: [],
    options: {},
    schema: [
      { name: 'id', type: 'integer', nullable: false },
      { name: 'v', type: 'text', nullable: true },
    ],
    columnMapping: [
      { target: 'id', source: 'id' },
      { target: 'v', source: 'v' },
    ],
    primaryKey: null,
    comment: null,
    sourceTables: [],
    schedulerType: 'embedded',
    cron: '0 0 0/1 * * ? *',
    refreshHandler: null,
    continuousJob: null,
    createdAt: '2024-01-01T00:00:00.000Z',
    updatedAt: '2024-01-01T00:00:00.000Z',
  };
}

const refOf = (table: DynamicTableRecord): TableRef => ({ database: table.databaseName, name: table.tableName });

/**
 * Refreshes on the engine as the manager does, counting each execution per table. `stopAfterCommit` makes the
 * refreshes of those tables commit and then never return, as when the gateway dies right after the commit.
 */
function countingRefresher(
  engine: Engine,
  executed: string[],
  stopAfterCommit: ReadonlySet<string>,
  committed: string[] = [],
): TableRefresher {
  return {
    refresh: async ({ table, partition, refreshId }) => {
      executed.push(table.tableName);
      const spec = { table: refOf(table), query: table.definitionQuery, columns: table.columnMapping, partition };
      const outcome = await engine.refresh({ ...spec, ...(refreshId === undefined ? {} : { refreshId }) });
      if (stopAfterCommit.has(table.tableName)) {
        committed.push(table.tableName);
        return new Promise<RefreshOutcome>(() => undefined);
      }
      return outcome;
    },
    committed: async ({ table }, refreshId) => engine.ledger?.committed(refOf(table), refreshId) ?? null,
  };
}

for (const kind of ['postgres', 'mysql'] as const) {
  describe(`exactly once: a job taken over from a gateway that died after the engine committed (${kind})`, function () {
    this.timeout(60_000);
    let dir: string;
    let url: string;
    let drop: () => Promise<void>;
    let engine: Engine;
    const opened: Array<() => Promise<unknown>> = [];

    beforeEach(async () => {
      dir = mkdtempSync(path.join(os.tmpdir(), 'freshet-exactly-once-'));
      ({ url, drop } = await createDatabase(kind));
      engine = createEngine(url, { baseDir: dir });
      await engine.open();
      await engine.execute(`CREATE TABLE src (id integer PRIMARY KEY, v text)`, { rowLimit: 0 });
      await engine.execute(`INSERT INTO src VALUES (1, 'a'), (2, 'b')`, { rowLimit: 0 });
    });
    afterEach(async () => {
      for (const close of opened.splice(0)) await close().catch(() => undefined);
      await engine.close();
      await drop();
      rmSync(dir, { recursive: true, force: true });
    });

    async function gateway(id: string, refresher: TableRefresher, clock: ManualClock) {
      const catalog = new Catalog(url, dir);
      await catalog.open();
      const stores: RunnerStores = { tables: catalog.tables, jobs: catalog.jobs, leases: catalog.leases, shared: true };
      const runner = new RefreshRunner(stores, refresher, {}, logger, { id, leaseSeconds: 1 }, clock);
      opened.push(() => catalog.close());
      return { catalog, runner };
    }

    for (const committedFirst of [true, false]) {
      const title = committedFirst
        ? 'records the committed refresh SUCCEEDED without running it again, and runs the next table'
        : 'runs a refresh that had not committed (the control case)';
      it(title, async () => {
        const clock = new ManualClock();
        const database = engine.defaultDatabase;
        const [first, second] = [tableRecord('first_dt', database), tableRecord('second_dt', database)];
        for (const table of [first, second]) {
          await engine.createTable({ table: refOf(table), columns: table.schema, primaryKey: null });
        }
        const onA: string[] = [];
        const onB: string[] = [];
        // Gateway a commits `first_dt` and dies before recording it (or, in the control case, dies before its commit).
        const stopped = new Set(['first_dt']);
        const committedOnA: string[] = [];
        const refresherA = countingRefresher(engine, onA, stopped, committedOnA);
        const dying: TableRefresher = committedFirst
          ? refresherA
          : {
              ...refresherA,
              refresh: (r) => {
                onA.push(r.table.tableName);
                return new Promise(() => undefined);
              },
            };
        const a = await gateway('a', dying, clock);
        const b = await gateway('b', countingRefresher(engine, onB, new Set()), clock);
        for (const table of [first, second]) await a.catalog.insertTable(table);
        const job = await a.runner.submit({
          refreshes: [
            { table: first, partition: null },
            { table: second, partition: null },
          ],
          scheduleTime: new Date('2024-01-01T00:00:00Z'),
          deduplicate: true,
          trigger: 'SCHEDULED',
          isPeriodic: false,
          configuration: {},
          staticPartitions: null,
        });
        await eventually(async () => onA.length === 1 && (!committedFirst || committedOnA.length === 1), 10_000, 5);
        const history = async () => (await b.catalog.historyOfJob(job.jobId)).map((h) => [h.tableKey, h.state]);
        await eventually(async () => (await history())[0]?.[1] === 'RUNNING', 10_000, 5);
        // Gateway a stops renewing its leases: its catalog connection is gone.
        await a.catalog.close();
        await clock.advance(1500);
        assert.equal(await b.runner.sweep(), 1, 'b takes the job over');
        const done = await eventually(async () => {
          const current = await b.catalog.getJob(job.jobId);
          return current?.status === 'SUCCEEDED' ? current : null;
        }, 20_000);
        assert.equal(done.error, null);
        assert.deepEqual(onA, ['first_dt']);
        if (committedFirst) {
          assert.deepEqual(onB, ['second_dt'], 'the committed refresh is not executed a second time');
        } else {
          assert.deepEqual(onB, ['first_dt', 'second_dt']);
        }
        const rows = await b.catalog.historyOfJob(job.jobId);
        assert.deepEqual(
          rows.map((h) => [h.tableKey, h.state, h.rowsWritten]),
          [
            [first.key, 'SUCCEEDED', 2],
            [second.key, 'SUCCEEDED', 2],
          ],
        );
        const copied = await engine.execute('SELECT count(*) AS n FROM first_dt', { rowLimit: 10 });
        assert.deepEqual(copied.kind === 'rows' ? copied.rows : null, [[2]]);
      });
    }
  });
}
