/**
 * Events of a Cache.
 * @module
 */
import type { BulwarkEvent } from '../../core/events';

/** A read found a fresh value (or a cached `undefined` or error). */
export interface CacheHitEvent extends BulwarkEvent<'hit'> {
  /** The cache key. */
  readonly key: string;
}

/** A read found no fresh value: nothing, an expired or unreadable entry, or Redis failing. */
export interface CacheMissEvent extends BulwarkEvent<'miss'> {
  /** The cache key. */
  readonly key: string;
}

/**
 * Why a stale value was returned: `revalidating` (inside `staleTtlMs`, refreshed in the
 * background), `loadFailed` (inside `graceMs`, the load failed), `waitTimedOut` (another
 * process's load did not end within `lockWaitMs`).
 */
export type CacheStaleReason = 'revalidating' | 'loadFailed' | 'waitTimedOut';

/** A stale value was returned. */
export interface CacheStaleEvent extends BulwarkEvent<'stale'> {
  /** The cache key. */
  readonly key: string;
  /** Why. */
  readonly reason: CacheStaleReason;
}

/** A loader call (or one batch of `getManyOrLoad`) resolved. */
export interface CacheLoadEvent extends BulwarkEvent<'load'> {
  /** The keys loaded: one for `getOrLoad`, the batch's for `getManyOrLoad`. */
  readonly keys: readonly string[];
  /** How long the loader took, in ms (the wait in `loaderPolicy` included). */
  readonly durationMs: number;
}

/** A loader call (or batch) rejected, or `loaderPolicy` refused it. */
export interface CacheLoadErrorEvent extends BulwarkEvent<'loadError'> {
  /** The keys of the load. */
  readonly keys: readonly string[];
  /** What it rejected with. */
  readonly error: unknown;
  /** How long it took, in ms. */
  readonly durationMs: number;
}

/** A Redis call failed (an error, a timeout, an open circuit): the cache went on without it. */
export interface CacheDegradedEvent extends BulwarkEvent<'degraded'> {
  /** The error of the Redis policy. */
  readonly error: unknown;
}

/** Event map of {@link Cache.events}. */
export type CacheEvents = {
  /** A read found a fresh value. */
  hit: CacheHitEvent;
  /** A read found none. */
  miss: CacheMissEvent;
  /** A stale value was returned. */
  stale: CacheStaleEvent;
  /** A load resolved. */
  load: CacheLoadEvent;
  /** A load rejected. */
  loadError: CacheLoadErrorEvent;
  /** A Redis call failed. */
  degraded: CacheDegradedEvent;
};
