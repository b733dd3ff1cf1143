/**
 * The in-flight calls of one Timeout, sorted by expiry, served by ONE timer.
 *
 * Calls of one Timeout mostly expire in the order they started, so insertion scans back from the
 * tail and is O(1) in practice (a caller's earlier deadline may scan further); removal is O(1).
 * The timer is armed for the earliest expiry. When that call ends first the timer is left to fire
 * early, finds nothing due and re-arms for the new head, which costs far less than re-arming on
 * every completion. The timer is cleared as soon as no call is in flight, so it never outlives the
 * calls it serves.
 * @module
 * @internal
 */
import type { Clock, TimerHandle } from '../core/clock';

/** A call in the list. */
export interface DeadlineEntry {
  /** When it expires, in ms since the epoch. */
  readonly expiresAt: number;
  /** Called once, by the list's timer, when `expiresAt` has passed; the entry is already removed. */
  expire(): void;
  /** Links owned by the list. */
  previousEntry: DeadlineEntry | undefined;
  nextEntry: DeadlineEntry | undefined;
  inList: boolean;
}

/** A sorted, intrusive doubly linked list of {@link DeadlineEntry} with one shared timer. */
export class DeadlineList {
  readonly #clock: Clock;
  #head: DeadlineEntry | undefined;
  #tail: DeadlineEntry | undefined;
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

  /** Adds `entry`, keeping the list sorted by expiry; `now` is the current clock time. */
  add(entry: DeadlineEntry, now: number): void {
    let after = this.#tail;
    while (after !== undefined && after.expiresAt > entry.expiresAt) after = after.previousEntry;
    entry.previousEntry = after;
    entry.nextEntry = after === undefined ? this.#head : after.nextEntry;
    if (entry.nextEntry === undefined) this.#tail = entry;
    else entry.nextEntry.previousEntry = entry;
    if (after === undefined) this.#head = entry;
    else after.nextEntry = entry;
    entry.inList = true;
    this.#length++;
    if (this.#timer === undefined || entry.expiresAt < this.#timerAt) this.#arm(entry.expiresAt, now);
  }

  /** Removes `entry` if it is still in the list; clears the timer when the list becomes empty. */
  remove(entry: DeadlineEntry): void {
    if (!entry.inList) return;
    entry.inList = false;
    this.#length--;
    const { previousEntry, nextEntry } = entry;
    if (previousEntry === undefined) this.#head = nextEntry;
    else previousEntry.nextEntry = nextEntry;
    if (nextEntry === undefined) this.#tail = previousEntry;
    else nextEntry.previousEntry = previousEntry;
    entry.previousEntry = undefined;
    entry.nextEntry = undefined;
    if (this.#head === undefined && this.#timer !== undefined) {
      this.#clock.clearTimeout(this.#timer);
      this.#timer = undefined;
    }
  }

  #arm(at: number, now: number): void {
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer);
    this.#timerAt = at;
    this.#timer = this.#clock.setTimeout(this.#onTimer, Math.max(0, at - now));
  }

  #fire(): void {
    this.#timer = undefined;
    const now = this.#clock.now();
    let head = this.#head;
    while (head !== undefined && head.expiresAt <= now) {
      this.remove(head);
      head.expire();
      head = this.#head;
    }
    if (head !== undefined && (this.#timer === undefined || head.expiresAt < this.#timerAt)) this.#arm(head.expiresAt, now);
  }
}
