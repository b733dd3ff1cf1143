/**
 * The state of one window for one key, as {@link MemoryStore} keeps it.
 * @module
 * @internal
 */

/** Counts the admissions of one window of one key. Every method first drops what has expired. */
export interface WindowCounter {
  /** Ms until `cost` more units fit: 0 when they fit now, `Infinity` when `cost` exceeds the limit. */
  retryAfterMs(now: number, cost: number): number;
  /**
   * Records `cost` admitted units and returns the units that still fit (what `remaining(now)`
   * would say, without a second look); call only right after {@link WindowCounter.retryAfterMs}
   * returned 0 for the same `now`.
   */
  add(now: number, cost: number): number;
  /** Units that still fit now. */
  remaining(now: number): number;
  /** Ms until the window is back to its full limit. */
  resetMs(now: number): number;
  /** When (ms since the epoch) the state is empty again if nothing more is admitted. */
  expiresAt(): number;
}
