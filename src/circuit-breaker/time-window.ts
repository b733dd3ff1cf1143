/**
 * The outcomes of the calls of the last `durationMs`, aggregated in `buckets` time slices: a ring
 * of per-slice counters with subtract-on-evict. Recording is O(1); moving the window forward
 * clears each slice once per period, so it is O(1) amortised and O(buckets) after a long idle
 * spell. A call leaves the window between `durationMs − sliceMs` and `durationMs` after it ended:
 * it never counts for longer than `durationMs`.
 * @module
 * @internal
 */
import type { Clock } from '../core/clock';
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

  constructor(durationMs: number, buckets: number, clock: Clock) {
    this.#sliceMs = durationMs / buckets;
    this.#clock = clock;
    this.#calls = new Float64Array(buckets);
    this.#failures = new Float64Array(buckets);
    this.#slowCalls = new Float64Array(buckets);
  }

  add(failure: boolean, slow: boolean): void {
    const slot = this.advance();
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

  /** Drops the slices that fell out of the window; returns the slot of the current slice. */
  advance(): number {
    const buckets = this.#calls.length;
    const current = Math.floor(this.#clock.now() / this.#sliceMs);
    if (current > this.#newest) {
      const from = Math.max(this.#newest + 1, current - buckets + 1);
      for (let index = from; index <= current; index++) this.#clearSlot(index % buckets);
      this.#newest = current;
    }
    return current % buckets;
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
