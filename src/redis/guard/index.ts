export { guardRedis, guardOf, RedisGuard, type RedisGuardStats } from './guard-redis';
export { GUARD_REDIS_DEFAULTS, type GuardOwnedOption, type GuardRedisOptions, type GuardTimeoutOptions } from './options';
export { isRedisUnavailable, UNAVAILABLE_REPLY_PREFIXES } from './failures';
export { READ_ONLY_COMMANDS, UNGUARDED_COMMANDS } from './commands';
export { RedisUnavailableError, type NotReadyReason } from './errors';
