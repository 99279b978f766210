import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Catalog } from '../src/catalog/catalog';
import type { DynamicTableRecord, JobRecord } from '../src/catalog/records';
import type { RefreshOutcome, RefreshSpec } from '../src/engine/engine';
import { createLogger } from '../src/logger';
import { ContinuousRunner } from '../src/refresh/continuous-runner';
import { RefreshRunner, type JobRequest, type RunnerStores, type TableRefresher } from '../src/refresh/refresh-runner';
import { systemClock, type Clock } from '../src/replica/clock';
import { LeaderLease } from '../src/replica/leader-lease';
import { EmbeddedScheduler } from '../src/scheduler/embedded/embedded-scheduler';
import type { ScheduledRefresh, SchedulerContext, SchedulerLeadership } from '../src/scheduler/workflow-scheduler';
import { createDatabase } from './helpers/databases';
import { eventually, sleep } from './helpers/gateway';
import { ManualClock } from './helpers/manual-clock';

const logger = createLogger('silent');

/** Refreshes a table on an engine, as the manager does for a table of the engine's own catalog. */
function performOn(engine: FakeEngine): TableRefresher {
  return {
    refresh: (refresh) =>
      engine.refresh({
        table: { database: refresh.table.databaseName, name: refresh.table.tableName },
        query: refresh.table.definitionQuery,
        columns: refresh.table.columnMapping,
        partition: refresh.partition,
      }),
  };
}

/** The stores a gateway gives its refresh runner. */
const storesOf = (catalog: Catalog): RunnerStores => ({
  tables: catalog.tables,
  jobs: catalog.jobs,
  leases: catalog.leases,
  shared: catalog.shared,
});

/**
 * An engine whose refreshes the test can hold back; it records every refresh, when it started (by the clock the
 * leases are measured in) and how many overlapped.
 */
class FakeEngine {
  readonly refreshed: string[] = [];
  readonly startedAt: number[] = [];
  maxOverlap = 0;
  private running = 0;
  private gate: Promise<void> = Promise.resolve();
  private open: () => void = () => undefined;

  constructor(
    private readonly durationMs = 0,
    private readonly clock: Clock = systemClock,
  ) {}

  hold(): void {
    this.gate = new Promise((resolve) => (this.open = resolve));
  }

  release(): void {
    this.open();
  }

  async refresh(spec: RefreshSpec): Promise<RefreshOutcome> {
    this.refreshed.push(spec.table.name);
    this.startedAt.push(this.clock.now());
    this.running += 1;
    this.maxOverlap = Math.max(this.maxOverlap, this.running);
    try {
      await this.gate;
      await sleep(this.durationMs);
      return { rowsWritten: 1, rowsDeleted: 0 };
    } finally {
      this.running -= 1;
    }
  }
}

function tableRecord(name: string): DynamicTableRecord {
  return {
    key: `default.main.${name}`,
    identifier: `default.main.${name}`,
    catalogName: 'default',
    databaseName: 'main',
    tableName: name,
    definitionQuery: 'SELECT 1 AS x',
    queryHash: 'h'.repeat(64),
    createStatement: `CREATE DYNAMIC TABLE ${name} AS SELECT 1 AS x`,
    freshness: { interval: 1, unit: 'HOUR' },
    logicalRefreshMode: 'AUTOMATIC',
    refreshMode: 'FULL',
    refreshStatus: 'ACTIVATED',
    partitionKeys: [],
    options: {},
    schema: [{ name: 'x', type: 'INTEGER', nullable: true }],
    columnMapping: [{ target: 'x', source: 'x' }],
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

const request = (table: DynamicTableRecord, scheduleTime: string): JobRequest => ({
  refreshes: [{ table, partition: null }],
  scheduleTime: new Date(scheduleTime),
  deduplicate: true,
  trigger: 'SCHEDULED',
  isPeriodic: false,
  configuration: {},
  staticPartitions: null,
});

/** A job row as a gateway leaves it when it is killed while refreshing: RUNNING, with a lease nobody renews. */
async function insertOrphanedJob(
  catalog: Catalog,
  jobId: string,
  table: DynamicTableRecord,
  leaseUntil: Date,
  resumable = true,
): Promise<void> {
  const at = new Date().toISOString();
  const job: JobRecord = {
    jobId,
    dedupeKey: null,
    attempt: 1,
    trigger: 'SCHEDULED',
    status: 'RUNNING',
    tables: [table.key],
    scheduleTime: '2024-01-01T00:00:00.000Z',
    isPeriodic: false,
    configuration: {},
    staticPartitions: null,
    clusterInfo: {},
    error: null,
    createdAt: at,
    startedAt: at,
    finishedAt: null,
  };
  const history = {
    jobId,
    tableKey: table.key,
    identifier: table.identifier,
    trigger: 'SCHEDULED' as const,
    scheduleTime: job.scheduleTime,
    partition: null,
    state: 'RUNNING' as const,
    rowsWritten: null,
    rowsDeleted: null,
    startedAt: at,
    finishedAt: null,
    error: null,
  };
  await catalog.insertJob(job, [history], { owner: 'killed-gateway', leaseUntil: leaseUntil.toISOString(), resumable });
}

const inMs = (ms: number, clock: Clock = systemClock) => new Date(clock.now() + ms);

for (const kind of ['postgres', 'mysql'] as const) {
  describe(`refresh jobs shared by several gateways on a ${kind} catalog`, function () {
    this.timeout(60_000);
    let dir: string;
    let drop: () => Promise<void>;
    let url: string;
    /** The time leases are measured in, shared by the gateways of a test; it moves only when the test moves it. */
    let clock: ManualClock;
    const opened: Array<{ close(): Promise<void> }> = [];

    /** A gateway's catalog connection and refresh runner, with a 1-second lease. */
    async function gateway(id: string, engine: FakeEngine): Promise<{ catalog: Catalog; runner: RefreshRunner }> {
      const catalog = new Catalog(url, dir);
      await catalog.open();
      const runner = new RefreshRunner(
        storesOf(catalog),
        performOn(engine),
        {},
        logger,
        { id, leaseSeconds: 1 },
        clock,
      );
      opened.push({ close: () => runner.close() }, catalog);
      return { catalog, runner };
    }

    beforeEach(async () => {
      dir = mkdtempSync(path.join(os.tmpdir(), 'freshet-leases-'));
      clock = new ManualClock();
      ({ url, drop } = await createDatabase(kind));
    });
    afterEach(async () => {
      for (const item of opened.splice(0)) await item.close().catch(() => undefined);
      await drop();
      rmSync(dir, { recursive: true, force: true });
    });

    it('leaves a job with the gateway that created it for as long as that gateway renews its lease', async () => {
      const engine = new FakeEngine();
      const a = await gateway('a', engine);
      const b = await gateway('b', engine);
      const table = tableRecord('orders');
      await a.catalog.insertTable(table);
      engine.hold();
      const job = await a.runner.submit(request(table, '2024-01-01T00:00:00Z'));
      await clock.advance(2500);
      assert.equal(await b.runner.sweep(), 0, 'two leases have gone by, but a renewed its own');
      assert.equal((await b.catalog.jobOwnership(job.jobId))?.owner, 'a');
      const repeated = await b.runner.submit(request(table, '2024-01-01T00:00:00Z'));
      assert.equal(repeated.jobId, job.jobId, 'the same callback on another gateway answers with the same job');
      const waited = b.runner.waitFor(job.jobId, 10_000);
      engine.release();
      assert.equal((await waited)?.status, 'SUCCEEDED', 'a gateway waiting for a job another one runs sees it finish');
      assert.deepEqual(engine.refreshed, ['orders']);
    });

    it('hands the job of a killed gateway, once its lease has passed, to exactly one of the gateways racing for it', async () => {
      const engine = new FakeEngine();
      const [b, c] = [await gateway('b', engine), await gateway('c', engine)];
      const table = tableRecord('orders');
      await b.catalog.insertTable(table);
      await insertOrphanedJob(b.catalog, 'orphan', table, inMs(1000, clock));
      assert.deepEqual(
        await Promise.all([b.runner.sweep(), c.runner.sweep()]),
        [0, 0],
        'not before the lease has passed',
      );
      await clock.advance(1100);
      const taken = await Promise.all([b, c, b, c, b, c].map((g) => g.runner.sweep()));
      assert.equal(
        taken.reduce((sum, n) => sum + n, 0),
        1,
      );
      const done = await eventually(async () => {
        const job = await b.catalog.getJob('orphan');
        return job?.status === 'SUCCEEDED' ? job : null;
      });
      assert.equal(done.error, null);
      assert.deepEqual(engine.refreshed, ['orders'], 'refreshed once');
      const [history] = await b.catalog.historyOfJob('orphan');
      assert.equal(history?.state, 'SUCCEEDED');
      assert.equal(history?.rowsWritten, 1);
    });

    it('waits for the table lease of a killed gateway to pass before refreshing that table', async () => {
      const engine = new FakeEngine(0, clock);
      const a = await gateway('a', engine);
      const table = tableRecord('orders');
      await a.catalog.insertTable(table);
      const until = inMs(1500, clock);
      const now = new Date(clock.now()).toISOString();
      assert.equal(
        await a.catalog.acquireLease(`table:${table.key}`, 'killed-gateway', until.toISOString(), now),
        true,
      );
      const job = await a.runner.submit(request(table, '2024-01-01T00:00:00Z'));
      await clock.advance(700);
      // The runner asks for the table lease again a few times meanwhile (its pauses between asking are real time).
      await sleep(300);
      assert.deepEqual(engine.refreshed, [], 'the table is still leased to the killed gateway');
      await clock.advance(850);
      assert.equal((await a.runner.waitFor(job.jobId, 10_000))?.status, 'SUCCEEDED');
      assert.ok(engine.startedAt[0]! >= until.getTime(), 'it ran after the lease had passed');
    });

    it('never refreshes one table on two gateways at once', async () => {
      const engine = new FakeEngine(150);
      const gateways = [await gateway('a', engine), await gateway('b', engine), await gateway('c', engine)];
      const table = tableRecord('orders');
      await gateways[0]!.catalog.insertTable(table);
      const jobs = await Promise.all(
        Array.from({ length: 6 }, (_, i) => gateways[i % 3]!.runner.submit(request(table, `2024-01-01T00:0${i}:00Z`))),
      );
      for (const [i, job] of jobs.entries())
        assert.equal((await gateways[i % 3]!.runner.waitFor(job.jobId, 20_000))?.status, 'SUCCEEDED');
      assert.equal(engine.refreshed.length, 6);
      assert.equal(engine.maxOverlap, 1);
    });

    it('fails, instead of re-running, an ALTER … AS rebuild whose gateway was killed', async () => {
      const engine = new FakeEngine();
      const b = await gateway('b', engine);
      const table = tableRecord('orders');
      await b.catalog.insertTable(table);
      await insertOrphanedJob(b.catalog, 'rebuild', table, inMs(-1, clock), false);
      assert.equal(await b.runner.sweep(), 1);
      const job = await eventually(async () => {
        const current = await b.catalog.getJob('rebuild');
        return current?.status === 'FAILED' ? current : null;
      });
      assert.match(job.error ?? '', /stopped before it finished/);
      assert.equal((await b.catalog.historyOfJob('rebuild'))[0]?.state, 'FAILED');
      assert.deepEqual(engine.refreshed, []);
    });

    it('leaves the unfinished jobs of live gateways alone at start-up, and takes over the abandoned ones', async () => {
      const engine = new FakeEngine();
      const b = await gateway('b', engine);
      const table = tableRecord('orders');
      await b.catalog.insertTable(table);
      await insertOrphanedJob(b.catalog, 'live', table, inMs(60_000, clock));
      await insertOrphanedJob(b.catalog, 'abandoned', table, inMs(-1, clock));
      assert.equal(await b.runner.recover(new Date(clock.now())), 0, 'nothing is failed on a shared catalog');
      await eventually(async () => (await b.catalog.getJob('abandoned'))?.status === 'SUCCEEDED');
      assert.equal((await b.catalog.getJob('live'))?.status, 'RUNNING');
    });

    it('moves the leader lease to another gateway when the leader stops renewing it, and at once when it gives it up', async () => {
      const catalog = new Catalog(url, dir);
      await catalog.open();
      opened.push(catalog);
      const a = new LeaderLease(catalog.leases, 'a', 1000, logger, { clock });
      const b = new LeaderLease(catalog.leases, 'b', 1000, logger, { clock });
      const bChanges: boolean[] = [];
      b.onChange((leader) => bChanges.push(leader));
      await a.start();
      await b.start();
      opened.push({ close: () => a.stop() }, { close: () => b.stop() });
      assert.equal(a.isLeader(), true);
      assert.equal(b.isLeader(), false);
      await clock.advance(1500);
      assert.equal(b.isLeader(), false, 'a renews');
      await a.stop({ release: false }); // as if killed
      // b tries every third of a lease: its lease time has to go by for it to take the lease over.
      await eventually(
        async () => {
          await clock.advance(100);
          return b.isLeader();
        },
        3000,
        20,
      );
      assert.deepEqual(bChanges, [true]);
      await b.stop();
      const c = new LeaderLease(catalog.leases, 'c', 1000, logger, { clock });
      await c.start();
      opened.push({ close: () => c.stop() });
      assert.equal(c.isLeader(), true, 'b gave the lease up, so c leads without waiting');
    });
  });
}

describe('embedded scheduler and continuous runner behind a leader lease', function () {
  this.timeout(60_000);

  class SwitchableLeadership implements SchedulerLeadership {
    private listeners = new Set<(leader: boolean) => void>();
    constructor(private leader: boolean) {}
    isLeader(): boolean {
      return this.leader;
    }
    onChange(listener: (leader: boolean) => void): () => void {
      this.listeners.add(listener);
      return () => this.listeners.delete(listener);
    }
    set(leader: boolean): void {
      this.leader = leader;
      for (const listener of this.listeners) listener(leader);
    }
  }

  it('fires each tick once, on the leader only, including workflows created on another gateway', async () => {
    const { url, drop } = await createDatabase('postgres');
    const dir = mkdtempSync(path.join(os.tmpdir(), 'freshet-leader-'));
    const catalogs = [new Catalog(url, dir), new Catalog(url, dir)];
    for (const catalog of catalogs) await catalog.open();
    const fires: Array<{ gateway: string; refresh: ScheduledRefresh }> = [];
    const leaderships = [new SwitchableLeadership(true), new SwitchableLeadership(false)];
    const schedulers = catalogs.map((catalog, i) => {
      const context: SchedulerContext = {
        gatewayUrl: 'http://127.0.0.1:8083',
        stateStore: catalog.pluginStateStore('embedded'),
        logger,
        now: () => new Date(),
        leadership: leaderships[i],
        triggerRefresh: async (refresh) => void fires.push({ gateway: `g${i}`, refresh }),
      };
      return new EmbeddedScheduler(context);
    });
    try {
      for (const scheduler of schedulers) await scheduler.open();
      // Created on the follower: only the leader fires it, once it has re-read the shared state store.
      await schedulers[1]!.createRefreshWorkflow({
        tableIdentifier: 'default.main.orders',
        statement: 'CREATE DYNAMIC TABLE orders …',
        schedule: {
          quartzCron: '0/1 * * * * ? *',
          unixCron: null,
          freshness: { interval: 1, unit: 'SECOND' },
          timeZone: 'UTC',
        },
        initConfig: {},
        executionConfig: {},
        callback: {
          refreshUrl: 'http://127.0.0.1:8083/v3/dynamic-tables/refresh',
          jobsUrl: 'http://127.0.0.1:8083/v3/jobs/',
          token: null,
        },
      });
      await eventually(async () => fires.length >= 2, 6000, 20);
      assert.deepEqual(new Set(fires.map((f) => f.gateway)), new Set(['g0']));
      // Hand the leadership over.
      leaderships[0]!.set(false);
      leaderships[1]!.set(true);
      const handedOver = fires.length;
      await eventually(async () => fires.slice(handedOver).filter((f) => f.gateway === 'g1').length >= 2, 6000, 20);
      assert.deepEqual(
        new Set(fires.slice(handedOver + 1).map((f) => f.gateway)),
        new Set(['g1']),
        'the old leader stopped firing',
      );
      const times = fires.map((f) => f.refresh.scheduleTime.toISOString());
      assert.equal(new Set(times).size, times.length, 'no tick fired twice');
    } finally {
      for (const scheduler of schedulers) await scheduler.close();
      for (const catalog of catalogs) await catalog.close();
      await drop();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('runs continuous ticks only while this gateway leads', async () => {
    let leader = false;
    const ticks: Date[] = [];
    const runner = new ContinuousRunner(
      async (tick) => {
        ticks.push(tick.tickTime);
        return { done: Promise.resolve() };
      },
      logger,
      { isLeader: () => leader },
    );
    runner.start('default.main.t', 0.1, new Date());
    await sleep(450);
    assert.deepEqual(ticks, [], 'a follower skips its ticks');
    leader = true;
    await eventually(async () => ticks.length >= 2, 2000, 10);
    await runner.close();
  });
});

describe('refresh jobs on a SQLite catalog (one gateway)', () => {
  it('fails at start-up the jobs a stopped process left, since no other gateway can be running them', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'freshet-leases-'));
    const catalog = new Catalog('sqlite:catalog.db', dir);
    await catalog.open();
    const runner = new RefreshRunner(storesOf(catalog), performOn(new FakeEngine()), {}, logger, {
      id: 'a',
      leaseSeconds: 1,
    });
    try {
      const table = tableRecord('orders');
      await catalog.insertTable(table);
      await insertOrphanedJob(catalog, 'left', table, inMs(60_000));
      assert.equal(await runner.recover(new Date()), 1);
      const job = await catalog.getJob('left');
      assert.equal(job?.status, 'FAILED');
      assert.match(job?.error ?? '', /stopped before this refresh finished/);
      assert.equal(await runner.sweep(), 0, 'nothing to take over from anyone');
    } finally {
      await runner.close();
      await catalog.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
