/**
 * The in-flight calls of one Timeout, ordered by expiry, served by ONE timer.
 *
 * Two structures hold the calls, and the earlier of their two heads is the next to expire:
 * - the **run**, an intrusive doubly linked list sorted by expiry, which takes every call that
 *   expires no earlier than its tail. Calls with the Timeout's own `timeoutMs` expire in the order
 *   they start (`now + timeoutMs`, and a caller's budget can only make a limit shorter), so they
 *   always go here: insertion and removal are O(1), no search.
 * - a **binary min-heap** in an array, for a call that expires before the run's tail (a caller's
 *   shorter budget), each entry knowing its index so that removing any call is O(log n):
 *   insertion is O(log n) (O(1) on average for random expiries), removal O(log n).
 *
 * Why not one structure: a sorted list alone must search for an earlier expiry's place, O(n) (a
 * walk back from the tail cost 27.5 ms per call at 200,000 in flight); a heap alone would make the
 * common case pay O(log n) on every removal, where the run pays O(1). Deadline buckets with one
 * timer would need a sorted index of their own to find the next bucket, i.e. a heap again.
 *
 * The timer is armed for the earliest expiry. When that call ends first the timer is left to fire
 * early, finds nothing due and re-arms for the new earliest, which costs far less than re-arming
 * on every completion. The timer is cleared as soon as no call is in flight, so it never outlives
 * the calls it serves. Calls due in the same millisecond expire in the same timer turn, in no
 * defined order among themselves.
 * @module
 * @internal
 */
import type { Clock, TimerHandle } from '../core/clock';

/** {@link DeadlineEntry.listPosition} of an entry that is in no list. */
export const NOT_LISTED = -1;

/** {@link DeadlineEntry.listPosition} of an entry in the run (the sorted linked list). */
const IN_RUN = -2;

/** A call in the list. */
export interface DeadlineEntry {
  /** When it expires, in ms since the epoch. */
  readonly expiresAt: number;
  /** Called once, by the list's timer, when `expiresAt` has passed; the entry is already removed. */
  expire(): void;
  /** Links of the run, owned by the list. */
  previousEntry: DeadlineEntry | undefined;
  nextEntry: DeadlineEntry | undefined;
  /**
   * Where the list keeps it, owned by the list: {@link NOT_LISTED} (start with that), in the run,
   * or its index in the heap (≥ 0).
   */
  listPosition: number;
}

/**
 * A run and a heap of {@link DeadlineEntry} (see the module comment) with one shared timer.
 */
export class DeadlineList {
  readonly #clock: Clock;
  #head: DeadlineEntry | undefined;
  #tail: DeadlineEntry | undefined;
  readonly #heap: DeadlineEntry[] = [];
  #timer: TimerHandle | undefined;
  #timerAt = 0;
  #length = 0;
  readonly #onTimer = (): void => this.#fire();

  constructor(clock: Clock) {
    this.#clock = clock;
  }

  /** Entries in the list now. */
  get length(): number {
    return this.#length;
  }

  /** Adds `entry`: O(1) when it expires no earlier than every entry of the run, else O(log n); `now` is the current clock time. */
  add(entry: DeadlineEntry, now: number): void {
    const tail = this.#tail;
    if (tail === undefined || tail.expiresAt <= entry.expiresAt) {
      entry.previousEntry = tail;
      entry.nextEntry = undefined;
      if (tail === undefined) this.#head = entry;
      else tail.nextEntry = entry;
      this.#tail = entry;
      entry.listPosition = IN_RUN;
    } else {
      this.#heap.push(entry);
      this.#siftUp(entry, this.#heap.length - 1);
    }
    this.#length++;
    if (this.#timer === undefined || entry.expiresAt < this.#timerAt) this.#arm(entry.expiresAt, now);
  }

  /**
   * Removes `entry` if it is still in the list (O(1) from the run, O(log n) from the heap); clears
   * the timer when the list becomes empty.
   */
  remove(entry: DeadlineEntry): void {
    const position = entry.listPosition;
    if (position === NOT_LISTED) return;
    entry.listPosition = NOT_LISTED;
    this.#length--;
    if (position === IN_RUN) {
      const { previousEntry, nextEntry } = entry;
      if (previousEntry === undefined) this.#head = nextEntry;
      else previousEntry.nextEntry = nextEntry;
      if (nextEntry === undefined) this.#tail = previousEntry;
      else nextEntry.previousEntry = previousEntry;
      entry.previousEntry = undefined;
      entry.nextEntry = undefined;
    } else {
      this.#removeFromHeap(position);
    }
    if (this.#length === 0 && this.#timer !== undefined) {
      this.#clock.clearTimeout(this.#timer);
      this.#timer = undefined;
    }
  }

  /** The entry that expires first, from the head of the run or the top of the heap. */
  #earliest(): DeadlineEntry | undefined {
    const head = this.#head;
    if (this.#heap.length === 0) return head;
    const top = this.#heap[0] as DeadlineEntry;
    return head === undefined || top.expiresAt < head.expiresAt ? top : head;
  }

  /** Takes the heap's entry at `index` out, moving the heap's last entry into its place. */
  #removeFromHeap(index: number): void {
    const heap = this.#heap;
    const last = heap.pop() as DeadlineEntry;
    if (index === heap.length) return;
    const parent = index > 0 ? (heap[(index - 1) >> 1] as DeadlineEntry) : undefined;
    if (parent !== undefined && last.expiresAt < parent.expiresAt) this.#siftUp(last, index);
    else this.#siftDown(last, index);
  }

  /** Puts `entry` at `index` of the heap, or above it while its parent expires later. */
  #siftUp(entry: DeadlineEntry, index: number): void {
    const heap = this.#heap;
    while (index > 0) {
      const parentIndex = (index - 1) >> 1;
      const parent = heap[parentIndex] as DeadlineEntry;
      if (parent.expiresAt <= entry.expiresAt) break;
      heap[index] = parent;
      parent.listPosition = index;
      index = parentIndex;
    }
    heap[index] = entry;
    entry.listPosition = index;
  }

  /** Puts `entry` at `index` of the heap, or below it while a child expires earlier. */
  #siftDown(entry: DeadlineEntry, index: number): void {
    const heap = this.#heap;
    const length = heap.length;
    for (;;) {
      let childIndex = 2 * index + 1;
      if (childIndex >= length) break;
      let child = heap[childIndex] as DeadlineEntry;
      if (childIndex + 1 < length) {
        const right = heap[childIndex + 1] as DeadlineEntry;
        if (right.expiresAt < child.expiresAt) {
          childIndex++;
          child = right;
        }
      }
      if (child.expiresAt >= entry.expiresAt) break;
      heap[index] = child;
      child.listPosition = index;
      index = childIndex;
    }
    heap[index] = entry;
    entry.listPosition = index;
  }

  #arm(at: number, now: number): void {
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer);
    this.#timerAt = at;
    this.#timer = this.#clock.setTimeout(this.#onTimer, Math.max(0, at - now));
  }

  #fire(): void {
    this.#timer = undefined;
    const now = this.#clock.now();
    let next = this.#earliest();
    while (next !== undefined && next.expiresAt <= now) {
      this.remove(next);
      next.expire();
      next = this.#earliest();
    }
    if (next !== undefined && (this.#timer === undefined || next.expiresAt < this.#timerAt)) this.#arm(next.expiresAt, now);
  }
}
