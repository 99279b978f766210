/** Waiting in tests: the one sleep and the one poll-until-true, so every test times out the same way. */

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export interface WaitOptions {
  /** How long to keep trying; 10 s unless told. */
  readonly timeoutMs?: number;
  /** The pause between tries; 50 ms unless told. */
  readonly intervalMs?: number;
  /** What is awaited, for the error when it never comes; a function is asked only then. */
  readonly what?: string | (() => string);
}

type Falsy = undefined | null | false;
type Check<T> = () => T | Falsy | Promise<T | Falsy>;

/**
 * Tries `check` until it returns a truthy value, and returns that value. It tries at least once, and once more
 * after the time is up, so a slow machine fails only when the condition is really not met.
 */
export async function waitUntil<T>(check: Check<T>, options: WaitOptions = {}): Promise<T> {
  const { timeoutMs = 10_000, intervalMs = 50, what } = options;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) {
      if (what === undefined) throw new Error(`condition not met within ${timeoutMs} ms`);
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${typeof what === 'string' ? what : what()}`);
    }
    await sleep(intervalMs);
  }
}

/** {@link waitUntil} with the timeout and interval given in place, as most existing tests call it. */
export function eventually<T>(check: Check<T>, timeoutMs?: number, intervalMs?: number): Promise<T> {
  return waitUntil(check, { timeoutMs, intervalMs });
}
