/**
 * The exact algorithm: a log of admission times per key and window.
 * @module
 * @internal
 */
import type { WindowCounter } from './window-counter';

/** How many dead slots at the head of the log may accumulate before they are compacted away. */
const COMPACT_AFTER = 64;

/**
 * A log of `(time, units)` entries, oldest first, kept in one flat array used as a deque: expired
 * entries leave by moving a head index, and the dead prefix is cut off once it is at least half
 * the array, so each entry is moved O(1) times (amortised O(1) per decision, never `shift` on a
 * big array). Admissions at the same ms share one entry. Live entries hold at most `limit` units,
 * so memory is O(limit).
 *
 * Exact: a request is admitted only when the units admitted in the last `windowMs` (entries with
 * `time > now - windowMs`) plus its cost are at most `limit`, so no span of `windowMs` ever holds
 * more than `limit` units, and none is refused while there is room.
 */
export class SlidingLog implements WindowCounter {
  readonly #limit: number;
  readonly #windowMs: number;
  /** Flat entries: time at even indexes, units at the following odd index. */
  #log: number[] = [];
  #head = 0;
  #used = 0;

  /**
   * @param limit - units admitted per window
   * @param windowMs - window length, in ms
   */
  constructor(limit: number, windowMs: number) {
    this.#limit = limit;
    this.#windowMs = windowMs;
  }

  retryAfterMs(now: number, cost: number): number {
    this.#prune(now);
    if (cost > this.#limit) return Infinity;
    let excess = this.#used + cost - this.#limit;
    if (excess <= 0) return 0;
    const log = this.#log;
    let index = this.#head;
    for (;;) {
      excess -= log[index + 1] as number;
      if (excess <= 0) return (log[index] as number) + this.#windowMs - now;
      index += 2;
    }
  }

  add(now: number, cost: number): number {
    const log = this.#log;
    const last = log.length - 2;
    if (last >= this.#head && log[last] === now) log[last + 1] = (log[last + 1] as number) + cost;
    else log.push(now, cost);
    this.#used += cost;
    return this.#limit - this.#used;
  }

  remaining(now: number): number {
    this.#prune(now);
    return this.#limit - this.#used;
  }

  resetMs(now: number): number {
    this.#prune(now);
    return this.#used === 0 ? 0 : (this.#log[this.#log.length - 2] as number) + this.#windowMs - now;
  }

  expiresAt(): number {
    return this.#log.length === this.#head ? -Infinity : (this.#log[this.#log.length - 2] as number) + this.#windowMs;
  }

  /** Drops the entries that left the window: those at or before `now - windowMs`. */
  #prune(now: number): void {
    const log = this.#log;
    const oldest = now - this.#windowMs;
    let head = this.#head;
    while (head < log.length && (log[head] as number) <= oldest) {
      this.#used -= log[head + 1] as number;
      head += 2;
    }
    if (head === log.length) {
      log.length = 0;
      head = 0;
    } else if (head >= COMPACT_AFTER && head * 2 >= log.length) {
      log.splice(0, head);
      head = 0;
    }
    this.#head = head;
  }
}
