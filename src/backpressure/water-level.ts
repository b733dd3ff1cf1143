/**
 * The pending count and its hysteresis, without any queueing: the decision half of a
 * {@link Backpressure}.
 * @module
 * @internal
 */

/**
 * Counts pending units and decides when to pause and resume: it pauses when the count reaches
 * `high` and resumes only when the count has fallen to `low` (hysteresis, so that a count
 * hovering at the limit does not flap between states). O(1), no allocation.
 */
export class WaterLevel {
  /** Units counted and not yet released. */
  pending = 0;
  /** Whether the level is between a pause and the next resume. */
  paused = false;
  /** Highest `pending` ever seen. */
  peak = 0;

  /**
   * @param high - count at which it pauses, ≥ 1
   * @param low - count at or below which it resumes, < `high`
   */
  constructor(
    readonly high: number,
    readonly low: number,
  ) {}

  /** Counts `units` more; true when that made it pause. */
  rise(units: number): boolean {
    const pending = (this.pending += units);
    if (pending > this.peak) this.peak = pending;
    if (this.paused || pending < this.high) return false;
    this.paused = true;
    return true;
  }

  /** Releases `units` (the count never goes below 0); true when that made it resume. */
  fall(units: number): boolean {
    const pending = (this.pending = this.pending > units ? this.pending - units : 0);
    if (!this.paused || pending > this.low) return false;
    this.paused = false;
    return true;
  }
}
