/**
 * A clock a test moves by hand: a time to hand over as `now()` and timers that fire only when the test lets
 * time pass, so a test of something that waits for ticks takes no real time and never races the real clock.
 */
import type { CancelTimer, SchedulerTimers } from '../../src/scheduler/embedded/embedded-timers';

interface PendingTimer {
  readonly id: number;
  dueAt: number;
  readonly periodMs: number | null;
  readonly callback: () => void;
}

/** More timers than this firing in one advance means something re-arms without time passing. */
const MAX_FIRES_PER_ADVANCE = 100_000;

/** Lets every promise already settled run its reactions, and whatever those start without a real timer. */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

export class FakeClock implements SchedulerTimers {
  #time: number;
  #nextId = 0;
  readonly #timers = new Map<number, PendingTimer>();

  constructor(start: string) {
    this.#time = Date.parse(start);
    if (Number.isNaN(this.#time)) throw new Error(`Not a time: ${start}`);
  }

  /** The clock's time; a bound function, to be handed over as a context's `now`. */
  readonly now = (): Date => new Date(this.#time);

  /** Jumps to `iso` without running the timers on the way, as when a wall clock is set or a process slept. */
  set(iso: string): void {
    this.#time = Date.parse(iso);
  }

  after(delayMs: number, callback: () => void): CancelTimer {
    return this.#add(Math.max(delayMs, 0), null, callback);
  }

  every(periodMs: number, callback: () => void): CancelTimer {
    return this.#add(Math.max(periodMs, 1), Math.max(periodMs, 1), callback);
  }

  /** Lets `ms` pass: runs the timers that come due, in time order, letting what each starts settle. */
  async advance(ms: number): Promise<void> {
    await this.#run(this.#time + ms, () => false);
  }

  /** Lets time pass, timer by timer, until `condition` holds; fails when it does not within `timeoutMs`. */
  async advanceUntil(condition: () => boolean, timeoutMs: number): Promise<void> {
    if (!(await this.#run(this.#time + timeoutMs, condition))) {
      throw new Error(`condition not met within ${timeoutMs} ms of the fake clock`);
    }
  }

  #add(delayMs: number, periodMs: number | null, callback: () => void): CancelTimer {
    const id = this.#nextId++;
    this.#timers.set(id, { id, dueAt: this.#time + delayMs, periodMs, callback });
    return () => {
      this.#timers.delete(id);
    };
  }

  /** Runs timers due up to `until`, stopping early once `condition` holds; tells whether it holds at the end. */
  async #run(until: number, condition: () => boolean): Promise<boolean> {
    for (let fired = 0; fired < MAX_FIRES_PER_ADVANCE; fired++) {
      await settle();
      if (condition()) return true;
      const next = this.#next();
      if (next === undefined || next.dueAt > until) {
        this.#time = Math.max(this.#time, until);
        await settle();
        return condition();
      }
      this.#time = Math.max(this.#time, next.dueAt);
      if (next.periodMs === null) this.#timers.delete(next.id);
      else next.dueAt += next.periodMs;
      next.callback();
    }
    throw new Error(`${MAX_FIRES_PER_ADVANCE} timers fired without the fake clock getting anywhere`);
  }

  /** The timer due first; of timers due together, the one set first. */
  #next(): PendingTimer | undefined {
    let next: PendingTimer | undefined;
    for (const timer of this.#timers.values()) if (next === undefined || timer.dueAt < next.dueAt) next = timer;
    return next;
  }
}
