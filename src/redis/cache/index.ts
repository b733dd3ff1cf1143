export { Cache } from './cache';
export type { CacheSetOptions, GetManyOrLoadOptions, GetOrLoadOptions } from './calls';
export type { BatchLoader } from './batch';
export type { CacheLoader } from './loads';
export { CACHE_DEFAULTS, jsonSerializer, type CacheOptions, type CacheRedisErrorMode, type CacheSerializer } from './options';
export type { CacheStats } from './stats';
export type {
  CacheDegradedEvent,
  CacheEvents,
  CacheHitEvent,
  CacheLoadErrorEvent,
  CacheLoadEvent,
  CacheMissEvent,
  CacheStaleEvent,
  CacheStaleReason,
} from './events';
