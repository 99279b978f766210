import type { Clock, ClockTimer } from '../../src/replica/clock';

interface Timer {
  at: number;
  readonly every: number | null;
  readonly task: () => unknown;
  /** Order of arming: timers due at the same moment run in it. */
  seq: number;
  cancelled: boolean;
}

/**
 * A clock that stands still until the test moves it. Moving it runs the timers that fall due on the way, in
 * time order, one after the other, each to the end of the promise it returns, so that a lease renewal has
 * written to the catalog before the clock passes the moment it ran at.
 */
export class ManualClock implements Clock {
  #now: number;
  #timers: Timer[] = [];
  #seq = 0;

  constructor(start = Date.now()) {
    this.#now = start;
  }

  now(): number {
    return this.#now;
  }

  after(ms: number, task: () => unknown): ClockTimer {
    return this.#arm(ms, null, task);
  }

  every(ms: number, task: () => unknown): ClockTimer {
    return this.#arm(ms, ms, task);
  }

  /** Moves the clock `ms` forward, running every timer due by then. */
  async advance(ms: number): Promise<void> {
    const end = this.#now + ms;
    for (;;) {
      this.#timers = this.#timers.filter((t) => !t.cancelled);
      const due = this.#timers.filter((t) => t.at <= end).sort((a, b) => a.at - b.at || a.seq - b.seq)[0];
      if (due === undefined) break;
      this.#now = Math.max(this.#now, due.at);
      if (due.every === null) due.cancelled = true;
      else {
        due.at += due.every;
        due.seq = this.#seq++;
      }
      await due.task();
    }
    this.#now = end;
  }

  #arm(ms: number, every: number | null, task: () => unknown): ClockTimer {
    const timer: Timer = {
      at: this.#now + Math.max(0, ms),
      every: every === null ? null : Math.max(1, every),
      task,
      seq: this.#seq++,
      cancelled: false,
    };
    this.#timers.push(timer);
    return { cancel: () => (timer.cancelled = true) };
  }
}
