export { guardRedis, guardOf, RedisGuard, type RedisGuardStats } from './guard-redis';
export { GUARD_REDIS_DEFAULTS, type GuardRedisOptions, type GuardTimeoutOptions } from './options';
export { isRedisUnavailable, UNAVAILABLE_REPLY_PREFIXES } from './failures';
export { READ_ONLY_COMMANDS, UNGUARDED_COMMANDS } from './commands';
export { RedisUnavailableError, REDIS_UNAVAILABLE } from './errors';
