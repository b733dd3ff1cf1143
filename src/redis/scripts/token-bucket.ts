/**
 * The Lua script of a `token-bucket` decision (GCRA): per bucket one string holding its
 * theoretical arrival time (TAT) in µs since the epoch, packed as a little-endian double (8 bytes).
 * @module
 */
import type { RedisTimeSource } from '../options';
import { decisionBody, uniformShape, type WindowLua } from './shared-lua';

/**
 * Lua that defines `now`, the time in whole µs, and `a`, the number of ARGV entries before the
 * script's own arguments: the server's `TIME` and no argument, or the client's time in ms as
 * `ARGV[1]`.
 */
export const BUCKET_TIME: Readonly<Record<RedisTimeSource, string>> = {
  server: `local t = redis.call('TIME')
local now = t[1] * 1000000 + t[2]
local a = 0`,
  client: `local now = tonumber(ARGV[1]) * 1000
local a = 1`,
};

// The GCRA steps of both scripts below, each written once: `limit` is the bucket size, `param` its
// emission interval in whole µs, `now` the time in µs (the in-memory `TokenBucket`'s arithmetic:
// every number is an integer, so the decision is exact).

/**
 * Lua that reads bucket `key`'s TAT and defines `used`: µs until it is full (`TAT - now`, 0 when
 * it is), then `excess`: µs until it holds `cost` tokens (> 0: the request does not fit now). The
 * TAT is packed (Redis's `struct` library) rather than written as text, which would make Redis
 * format a 16-digit number on every write and parse it on every read.
 */
const readBucket = (key: string): string => `local packed = redis.call('GET', ${key})
  local used = 0
  if packed then used = struct.unpack('<d', packed) - now end
  if used < 0 then used = 0 end
  local excess = used + (cost - limit) * param`;

/** Lua that sets `wait` to the ms until a request whose `excess` is > 0 fits: -1 (never) for a cost above the bucket. */
const waitFor = (wait: string): string => `${wait} = -1
    if cost <= limit then ${wait} = ceil(excess / 1000) end`;

/** Lua: the whole tokens in the bucket when it is full again in `used` µs (below 0 for a client clock behind the others). */
const tokensLeft = (used: string): string => `limit - ceil(${used} / param)`;

/**
 * Lua that takes `cost` tokens from a bucket full again in `used` µs: redefines `used` for the
 * bucket after it, and writes its TAT with a TTL (`ttl`, ms) until it is full again; `declare`
 * is `'local '` to define `ttl` rather than set it. The TTL goes to `SET` as `%d` text: Redis
 * would format a Lua number with `%.17g`, several times slower.
 */
const takeTokens = (key: string, used: string, declare: '' | 'local '): string => `local used = ${used} + cost * param
  ${declare}ttl = ceil(used / 1000)
  redis.call('SET', ${key}, struct.pack('<d', now + used), 'PX', format('%d', ttl))`;

/**
 * The Lua of a token bucket in a decision (see {@link decisionBody}).
 *
 * A request moves the TAT to `max(TAT, now) + cost × interval` and fits when that is at most
 * `now + limit × interval`. An admission writes the TAT with one `SET … PX` whose TTL ends when
 * the bucket is full again: an idle key disappears once forgetting it changes nothing.
 * `remaining` is at least 0 even when a client clock behind the others (`timeSource: 'client'`)
 * finds a TAT beyond its bucket.
 *
 * Cost per bucket: one `GET` and, when admitted, one `SET`. Keeps `used` (µs until full) in `state`.
 */
export const TOKEN_BUCKET: WindowLua = {
  slots: 1,
  check: `${readBucket('KEYS[i]')}
  state[j] = used
  if excess > 0 then
    ${waitFor('w')}
  end`,
  refuse: `left = ${tokensLeft('state[j]')}
  reset = ceil(state[j] / 1000)`,
  admit: `${takeTokens('KEYS[i]', 'state[j]', '')}
  left = ${tokensLeft('used')}`,
};

const BODY = decisionBody(uniformShape(TOKEN_BUCKET, false));

/**
 * The body after {@link BUCKET_TIME} for a single bucket, the common case: the same decision as
 * {@link BODY}, from the same steps, in straight-line code without its loops and table (about
 * 5 % faster end to end at 100 decisions in flight).
 *
 * It takes one argument after the time, `cost limit intervalUs` as text, and replies with one
 * integer, the bucket's `used` µs (until it is full): after the request when admitted (> 0), or
 * `-1 - used` before it when refused (< 0). The store derives the decision's numbers from it as
 * the in-memory bucket does (`bucketResultOf`). The Node.js client, not Redis, limits the
 * throughput of a busy connection, and ioredis pays for each argument it encodes and each reply
 * element it decodes (ioredis 6 decodes an array of four integers at about the cost of a whole
 * `GET`); splitting the text costs Redis a fraction of a µs.
 */
const SINGLE_BODY = `local cost, limit, param = string.match(ARGV[a + 1], '(%S+) (%S+) (%S+)')
cost, limit, param = tonumber(cost), tonumber(limit), tonumber(param)
local ceil, format = math.ceil, string.format
${readBucket('KEYS[1]')}
if excess > 0 then return -1 - used end
${takeTokens('KEYS[1]', 'used', 'local ')}
return used`;

/**
 * The `token-bucket` script for each time source, for any number of buckets. KEYS: one string per
 * bucket. ARGV after the time: `cost, limit1, intervalUs1, limit2, intervalUs2, …`. Replies as
 * {@link decisionBody} says (`retryAfterMs` -1 for never: a cost above the bucket size).
 */
export const TOKEN_BUCKET_SCRIPTS: Readonly<Record<RedisTimeSource, string>> = {
  server: `${BUCKET_TIME.server}\n${BODY}`,
  client: `${BUCKET_TIME.client}\n${BODY}`,
};

/**
 * The `token-bucket` script of a rule with a single bucket, for each time source. KEYS: the
 * bucket. ARGV after the time: `cost limit intervalUs`, one argument. Replies as {@link SINGLE_BODY} says.
 */
export const SINGLE_BUCKET_SCRIPTS: Readonly<Record<RedisTimeSource, string>> = {
  server: `${BUCKET_TIME.server}\n${SINGLE_BODY}`,
  client: `${BUCKET_TIME.client}\n${SINGLE_BODY}`,
};
