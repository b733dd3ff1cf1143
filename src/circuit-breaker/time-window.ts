/**
 * The outcomes of the calls of the last `durationMs`, aggregated in `buckets` time slices: a ring
 * of per-slice counters with subtract-on-evict. Recording is O(1); moving the window forward
 * clears each slice once per period, so it is O(1) amortised and O(buckets) after a long idle
 * spell. A call leaves the window between `durationMs − sliceMs` and `durationMs` after it ended.
 *
 * The window's content changes only at slice boundaries, so recording does not read the clock
 * (about 45 ns, most of a closed breaker's cost): a timer marks the current slice stale at its
 * end, and the next call reads the clock once and moves on. Lifetime: at most one timer, armed by
 * the first call of a slice, unref'd, gone once it fires or {@link TimeWindow.dispose} runs. A
 * timer that fires late (a blocked event loop) lets a call land in the slice before; that slice
 * ends at most that much later than `durationMs`.
 * @module
 * @internal
 */
import { unrefTimer, type Clock, type TimerHandle } from '../core/clock';
import type { OutcomeWindow } from './outcome-window';

/** See the module comment. */
export class TimeWindow implements OutcomeWindow {
  calls = 0;
  failures = 0;
  slowCalls = 0;
  readonly #sliceMs: number;
  readonly #clock: Clock;
  readonly #calls: Float64Array;
  readonly #failures: Float64Array;
  readonly #slowCalls: Float64Array;
  /** Absolute index (time / sliceMs) of the newest slice the ring holds. */
  #newest = Number.NEGATIVE_INFINITY;
  /** Ring slot of the newest slice. */
  #slot = 0;
  /** Whether the newest slice may have ended: the next call must read the clock. */
  #stale = true;
  #boundaryTimer: TimerHandle | undefined;
  readonly #markStale = (): void => {
    this.#boundaryTimer = undefined;
    this.#stale = true;
  };

  constructor(durationMs: number, buckets: number, clock: Clock) {
    this.#sliceMs = durationMs / buckets;
    this.#clock = clock;
    this.#calls = new Float64Array(buckets);
    this.#failures = new Float64Array(buckets);
    this.#slowCalls = new Float64Array(buckets);
  }

  add(failure: boolean, slow: boolean): void {
    if (this.#stale) this.#enterCurrentSlice();
    const slot = this.#slot;
    this.#calls[slot] = (this.#calls[slot] as number) + 1;
    this.calls++;
    if (failure) {
      this.#failures[slot] = (this.#failures[slot] as number) + 1;
      this.failures++;
    }
    if (slow) {
      this.#slowCalls[slot] = (this.#slowCalls[slot] as number) + 1;
      this.slowCalls++;
    }
  }

  /** Drops the slices that fell out of the window and moves to the current slice. */
  advance(): void {
    const buckets = this.#calls.length;
    const current = Math.floor(this.#clock.now() / this.#sliceMs);
    if (current > this.#newest) {
      const from = Math.max(this.#newest + 1, current - buckets + 1);
      for (let index = from; index <= current; index++) this.#clearSlot(index % buckets);
      this.#newest = current;
      this.#slot = current % buckets;
    }
  }

  /** Stops the boundary timer; a later call reads the clock and starts a new one. */
  dispose(): void {
    this.#stale = true;
    if (this.#boundaryTimer === undefined) return;
    this.#clock.clearTimeout(this.#boundaryTimer);
    this.#boundaryTimer = undefined;
  }

  /** Reads the clock, moves to the current slice and arms the timer for its end. */
  #enterCurrentSlice(): void {
    this.advance();
    this.#stale = false;
    const endsInMs = (this.#newest + 1) * this.#sliceMs - this.#clock.now();
    const timer = this.#clock.setTimeout(this.#markStale, Math.max(0, endsInMs));
    unrefTimer(timer);
    this.#boundaryTimer = timer;
  }

  clear(): void {
    this.#calls.fill(0);
    this.#failures.fill(0);
    this.#slowCalls.fill(0);
    this.calls = 0;
    this.failures = 0;
    this.slowCalls = 0;
  }

  #clearSlot(slot: number): void {
    this.calls -= this.#calls[slot] as number;
    this.failures -= this.#failures[slot] as number;
    this.slowCalls -= this.#slowCalls[slot] as number;
    this.#calls[slot] = 0;
    this.#failures[slot] = 0;
    this.#slowCalls[slot] = 0;
  }
}
