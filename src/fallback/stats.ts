/**
 * What {@link Fallback.stats} returns.
 * @module
 */

/** Counters of a {@link Fallback}; plain data, safe to serialise. */
export interface FallbackStats {
  /** Handled failures replaced by the fallback value, since creation. */
  readonly fallbacks: number;
}
