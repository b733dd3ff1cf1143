import { sleep, type Clock, type TimerHandle } from '../../src/core/clock';
import { flushPromises } from './async';

interface ManualTimer {
  readonly id: number;
  readonly at: number;
  readonly callback: () => void;
}

/**
 * A clock that moves only when a test says so. `advance(ms)` runs the timers that fall due in
 * order, letting promise callbacks run between them, like real time would.
 */
export class ManualClock implements Clock {
  #now: number;
  #nextId = 1;
  #timers: ManualTimer[] = [];

  constructor(start = 1_700_000_000_000) {
    this.#now = start;
  }

  now(): number {
    return this.#now;
  }

  setTimeout(callback: () => void, ms: number): TimerHandle {
    const timer = { id: this.#nextId++, at: this.#now + Math.max(0, ms), callback };
    this.#timers.push(timer);
    this.#timers.sort((a, b) => a.at - b.at || a.id - b.id);
    return timer.id;
  }

  clearTimeout(handle: TimerHandle): void {
    this.#timers = this.#timers.filter((timer) => timer.id !== handle);
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return sleep(ms, signal, this);
  }

  /** Timers not yet run or cleared. */
  get pendingTimers(): number {
    return this.#timers.length;
  }

  /** Moves time forward by `ms`, running due timers in order and flushing promises after each. */
  async advance(ms: number): Promise<void> {
    const target = this.#now + ms;
    await flushPromises();
    for (;;) {
      const next = this.#timers[0];
      if (next === undefined || next.at > target) break;
      this.#timers.shift();
      this.#now = next.at;
      next.callback();
      await flushPromises();
    }
    this.#now = target;
    await flushPromises();
  }
}

