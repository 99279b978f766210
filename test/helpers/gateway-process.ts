/**
 * The gateway as a real process (`freshet start`), for tests that kill it. It listens on a port the operating
 * system picks and the test learns that port from the line the command prints once it listens, so parallel test
 * runs never compete for a guessed port.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import * as path from 'node:path';

/** The repository root, whether this file runs compiled (dist/test/helpers) or from source (test/helpers). */
const ROOT = [path.resolve(__dirname, '..', '..'), path.resolve(__dirname, '..', '..', '..')].find((dir) =>
  existsSync(path.join(dir, 'package.json')),
)!;
const CLI = path.join(ROOT, 'dist', 'src', 'cli', 'main.js');

/** What `freshet start` prints once it listens (src/cli/main.ts). */
const LISTENING = /Freshet gateway listening on (\S+) /;

export interface GatewayProcess {
  readonly process: ChildProcess;
  /** The gateway's base URL, on the port it got. */
  readonly url: string;
  /** The end of what the process wrote to stderr, for failure messages. */
  stderr(): string;
  /** Resolves once the process has exited. */
  readonly exited: Promise<void>;
}

export interface GatewayProcessOptions {
  /** FRESHET_* settings on top of this process's environment; FRESHET_PORT is always 0. */
  readonly env: Readonly<Record<string, string>>;
  /** A script to run instead of `freshet start` (a test's wrapper of it), with its arguments. */
  readonly script?: readonly string[];
  /** How long the gateway may take to listen; 30 s unless told. */
  readonly startTimeoutMs?: number;
}

/** Starts `freshet start` on port 0 and resolves once it listens, with the URL it printed. */
export function startGatewayProcess(options: GatewayProcessOptions): Promise<GatewayProcess> {
  const child = spawn(process.execPath, options.script ? [...options.script] : [CLI, 'start'], {
    env: { ...process.env, ...options.env, FRESHET_PORT: '0' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const timeoutMs = options.startTimeoutMs ?? 30_000;
  return new Promise((resolve, reject) => {
    const fail = (why: string) => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(new Error(`The gateway process ${why}.\nstdout: ${stdout.trim()}\nstderr: ${stderr.trim()}`));
    };
    const timer = setTimeout(() => fail(`did not listen within ${timeoutMs} ms`), timeoutMs);
    const onExit = (code: number | null, signal: NodeJS.Signals | null) =>
      fail(`exited (${signal ?? code}) before it listened`);
    child.once('exit', onExit);
    let listening = false;
    // Read on after the line too, so that a full pipe never blocks the gateway.
    child.stdout.on('data', (chunk: Buffer) => {
      if (listening) return;
      stdout += chunk.toString();
      const url = LISTENING.exec(stdout)?.[1];
      if (url === undefined) return;
      listening = true;
      clearTimeout(timer);
      child.off('exit', onExit);
      resolve({ process: child, url, stderr: () => stderr, exited });
    });
  });
}
