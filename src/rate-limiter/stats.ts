/**
 * What {@link RateLimiter.stats} returns.
 * @module
 */
import type { RateLimitAlgorithm, RateWindow } from './store';

/** Configuration and counters of a {@link RateLimiter}; plain data, safe to serialise. */
export interface RateLimiterStats {
  /** The configured windows. */
  readonly windows: readonly RateWindow[];
  /** How admissions are counted. */
  readonly algorithm: RateLimitAlgorithm;
  /** Requests admitted (by `consume` and `execute`), since creation. */
  readonly admitted: number;
  /** Requests refused, since creation. */
  readonly rejected: number;
  /** Store calls that threw or rejected, since creation. */
  readonly storeErrors: number;
  /** Whether the last store call failed (an outage is under way). */
  readonly storeFailing: boolean;
}
