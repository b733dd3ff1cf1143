/**
 * The outcomes of the last `size` calls: a ring buffer with subtract-on-evict, so recording is
 * O(1) and reading the totals is O(1); memory is one byte per slot.
 * @module
 * @internal
 */
import type { OutcomeWindow } from './outcome-window';

const FAILURE = 1;
const SLOW = 2;
const RECORDED = 4;

/** See the module comment. */
export class CountWindow implements OutcomeWindow {
  calls = 0;
  failures = 0;
  slowCalls = 0;
  readonly #slots: Uint8Array;
  #next = 0;

  constructor(size: number) {
    this.#slots = new Uint8Array(size);
  }

  add(failure: boolean, slow: boolean): void {
    const index = this.#next;
    const evicted = this.#slots[index] as number;
    if (evicted !== 0) {
      this.calls--;
      if ((evicted & FAILURE) !== 0) this.failures--;
      if ((evicted & SLOW) !== 0) this.slowCalls--;
    }
    this.#slots[index] = RECORDED | (failure ? FAILURE : 0) | (slow ? SLOW : 0);
    this.calls++;
    if (failure) this.failures++;
    if (slow) this.slowCalls++;
    this.#next = index + 1 === this.#slots.length ? 0 : index + 1;
  }

  advance(): void {}

  dispose(): void {}

  clear(): void {
    this.#slots.fill(0);
    this.#next = 0;
    this.calls = 0;
    this.failures = 0;
    this.slowCalls = 0;
  }
}
