import { strict as assert } from 'node:assert';
import knexFactory, { type Knex } from 'knex';
import { GatewayClient } from '../src/cli/gateway-client';
import { type CatalogKind, createDatabase } from './helpers/databases';
import { TestGateway } from './helpers/gateway';

/**
 * A long pass-through statement neither stalls the gateway nor outlives its client: `/health` answers while it
 * runs, `statements.timeoutSeconds` cuts it, and `DELETE /v3/statements/{id}` or a client that disconnects stops
 * it on the engine itself.
 */
interface Case {
  /** About 20 seconds of work on the engine. */
  readonly longQuery: string;
  /** How many statements like the long one the engine is running now (null: the engine cannot be asked). */
  readonly running: ((admin: Knex) => Promise<number>) | null;
}

const SQLITE_COUNT =
  'WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 100000000) SELECT count(*) FROM c';

const CASES: Record<CatalogKind, Case> = {
  sqlite: { longQuery: SQLITE_COUNT, running: null },
  postgres: {
    longQuery: 'SELECT pg_sleep(20)',
    running: async (admin) => {
      const result = await admin.raw(
        "SELECT count(*)::int AS n FROM pg_stat_activity WHERE state = 'active' AND query = 'SELECT pg_sleep(20)'",
      );
      return result.rows[0].n;
    },
  },
  mysql: {
    longQuery: 'SELECT SLEEP(20)',
    running: async (admin) => {
      const [rows] = await admin.raw(
        "SELECT COUNT(*) AS n FROM information_schema.PROCESSLIST WHERE INFO = 'SELECT SLEEP(20)'",
      );
      return Number(rows[0].n);
    },
  },
};

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function until(what: string, check: () => Promise<boolean>, withinMs = 5000): Promise<void> {
  const deadline = Date.now() + withinMs;
  while (!(await check())) {
    if (Date.now() > deadline) assert.fail(`timed out waiting until ${what}`);
    await sleep(50);
  }
}

for (const kind of ['sqlite', 'postgres', 'mysql'] as const) {
  describe(`statements that run long on ${kind}`, function () {
    this.timeout(60_000);
    const { longQuery, running } = CASES[kind];
    let gw: TestGateway;
    let drop: (() => Promise<void>) | undefined;
    let admin: Knex | undefined;
    let url: string | undefined;

    const start = async (timeoutSeconds: number) => {
      await gw?.close();
      const catalogs = url === undefined ? {} : { catalogs: { wh: { url } }, defaultCatalog: 'wh' };
      gw = await TestGateway.start({ ...catalogs, statements: { timeoutSeconds } });
    };

    before(async () => {
      if (kind !== 'sqlite') {
        const db = await createDatabase(kind);
        drop = db.drop;
        url = db.url;
        admin = knexFactory({
          client: kind === 'postgres' ? 'pg' : 'mysql2',
          connection: db.url,
          pool: { min: 0, max: 1 },
        });
      }
      await start(300);
    });
    after(async () => {
      await gw?.close();
      await admin?.destroy();
      await drop?.();
    });

    /** Posts the long query as statement `id`; the promise settles with the gateway's answer. */
    const post = (id: string, signal?: AbortSignal) =>
      fetch(`${gw.url}/v3/statements`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ statement: longQuery, statementId: id }),
        ...(signal === undefined ? {} : { signal }),
      });

    /** Waits until the engine runs the long query (SQLite cannot be asked: a moment is enough to start it). */
    const runningOnEngine = async () => {
      if (running === null || admin === undefined) return sleep(500);
      await until('the engine runs the statement', async () => (await running(admin as Knex)) === 1);
    };

    /** Proves the engine is no longer running it; on SQLite, a statement then runs at once. */
    const stoppedOnEngine = async () => {
      if (running !== null && admin !== undefined) {
        await until('the engine stopped the statement', async () => (await running(admin as Knex)) === 0, 3000);
      }
      const started = Date.now();
      assert.deepEqual(await gw.rows('SELECT 1 AS one'), [[1]]);
      assert.ok(Date.now() - started < 1000, `the next statement took ${Date.now() - started} ms`);
    };

    it('answers /health in under 200 ms while a 20-second query runs', async () => {
      assert.equal((await gw.request('GET', '/health')).status, 200); // connections are open before timing
      const answer = post('health-check');
      await runningOnEngine();
      for (let i = 0; i < 3; i++) {
        const started = Date.now();
        const health = await gw.request('GET', '/health');
        const took = Date.now() - started;
        assert.equal(health.status, 200);
        assert.ok(took < 200, `/health took ${took} ms`);
      }
      const started = Date.now();
      assert.deepEqual(await gw.rows('SELECT 2 AS two'), [[2]]);
      assert.ok(Date.now() - started < 1000, 'another statement waited behind the long one');
      assert.equal((await gw.request('DELETE', '/v3/statements/health-check')).status, 202);
      assert.equal((await answer).status, 499);
    });

    it('stops a statement at statements.timeoutSeconds and answers STATEMENT_TIMEOUT', async () => {
      await start(1);
      try {
        const started = Date.now();
        const answer = await post('timed');
        const body = (await answer.json()) as { error: { code: string; message: string } };
        assert.equal(answer.status, 408);
        assert.equal(body.error.code, 'STATEMENT_TIMEOUT');
        assert.match(body.error.message, /statements\.timeoutSeconds \(1 s\)/);
        assert.ok(Date.now() - started < 5000, `the timeout took ${Date.now() - started} ms`);
        await stoppedOnEngine();
      } finally {
        await start(300);
      }
    });

    it('stops a statement on DELETE /v3/statements/{id} and answers CANCELLED', async () => {
      const answer = post('cancel-me');
      await runningOnEngine();
      const cancel = await gw.request('DELETE', '/v3/statements/cancel-me');
      assert.equal(cancel.status, 202);
      assert.deepEqual(cancel.body, { statementId: 'cancel-me', status: 'CANCELLING' });
      const response = await answer;
      assert.equal(response.status, 499);
      assert.equal(response.headers.get('freshet-statement-id'), 'cancel-me');
      const body = (await response.json()) as { error: { code: string; message: string } };
      assert.equal(body.error.code, 'CANCELLED');
      assert.match(body.error.message, /cancel-me was cancelled/);
      await stoppedOnEngine();
      const gone = await gw.request('DELETE', '/v3/statements/cancel-me');
      assert.equal(gone.status, 404);
      assert.equal(gone.body.error.code, 'NOT_FOUND');
    });

    it('stops a statement whose client disconnects', async () => {
      const client = new AbortController();
      const answer = post('dropped', client.signal).catch((error: unknown) => error);
      await runningOnEngine();
      client.abort();
      assert.ok((await answer) instanceof Error);
      await stoppedOnEngine();
      // Nothing of it is left running under its id.
      await until(
        'the statement is forgotten',
        async () => (await gw.request('DELETE', '/v3/statements/dropped')).status === 404,
      );
    });

    it("stops a statement when the SQL client's user presses Ctrl-C", async () => {
      // The client aborts its request the way its Ctrl-C handler does; it names the statement and cancels it.
      const client = new GatewayClient({ url: gw.url });
      const ctrlC = new AbortController();
      const outcome = client.execute(longQuery, ctrlC.signal);
      await runningOnEngine();
      ctrlC.abort();
      const answered = await outcome;
      assert.equal(answered.kind, 'error', JSON.stringify(answered));
      assert.equal(answered.kind === 'error' && answered.error.code, 'CANCELLED');
      await stoppedOnEngine();
    });

    it('refuses a second running statement with the same id', async () => {
      const answer = post('twice');
      await runningOnEngine();
      const second = await gw.request('POST', '/v3/statements', { statement: 'SELECT 1', statementId: 'twice' });
      assert.equal(second.status, 409);
      assert.match(second.body.error.message, /twice is already running/);
      await gw.request('DELETE', '/v3/statements/twice');
      assert.equal((await answer).status, 499);
    });
  });
}
