/**
 * RedisStore: a {@link RateLimitStore} shared by every process using the same Redis.
 * @module
 */
import { randomBytes } from 'node:crypto';
import type { Cluster, Redis } from 'ioredis';
import { parseOptions } from '../core/config';
import type { RateLimitAlgorithm, RateLimitResult, RateLimitRule, RateLimitStore, RateWindow, RuleWindow } from '../rate-limiter/store';
import { bucketResultOf, emissionIntervalUs } from '../rate-limiter/token-bucket';
import { RedisStoreError } from './errors';
import { corkForRun } from './corked-runs';
import { baseKey } from './keys';
import { DecisionTimeouts, PendingDecision } from './decision-timeouts';
import { notReadyText, readinessOf, type Readiness, type ReadyOutcome } from './readiness';
import { boundCommand, defineScript, type ScriptCommand } from './scripts/script-command';
import { REDIS_STORE_DEFAULTS, redisStoreOptionsSchema, type RedisStoreOptions, type RedisTimeSource } from './options';
import { SLIDING_LOG_SCRIPTS } from './scripts/sliding-log';
import { SLIDING_WINDOW_SCRIPTS } from './scripts/sliding-window';
import { SINGLE_BUCKET_SCRIPTS, TOKEN_BUCKET_SCRIPTS } from './scripts/token-bucket';
import { BUCKET_MARK, MIXED_SCRIPTS, type MixedWindowAlgorithm } from './scripts/mixed';

/** What a store derives once from a rule: the command to call, key suffixes and arguments. */
interface PreparedRule {
  /** `prefix:namespace`, the start of every key. */
  readonly keyStart: string;
  /**
   * The `…Buffer` variant of the defined command (the reply holds integers only, nothing to
   * decode), looked up once on the connection.
   */
  readonly command: ScriptCommand;
  readonly suffixes: readonly string[];
  /** Whether the script takes a nonce (sliding-log names its members with it). */
  readonly nonce: boolean;
  /**
   * `limit1, windowMs1, limit2, windowMs2, …` as text (for buckets, the emission interval in µs
   * instead of `windowMs`); not sent for a single bucket, whose `bucket` says its argument.
   */
  readonly windowArgs: readonly string[];
  /** For a rule of a single token bucket, which runs the single-bucket script: its argument and numbers. */
  readonly bucket: SingleBucket | undefined;
}

/**
 * A rule of a single token bucket, whose script takes `cost limit intervalUs` as one argument and
 * replies with one number (see {@link SINGLE_BUCKET_SCRIPTS}).
 */
interface SingleBucket {
  /** ` limit intervalUs`, what follows the cost in the argument. */
  readonly tail: string;
  /** The argument of a request of cost 1, the common one, made once. */
  readonly costOne: string;
  readonly limit: number;
  readonly intervalUs: number;
}

/**
 * The scripts of an algorithm (one per time source; optionally another for rules of a single
 * window, as {@link SingleBucket} says), the stem of their command names and the key suffix.
 */
interface AlgorithmScripts {
  readonly lua: Readonly<Record<RedisTimeSource, string>>;
  readonly single?: Readonly<Record<RedisTimeSource, string>>;
  readonly command: string;
  readonly suffix: string;
}

/** The command stem of the scripts of rules that mix token buckets with windows. */
const MIXED_COMMAND = 'bulwarkRateLimitMixed';

const SCRIPTS: Record<RateLimitAlgorithm, AlgorithmScripts> = {
  'sliding-log': { lua: SLIDING_LOG_SCRIPTS, command: 'bulwarkRateLimitLog', suffix: 'log' },
  'sliding-window': { lua: SLIDING_WINDOW_SCRIPTS, command: 'bulwarkRateLimitWindow', suffix: 'sw' },
  'token-bucket': { lua: TOKEN_BUCKET_SCRIPTS, single: SINGLE_BUCKET_SCRIPTS, command: 'bulwarkRateLimitBucket', suffix: 'tb' },
};

/** Identifies this process in sorted-set members; a counter makes them unique within it. */
const PROCESS_NONCE = randomBytes(6).toString('hex');
let requestCounter = 0;

/**
 * Counts admissions in Redis, so that every process and machine using the same Redis (and the
 * same `prefix` and `namespace`) shares one limit. Ships from `bulwark/redis`.
 *
 * - One round trip per decision: one Lua script (`sliding-log`, `sliding-window` or
 *   `token-bucket`, or for `limits` that mix token buckets with windows one script that counts
 *   both, atomically), registered with ioredis `defineCommand` and run with EVALSHA; ioredis falls
 *   back to EVAL on NOSCRIPT (after `SCRIPT FLUSH` or a failover) by itself.
 * - Time comes from the server's `TIME` (or the client with `timeSource: 'client'`).
 * - Keys: `prefix:namespace:{userKey}:windowMs:log|sw|tb`, one per window or bucket (a bucket's
 *   `windowMs` is its refill time); the namespace defaults to the limiter's name, and the hash
 *   tag puts every key of a decision in one Cluster slot. An empty, long (> 128 bytes) or `}`-holding user key is replaced by its sha256, in keys of their
 *   own (`prefix:namespace:#{sha256}:…`). Every window's key gets a TTL of at least its window; a
 *   bucket's key (its theoretical arrival time, one number) expires when the bucket is full again.
 * - While the connection connects or reconnects, a decision waits for it to become ready; it is
 *   never put in ioredis's offline queue. It fails with {@link RedisStoreError} when it has no
 *   answer within `timeoutMs` (the wait for the connection included), on any error or unexpected
 *   reply, and at once when `maxPending` decisions are outstanding (a stalled server) or the
 *   connection is closed for good.
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
  /** Longest time per decision (waiting for the connection and for the reply), in ms. */
  readonly timeoutMs: number;
  /** Most decisions outstanding at once; beyond it a decision fails at once. */
  readonly maxPending: number;
  /** Where the scripts read the time. */
  readonly timeSource: RedisTimeSource;
  readonly #redis: Redis | Cluster;
  readonly #prepared = new WeakMap<RateLimitRule, PreparedRule>();
  readonly #readiness: Readiness;
  /** The timeouts of the decisions sent and not answered yet. */
  readonly #timeouts: DecisionTimeouts;
  #pending = 0;

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
    this.maxPending = resolved.maxPending ?? REDIS_STORE_DEFAULTS.maxPending;
    this.#timeouts = new DecisionTimeouts(this.timeoutMs);
    this.#readiness = readinessOf(this.#redis);
    this.timeSource = resolved.timeSource ?? REDIS_STORE_DEFAULTS.timeSource;
  }

  /**
   * The Redis keys a decision for `key` under `rule` touches, one per window, in window order.
   * @param key - the user key
   * @param rule - the rule of the limiter
   */
  keysFor(key: string, rule: RateLimitRule): string[] {
    const prepared = this.#preparedFor(rule);
    const base = baseKey(prepared.keyStart, key);
    return prepared.suffixes.map((suffix) => base + suffix);
  }

  /**
   * Decides one request in one script run; see {@link RateLimitStore.consume}. While the
   * connection connects or reconnects, the decision waits for it to become ready (within its
   * `timeoutMs`) instead of sending into ioredis's offline queue.
   * @throws {@link RedisStoreError} (as a rejection) when Redis is not ready in time, slow or
   * failing, or `maxPending` decisions are outstanding already
   * @throws TypeError (as a rejection) when `key` is not a string
   */
  consume(key: string, cost: number, rule: RateLimitRule): Promise<RateLimitResult> {
    if (typeof key !== 'string') return Promise.reject(new TypeError(`RedisStore key must be a string, got ${typeof key}`));
    if (this.#pending >= this.maxPending) {
      return Promise.reject(new RedisStoreError(`${this.#pending} decisions are outstanding already (maxPending: ${this.maxPending})`));
    }
    if (!this.#readiness.sendable()) return this.#consumeWhenReady(key, cost, rule);
    return this.#send(key, cost, rule, this.timeoutMs);
  }

  /** Decisions outstanding now: waiting for the connection, or sent and not yet answered (see `maxPending`). */
  get pending(): number {
    return this.#pending;
  }

  /** {@link RedisStore.consume} while the connection is not ready: waits for it, then sends in the time left. */
  async #consumeWhenReady(key: string, cost: number, rule: RateLimitRule): Promise<RateLimitResult> {
    const startedAt = Date.now();
    this.#pending++;
    let outcome: ReadyOutcome;
    try {
      outcome = await this.#readiness.wait(this.timeoutMs);
    } finally {
      this.#pending--;
    }
    if (!this.#readiness.sendable()) throw notReady(outcome, this.#redis.status, this.timeoutMs);
    return this.#send(key, cost, rule, Math.max(1, this.timeoutMs - (Date.now() - startedAt)));
  }

  /** Sends the decision on a ready connection and waits at most `timeoutMs` for its reply. */
  #send(key: string, cost: number, rule: RateLimitRule, timeoutMs: number): Promise<RateLimitResult> {
    const prepared = this.#preparedFor(rule);
    const base = baseKey(prepared.keyStart, key);
    let reply: Promise<unknown>;
    try {
      corkForRun(this.#redis);
      reply = this.#call(prepared, base, cost);
    } catch (error) {
      return Promise.reject(new RedisStoreError('Redis command could not be sent', error));
    }
    const decision = new PendingDecision(timeoutMs, this.#timeouts);
    this.#timeouts.start(decision);
    // Outstanding until Redis answers, even after its timeout gave up on it: ioredis keeps the command.
    this.#pending++;
    reply.then(
      (value) => {
        this.#answered(decision);
        const result = parseReply(value, rule, cost, prepared.bucket);
        if (result === undefined) decision.reject(unexpectedReply(value));
        else decision.resolve(result);
      },
      (error: unknown) => {
        this.#answered(decision);
        decision.reject(new RedisStoreError(`Redis rate limit script failed: ${(error as Error)?.message ?? String(error)}`, error));
      },
    );
    return decision.promise;
  }

  /** Runs the rule's script on the keys under `base` for a request of `cost`, and returns its reply. */
  #call(prepared: PreparedRule, base: string, cost: number): Promise<unknown> {
    const bucket = prepared.bucket;
    if (bucket !== undefined && this.timeSource === 'server') {
      // The common decision, called with its two arguments rather than spread from an array.
      return prepared.command(base + (prepared.suffixes[0] as string), bucketArgument(bucket, cost));
    }
    const args: string[] = [];
    for (const suffix of prepared.suffixes) args.push(base + suffix);
    if (this.timeSource === 'client') args.push(String(Date.now()));
    if (bucket !== undefined) {
      args.push(bucketArgument(bucket, cost));
    } else {
      args.push(String(cost));
      if (prepared.nonce) args.push(PROCESS_NONCE + (requestCounter++).toString(36));
      for (const arg of prepared.windowArgs) args.push(arg);
    }
    return prepared.command(...args);
  }

  /** Counts `decision` answered, and ends its timeout. */
  #answered(decision: PendingDecision): void {
    this.#pending--;
    this.#timeouts.stop(decision);
  }

  /** What the store derived from `rule`, deriving it on first use. */
  #preparedFor(rule: RateLimitRule): PreparedRule {
    return this.#prepared.get(rule) ?? this.#prepare(rule);
  }

  /**
   * The command, key suffixes and window arguments of `rule`, derived once per rule object. A rule
   * that mixes token buckets with windows runs the mixed script of its window algorithm, with a
   * third argument per window that says which it is.
   */
  #prepare(rule: RateLimitRule): PreparedRule {
    const windows = rule.windows;
    const algorithmOf = (window: RuleWindow): RateLimitAlgorithm => window.algorithm ?? rule.algorithm;
    const mixedWith = mixedWindowAlgorithmOf(rule);
    const mixed = mixedWith !== undefined;
    const script = SCRIPTS[rule.algorithm];
    const count = windows.length;
    const single = !mixed && count === 1 ? script.single : undefined;
    const lua = mixed ? MIXED_SCRIPTS[mixedWith][this.timeSource] : (single ?? script.lua)[this.timeSource];
    const stem = mixed ? MIXED_COMMAND : script.command;
    const command = defineScript(this.#redis, `${stem}${count}`, lua, count);
    const namespace = this.namespace ?? rule.name?.replace(/[{}]/g, '_') ?? REDIS_STORE_DEFAULTS.namespace;
    const prepared: PreparedRule = {
      keyStart: `${this.prefix}:${namespace}`,
      command: boundCommand(this.#redis, `${command}Buffer`),
      suffixes: windows.map((window) => `:${window.windowMs}:${SCRIPTS[algorithmOf(window)].suffix}`),
      nonce: windows.some((window) => algorithmOf(window) === 'sliding-log'),
      windowArgs: windows.flatMap((window) => {
        const bucket = algorithmOf(window) === 'token-bucket';
        const args = [String(window.limit), String(bucket ? emissionIntervalUs(window) : window.windowMs)];
        if (mixed) args.push(bucket ? BUCKET_MARK : 'w');
        return args;
      }),
      bucket: single === undefined ? undefined : singleBucket(windows[0] as RuleWindow),
    };
    this.#prepared.set(rule, prepared);
    return prepared;
  }
}

/** The single-bucket script's argument for a request of `cost`: `cost limit intervalUs`. */
function bucketArgument(bucket: SingleBucket, cost: number): string {
  return cost === 1 ? bucket.costOne : cost + bucket.tail;
}

/** The {@link SingleBucket} of a rule whose one window is `window`, a token bucket. */
function singleBucket(window: RuleWindow): SingleBucket {
  const intervalUs = emissionIntervalUs(window);
  const tail = ` ${window.limit} ${intervalUs}`;
  return { tail, costOne: `1${tail}`, limit: window.limit, intervalUs };
}

/**
 * The window algorithm of a rule that mixes token buckets with windows (the rule's own: only a
 * bucket names another), or undefined when the rule does not mix.
 */
function mixedWindowAlgorithmOf(rule: RateLimitRule): MixedWindowAlgorithm | undefined {
  const algorithm = rule.algorithm;
  if (algorithm === 'token-bucket') return undefined;
  return rule.windows.some((window) => window.algorithm === 'token-bucket') ? algorithm : undefined;
}

/**
 * The result a script reply stands for, or undefined when the reply is not a decision. The
 * single-bucket script (a rule's `bucket`) answers one integer (see {@link bucketResultOf}); the
 * others an array. Admitted: `[remaining, resetMs]`, plus the tightest window's index when the
 * rule has several; refused: `[remaining, resetMs, window index, retryAfterMs]` (`retryAfterMs`
 * -1 for never).
 */
function parseReply(value: unknown, rule: RateLimitRule, cost: number, bucket: SingleBucket | undefined): RateLimitResult | undefined {
  if (bucket !== undefined) return typeof value === 'number' ? bucketResultOf(value, cost, bucket.limit, bucket.intervalUs) : undefined;
  if (!Array.isArray(value)) return undefined;
  const length = value.length;
  const windows = rule.windows;
  const remaining: unknown = value[0];
  const resetMs: unknown = value[1];
  if (!isCount(remaining) || !isCount(resetMs)) return undefined;
  if (length === 2) {
    if (windows.length !== 1) return undefined;
    return { allowed: true, limit: (windows[0] as RateWindow).limit, windowIndex: 0, remaining, resetMs, retryAfterMs: 0 };
  }
  const windowIndex = Number.isInteger(value[2]) ? (value[2] as number) - 1 : -1;
  const window: RateWindow | undefined = windows[windowIndex];
  if (window === undefined || (length === 3 && windows.length === 1)) return undefined;
  if (length === 3) return { allowed: true, limit: window.limit, windowIndex, remaining, resetMs, retryAfterMs: 0 };
  const retryAfterMs: unknown = value[3];
  if (length !== 4 || !(retryAfterMs === -1 || (isCount(retryAfterMs) && retryAfterMs > 0))) return undefined;
  return { allowed: false, limit: window.limit, windowIndex, remaining, resetMs, retryAfterMs: retryAfterMs === -1 ? Infinity : retryAfterMs };
}

/** Whether `value` is an integer ≥ 0. */
function isCount(value: unknown): value is number {
  return Number.isInteger(value) && (value as number) >= 0;
}

/** Why a decision that waited for the connection was not sent. */
function notReady(outcome: ReadyOutcome, status: string, timeoutMs: number): RedisStoreError {
  return new RedisStoreError(`Redis connection ${notReadyText(outcome, timeoutMs)} (status: ${status})`);
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
