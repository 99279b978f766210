/**
 * Three gateway processes on one PostgreSQL catalog and one SQLite warehouse. Refresh callbacks (with
 * duplicates) go to all of them, one is killed with SIGKILL in the middle of a refresh, and every job must end
 * SUCCEEDED, executed exactly once: a trigger on each dynamic table appends one audit row per committed refresh,
 * in the refresh's own transaction, so a refresh rolled back by the kill leaves no row.
 */
import { strict as assert } from 'node:assert';
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import knexFactory, { type Knex } from 'knex';
import { createDatabase } from './helpers/databases';
import { startGatewayProcess } from './helpers/gateway-process';
import { eventually, sleep } from './helpers/wait';

/** The repository root, whether this file runs from test/ (tsx) or dist/test/ (compiled). */
const ROOT = [path.resolve(__dirname, '..'), path.resolve(__dirname, '..', '..')].find((dir) =>
  existsSync(path.join(dir, 'package.json')),
)!;
const CLI = path.join(ROOT, 'dist', 'src', 'cli', 'main.js');

const SMALL_TABLES = ['d1', 'd2', 'd3', 'd4'];
const TOTAL_CALLBACKS = 500;

interface Replica {
  readonly id: string;
  readonly url: string;
  readonly process: ChildProcess;
  readonly stderr: string;
}

interface Callback {
  readonly table: string;
  readonly scheduleTime: string;
}

interface Answer {
  readonly callback: Callback;
  readonly replica: string;
  readonly status: number;
  readonly jobId: string;
}

const keyOf = (c: Callback) => `${c.table}@${c.scheduleTime}`;

/** Starts a replica on a port of its own choosing; resolves once it listens. */
async function startReplica(id: string, env: Record<string, string>): Promise<Replica> {
  const started = await startGatewayProcess({ env: { ...env, FRESHET_REPLICA_ID: id } }).catch((error: Error) => {
    throw new Error(`${id} did not start: ${error.message}`);
  });
  return {
    id,
    url: started.url,
    process: started.process,
    get stderr() {
      return started.stderr();
    },
  };
}

async function post(url: string, body: unknown): Promise<{ status: number; body: any }> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: await res.json() };
}

/** Sends callbacks with a few in flight at a time. */
async function send(
  callbacks: ReadonlyArray<{ callback: Callback; replica: Replica }>,
  concurrency = 12,
): Promise<Answer[]> {
  const answers: Answer[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < callbacks.length) {
        const { callback, replica } = callbacks[next++]!;
        const res = await post(`${replica.url}/v3/dynamic-tables/refresh`, {
          tables: [callback.table],
          scheduleTime: callback.scheduleTime,
        });
        answers.push({ callback, replica: replica.id, status: res.status, jobId: res.body.jobId });
      }
    }),
  );
  return answers;
}

/** Callbacks for new schedule times, in turn over the small tables, or repeats of earlier ones. */
function callbackMaker() {
  const sent: Callback[] = [];
  let minute = 0;
  const fresh = (table = SMALL_TABLES[minute % SMALL_TABLES.length]!): Callback => {
    minute += 1;
    const callback = {
      table,
      scheduleTime: new Date(Date.UTC(2024, 0, 1, 0, minute)).toISOString().replace('T', ' ').slice(0, 19),
    };
    sent.push(callback);
    return callback;
  };
  const repeat = (from: readonly Callback[] = sent): Callback => from[Math.floor(Math.random() * from.length)]!;
  /** Every third one a repeat. */
  const mixed = (n: number): Callback[] => Array.from({ length: n }, (_, i) => (i % 3 === 2 ? repeat() : fresh()));
  return { fresh, repeat, mixed };
}

describe('several gateways on one PostgreSQL catalog', function () {
  this.timeout(120_000);
  let dataDir: string;
  let dropCatalog: () => Promise<void> = async () => undefined;
  let catalog: Knex | undefined;
  const replicas: Replica[] = [];

  before(function () {
    if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run npm run build first.`);
  });
  after(async () => {
    await Promise.all(
      replicas.map(async (replica) => {
        if (replica.process.exitCode !== null || replica.process.signalCode !== null) return;
        const exited = new Promise((resolve) => replica.process.once('exit', resolve));
        replica.process.kill('SIGTERM');
        await Promise.race([exited, sleep(10_000)]);
        replica.process.kill('SIGKILL');
      }),
    );
    await catalog?.destroy();
    await dropCatalog();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('runs every refresh job exactly once to its end, also when a gateway is killed in the middle of one', async () => {
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'freshet-replicas-'));
    const database = await createDatabase('postgres');
    dropCatalog = database.drop;
    catalog = knexFactory({ client: 'pg', connection: database.url, pool: { min: 0, max: 2 } });

    // Sources and the audit table go straight into the warehouse all three gateways share.
    const warehouse = new BetterSqlite3(path.join(dataDir, 'warehouse.db'));
    warehouse.pragma('journal_mode = WAL');
    warehouse.exec(`
      CREATE TABLE small AS WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 20000) SELECT i, i % 97 AS g FROM n;
      CREATE TABLE big AS WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 200000) SELECT i, i % 2000 AS g FROM n;
      CREATE TABLE audit (tbl TEXT NOT NULL);
    `);

    const env = {
      FRESHET_DATA_DIR: dataDir,
      FRESHET_CATALOG_URL: database.url,
      FRESHET_REPLICA_LEASE_SECONDS: '3',
      FRESHET_LOG_LEVEL: 'silent',
    };
    const starts = await Promise.allSettled(['r0', 'r1', 'r2'].map((id) => startReplica(id, env)));
    for (const start of starts) if (start.status === 'fulfilled') replicas.push(start.value);
    for (const start of starts) if (start.status === 'rejected') throw start.reason;
    const [r0, r1, r2] = replicas as [Replica, Replica, Replica];

    // Tables are created through one gateway; the others read them from the shared catalog. Their first refresh
    // waits for a callback, so that every refresh the audit sees comes from one.
    const ddl = [
      ...SMALL_TABLES.map(
        (t) =>
          `CREATE DYNAMIC TABLE ${t} FRESHNESS = INTERVAL '1' DAY WITH ('initialize' = 'on_schedule') AS SELECT i, g FROM small`,
      ),
      // About two seconds of work in one transaction: the refresh the kill interrupts.
      `CREATE DYNAMIC TABLE slow FRESHNESS = INTERVAL '1' DAY WITH ('initialize' = 'on_schedule') AS
         SELECT a.g AS g, count(*) AS n FROM big a JOIN big b ON b.g = a.g AND b.i < 80000 GROUP BY a.g`,
    ];
    const created = await post(`${r0.url}/v3/statements`, { statement: ddl.join(';\n') });
    assert.equal(created.status, 200, JSON.stringify(created.body));
    for (const t of SMALL_TABLES)
      warehouse.exec(
        `CREATE TRIGGER audit_${t} AFTER INSERT ON ${t} WHEN NEW.i = 1 BEGIN INSERT INTO audit VALUES ('${t}'); END`,
      );
    warehouse.exec(
      `CREATE TRIGGER audit_slow AFTER INSERT ON slow WHEN NEW.g = 0 BEGIN INSERT INTO audit VALUES ('slow'); END`,
    );

    const unfinished = async () =>
      Number((await catalog!('refresh_jobs').whereIn('status', ['PENDING', 'RUNNING']).count({ n: '*' }))[0]!.n);
    const make = callbackMaker();
    const answers: Answer[] = [];

    // 1. Callbacks spread over the three gateways.
    const first = make.mixed(220).map((callback, i) => ({ callback, replica: replicas[i % 3]! }));
    answers.push(...(await send(first)));
    await eventually(async () => (await unfinished()) === 0, 60_000, 100);

    // 2. r2 starts the slow refresh, takes more callbacks that queue behind it, and is killed in the middle of it.
    // Nothing else writes to the warehouse meanwhile, so no refresh of r2's can have committed without being
    // recorded (the one moment a kill could make a job run twice: between the engine's commit and the catalog's).
    const slow = make.fresh('slow');
    answers.push(...(await send([{ callback: slow, replica: r2 }])));
    const slowJob = answers.at(-1)!.jobId;
    await eventually(
      async () =>
        (await catalog!('refresh_history').where({ job_id: slowJob, state: 'RUNNING' }).first()) !== undefined,
      10_000,
      10,
    );
    answers.push(...(await send(make.mixed(30).map((callback) => ({ callback, replica: r2 })))));
    await sleep(300);
    const slowRow = await catalog('refresh_jobs').where({ job_id: slowJob }).first();
    assert.equal(slowRow.status, 'RUNNING', 'the slow refresh is still running when r2 is killed');
    const ownedByR2 = Number(
      (
        await catalog('refresh_jobs').where({ owner: 'r2' }).whereIn('status', ['PENDING', 'RUNNING']).count({ n: '*' })
      )[0]!.n,
    );
    assert.ok(ownedByR2 > 1, `r2 holds several unfinished jobs when killed (${ownedByR2})`);
    const killed = new Promise((resolve) => r2.process.once('exit', resolve));
    r2.process.kill('SIGKILL');
    await killed;

    // 3. The rest go to the two survivors, among them repeats of the jobs r2 had started.
    const r2Callbacks = answers.filter((a) => a.replica === 'r2').map((a) => a.callback);
    const rest = TOTAL_CALLBACKS - answers.length;
    const last = Array.from({ length: rest }, (_, i) =>
      i % 4 === 0 ? make.repeat(r2Callbacks) : i % 4 === 1 ? make.repeat() : make.fresh(),
    ).map((callback, i) => ({
      callback,
      replica: i % 2 === 0 ? r0 : r1,
    }));
    answers.push(...(await send(last)));
    assert.equal(answers.length, TOTAL_CALLBACKS);
    await eventually(async () => (await unfinished()) === 0, 60_000, 200).catch((error: Error) => {
      throw new Error(`jobs still unfinished: ${error.message}\n${r0.stderr}\n${r1.stderr}`);
    });

    // Every callback was accepted, and repeats were answered with the job of their first callback.
    assert.deepEqual(
      answers.filter((a) => a.status !== 200),
      [],
    );
    const jobOf = new Map<string, string>();
    for (const answer of answers) {
      const known = jobOf.get(keyOf(answer.callback));
      if (known === undefined) jobOf.set(keyOf(answer.callback), answer.jobId);
      else assert.equal(answer.jobId, known, `a repeat of ${keyOf(answer.callback)} was answered with another job`);
    }
    assert.ok(jobOf.size < answers.length, 'there were repeats');
    assert.equal(new Set(jobOf.values()).size, jobOf.size, 'one job per distinct callback');

    // Every job finished successfully, and the jobs of the killed gateway were taken over.
    const jobs = (await catalog('refresh_jobs').select('job_id', 'status', 'owner', 'tables')) as Array<{
      job_id: string;
      status: string;
      owner: string;
      tables: string;
    }>;
    assert.deepEqual(
      jobs.filter((j) => j.status !== 'SUCCEEDED'),
      [],
    );
    const catalogJobs = new Set(jobs.map((j) => j.job_id));
    for (const jobId of jobOf.values()) assert.ok(catalogJobs.has(jobId), `job ${jobId} is in the catalog`);
    assert.notEqual(jobs.find((j) => j.job_id === slowJob)?.owner, 'r2', 'the slow job was finished by a survivor');
    const history = await catalog('refresh_history').select('job_id', 'state');
    assert.equal(history.length, jobs.length);
    assert.ok(history.every((h: { state: string }) => h.state === 'SUCCEEDED'));

    // Exactly once: one committed refresh (one audit row) per job of each table.
    const audited = new Map(
      (
        warehouse.prepare('SELECT tbl, count(*) AS n FROM audit GROUP BY tbl').all() as Array<{
          tbl: string;
          n: number;
        }>
      ).map((r) => [r.tbl, r.n]),
    );
    for (const table of [...SMALL_TABLES, 'slow']) {
      const expected = jobs.filter((j) => (JSON.parse(j.tables) as string[]).includes(`default.main.${table}`)).length;
      assert.equal(audited.get(table) ?? 0, expected, `refreshes of ${table} committed`);
    }
    assert.equal(audited.get('slow'), 1, 'the killed slow refresh was rolled back and run once more, by a survivor');
    warehouse.close();
  });
});
