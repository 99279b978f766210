/**
 * A gateway for the request fuzzer: a real `freshet start` process, so that a request that wedges the event loop
 * can be timed out, reported and ended (with SIGKILL) without wedging the test itself. Its working folder is the
 * test's temporary folder, so relative file names in generated SQL stay inside it. Requests go through node:http
 * so that paths and headers reach the gateway as generated (fetch would normalise them).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';

const ROOT = [path.resolve(__dirname, '..', '..'), path.resolve(__dirname, '..', '..', '..')].find((dir) =>
  existsSync(path.join(dir, 'package.json')),
)!;
const CLI = path.join(ROOT, 'dist', 'src', 'cli', 'main.js');
const LISTENING = /Freshet gateway listening on http:\/\/([^:/\s]+):(\d+)/;

export interface TokenSetting {
  readonly token: string;
  readonly scopes: readonly string[];
}

/** One request as the fuzzer sends it. */
export interface RawRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: string | Buffer;
}

export interface RawResponse {
  /** 0 when no answer came (timeout or connection error); `failure` then says why. */
  readonly status: number;
  readonly text: string;
  readonly ms: number;
  readonly failure?: string;
}

/** Sends one request and gives up after `timeoutMs` (the connection is then destroyed). */
export function send(port: number, request: RawRequest, timeoutMs: number, agent?: http.Agent): Promise<RawResponse> {
  const started = performance.now();
  return new Promise((resolve) => {
    let settled = false;
    const finish = (response: Omit<RawResponse, 'ms'>) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve({ ...response, ms: Math.round(performance.now() - started) });
    };
    let req: http.ClientRequest;
    try {
      req = http.request({
        host: '127.0.0.1',
        port,
        method: request.method,
        path: request.path,
        headers: request.headers,
        agent: agent ?? false,
      });
    } catch (error) {
      // The client refused to send it (a generator bug, not a gateway finding): report it as such.
      finish({ status: -1, text: '', failure: `client refused the request: ${(error as Error).message}` });
      return;
    }
    const timer = setTimeout(() => {
      finish({ status: 0, text: '', failure: `no answer within ${timeoutMs} ms` });
      req.destroy();
    }, timeoutMs);
    req.on('error', (error) => finish({ status: 0, text: '', failure: `connection error: ${error.message}` }));
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('error', (error) => finish({ status: 0, text: '', failure: `response error: ${error.message}` }));
      res.on('end', () => finish({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
    });
    req.end(request.body);
  });
}

/** The gateway process the fuzzer talks to; it can be killed and started again on the same data. */
export class FuzzGateway {
  private child: ChildProcess | undefined;
  private stderrTail = '';
  port = 0;

  constructor(
    /** The process's working folder; the data folder is `data` inside it. */
    readonly workDir: string,
    private readonly tokens: readonly TokenSetting[],
  ) {}

  get dataDir(): string {
    return path.join(this.workDir, 'data');
  }

  /** Starts the gateway; rejects with what it printed when it does not listen. */
  async start(timeoutMs = 30_000): Promise<void> {
    mkdirSync(this.dataDir, { recursive: true });
    const child = spawn(process.execPath, [CLI, 'start'], {
      cwd: this.workDir,
      env: {
        ...process.env,
        FRESHET_PORT: '0',
        FRESHET_HOST: '127.0.0.1',
        FRESHET_DATA_DIR: this.dataDir,
        FRESHET_AUTH_TOKENS: JSON.stringify(this.tokens),
        FRESHET_LOG_LEVEL: 'error',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    this.stderrTail = '';
    child.stderr!.on('data', (chunk: Buffer) => {
      this.stderrTail = (this.stderrTail + chunk.toString()).slice(-3000);
    });
    this.port = await new Promise<number>((resolve, reject) => {
      let stdout = '';
      const fail = (why: string) => {
        clearTimeout(timer);
        child.kill('SIGKILL');
        reject(new Error(`The gateway ${why}.\nstdout: ${stdout.trim()}\nstderr: ${this.stderrTail.trim()}`));
      };
      const timer = setTimeout(() => fail(`did not listen within ${timeoutMs} ms`), timeoutMs);
      const onExit = (code: number | null, signal: string | null) => fail(`exited (${signal ?? code})`);
      child.once('exit', onExit);
      let listening = false;
      child.stdout!.on('data', (chunk: Buffer) => {
        if (listening) return;
        stdout += chunk.toString();
        const match = LISTENING.exec(stdout);
        if (!match) return;
        listening = true;
        clearTimeout(timer);
        child.off('exit', onExit);
        resolve(Number(match[2]));
      });
    });
  }

  /** Ends the process (SIGKILL when it does not stop on SIGTERM within a second). */
  async stop(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 1000);
    await exited;
    clearTimeout(timer);
  }

  /** Kills and starts again: after a request wedged it, so that the next request meets a working gateway. */
  async restart(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    if (child && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGKILL');
      await exited;
    }
    await this.start();
  }

  /** The last lines the gateway logged (its error log), for failure messages. */
  lastLog(): string {
    const lines = this.stderrTail.trim().split('\n');
    return lines.slice(-3).join('\n').slice(-600);
  }

  alive(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  send(request: RawRequest, timeoutMs: number, agent?: http.Agent): Promise<RawResponse> {
    return send(this.port, request, timeoutMs, agent);
  }
}
