import { describe, expect, expectTypeOf, it, vi } from 'vitest';
import { Fallback, Retry, resilient, Timeout, type Policy } from '../../src/index';
import { compileAndRun, typeCheck } from './compile';

describe('@resilient (compiled by vitest)', () => {
  it('runs the method through the composed policies, keeping this and the arguments', async () => {
    class Prices {
      calls = 0;
      constructor(readonly currency: string) {}

      @resilient(new Fallback({ fallback: -1 }), new Retry({ maxAttempts: 3, initialDelayMs: 0 }))
      async price(symbol: string): Promise<number> {
        this.calls++;
        if (this.calls < 3) throw new Error(`${symbol} quote unavailable`);
        return symbol.length * (this.currency === 'EUR' ? 2 : 1);
      }
    }
    const prices = new Prices('EUR');
    await expect(prices.price('ACME')).resolves.toBe(8);
    expect(prices.calls).toBe(3);
  });

  it("keeps the method's type", () => {
    class Repo {
      @resilient(new Retry())
      async find(id: number, includeDeleted = false): Promise<{ id: number; includeDeleted: boolean }> {
        return { id, includeDeleted };
      }
    }
    expectTypeOf<Repo['find']>().toEqualTypeOf<(id: number, includeDeleted?: boolean) => Promise<{ id: number; includeDeleted: boolean }>>();
  });

  it('makes one policy per instance with a factory, on first use', async () => {
    const factory = vi.fn((instance: Client) => new Timeout({ timeoutMs: instance.timeoutMs, name: `client-${instance.timeoutMs}` }));
    class Client {
      constructor(readonly timeoutMs: number) {}

      @resilient(factory)
      async call(): Promise<string> {
        return `ok in ${this.timeoutMs}`;
      }
    }
    const fast = new Client(10);
    const slow = new Client(1_000);
    await fast.call();
    await fast.call();
    await slow.call();
    expect(factory).toHaveBeenCalledTimes(2);
    expect(factory.mock.results.map((r) => (r.value as Policy).name)).toEqual(['client-10', 'client-1000']);
  });

  it('throws a TypeError at class definition when applied to a field or getter', () => {
    // Typed loosely on purpose: TypeScript itself refuses @resilient on a field or getter.
    const decorator = resilient(new Retry()) as unknown as (value: unknown, context: DecoratorContext) => void;
    expect(() => {
      class WithField {
        @decorator value = 1;
      }
      return WithField;
    }).toThrow(new TypeError('@resilient decorates methods only; "value" is a field'));
    expect(() => {
      class WithGetter {
        @decorator get value() {
          return 1;
        }
      }
      return WithGetter;
    }).toThrow(/is a getter/);
  });

  it('names what it is applied to when called in the experimentalDecorators shape', () => {
    const decorator = resilient(new Retry({ registry: false })) as unknown as (...args: unknown[]) => unknown;
    class Target {
      set value(_: number) {}
    }
    const setter = Object.getOwnPropertyDescriptor(Target.prototype, 'value');
    expect(() => decorator(Target.prototype, 'value', setter)).toThrow(new TypeError('@resilient decorates methods only; "value" is a setter'));
    expect(() => decorator(Target.prototype, 'save', 0)).toThrow('"save" is a parameter');
    expect(() => decorator(Target, undefined, 1)).toThrow('"constructor" is a parameter');
    expect(() => decorator(Target)).toThrow('"Target" is a class');
  });

  it('rejects the call, without throwing, when the policy factory fails', async () => {
    class Broken {
      @resilient(() => {
        throw new Error('no policy today');
      })
      async call(): Promise<number> {
        return 1;
      }
    }
    const call = new Broken().call();
    expect(call).toBeInstanceOf(Promise);
    await expect(call).rejects.toThrow('no policy today');
  });

  it('refuses arguments that are not policies', () => {
    expect(() => resilient({} as never)).toThrow(TypeError);
  });
});

/** A user's module, compiled as it is with and without `experimentalDecorators`. */
const userModule = `
  import { resilient, Retry } from 'bulwark';

  const retryOnce = () => new Retry({ maxAttempts: 2, initialDelayMs: 0, registry: false });
  const shared = retryOnce();
  export const policiesMade: string[] = [];

  export class Inventory {
    static pings = 0;
    attempts = 0;
    constructor(readonly prefix: string) {}

    @resilient(shared)
    async count(sku: string, times = 1): Promise<string> {
      this.attempts++;
      if (this.attempts === 1) throw new Error('first try fails');
      return this.prefix + sku + ' x' + times + ' after ' + this.attempts + ' tries';
    }

    @resilient((inventory: Inventory) => {
      policiesMade.push(inventory.prefix);
      return retryOnce();
    })
    async label(): Promise<string> {
      return this.prefix + 'label';
    }

    @resilient(retryOnce())
    static async ping(): Promise<string> {
      this.pings++;
      if (this.pings === 1) throw new Error('first ping fails');
      return 'pong after ' + this.pings + ' tries';
    }
  }

  // The method keeps its types: a wrong argument or result type does not compile.
  export const countTwice = (inventory: Inventory): Promise<string> => inventory.count('sku', 2);
  // @ts-expect-error sku is a string
  export const wrongArgument = (inventory: Inventory) => inventory.count(42);
  // @ts-expect-error count resolves to a string
  export const wrongResult = (inventory: Inventory): Promise<number> => inventory.count('sku');

  export function defineWithGetter() {
    class WithGetter {
      // @ts-expect-error only methods can be decorated
      @resilient(shared)
      get value(): Promise<number> {
        return Promise.resolve(1);
      }
    }
    return WithGetter;
  }

  export function defineWithField() {
    class WithField {
      @(resilient(shared) as any) value = 1;
    }
    return WithField;
  }

  export function defineWithSyncMethod() {
    class WithSyncMethod {
      // @ts-expect-error only methods that return a promise can be decorated
      @resilient(shared)
      value(): number {
        return 1;
      }
    }
    return WithSyncMethod;
  }

  export function defineWithFactoryOfAnotherClass() {
    class Unrelated {
      unrelated = true;
      // @ts-expect-error the factory takes an Inventory, not an Unrelated
      @resilient((inventory: Inventory) => retryOnce())
      async value(): Promise<number> {
        return 1;
      }
    }
    return Unrelated;
  }
`;

interface UserModule {
  Inventory: {
    new (prefix: string): { count(sku: string, times?: number): Promise<string>; label(): Promise<string>; attempts: number };
    ping(): Promise<string>;
  };
  policiesMade: string[];
  defineWithGetter: () => unknown;
  defineWithField: () => unknown;
}

describe.each([
  { setting: 'standard decorators', experimentalDecorators: false },
  { setting: 'experimentalDecorators (NestJS, TypeORM)', experimentalDecorators: true },
])('@resilient compiled by the TypeScript compiler with $setting', ({ experimentalDecorators }) => {
  const run = () => compileAndRun(userModule, experimentalDecorators) as unknown as UserModule;

  it('type-checks, keeping the parameter and return types and refusing getters, sync methods and foreign factories', () => {
    expect(typeCheck(userModule, experimentalDecorators)).toEqual([]);
  });

  it("runs each call through the policy, with the instance's this and the arguments", async () => {
    const { Inventory } = run();
    const inventory = new Inventory('north/');
    await expect(inventory.count('sku-1', 3)).resolves.toBe('north/sku-1 x3 after 2 tries');
    expect(inventory.attempts).toBe(2);
  });

  it('makes one policy per instance with a factory, on first use', async () => {
    const { Inventory, policiesMade } = run();
    const north = new Inventory('north/');
    const south = new Inventory('south/');
    await north.label();
    await north.label();
    await expect(south.label()).resolves.toBe('south/label');
    expect(policiesMade).toEqual(['north/', 'south/']);
  });

  it('decorates a static method, with the class as this', async () => {
    const { Inventory } = run();
    await expect(Inventory.ping()).resolves.toBe('pong after 2 tries');
  });

  it('throws a TypeError naming the member when the class decorates a getter or a field', () => {
    const { defineWithGetter, defineWithField } = run();
    expect(defineWithGetter).toThrow(new TypeError('@resilient decorates methods only; "value" is a getter'));
    expect(defineWithField).toThrow(new TypeError('@resilient decorates methods only; "value" is a field'));
  });
});
