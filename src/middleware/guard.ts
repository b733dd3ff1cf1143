/**
 * The framework-agnostic guard: turns bulwark policies into HTTP behaviour. Adapters translate a
 * framework's request and response into a {@link GuardRequest} and a {@link GuardExchange}.
 * @module
 */
import type { AdaptiveConcurrencyLimiter } from '../adaptive-concurrency/adaptive-concurrency-limiter';
import type { Bulkhead } from '../bulkhead/bulkhead';
import { inlineSlots, type InlineBulkhead } from '../bulkhead/inline';
import type { CircuitBreaker } from '../circuit-breaker/circuit-breaker';
import { parseOptions } from '../core/config';
import type { CancelScope, InternalContext, Priority } from '../core/context';
import { isRejectedError, type RejectedError } from '../core/errors';
import { getLogger } from '../core/logger';
import { runPolicy } from '../core/policy';
import { Rejections } from '../core/rejection';
import type { LoadShedder } from '../load-shedder/load-shedder';
import { RateLimitError } from '../rate-limiter/rate-limit-error';
import { refusalError, type RefusalErrors } from '../rate-limiter/refusal-error';
import type { RateLimiter } from '../rate-limiter/rate-limiter';
import type { RateLimitResult } from '../rate-limiter/store';
import { ClientAddress } from './client-ip';
import { FailureResponseError } from './failure-response-error';
import { boundedKey, type KeyFunction } from './keys';
import { GUARD_DEFAULTS, guardOptionsSchema, type GuardOptions, type ResolvedGuardOptions } from './options';
import { UntrustedProxyWarning } from './proxy-warning';
import { RateLimitHeaders } from './rate-limit-headers';
import { INTERNAL_BODY, INTERNAL_HEADERS, reportError } from './report';
import { bodyText, PROBLEM_CONTENT_TYPE, problemOf, refusalStatus, retryAfterSeconds, type GuardReply } from './reply';
import { ReadOnDemandRequestView, RequestView, type GuardRequest, type RequestHeaders, type RequestReader } from './request';
import { ResponseEnd } from './response-end';
import { ignore } from '../core/ignore';

/**
 * What an adapter gives the guard for one request: how to run the handler, how to answer instead,
 * and how to learn when the response ends.
 */
export interface GuardExchange {
  /**
   * Starts watching the response: call `end.finished(status)` when it has been sent in full and
   * `end.disconnected()` when the client goes away first. Called once, before anything else, for
   * a request the guard applies a policy to that holds a permit until the end or learns from the
   * status (every policy but the rate limiter); not called when a rate limiter is the only one.
   */
  watch(end: ResponseEnd): void;
  /** Sets a header on the response the handler is about to send (rate-limit fields). */
  setHeader(name: string, value: string): void;
  /** Runs the handler; what it returns is what {@link Guard.handle} returns, or resolves with. */
  proceed(): void | Promise<void>;
  /** Sends the guard's own response instead of running the handler. */
  reply(status: number, headers: Record<string, string>, body: string | undefined): void | Promise<void>;
}

/**
 * Applies bulwark policies to HTTP requests: made by {@link createGuard}, used through an adapter
 * (`bulwark/middleware/node`, `/koa`, `/fastify`, `/fetch`).
 *
 * For each request that is neither excluded nor skipped, in this order: the load shedder (by
 * `priority`), the rate limiter (by `key`, `cost` units), the bulkhead, the concurrency limiter,
 * the circuit breaker, then the handler. A refusal is answered at once (429 for the rate limit,
 * 503 for the rest, `Retry-After` when a time is known, an RFC 9457 problem body). The permits an
 * admitted request holds are released exactly once, when its response has been sent in full or
 * its client has disconnected, whichever comes first.
 */
export class Guard {
  readonly #client: ClientAddress;
  readonly #exclude: ReadonlySet<string> | undefined;
  readonly #skip: ((request: GuardRequest) => boolean) | undefined;
  readonly #plan: Plan | undefined;

  /**
   * @param options - see {@link GuardOptions}
   * @throws `ConfigError` (from `bulwark`) naming every invalid option
   */
  constructor(options: GuardOptions = {}) {
    const resolved = parseOptions(guardOptionsSchema, options, 'guard options');
    this.#client = new ClientAddress(
      resolved.trustProxy,
      resolved.proxyHeader ?? GUARD_DEFAULTS.proxyHeader,
      resolved.ipv6Subnet ?? GUARD_DEFAULTS.ipv6Subnet,
    );
    this.#exclude = resolved.exclude === undefined || resolved.exclude.length === 0 ? undefined : new Set(resolved.exclude);
    this.#skip = resolved.skip;
    const { loadShedder, rateLimiter, bulkhead, concurrencyLimiter, circuitBreaker } = resolved;
    const guarded = [loadShedder, rateLimiter, bulkhead, concurrencyLimiter, circuitBreaker].some((policy) => policy !== undefined);
    this.#plan = guarded ? new Plan(resolved, this.#client.trusting) : undefined;
  }

  /**
   * The request view of a framework's request, for adapters.
   * @param method - the request method
   * @param url - the path, with or without its query string
   * @param headers - the request headers
   * @param remoteAddress - the connection's peer
   * @param raw - the framework's request object
   * @param route - the matched route pattern, when known before the handler runs
   */
  request(
    method: string,
    url: string,
    headers: RequestHeaders,
    remoteAddress: string | undefined,
    raw: unknown,
    route?: string,
  ): GuardRequest {
    return new RequestView(this.#client, method, url, headers, remoteAddress, raw, route);
  }

  /**
   * The request view of a framework's request that is costly to read, for adapters: its method,
   * path and headers are read through `reader` when first needed.
   * @param source - the framework's request object
   * @param reader - how to read it, one object per adapter
   * @param remoteAddress - the connection's peer
   * @internal
   */
  requestOf<Raw>(source: Raw, reader: RequestReader<Raw>, remoteAddress: string | undefined): GuardRequest {
    return new ReadOnDemandRequestView(this.#client, source, reader, remoteAddress);
  }

  /**
   * Handles one request: runs the handler through the policies, or answers a refusal. Returns what
   * `exchange.proceed()` returned when the handler ran at once (every policy admitted the request
   * without waiting, e.g. a MemoryStore rate limiter and a free bulkhead slot; a handler that threw
   * gives a rejected promise); otherwise a promise that resolves (or rejects) with it once the
   * handler has run, or resolves once the refusal has been sent. The permits are held until the
   * response ends, which may be later.
   */
  handle(request: GuardRequest, exchange: GuardExchange): void | Promise<void> {
    if (this.#exclude !== undefined && this.#exclude.has(request.path)) return exchange.proceed();
    const plan = this.#plan;
    if (this.#skip !== undefined) {
      let skipped: boolean;
      try {
        skipped = this.#skip(request);
      } catch (error) {
        return internalError(error, exchange);
      }
      if (skipped) return exchange.proceed();
    }
    if (plan === undefined) return exchange.proceed();
    return new GuardedCall(plan, request, exchange).start();
  }
}

/**
 * Makes a {@link Guard}.
 * @param options - the policies and how requests map onto them: see {@link GuardOptions}
 * @throws `ConfigError` (from `bulwark`) naming every invalid option
 * @example
 * ```ts
 * import express from 'express';
 * import { Bulkhead, RateLimiter } from 'bulwark';
 * import { createGuard } from 'bulwark/middleware';
 * import { guardMiddleware } from 'bulwark/middleware/node';
 *
 * const guard = createGuard({
 *   rateLimiter: new RateLimiter({ limit: 100, windowMs: 60_000 }),
 *   bulkhead: new Bulkhead({ maxInFlight: 50 }),
 *   trustProxy: 1,
 *   exclude: ['/healthz'],
 * });
 * express().use(guardMiddleware(guard));
 * ```
 */
export function createGuard(options: GuardOptions = {}): Guard {
  return new Guard(options);
}

/** Everything a guarded call needs, resolved once per guard. */
class Plan {
  readonly loadShedder: LoadShedder | undefined;
  readonly rateLimiter: RateLimiter | undefined;
  readonly bulkhead: Bulkhead | undefined;
  readonly concurrencyLimiter: AdaptiveConcurrencyLimiter | undefined;
  readonly circuitBreaker: CircuitBreaker | undefined;
  readonly key: KeyFunction | undefined;
  readonly priority: Priority | ((request: GuardRequest) => Priority);
  readonly cost: number | ((request: GuardRequest) => number);
  readonly isFailureResponse: (status: number) => boolean;
  /** Whether the handler's status must be judged (a breaker or a concurrency limiter learns from it). */
  readonly judges: boolean;
  /**
   * Whether a request watches its response's end: a policy is configured that holds a permit until
   * then or leaves its queue when the client does (every policy but the rate limiter). A rate
   * limiter alone decides and is done, so its requests add no listener to the response.
   */
  readonly watches: boolean;
  /**
   * The bulkhead's slots, taken without a promise and freed when the response ends, when nothing
   * else waits for the end (no load shedder, concurrency limiter or breaker); undefined otherwise,
   * and for a bulkhead of another loaded copy of bulwark: the request then runs through the
   * bulkhead's `runInContext`.
   */
  readonly slots: InlineBulkhead | undefined;
  /**
   * Whether the rate limiter answers without a promise when its store does (`consumeNow`); one of
   * another loaded copy of bulwark may predate it, and is asked through `consume`.
   */
  readonly decidesAtOnce: boolean;
  readonly onRejected: GuardOptions['onRejected'];
  readonly rateHeaders: RateLimitHeaders | undefined;
  /** The error of a refused rate-limit decision: the limiter's own, or one by the refusing limit for a limiter that does not make them. */
  readonly rateErrors: ((result: RateLimitResult) => RateLimitError) | undefined;
  /** Watches a sample of requests for the "global limiter" mistake while the client address is the rate-limit key. */
  readonly proxyWarning: UntrustedProxyWarning | undefined;

  constructor(resolved: ResolvedGuardOptions, trustsProxies: boolean) {
    this.loadShedder = resolved.loadShedder;
    this.rateLimiter = resolved.rateLimiter;
    this.bulkhead = resolved.bulkhead;
    this.concurrencyLimiter = resolved.concurrencyLimiter;
    this.circuitBreaker = resolved.circuitBreaker;
    this.key = resolved.key;
    this.priority = resolved.priority ?? GUARD_DEFAULTS.priority;
    this.cost = resolved.cost ?? GUARD_DEFAULTS.cost;
    this.isFailureResponse = resolved.isFailureResponse ?? isServerError;
    this.judges = this.circuitBreaker !== undefined || this.concurrencyLimiter !== undefined;
    this.watches = this.loadShedder !== undefined || this.bulkhead !== undefined || this.judges;
    this.slots = this.loadShedder === undefined && !this.judges ? this.bulkhead?.[inlineSlots] : undefined;
    this.onRejected = resolved.onRejected;
    const limiter = this.rateLimiter;
    this.decidesAtOnce = typeof limiter?.consumeNow === 'function';
    const style = resolved.headers ?? GUARD_DEFAULTS.headers;
    this.rateHeaders = limiter !== undefined && style !== false ? new RateLimitHeaders(limiter.rule, style) : undefined;
    if (limiter !== undefined) {
      this.rateErrors = refusalErrorsOf(limiter);
    }
    this.proxyWarning = limiter !== undefined && this.key === undefined && !trustsProxies ? new UntrustedProxyWarning() : undefined;
  }
}

/** How the guard makes the error of a refusal by `limiter`: through the limiter when it can (its rule's own limit and rate), else by the refusing limit. */
function refusalErrorsOf(limiter: RateLimiter): (result: RateLimitResult) => RateLimitError {
  const own = (limiter as Partial<RefusalErrors>)[refusalError];
  if (typeof own === 'function') return own.bind(limiter);
  const name = limiter.name;
  const errors = new Rejections((limit: number) => new RateLimitError(name, limit, 0), false);
  return (result) => errors.create(result.limit, { retryAfterMs: result.retryAfterMs });
}

function isServerError(status: number): boolean {
  return status >= 500;
}

/**
 * One request on its way through the policies, and the end of its response (the adapter tells it
 * how the response ends, see {@link GuardExchange.watch}). It is also the execution context the
 * policies run it in, whose cancel scope is the client's disconnect: each step runs inside the
 * previous policy through that policy's `runInContext`, so a request makes no `AbortController`,
 * no per-policy context and no closure per step. Every step returns at once when its policy
 * admits at once, so that with a MemoryStore rate limiter and free slots the handler runs in the
 * turn the request arrived, as it would without the guard.
 */
class GuardedCall extends ResponseEnd implements InternalContext {
  readonly attempt = 1;
  readonly key: string | undefined = undefined;
  priority: Priority = 'normal';
  readonly deadline: number | undefined = undefined;
  readonly scope: CancelScope = this;
  readonly #plan: Plan;
  readonly #request: GuardRequest;
  readonly #exchange: GuardExchange;
  /** Resolves what {@link GuardedCall.start} returned, when the handler did not run at once. */
  #settle: ((handled: void | Promise<void>) => void) | undefined;
  #started = false;
  /** What `exchange.proceed()` returned (a rejected promise when it threw). */
  #handled: void | Promise<void> = undefined;
  #rate: RateLimitResult | undefined;
  /** The bulkhead slot this request took from {@link Plan.slots}, if it took one. */
  #slot: 'none' | 'held' | 'freed' = 'none';

  constructor(plan: Plan, request: GuardRequest, exchange: GuardExchange) {
    super();
    this.#plan = plan;
    this.#request = request;
    this.#exchange = exchange;
  }

  /**
   * Runs the policies. Returns what the handler returned when it ran at once; else a promise that
   * resolves with it once it has run, or once the refusal has been sent.
   */
  start(): void | Promise<void> {
    const plan = this.#plan;
    if (plan.watches) this.#exchange.watch(this);
    let chain: unknown;
    try {
      if (plan.proxyWarning !== undefined) plan.proxyWarning.sample(this.#request);
      const shedder = plan.loadShedder;
      if (shedder === undefined) chain = this.#limitRate();
      else {
        const priority = plan.priority;
        this.priority = typeof priority === 'string' ? priority : priority(this.#request);
        chain = runPolicy(shedder, GuardedCall.#limitRateStep, this);
      }
    } catch (error) {
      chain = Promise.reject(error);
    }
    // Once the handler has run, a failed chain needs no answer (see #ended): no closure for it.
    if (chain instanceof Promise) chain.then(undefined, this.#started ? ignore : (error: unknown) => this.#ended(error));
    if (this.#started) return this.#handled;
    return new Promise<void>((resolve) => {
      this.#settle = resolve;
    });
  }

  static readonly #limitRateStep = (call: InternalContext): unknown => (call as GuardedCall).#limitRate();
  static readonly #limitConcurrencyStep = (call: InternalContext): unknown => (call as GuardedCall).#limitConcurrency();
  static readonly #breakCircuitStep = (call: InternalContext): unknown => (call as GuardedCall).#breakCircuit();
  static readonly #runStep = (call: InternalContext): unknown => (call as GuardedCall).#run();

  /** The rate limit, then the rest; a refusal throws. */
  #limitRate(): unknown {
    const plan = this.#plan;
    const limiter = plan.rateLimiter;
    if (limiter === undefined) return this.#holdSlot();
    const request = this.#request;
    const key = plan.key === undefined ? request.clientKey : boundedKey(plan.key(request));
    const cost = typeof plan.cost === 'number' ? plan.cost : plan.cost(request);
    const decided = plan.decidesAtOnce ? limiter.consumeNow(key, cost) : limiter.consume(key, cost);
    return decided instanceof Promise ? decided.then((result: RateLimitResult) => this.#admit(result)) : this.#admit(decided);
  }

  #admit(result: RateLimitResult): unknown {
    const plan = this.#plan;
    this.#rate = result;
    if (!result.allowed) {
      throw (plan.rateErrors as (result: RateLimitResult) => RateLimitError)(result);
    }
    const headers = plan.rateHeaders;
    if (headers !== undefined) headers.write(result, this.#exchange);
    return this.#holdSlot();
  }

  /**
   * The bulkhead, then the rest. A free slot of {@link Plan.slots} is taken at once and freed by
   * {@link GuardedCall.ended}; a full bulkhead (which queues or refuses), one of another copy of
   * bulwark, or a response that has already ended go through the bulkhead's `runInContext`.
   */
  #holdSlot(): unknown {
    const plan = this.#plan;
    const bulkhead = plan.bulkhead;
    if (bulkhead === undefined) return this.#limitConcurrency();
    const slots = plan.slots;
    if (slots !== undefined && !this.settled && slots.acquire()) {
      this.#slot = 'held';
      // Plan.slots exists only without a concurrency limiter and a breaker: the handler is next.
      return this.#run();
    }
    return runPolicy(bulkhead, GuardedCall.#limitConcurrencyStep, this);
  }

  /**
   * Once the handler has run, how the response ends matters only to what reads the promise (see
   * {@link GuardedCall.#run}) or listens, which {@link ResponseEnd.outcomeNeeded} sees: a request
   * holding a slot of {@link Plan.slots} just frees it. Before, a disconnect must abort the request.
   */
  protected override wantsOutcome(): boolean {
    return !this.#started;
  }

  /** Frees the slot taken from {@link Plan.slots}, once, when the response ends. */
  protected override ended(): void {
    if (this.#slot !== 'held') return;
    this.#slot = 'freed';
    (this.#plan.slots as InlineBulkhead).release();
  }

  #limitConcurrency(): unknown {
    const limiter = this.#plan.concurrencyLimiter;
    return limiter === undefined ? this.#breakCircuit() : runPolicy(limiter, GuardedCall.#breakCircuitStep, this);
  }

  #breakCircuit(): unknown {
    const breaker = this.#plan.circuitBreaker;
    return breaker === undefined ? this.#run() : runPolicy(breaker, GuardedCall.#runStep, this);
  }

  /**
   * Runs the handler; the promise it returns settles when the response ends (nothing is returned
   * when no policy waits for the end: see {@link Plan.watches} and {@link Plan.slots}).
   */
  #run(): Promise<unknown> | undefined {
    this.#started = true;
    let handled: void | Promise<void>;
    try {
      handled = this.#exchange.proceed();
    } catch (error) {
      handled = Promise.reject(error);
    }
    this.#handled = handled;
    this.#settle?.(handled);
    const plan = this.#plan;
    if (!plan.watches) return undefined;
    if (handled !== undefined) handled.then(undefined, (error: unknown) => this.failed(error));
    if (this.#slot !== 'none') return undefined;
    const end = this.awaitEnd();
    return plan.judges ? end.then((status) => this.#judge(status)) : end;
  }

  #judge(status: number): number {
    if (this.#plan.isFailureResponse(status)) throw new FailureResponseError(status);
    return status;
  }

  /** The chain failed: a refusal to answer, or nothing to do once the handler has run. */
  #ended(error: unknown): void {
    // Once the handler has run, its response stands; its error went to the adapter.
    if (this.#started) return;
    const settle = this.#settle as (handled: void | Promise<void>) => void;
    // The client left while the request waited: nobody to answer.
    if (this.settled) return settle(undefined);
    if (isRejectedError(error)) settle(this.#refuse(error));
    else settle(internalError(error, this.#exchange));
  }

  /** Answers a refusal: the user's `onRejected` reply, or problem details. */
  async #refuse(error: RejectedError): Promise<void> {
    const headers: Record<string, string> = {};
    const retryAfter = retryAfterSeconds(error.retryAfterMs);
    if (retryAfter !== undefined) headers['Retry-After'] = retryAfter;
    const rate = this.#rate;
    const rateHeaders = this.#plan.rateHeaders;
    if (rate !== undefined && !rate.allowed && rateHeaders !== undefined) {
      rateHeaders.write(rate, { setHeader: (name, value) => void (headers[name] = value) });
    }
    const custom = await this.#customReply(error);
    if (custom !== undefined) {
      const body = bodyText(custom.body);
      if (body !== undefined && typeof custom.body !== 'string') headers['Content-Type'] = 'application/json';
      return this.#exchange.reply(custom.status, { ...headers, ...custom.headers }, body);
    }
    const status = refusalStatus(error);
    headers['Content-Type'] = PROBLEM_CONTENT_TYPE;
    return this.#exchange.reply(status, headers, JSON.stringify(problemOf(error, status)));
  }

  /** The reply of `onRejected`, if it gives one; a throwing one is logged and the default used. */
  async #customReply(error: RejectedError): Promise<GuardReply | undefined> {
    const onRejected = this.#plan.onRejected;
    if (onRejected === undefined) return undefined;
    try {
      return await onRejected(error, this.#request);
    } catch (failure) {
      getLogger().error({ err: failure }, 'bulwark: onRejected threw; the default refusal was sent');
      return undefined;
    }
  }
}

/**
 * Answers 500 when one of the guard's own options (`key`, `cost`, `priority`, `skip`) throws: the
 * error is reported, never sent.
 */
function internalError(error: unknown, exchange: GuardExchange): void | Promise<void> {
  reportError(error, 'a guard option threw');
  return exchange.reply(500, { ...INTERNAL_HEADERS }, INTERNAL_BODY);
}
