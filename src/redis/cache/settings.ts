/**
 * A Cache's options, resolved once: what every part of the cache reads.
 * @module
 */
import { systemClock, type Clock } from '../../core/clock';
import type { ErrorClass } from '../../core/exceptions';
import { CacheKeys, keyStart } from './keys';
import { CACHE_DEFAULTS, jsonSerializer, type CacheSerializer, type ParsedCacheOptions } from './options';

/** The resolved options of one cache. */
export interface CacheSettings {
  readonly name: string;
  /** The cache's keys (prefix and version, then the key). */
  readonly keys: CacheKeys;
  readonly ttlMs: number;
  readonly jitter: number;
  readonly staleTtlMs: number;
  readonly graceMs: number;
  /** How long an entry outlives its fresh time in Redis: the longer of the stale and grace windows. */
  readonly keepMs: number;
  readonly negativeTtlMs: number | undefined;
  readonly negativeErrors: readonly ErrorClass[];
  readonly serializer: CacheSerializer;
  readonly throws: boolean;
  readonly loadTimeoutMs: number;
  readonly lockWaitMs: number;
  readonly clock: Clock;
}

/** Settles every default of `options` for the cache named `name`. */
export function resolveSettings(options: ParsedCacheOptions, name: string): CacheSettings {
  const staleTtlMs = options.staleTtlMs ?? 0;
  const graceMs = options.graceMs ?? 0;
  return Object.freeze({
    name,
    keys: new CacheKeys(keyStart(options.prefix, options.version)),
    ttlMs: options.ttlMs,
    jitter: options.jitter ?? CACHE_DEFAULTS.jitter,
    staleTtlMs,
    graceMs,
    keepMs: Math.max(staleTtlMs, graceMs),
    negativeTtlMs: options.negativeTtlMs,
    negativeErrors: options.negativeErrors ?? [],
    serializer: options.serializer ?? jsonSerializer,
    throws: (options.onRedisError ?? CACHE_DEFAULTS.onRedisError) === 'throw',
    loadTimeoutMs: options.loadTimeoutMs ?? CACHE_DEFAULTS.loadTimeoutMs,
    lockWaitMs: options.lockWaitMs ?? CACHE_DEFAULTS.lockWaitMs,
    clock: options.clock ?? systemClock,
  });
}

/** `ttlMs` (or the cache's) spread by the jitter, in whole ms, at least 1. */
export function entryTtl(settings: CacheSettings, ttlMs: number | undefined): number {
  const base = ttlMs ?? settings.ttlMs;
  if (!(base > 0 && Number.isFinite(base))) throw new RangeError(`ttlMs must be a finite number > 0, got ${String(base)}`);
  const jitter = settings.jitter;
  return jitter === 0 ? Math.ceil(base) : Math.max(1, Math.round(base * (1 + jitter * (2 * Math.random() - 1))));
}
