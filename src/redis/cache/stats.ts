/**
 * What `Cache.stats()` returns.
 * @module
 */

/** Counters of a {@link Cache} since construction. */
export interface CacheStats {
  /** Reads answered from Redis (`get` and `getOrLoad`): a fresh value, a cached `undefined` or error, or a stale value. */
  readonly hits: number;
  /** Reads that found none (a `getOrLoad` that joined a load in progress counts too). */
  readonly misses: number;
  /** `hits / (hits + misses)`, 0 before any read. */
  readonly hitRatio: number;
  /** Loader calls started. */
  readonly loads: number;
  /** Loads that rejected (the loader's error, or `loaderPolicy`'s refusal). */
  readonly loadErrors: number;
  /** Stale values returned: per read inside `staleTtlMs` (while a refresh runs), per failed load inside `graceMs`. */
  readonly staleServed: number;
  /** Redis calls that failed (errors, timeouts, an open circuit): each was degraded or thrown. */
  readonly degraded: number;
  /** Loads in progress now (keys held by singleflight). */
  readonly loading: number;
}
