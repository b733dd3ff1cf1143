/**
 * The counters behind `Cache.stats()`.
 * @module
 */
import type { CacheStats } from './stats';

/** Mutable counters, shared by the parts of one cache. */
export class CacheCounters {
  hits = 0;
  misses = 0;
  loads = 0;
  loadErrors = 0;
  staleServed = 0;
  degraded = 0;

  /** The counters as plain data, with `loading` loads in progress. */
  snapshot(loading: number): CacheStats {
    const hits = this.hits;
    const misses = this.misses;
    return {
      hits,
      misses,
      hitRatio: hits + misses === 0 ? 0 : hits / (hits + misses),
      loads: this.loads,
      loadErrors: this.loadErrors,
      staleServed: this.staleServed,
      degraded: this.degraded,
      loading,
    };
  }
}
