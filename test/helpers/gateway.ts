/** Starts real gateways on ephemeral ports with SQLite files in temporary folders, and talks to them over HTTP. */
import { mkdtempSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadConfig, type ConfigInput } from '../../src/config/config';
import { startGateway, type Gateway } from '../../src/gateway';

export interface HttpResult<T = any> {
  readonly status: number;
  readonly body: T;
}

export class TestGateway {
  private constructor(
    readonly gateway: Gateway,
    readonly dataDir: string,
    private readonly overrides: ConfigInput,
  ) {}

  static async start(
    overrides: ConfigInput = {},
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'freshet-test-')),
  ): Promise<TestGateway> {
    const merged: ConfigInput = { logLevel: 'silent', ...overrides, dataDir, server: { port: 0, ...overrides.server } };
    const gateway = await startGateway(loadConfig({ env: {}, overrides: merged }));
    return new TestGateway(gateway, dataDir, overrides);
  }

  get url(): string {
    return this.gateway.url;
  }

  /** Stops this gateway and starts a new one on the same data folder. */
  async restart(): Promise<TestGateway> {
    await this.gateway.close();
    return TestGateway.start(this.overrides, this.dataDir);
  }

  async close(options: { keepData?: boolean } = {}): Promise<void> {
    await this.gateway.close();
    if (!options.keepData) rmSync(this.dataDir, { recursive: true, force: true });
  }

  async request<T = any>(
    method: string,
    route: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<HttpResult<T>> {
    const init: RequestInit = { method, headers: { ...headers } };
    if (body !== undefined) {
      init.body = typeof body === 'string' ? body : JSON.stringify(body);
      if (typeof body !== 'string') (init.headers as Record<string, string>)['content-type'] = 'application/json';
    }
    const res = await fetch(`${this.url}${route}`, init);
    const text = await res.text();
    return { status: res.status, body: text === '' ? null : JSON.parse(text) };
  }

  /** Runs statements; fails the test with the gateway's error when they fail. */
  async sql(statement: string): Promise<any[]> {
    const res = await this.request('POST', '/v3/statements', { statement });
    if (res.status !== 200) throw new Error(`SQL failed (${res.status}): ${JSON.stringify(res.body)}\n${statement}`);
    return res.body.results;
  }

  /** Runs statements expecting an error; returns the HTTP status and error body. */
  async sqlError(statement: string): Promise<{ status: number; error: any }> {
    const res = await this.request('POST', '/v3/statements', { statement });
    if (res.status === 200) throw new Error(`expected an error, got ${JSON.stringify(res.body)}`);
    return { status: res.status, error: res.body.error };
  }

  /** Rows of a SELECT. */
  async rows(query: string): Promise<unknown[][]> {
    const [result] = await this.sql(query);
    return result.rows;
  }

  async refresh(body: unknown, wait?: number): Promise<HttpResult> {
    return this.request('POST', `/v3/dynamic-tables/refresh${wait === undefined ? '' : `?wait=${wait}`}`, body);
  }

  async table(id: string): Promise<any> {
    const res = await this.request('GET', `/v3/dynamic-tables/${encodeURIComponent(id)}`);
    if (res.status !== 200) throw new Error(`GET table ${id}: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body;
  }

  async refreshes(id: string): Promise<any[]> {
    const res = await this.request('GET', `/v3/dynamic-tables/${encodeURIComponent(id)}/refreshes?limit=1000`);
    return res.body.refreshes;
  }

  async job(jobId: string): Promise<any> {
    return (await this.request('GET', `/v3/jobs/${jobId}`)).body;
  }
}

// Tests written before ./wait existed import these from here.
export { eventually, sleep } from './wait';
