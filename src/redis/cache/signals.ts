/**
 * The counters behind `Cache.stats()` and the cache's events: each outcome counted once and
 * announced only when someone listens.
 * @module
 */
import type { Clock } from '../../core/clock';
import type { EventHub } from '../../core/events';
import type { CacheEvents, CacheStaleReason } from './events';
import type { CacheStats } from './stats';

/** Counts and announces what one cache does; shared by its parts. */
export class CacheSignals {
  #hits = 0;
  #misses = 0;
  #loads = 0;
  #loadErrors = 0;
  #staleServed = 0;
  #degraded = 0;
  readonly #hub: EventHub<CacheEvents>;
  readonly #clock: Clock;

  constructor(hub: EventHub<CacheEvents>, clock: Clock) {
    this.#hub = hub;
    this.#clock = clock;
  }

  /** A read of `key` found a fresh value, a cached `undefined` or a cached error. */
  hit(key: string): void {
    this.#hits++;
    if (this.#hub.has('hit')) this.#hub.emit('hit', this.#clock.now(), { key });
  }

  /** A read of `key` found no fresh value. */
  miss(key: string): void {
    this.#misses++;
    if (this.#hub.has('miss')) this.#hub.emit('miss', this.#clock.now(), { key });
  }

  /** A stale value of `key` was returned; one inside `staleTtlMs` counts as a hit too. */
  stale(key: string, reason: CacheStaleReason): void {
    this.#staleServed++;
    if (reason === 'revalidating') this.#hits++;
    if (this.#hub.has('stale')) this.#hub.emit('stale', this.#clock.now(), { key, reason });
  }

  /** A load starts; returns its start time, for {@link CacheSignals.loaded} and {@link CacheSignals.loadFailed}. */
  loading(): number {
    this.#loads++;
    return this.#clock.now();
  }

  /** A load of `keys` that started at `startedAt` resolved. */
  loaded(keys: readonly string[], startedAt: number): void {
    if (this.#hub.has('load')) {
      const now = this.#clock.now();
      this.#hub.emit('load', now, { keys, durationMs: now - startedAt });
    }
  }

  /** A load of `keys` that started at `startedAt` rejected with `error`. */
  loadFailed(keys: readonly string[], error: unknown, startedAt: number): void {
    this.#loadErrors++;
    if (this.#hub.has('loadError')) {
      const now = this.#clock.now();
      this.#hub.emit('loadError', now, { keys, error, durationMs: now - startedAt });
    }
  }

  /** A Redis call failed with `error`. */
  degraded(error: unknown): void {
    this.#degraded++;
    if (this.#hub.has('degraded')) this.#hub.emit('degraded', this.#clock.now(), { error });
  }

  /** The counters as plain data, with `loading` loads in progress. */
  snapshot(loading: number): CacheStats {
    const hits = this.#hits;
    const misses = this.#misses;
    return {
      hits,
      misses,
      hitRatio: hits + misses === 0 ? 0 : hits / (hits + misses),
      loads: this.#loads,
      loadErrors: this.#loadErrors,
      staleServed: this.#staleServed,
      degraded: this.#degraded,
      loading,
    };
  }
}
