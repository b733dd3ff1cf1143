/**
 * RedisStore: a {@link RateLimitStore} shared by every process using the same Redis.
 * @module
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Cluster, Redis } from 'ioredis';
import { parseOptions } from '../core/config';
import type { RateLimitAlgorithm, RateLimitResult, RateLimitRule, RateLimitStore, RateWindow } from '../rate-limiter/store';
import { RedisStoreError } from './errors';
import { baseKey } from './keys';
import { REDIS_STORE_DEFAULTS, redisStoreOptionsSchema, type RedisStoreOptions, type RedisTimeSource } from './options';
import { SLIDING_LOG_SCRIPTS } from './scripts/sliding-log';
import { SLIDING_WINDOW_SCRIPTS } from './scripts/sliding-window';

/** A script command as ioredis's `defineCommand` adds it to the connection. */
type ScriptCommand = (this: Redis | Cluster, ...keysThenArgs: string[]) => Promise<unknown>;

/** What a store derives once from a rule: the command to call, key suffixes and arguments. */
interface PreparedRule {
  /** `prefix:namespace`, the start of every key. */
  readonly keyStart: string;
  /** The `…Buffer` variant of the defined command: the reply holds integers only, nothing to decode. */
  readonly command: string;
  readonly suffixes: readonly string[];
  /** Whether the script takes a nonce (sliding-log names its members with it). */
  readonly nonce: boolean;
  /** `limit1, windowMs1, limit2, windowMs2, …` as text. */
  readonly windowArgs: readonly string[];
}

/** The scripts of an algorithm (one per time source), the stem of their command names and the key suffix. */
interface AlgorithmScripts {
  readonly lua: Readonly<Record<RedisTimeSource, string>>;
  readonly command: string;
  readonly suffix: string;
}

const SCRIPTS: Record<RateLimitAlgorithm, AlgorithmScripts> = {
  'sliding-log': { lua: SLIDING_LOG_SCRIPTS, command: 'bulwarkRateLimitLog', suffix: 'log' },
  'sliding-window': { lua: SLIDING_WINDOW_SCRIPTS, command: 'bulwarkRateLimitWindow', suffix: 'sw' },
};

/** Identifies this process in sorted-set members; a counter makes them unique within it. */
const PROCESS_NONCE = randomBytes(6).toString('hex');
let requestCounter = 0;

/**
 * Counts admissions in Redis, so that every process and machine using the same Redis (and the
 * same `prefix` and `namespace`) shares one limit. Ships from `bulwark/redis`.
 *
 * - One round trip per decision: one Lua script (`sliding-log` or `sliding-window`), registered
 *   with ioredis `defineCommand` and run with EVALSHA; ioredis falls back to EVAL on NOSCRIPT
 *   (after `SCRIPT FLUSH` or a failover) by itself.
 * - Time comes from the server's `TIME` (or the client with `timeSource: 'client'`).
 * - Keys: `prefix:namespace:{userKey}:windowMs:log|sw`, one per window; the namespace defaults
 *   to the limiter's name, and the hash tag puts every key of a decision in one Cluster slot.
 *   Every key gets a TTL of at least its window.
 * - A decision fails with {@link RedisStoreError} at once when the connection is not ready, after
 *   `timeoutMs` without a reply, or on any error or unexpected reply; it is never queued.
 *
 * @example
 * ```ts
 * const redis = new Redis({ enableOfflineQueue: false });
 * const limiter = new RateLimiter({ limit: 100, windowMs: 60_000, store: new RedisStore({ redis, namespace: 'api' }) });
 * ```
 */
export class RedisStore implements RateLimitStore {
  /** First part of every key. */
  readonly prefix: string;
  /** The `namespace` option: second part of every key when set; otherwise each limiter's name is. */
  readonly namespace: string | undefined;
  /** Longest wait for Redis per decision, in ms. */
  readonly timeoutMs: number;
  /** Where the scripts read the time. */
  readonly timeSource: RedisTimeSource;
  readonly #redis: Redis | Cluster;
  readonly #prepared = new WeakMap<RateLimitRule, PreparedRule>();

  /**
   * @param options - see {@link RedisStoreOptions}
   * @throws ConfigError (from `bulwark`) naming every invalid option
   */
  constructor(options: RedisStoreOptions) {
    const resolved = parseOptions(redisStoreOptionsSchema, options, 'RedisStore options');
    this.#redis = resolved.redis;
    this.prefix = resolved.prefix ?? REDIS_STORE_DEFAULTS.prefix;
    this.namespace = resolved.namespace;
    this.timeoutMs = resolved.timeoutMs ?? REDIS_STORE_DEFAULTS.timeoutMs;
    this.timeSource = resolved.timeSource ?? REDIS_STORE_DEFAULTS.timeSource;
  }

  /**
   * The Redis keys a decision for `key` under `rule` touches, one per window, in window order.
   * @param key - the user key
   * @param rule - the rule of the limiter
   */
  keysFor(key: string, rule: RateLimitRule): string[] {
    const prepared = this.#prepared.get(rule) ?? this.#prepare(rule);
    const base = baseKey(prepared.keyStart, key);
    return prepared.suffixes.map((suffix) => base + suffix);
  }

  /**
   * Decides one request in one script run; see {@link RateLimitStore.consume}.
   * @throws {@link RedisStoreError} (as a rejection) when Redis is not ready, slow or failing
   */
  consume(key: string, cost: number, rule: RateLimitRule): Promise<RateLimitResult> {
    const redis = this.#redis;
    if (redis.status !== 'ready') {
      return Promise.reject(new RedisStoreError(`Redis connection is not ready (status: ${redis.status})`));
    }
    const prepared = this.#prepared.get(rule) ?? this.#prepare(rule);
    const base = baseKey(prepared.keyStart, key);
    const args: string[] = [];
    for (const suffix of prepared.suffixes) args.push(base + suffix);
    if (this.timeSource === 'client') args.push(String(Date.now()));
    args.push(String(cost));
    if (prepared.nonce) args.push(PROCESS_NONCE + (requestCounter++).toString(36));
    for (const arg of prepared.windowArgs) args.push(arg);

    let reply: Promise<unknown>;
    try {
      reply = (redis as unknown as Record<string, ScriptCommand>)[prepared.command]!.apply(redis, args);
    } catch (error) {
      return Promise.reject(new RedisStoreError('Redis command could not be sent', error));
    }
    const timeoutMs = this.timeoutMs;
    return new Promise<RateLimitResult>((resolve, reject) => {
      const timer = setTimeout(() => reject(new RedisStoreError(`Redis did not answer within ${timeoutMs} ms`)), timeoutMs);
      reply.then(
        (value) => {
          clearTimeout(timer);
          const result = parseReply(value, rule);
          if (result === undefined) reject(unexpectedReply(value));
          else resolve(result);
        },
        (error: unknown) => {
          clearTimeout(timer);
          reject(new RedisStoreError(`Redis rate limit script failed: ${(error as Error)?.message ?? String(error)}`, error));
        },
      );
    });
  }

  /** The command, key suffixes and window arguments of `rule`, derived once per rule object. */
  #prepare(rule: RateLimitRule): PreparedRule {
    const script = SCRIPTS[rule.algorithm];
    const lua = script.lua[this.timeSource];
    const count = rule.windows.length;
    // The script's fingerprint in the name: another copy of bulwark sharing the connection, whose
    // script may differ, defines its own command instead of lending this one a foreign script.
    const command = `${script.command}${count}_${createHash('sha1').update(lua).digest('hex').slice(0, 12)}`;
    const redis = this.#redis as Redis & Record<string, unknown>;
    if (typeof redis[command] !== 'function') redis.defineCommand(command, { numberOfKeys: count, lua });
    const namespace = this.namespace ?? rule.name?.replace(/[{}]/g, '_') ?? REDIS_STORE_DEFAULTS.namespace;
    const prepared: PreparedRule = {
      keyStart: `${this.prefix}:${namespace}`,
      command: `${command}Buffer`,
      suffixes: rule.windows.map((window) => `:${window.windowMs}:${script.suffix}`),
      nonce: rule.algorithm === 'sliding-log',
      windowArgs: rule.windows.flatMap((window) => [String(window.limit), String(window.windowMs)]),
    };
    this.#prepared.set(rule, prepared);
    return prepared;
  }
}

/**
 * The result a script reply stands for, or undefined when the reply is not a decision. Admitted:
 * `[remaining, resetMs]`, plus the tightest window's index when the rule has several; refused:
 * `[remaining, resetMs, window index, retryAfterMs]` (`retryAfterMs` -1 for never).
 */
function parseReply(value: unknown, rule: RateLimitRule): RateLimitResult | undefined {
  if (!Array.isArray(value)) return undefined;
  const length = value.length;
  const windows = rule.windows;
  const remaining: unknown = value[0];
  const resetMs: unknown = value[1];
  if (!isCount(remaining) || !isCount(resetMs)) return undefined;
  if (length === 2) {
    if (windows.length !== 1) return undefined;
    return { allowed: true, limit: (windows[0] as RateWindow).limit, remaining, resetMs, retryAfterMs: 0 };
  }
  const window: RateWindow | undefined = Number.isInteger(value[2]) ? windows[(value[2] as number) - 1] : undefined;
  if (window === undefined || (length === 3 && windows.length === 1)) return undefined;
  if (length === 3) return { allowed: true, limit: window.limit, remaining, resetMs, retryAfterMs: 0 };
  const retryAfterMs: unknown = value[3];
  if (length !== 4 || !(retryAfterMs === -1 || (isCount(retryAfterMs) && retryAfterMs > 0))) return undefined;
  return { allowed: false, limit: window.limit, remaining, resetMs, retryAfterMs: retryAfterMs === -1 ? Infinity : retryAfterMs };
}

/** Whether `value` is an integer ≥ 0. */
function isCount(value: unknown): value is number {
  return Number.isInteger(value) && (value as number) >= 0;
}

function unexpectedReply(value: unknown): RedisStoreError {
  let text: string;
  try {
    text = JSON.stringify(value);
  } catch {
    text = String(value);
  }
  return new RedisStoreError(`unexpected reply from the Redis rate limit script: ${text}`);
}
