/**
 * The benchmark's end of a forked server process (`server-process.ts`): starts it, learns its URL, stops it
 * and checks that it exits by itself.
 */
import { fork, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import type { ChildMessage, ParentMessage, ServerSpec } from './server-messages';

/** How long a stopped server may take to exit before it is killed and reported. */
const EXIT_GRACE_MS = 15_000;
const START_TIMEOUT_MS = 60_000;

/** The child script sits next to this file: `.js` from `dist/`, `.ts` when run with tsx. */
function childScript(): { readonly file: string; readonly execArgv: string[] } {
  const extension = path.extname(__filename);
  return {
    file: path.join(__dirname, `server-process${extension}`),
    execArgv: extension === '.ts' ? ['--require', require.resolve('tsx/cjs')] : [],
  };
}

export interface StopReport {
  /** Time the server's own close() took. */
  readonly closeMs: number;
  /** False when the process had to be killed because it kept running after close(). */
  readonly exitedByItself: boolean;
}

export class ForkedServer {
  private readonly exited: Promise<number | null>;

  private constructor(
    private readonly child: ChildProcess,
    readonly url: string,
  ) {
    this.exited = new Promise((resolve) => {
      if (child.exitCode !== null) resolve(child.exitCode);
      else child.once('exit', (code) => resolve(code));
    });
  }

  /** The server's process id, for reading its memory use from `/proc`. */
  get pid(): number {
    return this.child.pid ?? Number.NaN;
  }

  /** Forks a process serving `spec`; `cpuProfileDir` makes it write a V8 CPU profile there when it exits. */
  static async start(spec: ServerSpec, cpuProfileDir: string | null = null): Promise<ForkedServer> {
    const script = childScript();
    const profile = cpuProfileDir === null ? [] : ['--cpu-prof', '--cpu-prof-dir', cpuProfileDir];
    const child = fork(script.file, [], {
      execArgv: [...script.execArgv, ...profile],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(
        () => fail(new Error(`the ${spec.kind} server did not start within ${START_TIMEOUT_MS / 1000} s`)),
        START_TIMEOUT_MS,
      );
      const fail = (error: Error) => {
        clearTimeout(timer);
        child.kill();
        reject(error);
      };
      child.once('exit', (code) =>
        fail(new Error(`the ${spec.kind} server process exited with code ${String(code)} while starting`)),
      );
      child.on('message', (message: ChildMessage) => {
        if (message.kind === 'ready') {
          clearTimeout(timer);
          child.removeAllListeners('exit');
          resolve(message.url);
        } else if (message.kind === 'failed')
          fail(new Error(`the ${spec.kind} server failed to start: ${message.message}`));
      });
      child.send({ kind: 'start', spec } satisfies ParentMessage);
    });
    child.removeAllListeners('message');
    return new ForkedServer(child, url);
  }

  /** Asks the server to close, then waits for its process to end; kills it if it does not. */
  async stop(): Promise<StopReport> {
    if (!this.child.connected) {
      await this.exited;
      return { closeMs: 0, exitedByItself: true };
    }
    let closeMs = Number.NaN;
    let failure: string | null = null;
    this.child.on('message', (message: ChildMessage) => {
      if (message.kind === 'stopped') closeMs = message.closeMs;
      else if (message.kind === 'failed') failure = message.message;
    });
    this.child.send({ kind: 'stop' } satisfies ParentMessage);
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), EXIT_GRACE_MS);
    });
    const outcome = await Promise.race([this.exited, timedOut]);
    clearTimeout(timer);
    if (outcome === 'timeout') {
      this.child.kill('SIGKILL');
      await this.exited;
    }
    if (failure !== null) throw new Error(failure);
    return { closeMs, exitedByItself: outcome !== 'timeout' };
  }
}
