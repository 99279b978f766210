/**
 * The time leases are measured in. Production code runs on {@link systemClock}; tests substitute a clock they
 * advance by hand, so that a lease passes without waiting for it on the wall clock.
 */

/** A timer started on a {@link Clock}. */
export interface ClockTimer {
  /** Stops the timer; calling it again does nothing. */
  cancel(): void;
}

/** Reads the time and runs tasks after or every so many milliseconds of it. */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  /**
   * Runs `task` once, `ms` from now. A task may return a promise: a clock driven by hand waits for it before it
   * moves on, so that the task's catalog writes are done at the time it ran. Timers never keep the process alive.
   */
  after(ms: number, task: () => unknown): ClockTimer;
  /** Runs `task` every `ms` from now on, until cancelled; see {@link Clock.after}. */
  every(ms: number, task: () => unknown): ClockTimer;
}

/** The wall clock, with Node's timers. */
export const systemClock: Clock = {
  now: () => Date.now(),
  after(ms, task) {
    const timer = setTimeout(() => void task(), ms);
    timer.unref();
    return { cancel: () => clearTimeout(timer) };
  },
  every(ms, task) {
    const timer = setInterval(() => void task(), ms);
    timer.unref();
    return { cancel: () => clearInterval(timer) };
  },
};

/** The time `ms` after `from` as ISO-8601 UTC, the form leases are stored in. */
export const isoAt = (from: number, ms = 0): string => new Date(from + ms).toISOString();
