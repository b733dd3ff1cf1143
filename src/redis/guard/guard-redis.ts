/**
 * guardRedis: an ioredis client whose every command runs through a bulwark Policy.
 * @module
 */
import type { Cluster, Redis } from 'ioredis';
import { Bulkhead } from '../../bulkhead/bulkhead';
import { CircuitBreaker } from '../../circuit-breaker/circuit-breaker';
import type { CircuitBreakerOptions } from '../../circuit-breaker/options';
import { defaultName, parseOptions } from '../../core/config';
import type { ExceptionConfig } from '../../core/exceptions';
import { compose, type ExecutionContext, type LayerStats, type Policy } from '../../core/policy';
import type { Registry } from '../../core/registry';
import { Retry } from '../../retry/retry';
import { Timeout } from '../../timeout/timeout';
import { corkForRun } from '../corked-runs';
import { InlineLayers } from '../inline-layers';
import { readinessOf, type Readiness } from '../readiness';
import { commandOf, READ_ONLY_COMMANDS, UNGUARDED_COMMANDS } from './commands';
import { RedisUnavailableError } from './errors';
import { isRedisUnavailable } from './failures';
import { GUARD_REDIS_DEFAULTS, guardRedisCrossCheck, guardRedisOptionsSchema, type GuardRedisOptions } from './options';
import { ignore } from '../../core/ignore';

/** A method of the connection or of a pipeline, called with its own `this`. */
type Method = (...args: unknown[]) => unknown;

/** A node-style callback, which ioredis accepts as the last argument of a command. */
type Callback = (error: unknown, value?: unknown) => void;

/** What the guard reads of an ioredis connection beyond its public types. */
interface Connection {
  readonly status: string;
  connect(): Promise<void>;
  getBuiltinCommands(): string[];
  /** Scripts added with `defineCommand`, by name. */
  readonly scriptsSet?: Record<string, { readonly readOnly?: boolean }>;
  /** Commands added with `addBuiltinCommand`. */
  readonly addedBuiltinSet?: Set<string>;
}

/** Counters of a guard; see {@link RedisGuard.stats}. */
export interface RedisGuardStats {
  /** Each policy the commands run through, outermost first, with its `stats()`. */
  readonly layers: readonly LayerStats[];
  /** Commands that found the connection not ready and waited for it. */
  readonly waitedForReady: number;
  /** Of those, the ones it did not become ready for: they failed with {@link RedisUnavailableError}. */
  readonly notReady: number;
}

/** The guarded client of each guard, to find the guard again with {@link guardOf}. */
const guards = new WeakMap<object, RedisGuard>();

/**
 * The guard behind a client returned by {@link guardRedis}: its policies, counters and disposal.
 * Reach it with {@link guardOf}, so that the client keeps exactly ioredis's members.
 */
export class RedisGuard {
  /** The guard's name: its CircuitBreaker's name in the registry. */
  readonly name: string;
  /** The CircuitBreaker the guard built, if it built one. */
  readonly circuitBreaker: CircuitBreaker | undefined;
  /** What write commands and `exec()` run through. */
  readonly policy: Policy;
  /** What read-only and `idempotent` commands run through: `policy` with the Retry outside, if `retry` is on. */
  readonly readPolicy: Policy;
  readonly #redis: Redis | Cluster;
  readonly #connection: Connection;
  readonly #readiness: Readiness;
  readonly #readyWaitMs: number;
  readonly #owned: readonly Policy[];
  readonly #layers: readonly Policy[];
  readonly #retryable: ReadonlySet<string>;
  readonly #builtins: ReadonlySet<string>;
  /** The default layers run as one, for what runs through `policy` (see {@link InlineLayers}); undefined for a policy given in the options. */
  readonly #inline: InlineLayers | undefined;
  /** Guarded commands and the pass-through members bound to the connection, by name. */
  readonly #members = new Map<string | symbol, { readonly original: unknown; readonly member: unknown }>();
  #waitedForReady = 0;
  #notReady = 0;

  /** @internal Use {@link guardRedis}. */
  constructor(redis: Redis | Cluster, options: GuardRedisOptions | undefined) {
    const resolved = parseOptions(guardRedisOptionsSchema, options, 'guardRedis options', guardRedisCrossCheck) as GuardRedisOptions;
    this.name = resolved.name ?? defaultName('guardRedis');
    this.#redis = redis;
    this.#connection = redis as unknown as Connection;
    this.#readiness = readinessOf(redis);
    const registry = resolved.registry;
    const timeout = resolved.timeout;
    this.#readyWaitMs = (timeout === false ? undefined : timeout?.timeoutMs) ?? GUARD_REDIS_DEFAULTS.timeoutMs;
    const defaults = resolved.policy === undefined ? this.#defaultLayers(resolved, registry) : undefined;
    const base = defaults === undefined ? [] : [defaults.breaker, defaults.timeout, defaults.bulkhead].filter((layer) => layer !== undefined);
    this.circuitBreaker = defaults?.breaker;
    this.#inline =
      defaults?.breaker === undefined || defaults.timeout === undefined
        ? undefined
        : InlineLayers.of(defaults.breaker, defaults.timeout, defaults.bulkhead);
    const retry = retryOf(resolved, `${this.name}:retry`, registry);
    this.#owned = retry === undefined ? base : [retry, ...base];
    const layers = resolved.policy === undefined ? base : [resolved.policy];
    this.#layers = retry === undefined ? layers : [retry, ...layers];
    this.policy = layers.length === 1 ? (layers[0] as Policy) : compose(...layers);
    this.readPolicy = retry === undefined ? this.policy : compose(retry, ...layers);
    this.#retryable = new Set([...READ_ONLY_COMMANDS, ...(resolved.idempotent ?? []).map((name) => name.toLowerCase())]);
    this.#builtins = new Set(this.#connection.getBuiltinCommands());
  }

  /** Counters, and each policy's `stats()`. */
  stats(): RedisGuardStats {
    return {
      layers: this.#layers.map((policy) => ({ name: policy.name, stats: (policy as { stats?(): object }).stats?.() })),
      waitedForReady: this.#waitedForReady,
      notReady: this.#notReady,
    };
  }

  /**
   * Disposes the policies the guard built (a `policy` given in the options is the caller's to
   * dispose). Commands still run through them afterwards; the connection is left as it is.
   */
  dispose(): void {
    for (const policy of this.#owned) (policy as { dispose?(): void }).dispose?.();
  }

  /** Same as `dispose()`, for `await using`. */
  async [Symbol.asyncDispose](): Promise<void> {
    this.dispose();
  }

  /**
   * The member `property` of the guarded client `client`, which has no own member of that name: a
   * guarded command, a pipeline factory whose `exec()` is guarded, or the connection's own member
   * (a method bound to the connection). A guarded method becomes an own member of `client`, so
   * that later calls load it as a plain property: it reads the connection's method by name when
   * called, so a script defined again under its name stays guarded as it is.
   * @internal
   */
  member(property: string | symbol, client: object): unknown {
    const redis = this.#redis;
    const value: unknown = (redis as unknown as Record<string | symbol, unknown>)[property];
    const cached = this.#members.get(property);
    if (cached !== undefined && cached.original === value) return cached.member;
    if (typeof value !== 'function' || property === 'constructor') return value;
    const guarded = typeof property === 'string' ? this.#guardedMethod(property) : undefined;
    const member = guarded ?? (value as Method).bind(redis);
    this.#members.set(property, { original: value, member });
    if (guarded !== undefined && guards.get(client) === this) {
      Object.defineProperty(client, property, { value: guarded, writable: true, configurable: true });
    }
    return member;
  }

  /** The guarded method `property`, or undefined for a member that passes through. */
  #guardedMethod(property: string): Method | undefined {
    if (property === 'pipeline' || property === 'multi') return this.#pipelineFactory(property);
    if (property === 'call' || property === 'callBuffer' || property === 'send_command') return this.#anyCommand(property);
    if (this.#isGuardedCommand(property)) return this.#command(property, this.#policyFor(commandOf(property)));
    return undefined;
  }

  #isGuardedCommand(method: string): boolean {
    const command = commandOf(method);
    if (UNGUARDED_COMMANDS.has(command)) return false;
    const connection = this.#connection;
    return (
      this.#builtins.has(command) ||
      (connection.addedBuiltinSet?.has(command) ?? false) ||
      (connection.scriptsSet !== undefined && Object.hasOwn(connection.scriptsSet, command))
    );
  }

  #policyFor(command: string): Policy {
    if (this.readPolicy === this.policy) return this.policy;
    const lower = command.toLowerCase();
    if (this.#retryable.has(lower)) return this.readPolicy;
    const script = this.#connection.scriptsSet?.[command];
    return script !== undefined && script.readOnly === true ? this.readPolicy : this.policy;
  }

  /** A guarded command method: `method` of the connection, run through `policy`. */
  #command(method: string, policy: Policy): Method {
    return (...args: unknown[]) => this.#run(policy, this.#redis, method, args);
  }

  /** `call(command, ...args)` and its kin: the policy depends on the command named by the first argument. */
  #anyCommand(method: string): Method {
    return (...args: unknown[]) => {
      const command = args[0];
      const policy = typeof command === 'string' ? this.#policyFor(command) : this.policy;
      return this.#run(policy, this.#redis, method, args);
    };
  }

  /** `pipeline()` / `multi()`: the connection's, with `exec()` guarded (a `multi({ pipeline: false })` is itself a command). */
  #pipelineFactory(method: 'pipeline' | 'multi'): Method {
    return (...args: unknown[]) => {
      if (method === 'multi' && args.some(isNoPipelineOption)) return this.#run(this.policy, this.#redis, method, args);
      const pipeline = (this.#redis[method] as Method).apply(this.#redis, args) as { exec: Method };
      const exec = pipeline.exec;
      pipeline.exec = (...execArgs: unknown[]) => {
        // ioredis calls exec() again by itself (Cluster redirections): those go straight through.
        pipeline.exec = exec;
        return this.#run(this.policy, pipeline, 'exec', execArgs);
      };
      return pipeline;
    };
  }

  /**
   * Runs `receiver[method](...args)` through `policy`, answering a trailing callback too: on a
   * ready connection through the inline layers when `policy` is the default one and they admit
   * the call, otherwise through `policy.execute`.
   */
  #run(policy: Policy, receiver: object, method: string, args: unknown[]): Promise<unknown> {
    const last = args[args.length - 1];
    if (typeof last === 'function') return withCallback(this.#run(policy, receiver, method, args.slice(0, -1)), last as Callback);
    const inline = this.#inline;
    if (inline !== undefined && policy === this.policy && this.#readiness.sendable()) {
      corkForRun(this.#redis);
      const sent = inline.run(receiver, method, args);
      if (sent !== undefined) return sent;
    }
    return policy.execute((ctx) => this.#send(receiver, method, args, ctx));
  }

  /** Sends at once on a ready connection; otherwise waits for it (never into ioredis's offline queue). */
  #send(receiver: object, method: string, args: unknown[], ctx: ExecutionContext): unknown {
    if (this.#readiness.sendable()) {
      corkForRun(this.#redis);
      return ((receiver as Record<string, Method>)[method] as Method).apply(receiver, args);
    }
    return this.#sendWhenReady(receiver, method, args, ctx);
  }

  async #sendWhenReady(receiver: object, method: string, args: unknown[], ctx: ExecutionContext): Promise<unknown> {
    const connection = this.#connection;
    // Ready, but the socket is gone: ioredis would put the command in its offline queue and
    // replay it after a reconnect, long after the caller gave up.
    if (connection.status === 'ready') throw new RedisUnavailableError('closing', connection.status, 0);
    // A lazyConnect client connects on its first command: do what ioredis would have done.
    if (connection.status === 'wait') connection.connect().catch(ignore);
    const startedAt = Date.now();
    const waitMs = ctx.deadline === undefined ? this.#readyWaitMs : Math.max(1, ctx.deadline - startedAt);
    this.#waitedForReady++;
    const outcome = await this.#readiness.wait(waitMs);
    // The caller gave up meanwhile (a Timeout fired): send nothing.
    if (ctx.signal.aborted) throw ctx.signal.reason;
    if (outcome !== 'ready' || !this.#readiness.sendable()) {
      this.#notReady++;
      throw new RedisUnavailableError(outcome === 'ready' ? 'timeout' : outcome, connection.status, Date.now() - startedAt);
    }
    return ((receiver as Record<string, Method>)[method] as Method).apply(receiver, args);
  }

  /** The CircuitBreaker, Timeout and Bulkhead the options ask for (undefined for each turned off). */
  #defaultLayers(options: GuardRedisOptions, registry: Registry | false | undefined): DefaultLayers {
    return {
      breaker:
        options.circuitBreaker === false
          ? undefined
          : new CircuitBreaker({ ...breakerOptions(options.circuitBreaker ?? {}), ...identity(this.name, registry) }),
      timeout:
        options.timeout === false
          ? undefined
          : new Timeout({ ...options.timeout, timeoutMs: this.#readyWaitMs, ...identity(`${this.name}:timeout`, registry) }),
      bulkhead:
        options.bulkhead === false
          ? undefined
          : new Bulkhead({ ...GUARD_REDIS_DEFAULTS.bulkhead, ...options.bulkhead, ...identity(`${this.name}:bulkhead`, registry) }),
    };
  }
}

/** The policies a guard builds when given none, each undefined when its option is `false`; run outermost first. */
interface DefaultLayers {
  readonly breaker: CircuitBreaker | undefined;
  readonly timeout: Timeout | undefined;
  readonly bulkhead: Bulkhead | undefined;
}

/** The breaker's options: the guard's window mode unless the caller chose a mode, and the Redis classifier. */
function breakerOptions(options: Omit<CircuitBreakerOptions, 'name' | 'registry'>): CircuitBreakerOptions {
  const modeChosen = options.window !== undefined || options.failureThreshold !== undefined;
  const { window, failureRateThreshold, minimumCalls, recoveryTimeoutMs } = GUARD_REDIS_DEFAULTS.circuitBreaker;
  return {
    ...(modeChosen ? {} : { window, failureRateThreshold, minimumCalls }),
    recoveryTimeoutMs,
    ...options,
    exceptions: withRedisClassifier(options.exceptions),
  };
}

/** The Retry that `retry` asks for, if any. */
function retryOf(options: GuardRedisOptions, name: string, registry: Registry | false | undefined): Retry | undefined {
  const retry = options.retry;
  if (retry === undefined || retry === false) return undefined;
  const given = retry === true ? {} : retry;
  return new Retry({
    ...(retry === true ? GUARD_REDIS_DEFAULTS.retry : {}),
    ...given,
    exceptions: withRedisClassifier(given.exceptions),
    ...identity(name, registry),
  });
}

/** The `name` and `registry` of a policy the guard builds. */
function identity(name: string, registry: Registry | false | undefined): { name: string; registry?: Registry | false } {
  return registry === undefined ? { name } : { name, registry };
}

/** `exceptions` with `handle` defaulting to {@link isRedisUnavailable}. */
function withRedisClassifier(exceptions: ExceptionConfig | undefined): ExceptionConfig {
  return { handle: isRedisUnavailable, ...exceptions };
}

function isNoPipelineOption(arg: unknown): boolean {
  return typeof arg === 'object' && arg !== null && !Array.isArray(arg) && (arg as { pipeline?: unknown }).pipeline === false;
}

/** Answers `callback` when `promise` settles, as ioredis does, and returns `promise`. */
function withCallback(promise: Promise<unknown>, callback: Callback): Promise<unknown> {
  promise.then(
    (value) => callback(null, value),
    (error: unknown) => callback(error),
  );
  return promise;
}

/**
 * Returns `redis` guarded: an object with the connection's whole API, typed as the connection
 * itself, whose every command runs through one bulwark Policy. By default that is
 * `compose(CircuitBreaker, Timeout 250 ms, Bulkhead)` (see {@link GUARD_REDIS_DEFAULTS}); the
 * breaker counts only errors that say Redis is unavailable ({@link isRedisUnavailable}), and
 * joins the registry under `name`.
 *
 * - Commands (`get`, `set`, `mget`, `eval`, `defineCommand`ed scripts, `call`, their `…Buffer`
 *   variants, …) are guarded; `pipeline()` and `multi()` return ioredis's own pipeline whose
 *   `exec()` is the guarded call (the queued commands send nothing).
 * - Everything else passes through unguarded, bound to the connection: `status`, `options`,
 *   `on`, `connect`, `disconnect`, `duplicate` (an unguarded connection), `quit`, and the blocking
 *   commands (`blpop`, `brpop`, `blmove`, `bzpopmin`, `wait`, …) that wait on the server longer
 *   than any Timeout should.
 * - A command finding the connection not ready waits for it (within its time), and never goes to
 *   ioredis's offline queue; while the circuit is open, commands fail at once with
 *   `CircuitOpenError` and send nothing.
 * - Read-only commands (and `idempotent` ones) are retried only when `retry` is on.
 *
 * Reach the guard's `stats()` and `dispose()` with {@link guardOf}.
 *
 * @param redis - an ioredis `Redis` or `Cluster` (ioredis 5 or 6)
 * @param options - see {@link GuardRedisOptions}
 * @throws ConfigError (from `bulwark`) naming every invalid option
 * @example
 * ```ts
 * const redis = guardRedis(new Redis({ enableOfflineQueue: false, maxRetriesPerRequest: 1 }), { name: 'redis' });
 * const session = await redis.get(`session:${id}`); // CircuitOpenError at once while Redis is down
 * ```
 */
export function guardRedis<R extends Redis | Cluster>(redis: R, options?: GuardRedisOptions): R {
  const guard = new RedisGuard(redis, options);
  // An ordinary object in front of a Proxy of the connection: each guarded method becomes an own
  // property of it on first use, so that a call is a property load and the Proxy's trap runs only
  // for a member not seen before and for what passes through. Writes reach the connection.
  const connection = new Proxy(redis, {
    get: (_target, property, receiver: object) => guard.member(property, receiver),
    set: (target, property, value) => Reflect.set(target, property, value),
  });
  const guarded = Object.create(connection) as R;
  guards.set(guarded, guard);
  return guarded;
}

/**
 * The {@link RedisGuard} of a client returned by {@link guardRedis}, or undefined for any other
 * object.
 * @example
 * ```ts
 * guardOf(redis)?.stats();
 * ```
 */
export function guardOf(client: object): RedisGuard | undefined {
  return guards.get(client);
}
