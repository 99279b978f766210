import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { startGatewayProcess, type GatewayProcess } from './helpers/gateway-process';
import { eventually, sleep } from './helpers/wait';

/** The gateway as a real process, so it can be killed with SIGKILL. */
function startProcess(dataDir: string): Promise<GatewayProcess> {
  return startGatewayProcess({ env: { FRESHET_DATA_DIR: dataDir, FRESHET_LOG_LEVEL: 'silent' } });
}

async function post(url: string, body: unknown): Promise<any> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: await res.json() };
}

async function sql(base: string, statement: string): Promise<any[]> {
  const res = await post(`${base}/v3/statements`, { statement });
  if (res.status !== 200) throw new Error(JSON.stringify(res.body));
  return res.body.results;
}

describe('gateway: killed during a refresh', function () {
  this.timeout(120_000);
  let dataDir: string;
  let child: GatewayProcess | undefined;

  before(() => {
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'freshet-crash-'));
  });
  after(() => {
    child?.process.kill('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('leaves the old contents and its window locked, reports the job FAILED after restart, and the next refresh succeeds', async () => {
    child = await startProcess(dataDir);
    let base = child.url;
    await sql(
      base,
      `CREATE TABLE big AS WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1500000) SELECT i, i % 997 AS g FROM n;
       CREATE DYNAMIC TABLE copy FRESHNESS = INTERVAL '1' HOUR AS SELECT i, g FROM big`,
    );
    const [before] = await sql(base, 'SELECT count(*), sum(i) FROM copy');
    await sql(base, 'DELETE FROM big WHERE g = 0');
    const started = await post(`${base}/v3/dynamic-tables/refresh`, {
      tables: ['copy'],
      scheduleTime: '2024-01-01 00:00:00',
    });
    assert.equal(started.status, 200);
    const jobId = started.body.jobId;
    await eventually(
      async () => ((await (await fetch(`${base}/v3/jobs/${jobId}`)).json()) as any).status === 'RUNNING',
      10_000,
      5,
    );
    await sleep(50);
    child.process.kill('SIGKILL');
    await child.exited;

    // The restarted gateway gets a port of its own; the job survives in the data folder, not at an address.
    child = await startProcess(dataDir);
    base = child.url;
    const [after] = await sql(base, 'SELECT count(*), sum(i) FROM copy');
    assert.deepEqual(after.rows, before.rows, 'the table holds exactly its old rows');
    const job = (await (await fetch(`${base}/v3/jobs/${jobId}`)).json()) as any;
    assert.equal(job.status, 'FAILED');
    assert.match(job.error, /stopped before this refresh finished/);
    // The window the killed refresh was writing stays locked for readers that gate on the table.
    const readiness = `${base}/v3/sources/default.main.copy/readiness?start=2023-12-31T23:00:00Z&end=2024-01-01T00:00:00Z`;
    const locked = (await (await fetch(readiness)).json()) as any;
    assert.equal(locked.ready, false);
    assert.deepEqual(
      locked.locked.map((l: { start: string; end: string }) => [l.start, l.end]),
      [['2023-12-31T23:00:00.000Z', '2024-01-01T00:00:00.000Z']],
    );
    const retried = await post(`${base}/v3/dynamic-tables/refresh?wait=60`, {
      tables: ['copy'],
      scheduleTime: '2024-01-01 00:00:00',
    });
    assert.equal(retried.status, 200);
    assert.notEqual(retried.body.jobId, jobId);
    const [fresh] = await sql(base, 'SELECT count(*) FROM copy');
    assert.equal(((await (await fetch(readiness)).json()) as any).ready, true, 'the committed retry unlocks it');
    assert.ok((fresh.rows[0][0] as number) < (before.rows[0][0] as number), 'the new rows are in');
    child.process.kill('SIGTERM');
    await child.exited;
  });
});
