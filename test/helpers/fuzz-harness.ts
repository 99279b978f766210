/**
 * The request fuzzer's harness: a gateway process with the fixture (`src`, `scratch`, the dynamic table `dt`), and
 * `fuzz`, which runs one fast-check property over generated requests and judges every answer. A failure message is
 * the shrunk counterexample, the request as sent (cut short), the answer, and the gateway's last log lines.
 */
import { strict as assert } from 'node:assert';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import fc from 'fast-check';
import { ERROR_STATUS } from '../../src/errors';
import { FuzzGateway, type RawRequest, type RawResponse, type TokenSetting } from './fuzz-gateway';
import type { FuzzTokens } from './fuzz-http';

export const REQUEST_LIMIT_MS = 2000;
/**
 * A wedged gateway leaves /health silent for seconds; a second is far below that and far above what a loaded
 * two-core machine adds (550 ms was seen there). test/no-wedge.test.ts holds the known cases to 200 ms.
 */
export const HEALTH_LIMIT_MS = 1000;
/** The first health probe goes out this long after a request, then one every HEALTH_EVERY_MS while it runs. */
const HEALTH_FIRST_MS = 25;
const HEALTH_EVERY_MS = 100;

export const DT_QUERY = 'SELECT k, v * 2 AS v FROM src WHERE k <= 3';

/** Rows, columns, schema objects of `dt` but indexes (they change no row), temporary objects shadowing it, triggers that name it: one row. */
const DT_STATE = `SELECT
  (SELECT group_concat(k || ':' || v, ',') FROM (SELECT k, v FROM dt ORDER BY k)) AS r,
  (SELECT group_concat(name || ' ' || type, ',') FROM pragma_table_info('dt')) AS c,
  (SELECT group_concat(type || ':' || name, ',') FROM (SELECT type, name FROM sqlite_schema
     WHERE tbl_name = 'dt' COLLATE NOCASE AND type <> 'index' ORDER BY name)) AS s,
  (SELECT group_concat(type || ':' || name, ',') FROM sqlite_temp_schema WHERE tbl_name = 'dt' COLLATE NOCASE) AS t,
  (SELECT group_concat(name, ',') FROM (SELECT name FROM sqlite_schema WHERE type = 'trigger' AND sql LIKE '%dt%'
     UNION ALL SELECT name FROM sqlite_temp_schema WHERE type = 'trigger' AND sql LIKE '%dt%')) AS g`;

const FIXTURE_SQL = `CREATE TABLE src (k INTEGER PRIMARY KEY, v INTEGER NOT NULL);
  INSERT INTO src VALUES (1, 10), (2, 20), (3, 30), (4, 40);
  CREATE TABLE scratch (a INTEGER, b TEXT);
  CREATE DYNAMIC TABLE dt FRESHNESS = INTERVAL '1' HOUR AS ${DT_QUERY}`;

/** Files SQLite keeps beside a database; their coming and going is not a new file. */
const SIDE_FILE = /-(wal|shm|journal)$/;

export interface Exchange {
  readonly response: RawResponse;
  /** Health probes made while the request was in flight. */
  readonly health: ReadonlyArray<{ readonly ms: number; readonly status: number }>;
}

export interface FuzzOptions<T> {
  readonly numRuns: number;
  readonly seed: number;
  /** A safety net: the property stops (and passes with the runs made) after this long. */
  readonly budgetMs: number;
  /** After each request: `dt` unchanged, no new file in the test's folder. */
  readonly checkState: boolean;
  /** What this case is owed beyond the common checks; a problem or undefined. */
  readonly expect?: (c: T, response: RawResponse) => string | undefined;
}

export function clip(text: string, max = 300): string {
  return text.length <= max ? text : `${text.slice(0, max)}… (${text.length} characters)`;
}

function describeRequest(request: RawRequest): string {
  const body = request.body === undefined ? '' : `\n  body: ${clip(request.body.toString(), 240)}`;
  const headers = Object.entries(request.headers)
    .map(([k, v]) => `${k}: ${clip(v, 60)}`)
    .join('; ');
  return `${request.method} ${clip(request.path, 160)}\n  headers: ${headers || '(none)'}${body}`;
}

/** What is wrong with an answer by the rules every answer follows, or undefined. */
export function problemOf(exchange: Exchange, secretPath: string): string | undefined {
  const { response, health } = exchange;
  if (response.status === -1) return `the test could not send it: ${response.failure}`;
  if (response.status === 0) return `no answer: ${response.failure}`;
  if (response.ms > REQUEST_LIMIT_MS) return `answered in ${response.ms} ms (limit ${REQUEST_LIMIT_MS})`;
  const slow = health.find((h) => h.status !== 200 || h.ms > HEALTH_LIMIT_MS);
  if (slow) return `/health answered ${slow.status || 'nothing'} in ${slow.ms} ms while the request was in flight`;
  if (response.status >= 500) return `answered ${response.status}`;
  if (response.text.includes(secretPath)) return `the answer shows the gateway's absolute path ${secretPath}`;
  if (response.status < 400) return undefined;
  let body: any;
  try {
    body = JSON.parse(response.text);
  } catch {
    return `answered ${response.status} with a body that is not JSON`;
  }
  const error = body?.error;
  if (typeof error !== 'object' || error === null) return `answered ${response.status} without {error: {…}}`;
  if (!Object.hasOwn(ERROR_STATUS, error.code)) return `answered ${response.status} with unknown code ${error.code}`;
  const owed = ERROR_STATUS[error.code as keyof typeof ERROR_STATUS];
  if (owed !== response.status) return `answered ${response.status} with code ${error.code}, whose status is ${owed}`;
  if (typeof error.message !== 'string' || error.message === '') return 'answered an error without a message';
  return undefined;
}

export class FuzzHarness {
  readonly tokens: FuzzTokens;
  private baseline = { state: '', definition: '', files: '' };
  /** Set when a property failed, so that the next one first puts everything back. */
  private dirty = false;

  private constructor(
    readonly gateway: FuzzGateway,
    readonly workDir: string,
    tokens: FuzzTokens,
  ) {
    this.tokens = tokens;
  }

  /** Starts a gateway in a new temporary folder (with a `read` token when the gateway has that scope). */
  static async start(): Promise<FuzzHarness> {
    const workDir = mkdtempSync(path.join(os.tmpdir(), 'freshet-fuzz-'));
    const tokens = {
      admin: randomBytes(16).toString('hex'),
      callback: randomBytes(16).toString('hex'),
      read: randomBytes(16).toString('hex'),
    };
    const settings = (read: boolean): TokenSetting[] => [
      { token: tokens.admin, scopes: ['admin'] },
      { token: tokens.callback, scopes: ['callback'] },
      ...(read ? [{ token: tokens.read, scopes: ['read'] }] : []),
    ];
    let gateway = new FuzzGateway(workDir, settings(true));
    try {
      await gateway.start();
      return new FuzzHarness(gateway, workDir, tokens);
    } catch {
      // A gateway without a `read` scope refuses the token at start-up: fuzz with admin and callback only.
      gateway = new FuzzGateway(workDir, settings(false));
      await gateway.start();
      return new FuzzHarness(gateway, workDir, { ...tokens, read: undefined });
    }
  }

  /** Creates `src`, `scratch` and the dynamic table `dt`, and remembers what `dt` is. */
  async createFixture(): Promise<void> {
    await this.admin(FIXTURE_SQL);
    this.baseline = await this.snapshot();
    assert.match(this.baseline.state, /1:20,2:40,3:60/);
  }

  private async snapshot(): Promise<{ state: string; definition: string; files: string }> {
    return { state: await this.dtState(), definition: await this.dtDefinition(), files: this.files() };
  }

  /** The last resort after a failure: a new data folder with the fixture made again. */
  private async reset(): Promise<string> {
    await this.gateway.stop();
    for (const file of readdirSync(this.workDir))
      rmSync(path.join(this.workDir, file), { recursive: true, force: true });
    await this.gateway.start();
    await this.admin(FIXTURE_SQL);
    const now = await this.snapshot();
    if (JSON.stringify(now) === JSON.stringify(this.baseline)) return '';
    return `\n  (the fixture made again differs, later runs may fail too: ${clip(JSON.stringify(now), 300)})`;
  }

  async close(): Promise<void> {
    await this.gateway.stop();
    rmSync(this.workDir, { recursive: true, force: true });
  }

  async admin(statement: string): Promise<any[]> {
    const response = await this.gateway.send(
      {
        method: 'POST',
        path: '/v3/statements',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${this.tokens.admin}` },
        body: JSON.stringify({ statement }),
      },
      10_000,
    );
    if (response.status !== 200)
      throw new Error(`${statement.slice(0, 80)}: ${response.status} ${clip(response.text)}`);
    return JSON.parse(response.text).results;
  }

  async dtState(): Promise<string> {
    const [result] = await this.admin(DT_STATE);
    return JSON.stringify(result.rows);
  }

  async dtDefinition(): Promise<string> {
    const response = await this.gateway.send(
      { method: 'GET', path: '/v3/dynamic-tables/dt', headers: { authorization: `Bearer ${this.tokens.admin}` } },
      10_000,
    );
    assert.equal(response.status, 200, response.text);
    const d = JSON.parse(response.text);
    const kept = [d.identifier, d.definitionQuery, d.freshness, d.refreshMode, d.logicalRefreshMode, d.refreshStatus];
    return JSON.stringify([...kept, d.schema, d.scheduler?.cron]);
  }

  /** The test folder's files (the data folder's included), without SQLite's side files. */
  files(): string {
    const top = readdirSync(this.workDir).filter((f) => f !== 'data');
    const data = readdirSync(this.gateway.dataDir).map((f) => `data/${f}`);
    return JSON.stringify([...top, ...data].filter((f) => !SIDE_FILE.test(f)).sort());
  }

  /** Checks `dt` and the folder after the generated requests; throws when either changed. */
  async assertUnchanged(): Promise<void> {
    if (!this.gateway.alive()) await this.gateway.restart();
    assert.equal(await this.dtState(), this.baseline.state, 'the rows, columns or schema objects of dt changed');
    assert.equal(await this.dtDefinition(), this.baseline.definition, 'the definition of dt changed');
  }

  /** Sends a request and probes /health while it is in flight. */
  async exchange(request: RawRequest): Promise<Exchange> {
    const health: Array<{ ms: number; status: number }> = [];
    let done = false;
    let probe: Promise<void> | undefined;
    let timer: NodeJS.Timeout | undefined;
    const probeOnce = () => {
      probe = this.gateway.send({ method: 'GET', path: '/health', headers: {} }, HEALTH_LIMIT_MS * 2).then((r) => {
        health.push({ ms: r.ms, status: r.status });
        if (!done) timer = setTimeout(probeOnce, HEALTH_EVERY_MS);
      });
    };
    timer = setTimeout(probeOnce, HEALTH_FIRST_MS);
    const response = await this.gateway.send(request, REQUEST_LIMIT_MS);
    done = true;
    clearTimeout(timer);
    await probe;
    return { response, health };
  }

  /** What changed in `dt` or the folder since the fixture was made, or undefined. */
  private async stateProblem(): Promise<string | undefined> {
    const state = await this.dtState().catch((error: Error) => `unreadable: ${error.message}`);
    if (state !== this.baseline.state) {
      return `dt changed\n  before: ${clip(this.baseline.state, 200)}\n  after:  ${clip(state, 200)}`;
    }
    const files = this.files();
    if (files !== this.baseline.files) return `files changed in the test folder: ${clip(files, 300)}`;
    return undefined;
  }

  /**
   * Puts everything back after a failure, so that shrinking and the next runs start where every run starts: a fresh
   * process (no attachments, PRAGMAs or temporary objects left), no objects a generated statement made (they are all
   * named fz_…), no new files, and `dt` rebuilt when its rows or columns changed; when that is not enough, the
   * fixture made again in a new data folder. Says what it could not put back.
   */
  async recover(): Promise<string> {
    try {
      await this.gateway.restart();
      const known = new Set<string>(JSON.parse(this.baseline.files));
      for (const file of JSON.parse(this.files()) as string[]) {
        if (!known.has(file)) rmSync(path.join(this.workDir, file), { recursive: true, force: true });
      }
      if ((await this.dtState()) === this.baseline.state) return '';
      await this.undoSchemaChanges();
      if ((await this.dtState()) !== this.baseline.state) await this.admin('ALTER DYNAMIC TABLE dt REFRESH');
      if ((await this.dtState()) !== this.baseline.state) {
        // A query change rebuilds the table; the second one puts the definition back as it was.
        await this.admin(`ALTER DYNAMIC TABLE dt AS ${DT_QUERY} `);
        await this.admin(`ALTER DYNAMIC TABLE dt AS ${DT_QUERY}`);
      }
      if ((await this.dtState()) === this.baseline.state) return '';
    } catch {
      // Whatever the generated request did, the fixture is made again below.
    }
    try {
      return await this.reset();
    } catch (error) {
      return `\n  (putting things back failed, later runs may fail too: ${clip((error as Error).message, 200)})`;
    }
  }

  /** Undoes what generated statements may have done to `dt`'s physical table (all their names start with fz_). */
  private async undoSchemaChanges(): Promise<void> {
    const [tables] = await this.admin(
      "SELECT name FROM sqlite_schema WHERE type = 'table' AND name IN ('dt', 'fz_renamed')",
    );
    const names = (tables.rows as string[][]).map(([name]) => name);
    if (!names.includes('dt') && names.includes('fz_renamed')) await this.admin('ALTER TABLE fz_renamed RENAME TO dt');
    const [objects] = await this.admin(
      "SELECT type, name FROM sqlite_schema WHERE name LIKE 'fz\\_%' ESCAPE '\\' AND type IN ('index', 'trigger', 'view')",
    );
    for (const [type, name] of objects.rows as string[][]) await this.admin(`DROP ${type} IF EXISTS "${name}"`);
    const [columns] = await this.admin("SELECT name FROM pragma_table_info('dt') WHERE name LIKE 'fz\\_%' ESCAPE '\\'");
    for (const [name] of columns.rows as string[][]) {
      await this.admin(
        name === 'fz_v' ? 'ALTER TABLE dt RENAME COLUMN fz_v TO v' : `ALTER TABLE dt DROP COLUMN "${name}"`,
      );
    }
  }

  /**
   * Runs one property over generated requests. With FRESHET_FUZZ_ALL=1 it does not stop at the first failure but
   * lists every failing request (unshrunk), for exploring; it then has ten times the time budget.
   */
  async fuzz<T>(name: string, arbitrary: fc.Arbitrary<T>, render: (c: T) => RawRequest, options: FuzzOptions<T>) {
    if (this.dirty || !this.gateway.alive()) {
      const left = await this.recover();
      if (left !== '') throw new Error(`${name}: the gateway could not be put back before fuzzing:${left}`);
      this.dirty = false;
    }
    const collected: string[] = [];
    const collectAll = process.env.FRESHET_FUZZ_ALL === '1';
    const property = fc.asyncProperty(arbitrary, async (c) => {
      const request = render(c);
      const result = await this.exchange(request);
      const problem =
        problemOf(result, this.workDir) ??
        options.expect?.(c, result.response) ??
        (options.checkState ? await this.stateProblem() : undefined);
      if (problem === undefined) return;
      const log = result.response.status >= 500 ? `\n  gateway log: ${this.gateway.lastLog() || '(empty)'}` : '';
      const left = await this.recover();
      const message =
        `${problem}\n  request: ${describeRequest(request)}\n  response (${result.response.ms} ms): ` +
        `${clip(result.response.text)}${log}${left}`;
      if (!collectAll) throw new Error(message);
      collected.push(`${fc.stringify(c)}\n  ${message}`);
    });
    try {
      await fc.assert(property, {
        seed: options.seed,
        numRuns: options.numRuns,
        // Listing every failure restarts the gateway after each one: it gets ten times the time.
        interruptAfterTimeLimit: collectAll ? options.budgetMs * 10 : options.budgetMs,
        markInterruptAsFailure: false,
        includeErrorInReport: true,
      });
    } catch (error) {
      this.dirty = true;
      const message = (error as Error).message.replace(/\n\s+at [\s\S]*$/, '');
      throw new Error(`${name} (seed ${options.seed}):\n${message}`);
    }
    if (collected.length > 0) {
      this.dirty = true;
      throw new Error(`${name}: ${collected.length} failing requests\n\n${collected.join('\n\n')}`);
    }
  }
}
