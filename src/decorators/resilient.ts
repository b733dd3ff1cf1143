/**
 * `@resilient`: the TC39 (TypeScript 5 standard) method decorator that runs a method through
 * policies.
 * @module
 */
import { compose, type Policy } from '../core/policy';

/** Makes the policy for one instance; called once per instance, on its first decorated call. */
export type PolicyFactory<This> = (instance: This) => Policy;

/** An async method that `@resilient` can decorate. */
export type AsyncMethod<This, Args extends unknown[], Result> = (this: This, ...args: Args) => PromiseLike<Result>;

/** The decorator returned by {@link resilient}. */
export type ResilientDecorator<This = unknown> = <T extends This, Args extends unknown[], Result>(
  method: AsyncMethod<T, Args, Result>,
  context: ClassMethodDecoratorContext<T, AsyncMethod<T, Args, Result>>,
) => (this: T, ...args: Args) => Promise<Result>;

/**
 * Runs each call of the decorated async method through `policies` (composed, first = outermost).
 * The policies are shared by every instance of the class; pass a factory instead,
 * `@resilient((instance) => policy)`, for one policy per instance (made on its first call).
 *
 * Standard decorators (TypeScript 5 without `experimentalDecorators`); `this` and the method's
 * type are kept. Applying it to anything but a method throws a `TypeError` when the class is
 * defined.
 *
 * @example
 * ```ts
 * class Prices {
 *   @resilient(new Retry({ maxAttempts: 3 }), new Timeout({ timeoutMs: 200 }))
 *   async latest(symbol: string): Promise<number> { return this.api.price(symbol); }
 * }
 * ```
 */
export function resilient<This = unknown>(factory: PolicyFactory<This>): ResilientDecorator<This>;
export function resilient(...policies: Policy[]): ResilientDecorator;
export function resilient<This>(...args: [PolicyFactory<This>] | Policy[]): ResilientDecorator<This> {
  const policyFor = resolvePolicies<This>(args);
  return function decorate<T extends This, Args extends unknown[], Result>(
    method: AsyncMethod<T, Args, Result>,
    context: ClassMethodDecoratorContext<T, AsyncMethod<T, Args, Result>>,
  ) {
    if ((context as { kind: string }).kind !== 'method') {
      throw new TypeError(
        `@resilient decorates methods only; "${String(context.name)}" is a ${(context as { kind: string }).kind}`,
      );
    }
    return function resilientMethod(this: T, ...methodArgs: Args): Promise<Result> {
      let policy: Policy;
      try {
        policy = policyFor(this);
      } catch (error) {
        return Promise.reject(error);
      }
      return policy.execute(() => method.apply(this, methodArgs));
    };
  };
}

function resolvePolicies<This>(args: [PolicyFactory<This>] | Policy[]): (instance: This) => Policy {
  const [first] = args;
  if (args.length === 1 && typeof first === 'function' && !isPolicy(first)) {
    const factory = first as PolicyFactory<This>;
    const perInstance = new WeakMap<object, Policy>();
    return (instance) => {
      const key = instance as object;
      let policy = perInstance.get(key);
      if (policy === undefined) {
        policy = factory(instance);
        if (!isPolicy(policy)) throw new TypeError('@resilient: the factory must return a Policy');
        perInstance.set(key, policy);
      }
      return policy;
    };
  }
  for (const policy of args) {
    if (!isPolicy(policy)) throw new TypeError('@resilient takes policies, or one function that makes a policy');
  }
  const policies = args as Policy[];
  const shared = policies.length === 1 ? (policies[0] as Policy) : compose(...policies);
  return () => shared;
}

function isPolicy(value: unknown): value is Policy {
  return (
    (typeof value === 'object' || typeof value === 'function') &&
    value !== null &&
    typeof (value as Policy).execute === 'function'
  );
}
