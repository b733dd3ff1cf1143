export { Cache, type CacheSetOptions, type GetOrLoadOptions } from './cache';
export type { CacheLoader } from './loads';
export { CACHE_DEFAULTS, jsonSerializer, type CacheOptions, type CacheRedisErrorMode, type CacheSerializer } from './options';
export type { CacheStats } from './stats';
