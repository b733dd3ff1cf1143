/**
 * `@resilient`: the method decorator that runs a method through policies, for standard (TC39)
 * decorators and for TypeScript's `experimentalDecorators`.
 * @module
 */
import { compose, type Policy } from '../core/policy';

/** Makes the policy for one instance; called once per instance, on its first decorated call. */
export type PolicyFactory<This> = (instance: This) => Policy;

/** An async method that `@resilient` can decorate. */
export type AsyncMethod<This, Args extends unknown[], Result> = (this: This, ...args: Args) => PromiseLike<Result>;

/**
 * The decorator returned by {@link resilient}. It has both call shapes, and tells them apart when
 * it is called: standard (TC39) decorators call it with `(method, context)`, TypeScript's
 * `experimentalDecorators` with `(target, propertyKey, descriptor)`.
 */
export interface ResilientDecorator<This = unknown> {
  /**
   * Standard decorators (TypeScript 5 without `experimentalDecorators`): returns the wrapped method.
   * @typeParam T - the class instance (or the class, for a static method)
   * @typeParam Args - the method's parameters
   * @typeParam Result - what the method's promise resolves to
   */
  <T extends This, Args extends unknown[], Result>(
    method: AsyncMethod<T, Args, Result>,
    context: ClassMethodDecoratorContext<T, AsyncMethod<T, Args, Result>>,
  ): (this: T, ...args: Args) => Promise<Result>;
  /**
   * `experimentalDecorators` (NestJS, TypeORM): `target` is the prototype, or the class for a
   * static method; returns the descriptor with the wrapped method as its value.
   * @typeParam T - the prototype (or the class, for a static method)
   * @typeParam Method - the decorated async method's type, kept as it is
   */
  <T extends This, Method extends (this: T, ...args: never[]) => PromiseLike<unknown>>(
    target: T,
    propertyKey: string | symbol,
    descriptor: TypedPropertyDescriptor<Method>,
  ): TypedPropertyDescriptor<Method>;
}

/**
 * Runs each call of the decorated async method through `policies` (composed, first = outermost).
 * The policies are shared by every instance of the class; pass a factory instead,
 * `@resilient((instance) => policy)`, for one policy per instance (made on its first call).
 *
 * Works with standard decorators (TypeScript 5) and with `experimentalDecorators`; `this` and the
 * method's type are kept. A static method gets the class as `this` (and, with a factory, one
 * policy for the class). Applying it to anything but a method (a getter, a setter, a field)
 * throws a `TypeError` when the class is defined.
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
  const wrap = (method: AsyncMethod<This, unknown[], unknown>) =>
    function resilientMethod(this: This, ...methodArgs: unknown[]): Promise<unknown> {
      let policy: Policy;
      try {
        policy = policyFor(this);
      } catch (error) {
        return Promise.reject(error);
      }
      return policy.execute(() => method.apply(this, methodArgs));
    };
  function decorate(value: unknown, contextOrKey: unknown, descriptor?: unknown): unknown {
    const member = decoratedMember(value, contextOrKey, descriptor);
    if (member.kind !== 'method') {
      const article = /^[aeiou]/.test(member.kind) ? 'an' : 'a';
      throw new TypeError(`@resilient decorates methods only; "${member.name}" is ${article} ${member.kind}`);
    }
    if (member.legacy) {
      const method = descriptor as TypedPropertyDescriptor<AsyncMethod<This, unknown[], unknown>>;
      return { ...method, value: wrap(method.value as AsyncMethod<This, unknown[], unknown>) };
    }
    return wrap(value as AsyncMethod<This, unknown[], unknown>);
  }
  return decorate as ResilientDecorator<This>;
}

/** What a decorator was applied to, read from either call shape. */
interface DecoratedMember {
  /** `method`, or what else it is: `getter`, `setter`, `field`, `accessor`, `class`, `parameter`. */
  readonly kind: string;
  /** Its name, or the class's name for a class. */
  readonly name: string;
  /** Called as an `experimentalDecorators` decorator. */
  readonly legacy: boolean;
}

function decoratedMember(value: unknown, contextOrKey: unknown, descriptor: unknown): DecoratedMember {
  if (typeof contextOrKey === 'object' && contextOrKey !== null) {
    const context = contextOrKey as { readonly kind?: unknown; readonly name?: unknown };
    return { kind: String(context.kind), name: String(context.name), legacy: false };
  }
  if (typeof descriptor === 'number') return { kind: 'parameter', name: String(contextOrKey ?? 'constructor'), legacy: true };
  if (contextOrKey === undefined) return { kind: 'class', name: String((value as { name?: unknown } | undefined)?.name), legacy: true };
  const property = descriptor as PropertyDescriptor | undefined;
  const kind =
    typeof property?.value === 'function' ? 'method' : property?.get !== undefined ? 'getter' : property?.set !== undefined ? 'setter' : 'field';
  return { kind, name: String(contextOrKey), legacy: true };
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
