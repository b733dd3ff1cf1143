/**
 * The tables that decide how a guarded client treats each command: which may be retried, and
 * which bypass the guard.
 * @module
 */

/**
 * Commands that only read, so that sending one twice cannot change anything: a guarded client
 * may retry them (see `GuardRedisOptions.retry`). Lower case, as ioredis names its methods; a
 * `…Buffer` variant counts as its command.
 */
export const READ_ONLY_COMMANDS: ReadonlySet<string> = new Set([
  'bitcount',
  'bitpos',
  'dbsize',
  'dump',
  'exists',
  'expiretime',
  'geodist',
  'geohash',
  'geopos',
  'geosearch',
  'get',
  'getbit',
  'getrange',
  'hexists',
  'hget',
  'hgetall',
  'hkeys',
  'hlen',
  'hmget',
  'hrandfield',
  'hscan',
  'hstrlen',
  'hvals',
  'lcs',
  'lindex',
  'llen',
  'lpos',
  'lrange',
  'mget',
  'pexpiretime',
  'pfcount',
  'ping',
  'pttl',
  'randomkey',
  'scan',
  'scard',
  'sdiff',
  'sinter',
  'sintercard',
  'sismember',
  'smembers',
  'smismember',
  'srandmember',
  'sscan',
  'strlen',
  'sunion',
  'ttl',
  'type',
  'xlen',
  'xpending',
  'xrange',
  'xrevrange',
  'zcard',
  'zcount',
  'zdiff',
  'zinter',
  'zintercard',
  'zlexcount',
  'zmscore',
  'zrandmember',
  'zrange',
  'zrangebylex',
  'zrangebyscore',
  'zrank',
  'zrevrange',
  'zrevrangebylex',
  'zrevrangebyscore',
  'zrevrank',
  'zscan',
  'zscore',
  'zunion',
]);

/**
 * Commands a guarded client passes to the connection unguarded: `quit` (it ends the connection,
 * it is no request to guard), and the blocking commands, which wait on the server for as long as
 * their own timeout says, so that a short Timeout would cut them off and count the wait as a
 * failure. Send blocking commands on a connection of their own.
 */
export const UNGUARDED_COMMANDS: ReadonlySet<string> = new Set([
  'quit',
  'blmove',
  'blmpop',
  'blpop',
  'brpop',
  'brpoplpush',
  'bzmpop',
  'bzpopmax',
  'bzpopmin',
  'wait',
  'waitaof',
]);

/** `getBuffer` → `get`: the command a method name sends. */
export function commandOf(method: string): string {
  return method.endsWith('Buffer') ? method.slice(0, -'Buffer'.length) : method;
}
