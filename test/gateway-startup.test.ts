import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import Database from 'better-sqlite3';
import { loadConfig } from '../src/config/config';
import { startGateway } from '../src/gateway';
import { TestGateway } from './helpers/gateway';

describe('gateway start-up failures', () => {
  let first: TestGateway;
  let dataDir: string;

  beforeEach(async () => {
    first = await TestGateway.start();
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'freshet-startup-'));
  });

  afterEach(async () => {
    await first.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('says the port is in use, and leaves the catalog closed and writable by the next start', async () => {
    const port = Number(new URL(first.url).port);
    const config = loadConfig({ env: {}, overrides: { logLevel: 'silent', dataDir, server: { port } } });
    await assert.rejects(startGateway(config), (error: Error) => {
      assert.match(error.message, new RegExp(`port ${port} is already in use`));
      return true;
    });
    // The failed start opened the catalog and the warehouse; both are closed again, so nothing holds a lock.
    const catalog = new Database(path.join(dataDir, 'catalog.db'));
    try {
      catalog.exec('BEGIN EXCLUSIVE; COMMIT');
    } finally {
      catalog.close();
    }
    const retry = await startGateway(
      loadConfig({ env: {}, overrides: { logLevel: 'silent', dataDir, server: { port: 0 } } }),
    );
    await retry.close();
  });

  it('makes `freshet start` exit with code 1 and the reason, instead of hanging', () => {
    const port = new URL(first.url).port;
    const cli = path.resolve(__dirname, '..', 'src', 'cli', 'main.js');
    const run = spawnSync(process.execPath, [cli, 'start'], {
      env: { PATH: process.env.PATH, FRESHET_DATA_DIR: dataDir, FRESHET_PORT: port, FRESHET_LOG_LEVEL: 'silent' },
      encoding: 'utf8',
      timeout: 20_000,
    });
    assert.equal(run.signal, null, 'the process ended by itself');
    assert.equal(run.status, 1);
    assert.match(run.stderr, new RegExp(`port ${port} is already in use`));
  });
});
