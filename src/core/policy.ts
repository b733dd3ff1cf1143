/**
 * The contract every pattern implements, and the two ways to combine and use them:
 * {@link compose} and {@link wrap}.
 * @module
 */
import { systemClock, type Clock } from './clock';
import {
  CallContext,
  rootContext,
  SignalScope,
  type ExecuteOptions,
  type ExecutionContext,
  type InternalContext,
} from './context';
import { runOperation, type Operation } from './operation';

export type { ExecuteOptions, ExecutionContext, Priority } from './context';

/** A resilience pattern: something that runs functions on your behalf. */
export interface Policy {
  /** Instance name, used in events, errors, logs and the registry. */
  readonly name: string;
  /**
   * Runs `fn` under this policy.
   * @param fn - the operation; it receives the {@link ExecutionContext} and may be sync or async
   * @param options - per-call signal, key, priority and time budget
   * @returns what `fn` returned, unless the policy decides otherwise (e.g. a fallback value)
   * @throws the caller's `signal.reason` when it aborts; `fn`'s own error when the policy gives up
   */
  execute<T>(fn: (ctx: ExecutionContext) => T | PromiseLike<T>, options?: ExecuteOptions): Promise<T>;
}

/** One layer of a {@link Pipeline}, as {@link Pipeline.stats} lists it. */
export interface LayerStats {
  /** The policy's name. */
  readonly name: string;
  /** What its `stats()` returns; undefined for a policy without one. */
  readonly stats: object | undefined;
}

/** What {@link compose} returns: a policy made of layers, which it reports on and disposes. */
export interface Pipeline extends Policy {
  /** Each layer's stats, outermost first. */
  stats(): readonly LayerStats[];
  /** Disposes every layer that has a `dispose()`, outermost first. */
  dispose(): void;
  /** Same as `dispose()`, for `await using`. */
  [Symbol.asyncDispose](): Promise<void>;
}

/**
 * Key of the method by which bulwark's own policies run a function inside an existing context,
 * so that composed policies share one context (and one signal) instead of each building its own.
 * @internal
 */
export const runInContext: unique symbol = Symbol('bulwark.runInContext');

/** A policy that can run inside a context built by an enclosing policy. @internal */
export interface ContextualPolicy extends Policy {
  [runInContext]<T>(fn: Operation<T>, ctx: InternalContext): Promise<T>;
}

function isContextual(policy: Policy): policy is ContextualPolicy {
  return typeof (policy as Partial<ContextualPolicy>)[runInContext] === 'function';
}

/**
 * Runs `fn` through `policy` inside `ctx`: directly for bulwark's own policies, through `execute`
 * with equivalent options for any other {@link Policy}.
 * @internal
 */
export function runPolicy<T>(
  policy: Policy,
  fn: Operation<T>,
  ctx: InternalContext,
): Promise<T> {
  if (isContextual(policy)) return policy[runInContext](fn, ctx);
  const options: ExecuteOptions = { key: ctx.key, priority: ctx.priority, deadline: ctx.deadline };
  if (ctx.scope !== undefined) options.signal = ctx.scope.signal;
  return policy.execute((inner) => fn(toInternal(inner)), options);
}

/** The context a foreign policy handed to `fn`, as bulwark's policies need it. */
function toInternal(ctx: ExecutionContext): InternalContext {
  if ('scope' in ctx) return ctx as InternalContext;
  return new CallContext(ctx.attempt, ctx.key, ctx.priority, ctx.deadline, new SignalScope(ctx.signal));
}

let composedCount = 0;

/** What a policy may offer beyond {@link Policy}; bulwark's patterns offer both. */
interface Inspectable {
  stats?(): object;
  dispose?(): void;
}

/** The parts shared by every pipeline: stats and disposal over its layers. */
abstract class Layers implements ContextualPolicy, Pipeline {
  abstract readonly name: string;
  protected readonly policies: readonly Policy[];

  constructor(policies: readonly Policy[]) {
    this.policies = policies;
  }

  abstract execute<T>(fn: (ctx: ExecutionContext) => T | PromiseLike<T>, options?: ExecuteOptions): Promise<T>;
  abstract [runInContext]<T>(fn: Operation<T>, ctx: InternalContext): Promise<T>;

  stats(): readonly LayerStats[] {
    return this.policies.map((policy) => ({ name: policy.name, stats: (policy as Inspectable).stats?.() }));
  }

  dispose(): void {
    for (const policy of this.policies) (policy as Inspectable).dispose?.();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    this.dispose();
  }
}

/** Several policies run as one; see {@link compose}. */
class ComposedPolicy extends Layers {
  readonly name: string;

  constructor(policies: readonly Policy[]) {
    super(policies);
    this.name = `compose(${policies.map((policy) => policy.name).join(', ')})#${++composedCount}`;
  }

  /** Enters through the outermost policy's `execute`, so that its clock measures `timeoutMs`. */
  execute<T>(fn: (ctx: ExecutionContext) => T | PromiseLike<T>, options?: ExecuteOptions): Promise<T> {
    const outermost = this.policies[0] as Policy;
    if (this.policies.length === 1) return outermost.execute(fn, options);
    return outermost.execute((ctx) => this.#runFrom(1, fn, toInternal(ctx)), options);
  }

  [runInContext]<T>(fn: Operation<T>, ctx: InternalContext): Promise<T> {
    return this.#runFrom(0, fn, ctx);
  }

  #runFrom<T>(index: number, fn: Operation<T>, ctx: InternalContext): Promise<T> {
    const policy = this.policies[index] as Policy;
    if (index === this.policies.length - 1) return runPolicy(policy, fn, ctx);
    return runPolicy(policy, (inner) => this.#runFrom(index + 1, fn, inner), ctx);
  }
}

/** Runs `fn` with no policy at all: what composing nothing gives. */
class PassThroughPolicy extends Layers {
  readonly name = 'compose()';
  readonly #clock: Clock;

  constructor(clock: Clock) {
    super([]);
    this.#clock = clock;
  }

  execute<T>(fn: (ctx: ExecutionContext) => T | PromiseLike<T>, options?: ExecuteOptions): Promise<T> {
    return this[runInContext](fn, rootContext(options, this.#clock));
  }

  [runInContext]<T>(fn: Operation<T>, ctx: InternalContext): Promise<T> {
    if (ctx.scope?.aborted) return Promise.reject(ctx.scope.reason);
    return runOperation(fn, ctx);
  }
}

/**
 * Combines policies into one; the first argument is the outermost. `compose(fallback, retry,
 * timeout)` gives each try its own time limit, retries timed-out tries, and falls back when all
 * fail. Composing nothing gives a pass-through; a pipeline is a Policy and composes again.
 * All layers share one execution context, so the caller's signal, key, priority and deadline reach
 * every layer and `fn`. The pipeline reports every layer's `stats()` and disposes them all.
 *
 * @param policies - outermost first
 * @example
 * ```ts
 * const resilient = compose(new Fallback({ fallback: () => null }), new Retry(), new Timeout({ timeoutMs: 200 }));
 * const user = await resilient.execute(({ signal }) => fetchUser(id, signal));
 * ```
 */
export function compose(...policies: Policy[]): Pipeline {
  if (policies.length === 0) return new PassThroughPolicy(systemClock);
  return new ComposedPolicy(policies);
}

/**
 * Returns a function with `fn`'s parameters that runs each call through `policy`.
 *
 * @example
 * ```ts
 * const getUser = wrap(retry, (id: string) => db.users.find(id));
 * const user = await getUser('42'); // typed as the awaited result of db.users.find
 * ```
 */
export function wrap<A extends unknown[], R>(
  policy: Policy,
  fn: (...args: A) => R | PromiseLike<R>,
): (...args: A) => Promise<Awaited<R>> {
  return (...args: A) => policy.execute(() => fn(...args) as Awaited<R> | PromiseLike<Awaited<R>>);
}
