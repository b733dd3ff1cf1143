export { Cache, type CacheLoader, type CacheSetOptions, type GetOrLoadOptions } from './cache';
export { CACHE_DEFAULTS, jsonSerializer, type CacheOptions, type CacheRedisErrorMode, type CacheSerializer } from './options';
export type { CacheStats } from './stats';
