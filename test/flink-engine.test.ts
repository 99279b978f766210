import assert from 'node:assert/strict';
import type { Engine, RefreshSpec, TableRef } from '../src/engine/engine';
import { FlinkEngine } from '../src/engine/flink/flink-engine';
import { gatewayFailure } from '../src/engine/flink/flink-errors';
import { FreshetError } from '../src/errors';
import { FlinkGatewayFake, type SessionRecord } from './fakes/flink-gateway-fake';
import { rejectsWith } from './helpers/assertions';
import { sleep } from './helpers/wait';

const dt: TableRef = { database: null, name: 'dt' };
const SOURCE_QUERY = 'SELECT id, v, k FROM src';
const DT_COLUMNS = [
  { name: 'id', type: 'INT', nullable: false },
  { name: 'w', type: 'STRING', nullable: true },
  { name: 'k', type: 'STRING', nullable: true },
];

function refreshOf(
  query: string,
  partition: Record<string, string> | null = null,
  configuration?: Record<string, string>,
): RefreshSpec {
  return {
    table: dt,
    query,
    columns: [
      { target: 'id', source: 'id' },
      { target: 'w', source: 'v' },
      { target: 'k', source: 'k' },
    ],
    partition,
    configuration,
  };
}

describe('FlinkEngine against a fake Flink SQL Gateway', function () {
  let fake: FlinkGatewayFake;
  let engine: FlinkEngine;

  beforeEach(async function () {
    fake = await FlinkGatewayFake.start({ jobDurationMs: 30 });
    fake.createTable(
      'src',
      [
        { name: 'id', type: 'INT', nullable: false },
        { name: 'v', type: 'STRING' },
        { name: 'k', type: 'STRING' },
      ],
      {
        rows: [
          [1, 'a', 'x'],
          [2, 'b', 'x'],
          [3, 'c', 'y'],
        ],
      },
    );
    engine = new FlinkEngine({ url: fake.url, pollIntervalMs: 20, heartbeatIntervalMs: 40 });
    await engine.open();
  });

  afterEach(async function () {
    await engine.close();
    await fake.close();
  });

  /** Every request followed the spec, nothing broke the life cycle, and the engine closed every session it opened. */
  function assertTidy(): void {
    assert.deepEqual(fake.violations, []);
    assert.deepEqual(fake.misuses, []);
    assert.equal(fake.openSessions, 0);
    assert.deepEqual(
      fake.sessions.filter((session) => session.end !== 'closed').map((session) => session.name),
      [],
    );
  }

  /** The one session whose statements include one starting with `prefix`. */
  function sessionRunning(prefix: string): SessionRecord {
    const found = fake.sessions.filter((session) =>
      session.statements.some((statement) => statement.startsWith(prefix)),
    );
    assert.equal(found.length, 1, `sessions running ${prefix}: ${found.length}`);
    return found[0] as SessionRecord;
  }

  async function createDt(partitionKeys: string[] = [], rows: unknown[][] = []): Promise<void> {
    await engine.createTable({ table: dt, columns: DT_COLUMNS, primaryKey: ['id'], partitionKeys });
    const table = fake.table('dt');
    assert.ok(table?.kind === 'table');
    table.rows = rows;
  }

  it('creates, describes, lists and drops tables through SQL statements', async function () {
    await createDt(['k']);
    const table = fake.table('dt');
    assert.ok(table?.kind === 'table');
    assert.deepEqual(table.partitionKeys, ['k']);

    assert.deepEqual(await engine.describeTable(dt), { columns: DT_COLUMNS, primaryKey: ['id'] });
    assert.deepEqual(await engine.listTables(), [
      { database: 'default_database', name: 'dt' },
      { database: 'default_database', name: 'src' },
    ]);
    await engine.dropTable(dt);
    assert.equal(await engine.describeTable(dt), null);
    await engine.dropTable(dt); // a missing table is fine
    assert.deepEqual(await engine.listTables(), [{ database: 'default_database', name: 'src' }]);
    assertTidy();
  });

  it('describes a query through a temporary view, without running it', async function () {
    const columns = await engine.describeQuery("SELECT id, v AS w, 'lit' AS l FROM src WHERE k = 'x';");
    assert.deepEqual(columns, [
      { name: 'id', type: 'INT', nullable: false },
      { name: 'w', type: 'STRING', nullable: true },
      { name: 'l', type: 'CHAR(3)', nullable: false },
    ]);
    assert.deepEqual(fake.jobs, []);
    assert.equal(fake.table('__freshet_query'), undefined);
    assert.match(sessionRunning('CREATE TEMPORARY VIEW').statements.join('\n'), /DESCRIBE `__freshet_query`/);
    assertTidy();
  });

  it('runs a FULL refresh as INSERT OVERWRITE in a batch job and reports the job id', async function () {
    await createDt([], [[9, 'old', 'z']]);
    const outcome = await engine.refresh(refreshOf(SOURCE_QUERY, null, { 'parallelism.default': '2' }));

    assert.deepEqual(fake.rowsOf('dt'), [
      { id: 1, w: 'a', k: 'x' },
      { id: 2, w: 'b', k: 'x' },
      { id: 3, w: 'c', k: 'y' },
    ]);
    const [job] = fake.jobs;
    assert.ok(job);
    assert.equal(job.status, 'FINISHED');
    assert.equal(job.mode, 'batch');
    assert.equal(job.sink, 'default_catalog.default_database.dt');
    assert.equal(job.name, 'Freshet_dynamic_table_default_database.dt_one_time_refresh_job');
    assert.deepEqual(outcome, {
      rowsWritten: -1,
      rowsDeleted: -1,
      clusterInfo: { 'flink.job-id': job.id, 'execution.target': 'remote' },
    });

    const session = sessionRunning('INSERT OVERWRITE');
    assert.equal(
      session.statements.find((statement) => statement.startsWith('INSERT')),
      'INSERT OVERWRITE `default_database`.`dt` (`id`, `w`, `k`)\nSELECT `id` AS `id`, `v` AS `w`, `k` AS `k` FROM (\nSELECT id, v, k FROM src\n)',
    );
    assert.equal(session.properties['execution.runtime-mode'], 'batch');
    assert.equal(session.properties['table.dml-sync'], 'true');
    assert.equal(session.properties['parallelism.default'], '2');
    assert.equal(session.properties['execution.target'], 'remote');
    assertTidy();
  });

  it('waits for the batch job to finish, keeping the session alive meanwhile', async function () {
    await createDt([], [[9, 'old', 'z']]);
    fake.jobDurationMs = 300;
    const refreshing = engine.refresh(refreshOf(SOURCE_QUERY));
    await sleep(150);
    assert.deepEqual(fake.rowsOf('dt'), [{ id: 9, w: 'old', k: 'z' }], 'readers see the old rows while the job runs');
    assert.equal(fake.jobs[0]?.status, 'RUNNING');

    const outcome = await refreshing;
    assert.equal(fake.jobs[0]?.status, 'FINISHED');
    assert.equal(outcome.clusterInfo?.['flink.job-id'], fake.jobs[0]?.id);
    assert.equal(fake.rowsOf('dt').length, 3);
    assert.ok(sessionRunning('INSERT OVERWRITE').heartbeats >= 1, 'heartbeats while the job runs');
    assertTidy();
  });

  it('refreshes one partition by filtering the query, leaving the other partitions alone', async function () {
    await createDt(
      ['k'],
      [
        [1, 'old', 'x'],
        [7, 'old', 'y'],
      ],
    );
    await engine.refresh(refreshOf(SOURCE_QUERY, { k: 'x' }));

    const statement = sessionRunning('INSERT OVERWRITE').statements.find((s) => s.startsWith('INSERT'));
    assert.match(statement ?? '', /\n\)\nWHERE `k` = 'x'$/);
    const rows = fake.rowsOf('dt').sort((a, b) => Number(a.id) - Number(b.id));
    assert.deepEqual(rows, [
      { id: 1, w: 'a', k: 'x' },
      { id: 2, w: 'b', k: 'x' },
      { id: 7, w: 'old', k: 'y' },
    ]);
    assertTidy();
  });

  it('refuses a partition refresh of a table that is not partitioned by the partition columns', async function () {
    await createDt(
      [],
      [
        [1, 'old', 'x'],
        [7, 'old', 'y'],
      ],
    );
    await rejectsWith(
      engine.refresh(refreshOf(SOURCE_QUERY, { k: 'x' })),
      'VALIDATION_ERROR',
      /not partitioned.*would replace every row/,
    );
    assert.equal(fake.rowsOf('dt').length, 2);
    assert.deepEqual(fake.jobs, []);
    assertTidy();
  });

  it("turns SQL Flink rejects into VALIDATION_ERROR with Flink's message and position", async function () {
    await createDt();
    await rejectsWith(
      engine.refresh(refreshOf('SELECT id, v, k FROM missing')),
      'VALIDATION_ERROR',
      /^Flink: SQL validation failed\. From line 3, column 22 to line 3, column 28: Object 'missing' not found$/,
    );

    const unknownColumn = await rejectsWith(
      engine.execute('SELECT nope FROM src', { rowLimit: 10 }),
      'VALIDATION_ERROR',
    );
    assert.equal(
      unknownColumn.message,
      "Flink: SQL validation failed. From line 1, column 8 to line 1, column 11: Column 'nope' not found in any table",
    );
    assert.deepEqual([unknownColumn.line, unknownColumn.column], [1, 8]);

    // The query starts on the view statement's second line; the position is the query's own.
    const inQuery = await rejectsWith(
      engine.describeQuery('SELECT id,\n  nope FROM src'),
      'VALIDATION_ERROR',
      /Column 'nope' not found/,
    );
    assert.deepEqual([inQuery.line, inQuery.column], [2, 3]);

    await rejectsWith(
      engine.execute('SELEC 1', { rowLimit: 10 }),
      'VALIDATION_ERROR',
      /^Flink: SQL parse failed\. Encountered "SELEC"/,
    );

    fake.failNextStatement('Unsupported watermark strategy.');
    await rejectsWith(
      engine.execute('SELECT id FROM src', { rowLimit: 10 }),
      'VALIDATION_ERROR',
      /^Flink: Unsupported watermark strategy\.$/,
    );
    assertTidy();
  });

  it("reports a failed refresh job as ENGINE_ERROR with the job's root cause", async function () {
    await createDt([], [[9, 'old', 'z']]);
    fake.failNextJob('No space left on device');
    const error = await rejectsWith(engine.refresh(refreshOf(SOURCE_QUERY)), 'ENGINE_ERROR', /No space left on device/);
    assert.ok(error.message.includes(fake.url), error.message);
    assert.equal(fake.jobs[0]?.status, 'FAILED');
    assert.deepEqual(fake.rowsOf('dt'), [{ id: 9, w: 'old', k: 'z' }]);
    assertTidy();
  });

  it('reports an unreachable gateway as ENGINE_ERROR naming its URL', async function () {
    await createDt();
    const url = fake.url;
    await fake.stop();
    await rejectsWith(
      engine.refresh(refreshOf(SOURCE_QUERY)),
      'ENGINE_ERROR',
      new RegExp(`${url.replace(/\./g, '\\.')} is unreachable`),
    );
    await rejectsWith(engine.ping(), 'ENGINE_ERROR', /unreachable/);
    const other = new FlinkEngine({ url });
    await rejectsWith(other.open(), 'ENGINE_ERROR', new RegExp(url.replace(/\./g, '\\.')));
    await fake.start();
    await engine.ping();
  });

  it('closes every session it opens, also when statements and jobs fail', async function () {
    await createDt(['k']);
    await rejectsWith(engine.refresh(refreshOf('SELECT id, v, k FROM missing')), 'VALIDATION_ERROR');
    await rejectsWith(engine.execute('SELEC 1', { rowLimit: 1 }), 'VALIDATION_ERROR');
    fake.failNextJob('TaskManager lost');
    await rejectsWith(engine.refresh(refreshOf(SOURCE_QUERY, { k: 'x' })), 'ENGINE_ERROR');
    assert.equal(await engine.describeTable({ database: null, name: 'nope' }), null);
    await rejectsWith(
      engine.createTable({ table: dt, columns: DT_COLUMNS, primaryKey: null }),
      'VALIDATION_ERROR',
      /already exists/,
    );

    const opened = fake.requests.filter((r) => r.operationId === 'openSession').length;
    const closed = fake.requests.filter((r) => r.operationId === 'closeSession' && r.status === 200).length;
    assert.equal(closed, opened);
    const operations = fake.requests.filter((r) => r.operationId === 'executeStatement').length;
    assert.equal(
      fake.requests.filter((r) => r.operationId === 'closeOperation').length,
      operations,
      'every operation is closed',
    );
    assertTidy();
  });

  it('pages through results by following nextResultUri until EOS, and stops at the row limit', async function () {
    fake.pageSize = 2;
    const table = fake.table('src');
    assert.ok(table?.kind === 'table');
    table.rows.push([4, 'd', 'y'], [5, 'e', 'y']);

    const before = fake.requests.length;
    const all = await engine.execute('SELECT id, v FROM src', { rowLimit: 100 });
    assert.deepEqual(all, {
      kind: 'rows',
      columns: ['id', 'v'],
      rows: [
        [1, 'a'],
        [2, 'b'],
        [3, 'c'],
        [4, 'd'],
        [5, 'e'],
      ],
      truncated: false,
    });
    const fetches = fake.requests.slice(before).filter((r) => r.operationId === 'fetchResults');
    assert.deepEqual(
      fetches.map((r) => r.path.split('/').pop()),
      ['0', '1', '2', '3'],
    );
    assert.ok(fetches.every((r) => r.query.rowFormat === 'JSON'));

    const limited = await engine.execute('SELECT id FROM src', { rowLimit: 3 });
    assert.deepEqual(limited, { kind: 'rows', columns: ['id'], rows: [[1], [2], [3]], truncated: true });
    assertTidy();
  });

  it('passes DDL through and answers it as an update', async function () {
    const result = await engine.execute("CREATE TABLE t2 (a INT, b STRING) WITH ('connector' = 'blackhole')", {
      rowLimit: 10,
    });
    assert.deepEqual(result, { kind: 'update', rowsAffected: 0 });
    assert.equal(fake.table('t2')?.kind, 'table');
    assertTidy();
  });

  it('starts a continuous job as a streaming INSERT INTO and stops it with STOP JOB', async function () {
    await createDt();
    // The table's configuration overrides the checkpoint interval the engine derives from the freshness.
    const spec = {
      ...refreshOf(SOURCE_QUERY, null, { 'execution.checkpointing.interval': '3 min' }),
      freshnessSeconds: 30,
    };
    const job = await engine.continuousJobs.start(spec);
    const [running] = fake.jobs;
    assert.ok(running);
    assert.equal(running.status, 'RUNNING');
    assert.equal(running.mode, 'streaming');
    assert.match(running.statement, /^INSERT INTO `default_database`\.`dt` \(`id`, `w`, `k`\)\nSELECT /);
    assert.deepEqual(job, {
      jobId: running.id,
      clusterInfo: { 'flink.job-id': running.id, 'execution.target': 'remote' },
    });
    const session = sessionRunning('INSERT INTO');
    assert.equal(session.properties['execution.runtime-mode'], 'streaming');
    assert.equal(session.properties['table.dml-sync'], 'false');
    assert.equal(session.properties['execution.checkpointing.interval'], '3 min');
    assert.equal(fake.rowsOf('dt').length, 3);

    await engine.continuousJobs.stop(job.jobId);
    assert.equal(running.status, 'CANCELED');
    assert.ok(fake.statements.includes(`STOP JOB '${job.jobId}'`));

    await engine.continuousJobs.stop(job.jobId); // already gone
    await engine.continuousJobs.stop('0123456789abcdef0123456789abcdef'); // never known
    assert.equal(fake.statements.filter((s) => s.startsWith('STOP JOB')).length, 1);
    await rejectsWith(engine.continuousJobs.stop("x' OR '1"), 'VALIDATION_ERROR', /not a Flink job id/);
    assertTidy();
  });

  it('rebuilds a table under a scratch name and renames it into place', async function () {
    await engine.createTable({ table: dt, columns: DT_COLUMNS.slice(0, 2), primaryKey: ['id'] });
    const outcome = await engine.rebuildTable(
      { table: dt, columns: DT_COLUMNS, primaryKey: ['id'] },
      refreshOf(SOURCE_QUERY),
    );

    assert.deepEqual((await engine.describeTable(dt))?.columns, DT_COLUMNS);
    assert.equal(fake.rowsOf('dt').length, 3);
    assert.equal(outcome.clusterInfo?.['flink.job-id'], fake.jobs[0]?.id);
    assert.deepEqual(fake.catalogs.names('default_catalog', 'default_database'), ['dt', 'src']);
    const statements = sessionRunning('INSERT OVERWRITE').statements;
    assert.ok(statements.includes('ALTER TABLE `default_database`.`dt` RENAME TO `__freshet_old_dt`'));
    assert.ok(statements.includes('ALTER TABLE `default_database`.`__freshet_new_dt` RENAME TO `dt`'));
    assertTidy();
  });

  it('keeps the old table when filling the rebuilt one fails', async function () {
    await createDt([], [[9, 'old', 'z']]);
    fake.failNextJob('Checkpoint expired');
    await rejectsWith(
      engine.rebuildTable({ table: dt, columns: DT_COLUMNS, primaryKey: null }, refreshOf(SOURCE_QUERY)),
      'ENGINE_ERROR',
    );
    assert.deepEqual(fake.rowsOf('dt'), [{ id: 9, w: 'old', k: 'z' }]);
    assert.deepEqual(fake.catalogs.names('default_catalog', 'default_database'), ['dt', 'src']);
    assertTidy();
  });

  it('uses the configured catalog and database in every session', async function () {
    fake.addDatabase('lake', 'dw');
    fake.createTable('lake.dw.orders', [{ name: 'id', type: 'BIGINT' }], { rows: [[1], [2]] });
    const lake = new FlinkEngine({ url: fake.url, catalog: 'lake', pollIntervalMs: 20 });
    await lake.open();
    assert.equal(lake.defaultDatabase, 'dw', 'the catalog’s current database, read at open');
    assert.deepEqual(await lake.listTables(), [{ database: 'dw', name: 'orders' }]);
    assert.deepEqual(await lake.describeQuery('SELECT id FROM orders'), [
      { name: 'id', type: 'BIGINT', nullable: true },
    ]);
    assert.deepEqual(fake.sessions.at(-1)?.statements.slice(0, 1), ['USE CATALOG `lake`']);
    await lake.createTable({ table: dt, columns: DT_COLUMNS, primaryKey: null });
    assert.equal(fake.table('lake.dw.dt')?.kind, 'table');

    const wrong = new FlinkEngine({ url: fake.url, catalog: 'lake', database: 'nope' });
    await rejectsWith(
      wrong.open(),
      'ENGINE_ERROR',
      /USE `nope`.*A database with name \[nope\] does not exist in the catalog: \[lake\]/,
    );
    assertTidy();
  });

  it('reports every invalid option at once', function () {
    assert.throws(
      () => new FlinkEngine({ url: 'ftp://gateway/v3', pollIntervalMs: 1 }),
      (error: unknown) => {
        assert.ok(error instanceof FreshetError);
        assert.equal(error.code, 'VALIDATION_ERROR');
        assert.match(error.message, /url: .*http\(s\)/);
        assert.match(error.message, /pollIntervalMs/);
        return true;
      },
    );
  });

  it('reads the stack traces the gateway sends, skipping frames and wrappers', function () {
    const context = { url: 'http://gateway:8083', action: 'run a statement', clientLineOffset: 0 };
    const parseFailure = [
      'Internal server error.',
      '<Exception on server side:\n' +
        'org.apache.flink.table.gateway.api.utils.SqlGatewayException: org.apache.flink.table.gateway.api.utils.SqlGatewayException: Failed to fetchResults.\n' +
        '\tat org.apache.flink.table.gateway.rest.handler.statement.FetchResultsHandler.handleRequest(FetchResultsHandler.java:91)\n' +
        'Caused by: org.apache.flink.table.gateway.service.utils.SqlExecutionException: Failed to execute the operation 1.\n' +
        '\tat org.apache.flink.table.gateway.service.operation.OperationManager.processThrowable(OperationManager.java:412)\n' +
        'Caused by: org.apache.flink.table.api.SqlParserException: SQL parse failed. From line 1, column 1 to line 1, column 5:\n' +
        '    ELECT 1\n    ^^^^^\nNon-query expression encountered in illegal context\n' +
        '\tat org.apache.flink.table.planner.parse.CalciteParser.parse(CalciteParser.java:60)\n' +
        'Caused by: org.apache.calcite.runtime.CalciteException: Non-query expression encountered in illegal context\n' +
        '\t... 12 more\n' +
        'End of exception on server side>',
    ];
    const parse = gatewayFailure(parseFailure, 500, context);
    assert.equal(parse.code, 'VALIDATION_ERROR');
    assert.equal(
      parse.message,
      'Flink: SQL parse failed. From line 1, column 1 to line 1, column 5: Non-query expression encountered in illegal context',
    );
    assert.deepEqual([parse.line, parse.column], [1, 1]);

    // A message quoting "Caused by:" stays whole; only a line starting with it opens a cause.
    const quoting = gatewayFailure(
      [
        'org.apache.flink.runtime.rest.handler.RestHandlerException: Failed to cancelOperation.\n\tat x.Y.z(Y.java:1)\n' +
          "Caused by: java.lang.IllegalStateException: Cannot cancel 'Caused by: x'\n\tat x.Y.z(Y.java:2)",
      ],
      500,
      context,
    );
    assert.equal(quoting.code, 'ENGINE_ERROR');
    assert.equal(
      quoting.message,
      "The Flink SQL Gateway at http://gateway:8083 failed to run a statement (HTTP 500): Cannot cancel 'Caused by: x'",
    );
    assert.equal(
      gatewayFailure(['Not found: /v3/info'], 404, context).message,
      'The Flink SQL Gateway at http://gateway:8083 failed to run a statement (HTTP 404): Not found: /v3/info',
    );
  });

  it('declares continuous jobs and partitioned refresh, but no transactional DDL', function () {
    assert.deepEqual(engine.capabilities(), {
      transactionalDdl: false,
      partitionedRefresh: true,
      otherDatabases: true,
    });
    const declared: Engine = engine;
    assert.equal(declared.incremental, undefined);
    assert.ok(declared.continuousJobs);
    assert.equal(declared.streaming, undefined);
    assert.equal(engine.name, 'flink');
    assert.equal(engine.dialect, 'mysql');
    assert.equal(engine.defaultDatabase, 'default_database');
  });
});

describe('the fake Flink SQL Gateway', function () {
  let fake: FlinkGatewayFake;

  beforeEach(async function () {
    fake = await FlinkGatewayFake.start({ jobDurationMs: 150 });
    fake.createTable('src', [{ name: 'id', type: 'INT' }], { rows: [[1], [2]] });
    fake.createTable('sink', [{ name: 'id', type: 'INT' }]);
  });

  afterEach(async function () {
    await fake.close();
  });

  async function call(
    method: string,
    path: string,
    body?: unknown,
  ): Promise<{ status: number; body: Record<string, unknown> }> {
    const response = await fetch(`${fake.url}${path}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  }

  async function openSession(properties: Record<string, string> = {}): Promise<string> {
    const opened = await call('POST', '/v3/sessions', { properties, sessionName: 'test' });
    assert.equal(opened.status, 200);
    return String(opened.body.sessionHandle);
  }

  async function submit(session: string, statement: string): Promise<string> {
    const submitted = await call('POST', `/v3/sessions/${session}/statements`, { statement });
    assert.equal(submitted.status, 200);
    return String(submitted.body.operationHandle);
  }

  it('refuses statements in a closed session the way Flink does', async function () {
    const session = await openSession();
    assert.deepEqual((await call('DELETE', `/v3/sessions/${session}`)).body, { status: 'CLOSED' });
    const refused = await call('POST', `/v3/sessions/${session}/statements`, { statement: 'SELECT 1' });
    assert.equal(refused.status, 500);
    const errors = refused.body.errors as string[];
    assert.equal(errors[0], 'Internal server error.');
    assert.match(
      errors[1] ?? '',
      new RegExp(
        `Caused by: org\\.apache\\.flink\\.table\\.gateway\\.api\\.utils\\.SqlGatewayException: Session '${session}' does not exist\\.`,
      ),
    );
    const status = await call('GET', `/v3/sessions/${session}/operations/${session}/status`);
    assert.equal(status.status, 500);
    assert.match(
      (status.body.errors as string[])[0] ?? '',
      /^org\.apache\.flink\.runtime\.rest\.handler\.RestHandlerException: Failed to getOperationInfo\./,
    );
    assert.equal(fake.misuses.length, 2);
    assert.deepEqual(fake.violations, []);
  });

  it('answers NOT_READY while an operation runs and pages strictly by token', async function () {
    const session = await openSession({ 'execution.runtime-mode': 'batch', 'table.dml-sync': 'true' });
    const operation = await submit(session, 'INSERT OVERWRITE sink SELECT id FROM src');
    const base = `/v3/sessions/${session}/operations/${operation}`;
    await sleep(30);
    assert.deepEqual((await call('GET', `${base}/status`)).body, { status: 'RUNNING' });
    assert.deepEqual((await call('GET', `${base}/result/0?rowFormat=JSON`)).body, {
      resultType: 'NOT_READY',
      nextResultUri: `${base}/result/0?rowFormat=JSON`,
    });
    await sleep(200);
    assert.deepEqual((await call('GET', `${base}/status`)).body, { status: 'FINISHED' });
    assert.deepEqual(fake.rowsOf('sink'), [{ id: 1 }, { id: 2 }]);

    const early = await call('GET', `${base}/result/1?rowFormat=JSON`);
    assert.equal(early.status, 500);
    assert.match((early.body.errors as string[])[1] ?? '', /Expecting token to be 0, but found 1\./);
    const first = await call('GET', `${base}/result/0?rowFormat=JSON`);
    assert.equal(first.body.resultType, 'PAYLOAD');
    assert.equal(first.body.jobID, fake.jobs[0]?.id);
    assert.deepEqual((first.body.results as { data: unknown }).data, [{ kind: 'INSERT', fields: [fake.jobs[0]?.id] }]);
    assert.deepEqual(
      (await call('GET', `${base}/result/0?rowFormat=JSON`)).body,
      first.body,
      'the current token may be fetched again',
    );
    const last = await call('GET', `${base}/result/1?rowFormat=JSON`);
    assert.equal(last.body.resultType, 'EOS');
    assert.equal(last.body.nextResultUri, undefined);
    assert.equal((await call('GET', `${base}/result/5?rowFormat=JSON`)).status, 500);
  });

  it('ends an operation in ERROR and answers its result with the exception chain', async function () {
    const session = await openSession();
    const operation = await submit(session, 'SELECT id FROM nowhere');
    await sleep(30);
    const base = `/v3/sessions/${session}/operations/${operation}`;
    assert.deepEqual((await call('GET', `${base}/status`)).body, { status: 'ERROR' });
    const failed = await call('GET', `${base}/result/0?rowFormat=JSON`);
    assert.equal(failed.status, 500);
    const trace = (failed.body.errors as string[])[1] ?? '';
    assert.match(
      trace,
      /Caused by: org\.apache\.flink\.table\.gateway\.service\.utils\.SqlExecutionException: Failed to execute the operation/,
    );
    assert.match(
      trace,
      /Caused by: org\.apache\.flink\.table\.api\.ValidationException: SQL validation failed\. From line 1, column 16 to line 1, column 22: Object 'nowhere' not found/,
    );
    assert.deepEqual(fake.misuses, []);
  });

  it('closes an operation twice without complaint, then forgets it', async function () {
    const session = await openSession();
    const operation = await submit(session, 'SELECT id FROM src');
    const base = `/v3/sessions/${session}/operations/${operation}`;
    assert.deepEqual((await call('DELETE', `${base}/close`)).body, { status: 'CLOSED' });
    assert.deepEqual((await call('DELETE', `${base}/close`)).body, { status: 'CLOSED' });
    const status = await call('GET', `${base}/status`);
    assert.equal(status.status, 500);
    assert.match(
      (status.body.errors as string[])[0] ?? '',
      /Can not find the submitted operation in the OperationManager/,
    );
  });

  it('keeps a streaming job running until STOP JOB, and refuses to stop it twice', async function () {
    const session = await openSession();
    const insert = await submit(session, 'INSERT INTO sink SELECT id FROM src');
    await sleep(30);
    const job = fake.jobs[0];
    assert.equal(job?.status, 'RUNNING');
    assert.equal(job?.mode, 'streaming');
    const overwrite = await submit(session, 'INSERT OVERWRITE sink SELECT id FROM src');
    await sleep(30);
    assert.equal(
      (await call('GET', `/v3/sessions/${session}/operations/${overwrite}/status`)).body.status,
      'ERROR',
      'no INSERT OVERWRITE in streaming mode',
    );
    await submit(session, `STOP JOB '${job?.id}'`);
    await sleep(30);
    assert.equal(job?.status, 'CANCELED');
    const again = await submit(session, `STOP JOB '${job?.id}'`);
    await sleep(30);
    const refused = await call('GET', `/v3/sessions/${session}/operations/${again}/result/0?rowFormat=JSON`);
    assert.match((refused.body.errors as string[])[1] ?? '', /was not canceled, but instead CANCELED/);
    assert.ok(insert);
  });

  it('refuses requests outside the spec and records them', async function () {
    assert.equal((await call('POST', '/v3/sessions', { properties: { a: 1 } })).status, 400);
    assert.equal((await call('POST', '/v3/sessions', { sessionName: 's', extra: true })).status, 400);
    assert.equal((await call('GET', '/v3/sessions/not-a-uuid/operations/x/status')).status, 400);
    const session = await openSession();
    const operation = await submit(session, 'SELECT id FROM src');
    assert.equal((await call('GET', `/v3/sessions/${session}/operations/${operation}/result/0`)).status, 400);
    assert.equal((await call('GET', '/v3/jobs')).status, 404);
    assert.equal((await call('PUT', '/v3/sessions')).status, 405);
    assert.deepEqual(
      fake.violations.map((v) => v.problem),
      [
        'field properties must be an object of string values, got {"a":1}',
        'unknown field extra in OpenSessionRequestBody',
        'path parameter session_handle has the wrong format: not-a-uuid',
        'path parameter operation_handle has the wrong format: x',
        'query parameter rowFormat is required',
        'no operation in the spec has the path /v3/jobs',
        '/v3/sessions takes POST, not PUT',
      ],
    );
  });

  it('closes sessions left idle longer than the idle timeout', async function () {
    await fake.close();
    fake = await FlinkGatewayFake.start({ sessionIdleTimeoutMs: 50 });
    const session = await openSession();
    await sleep(80);
    const late = await call('POST', `/v3/sessions/${session}/heartbeat`);
    assert.equal(late.status, 500);
    assert.equal(fake.sessions[0]?.end, 'expired');
    assert.equal(fake.openSessions, 0);
  });
});
