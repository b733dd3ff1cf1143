/**
 * The policies a Cache makes when its options give none.
 * @module
 */
import { Bulkhead } from '../../bulkhead/index';
import { CircuitBreaker } from '../../circuit-breaker/index';
import { compose, type Pipeline, type Policy } from '../../core/policy';
import { Timeout } from '../../timeout/index';
import { CACHE_DEFAULTS } from './options';

/** The default Redis policy of a Cache and its breaker (whose state is the cache's health). */
export interface DefaultRedisPolicy {
  readonly policy: Pipeline;
  readonly breaker: CircuitBreaker;
  readonly timeout: Timeout;
}

/**
 * compose(CircuitBreaker, Timeout): a Redis call that takes longer than
 * {@link CACHE_DEFAULTS.redisTimeoutMs} fails, and after
 * {@link CACHE_DEFAULTS.redisFailureThreshold} consecutive failures the circuit opens, so that
 * calls fail at once (no waiting on a dead server) until a probe after
 * {@link CACHE_DEFAULTS.redisRecoveryTimeoutMs} finds Redis back. Neither joins a registry: the
 * cache reports the breaker's state as its own health.
 */
export function defaultRedisPolicy(cacheName: string): DefaultRedisPolicy {
  const breaker = new CircuitBreaker({
    name: `${cacheName}:redis`,
    registry: false,
    failureThreshold: CACHE_DEFAULTS.redisFailureThreshold,
    recoveryTimeoutMs: CACHE_DEFAULTS.redisRecoveryTimeoutMs,
  });
  const timeout = new Timeout({ name: `${cacheName}:redis-timeout`, registry: false, timeoutMs: CACHE_DEFAULTS.redisTimeoutMs });
  return { policy: compose(breaker, timeout), breaker, timeout };
}

/**
 * A Bulkhead of {@link CACHE_DEFAULTS.maxLoadsInFlight} loads at once and
 * {@link CACHE_DEFAULTS.maxLoadsQueued} queued, in no registry.
 */
export function defaultLoaderPolicy(cacheName: string): Bulkhead {
  return new Bulkhead({
    name: `${cacheName}:loads`,
    registry: false,
    maxInFlight: CACHE_DEFAULTS.maxLoadsInFlight,
    maxQueue: CACHE_DEFAULTS.maxLoadsQueued,
  });
}

/** The policies of a cache: the given ones, or defaults that the cache owns (and disposes). */
export interface CachePolicies {
  readonly redis: Policy;
  readonly loader: Policy;
  /** The default Redis policy's layers, when the cache made it: its breaker's state is the cache's health. */
  readonly redisLayers: { readonly breaker: CircuitBreaker; readonly timeout: Timeout } | undefined;
  readonly owned: readonly { dispose(): void }[];
}

/** The given policies, with defaults for the missing ones. */
export function cachePolicies(cacheName: string, redis: Policy | undefined, loader: Policy | undefined): CachePolicies {
  const owned: { dispose(): void }[] = [];
  let redisLayers: CachePolicies['redisLayers'];
  if (redis === undefined) {
    const made = defaultRedisPolicy(cacheName);
    redis = made.policy;
    redisLayers = made;
    owned.push(made.policy);
  }
  if (loader === undefined) {
    const bulkhead = defaultLoaderPolicy(cacheName);
    loader = bulkhead;
    owned.push(bulkhead);
  }
  return { redis, loader, redisLayers, owned };
}
