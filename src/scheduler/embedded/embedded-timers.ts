/**
 * The timers the embedded scheduler waits on. The time itself comes from `SchedulerContext.now()`; a test that
 * replaces both moves time by hand instead of waiting for ticks on the real clock.
 */

/** Cancels a timer; calling it again, or after the timer fired, does nothing. */
export type CancelTimer = () => void;

/** One-shot and repeating timers. Neither may keep the process alive: the gateway's server does that. */
export interface SchedulerTimers {
  /** Calls `callback` once, `delayMs` from now. */
  after(delayMs: number, callback: () => void): CancelTimer;
  /** Calls `callback` every `periodMs` until cancelled. */
  every(periodMs: number, callback: () => void): CancelTimer;
}

/** Node's own timers, unreferenced. The default. */
export const realTimers: SchedulerTimers = {
  after(delayMs, callback) {
    const timer = setTimeout(callback, delayMs);
    timer.unref();
    return () => clearTimeout(timer);
  },
  every(periodMs, callback) {
    const timer = setInterval(callback, periodMs);
    timer.unref();
    return () => clearInterval(timer);
  },
};
